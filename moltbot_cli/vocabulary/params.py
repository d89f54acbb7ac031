"""Request parameters a model's `params` may set: config spelling → wire name.

The config accepts each field in camelCase or OpenRouter's snake_case; the wire is
always snake_case. The table is also what the config schema checks against.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moltbot_cli.vocabulary.routing import snake_case

# snake_case wire name → camelCase config spelling (identical when one word).
PARAM_FIELDS: dict[str, str] = {
    "temperature": "temperature",
    "max_tokens": "maxTokens",
    "top_p": "topP",
    "top_k": "topK",
    "min_p": "minP",
    "top_a": "topA",
    "frequency_penalty": "frequencyPenalty",
    "presence_penalty": "presencePenalty",
    "repetition_penalty": "repetitionPenalty",
    "seed": "seed",
    "stop": "stop",
}
# Config spelling (either case) → wire name.
PARAM_WIRE: dict[str, str] = {camel: snake for snake, camel in PARAM_FIELDS.items()} | {
    snake: snake for snake in PARAM_FIELDS
}


def wire_name(key: str) -> str:
    return PARAM_WIRE.get(key, snake_case(key))


def wire_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """A model's configured params with their wire names."""
    return {wire_name(key): value for key, value in params.items()}
