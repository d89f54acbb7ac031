"""Request fields a model's `params` (and `chat -o NAME VALUE`) may set.

The config accepts each field in camelCase or OpenRouter's snake_case; the wire is
always snake_case. The tables are also what the config schema checks against: a name
that is no request field is a typo worth reporting, not something to send.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from moltbot_cli.vocabulary.routing import snake_case


def camel_case(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)


# Sampling parameters: checked for type and range by the config schema.
SAMPLING: tuple[str, ...] = (
    "temperature",
    "max_tokens",
    "top_p",
    "top_k",
    "min_p",
    "top_a",
    "frequency_penalty",
    "presence_penalty",
    "repetition_penalty",
    "seed",
    "stop",
)
# Other request fields a config may set per model (OpenRouter's chat request, late 2026).
OTHER_FIELDS: tuple[str, ...] = (
    "max_completion_tokens",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "user",
    "reasoning",
    "include_reasoning",
    "response_format",
    "structured_outputs",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "plugins",
    "verbosity",
    "prediction",
    "modalities",
    "web_search_options",
    "metadata",
    "models",
    "route",
    "transforms",
    "session_id",
)
# snake_case wire name → camelCase config spelling (identical when one word).
PARAM_FIELDS: dict[str, str] = {name: camel_case(name) for name in (*SAMPLING, *OTHER_FIELDS)}
# Config spelling (either case) → wire name.
PARAM_WIRE: dict[str, str] = {camel: snake for snake, camel in PARAM_FIELDS.items()} | {
    snake: snake for snake in PARAM_FIELDS
}
# Fields moltbot itself fills in for every call: not for params or -o.
OWNED_FIELDS: dict[str, str] = {
    "model": "-m/--model",
    "messages": "the prompt, -s/--system and -a/--attach",
    "stream": "--no-stream",
    "stream_options": "--no-stream",
}
# Fields that are plumbing, not something a model lists in `supported_parameters`.
NOT_MODEL_PARAMETERS = frozenset(
    {
        *OWNED_FIELDS,
        "provider",
        "plugins",
        "models",
        "route",
        "transforms",
        "session_id",
        "user",
        "metadata",
        "usage",
        "tools",  # the web search server tool is OpenRouter's, not the model's
    }
)

REASONING_EFFORTS = ("xhigh", "high", "medium", "low", "minimal", "none")
PDF_ENGINES = ("pdf-text", "mistral-ocr", "native")


def wire_name(key: str) -> str:
    return PARAM_WIRE.get(key, snake_case(key))


def wire_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """A model's configured params with their wire names.

    `reasoning: {maxTokens: 2000}` goes out as `{"max_tokens": 2000}`; other values
    (a JSON schema, logit_bias) are the user's data and go out exactly as written.
    """
    wire: dict[str, Any] = {}
    for key, value in params.items():
        name = wire_name(key)
        if name == "reasoning" and isinstance(value, Mapping):
            value = {snake_case(field): item for field, item in value.items()}
        wire[name] = value
    return wire
