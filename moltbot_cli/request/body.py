"""The request body for one model.

The body carries the model's wire id, the messages, the model's configured `params`
(camelCase or snake_case in the config, snake_case on the wire) with flags winning,
and its routing as `provider`, with `--only` / `--order` replacing those fields for
this call. A model without routing gets no `provider` field at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moltbot_cli.config.settings import Settings
from moltbot_cli.vocabulary import refs
from moltbot_cli.vocabulary.params import wire_params


@dataclass(frozen=True)
class ChatOptions:
    """What the command line says about this one call."""

    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    only: list[str] | None = None
    order: list[str] | None = None
    stream: bool = True
    # A conversation's id: OpenRouter keeps its calls on one provider, so its cache is hit.
    session_id: str | None = None


def build_messages(prompt: str, system: str | None) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": system}] if system else []
    return [*messages, {"role": "user", "content": prompt}]


def build_body(
    settings: Settings, ref: str, messages: list[dict[str, Any]], options: ChatOptions
) -> dict[str, Any]:
    body: dict[str, Any] = {"model": refs.wire_id(ref), "messages": messages}
    body.update(wire_params(settings.params(ref)))
    if options.temperature is not None:
        body["temperature"] = options.temperature
    if options.max_tokens is not None:
        body["max_tokens"] = options.max_tokens
    # The global routing, the model's own over it field by field, the flags over both.
    provider = (
        settings.effective_routing(ref).with_flags(only=options.only, order=options.order).provider
    )
    if provider:
        body["provider"] = provider
    if options.session_id:
        body["session_id"] = options.session_id
    body["stream"] = options.stream
    if options.stream:
        body["stream_options"] = {"include_usage": True}  # so --usage has tokens to show
    return body
