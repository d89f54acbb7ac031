"""Per-model routing: `compat.openRouterRouting` in the config → the request's `provider`.

The config accepts each field in camelCase or OpenRouter's snake_case; the wire is
always snake_case. The field table here is also what the config schema checks against.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

QUANTIZATIONS = ("int4", "int8", "fp4", "fp6", "fp8", "fp16", "bf16", "fp32", "unknown")
SORTS = ("price", "throughput", "latency")
DATA_COLLECTION = ("allow", "deny")

# snake_case wire name → camelCase config spelling (identical when one word).
FIELDS: dict[str, str] = {
    "order": "order",
    "only": "only",
    "ignore": "ignore",
    "allow_fallbacks": "allowFallbacks",
    "require_parameters": "requireParameters",
    "data_collection": "dataCollection",
    "zdr": "zdr",
    "enforce_distillable_text": "enforceDistillableText",
    "quantizations": "quantizations",
    "sort": "sort",
    "max_price": "maxPrice",
    "preferred_min_throughput": "preferredMinThroughput",
    "preferred_max_latency": "preferredMaxLatency",
}
SNAKE_FOR: dict[str, str] = {camel: snake for snake, camel in FIELDS.items()} | {
    snake: snake for snake in FIELDS
}


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def _wire_value(value: Any) -> Any:
    """Nested objects (sort, max_price, percentiles) also go out snake_case."""
    if isinstance(value, Mapping):
        return {snake_case(key): _wire_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_wire_value(item) for item in value]
    return value


def provider_object(routing: Mapping[str, Any] | None) -> dict[str, Any]:
    """The `provider` body field for a model's routing; empty when none is configured."""
    if not routing:
        return {}
    return {
        SNAKE_FOR.get(key, snake_case(key)): _wire_value(value) for key, value in routing.items()
    }


def with_overrides(
    provider: Mapping[str, Any],
    *,
    only: list[str] | None = None,
    order: list[str] | None = None,
) -> dict[str, Any]:
    """Per-call `--only` / `--order` replace those fields of the configured routing."""
    merged = dict(provider)
    if only is not None:
        merged["only"] = only
    if order is not None:
        merged["order"] = order
    return merged
