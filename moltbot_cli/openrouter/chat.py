"""A chat turn: the request body for a model, and the walk down its fallbacks.

The body carries the model's wire id, the messages, the model's configured `params`
(camelCase or snake_case in the config, snake_case on the wire) with flags winning,
and its routing as `provider`, with `--only` / `--order` replacing those fields for
this call. A model without routing gets no `provider` field at all.

When the model in use fails before saying anything, in a way another model might
not (unavailable, 5xx after retries, no endpoints, rate limited, too slow), the next
configured fallback is tried with its own routing and params. A missing key, no
credits or a bad request end the walk at once: another model would fare no better.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from moltbot_cli.config.schema import PARAM_FIELDS
from moltbot_cli.config.settings import Settings
from moltbot_cli.errors import MoltbotError
from moltbot_cli.openrouter import errors, refs, routing
from moltbot_cli.openrouter.client import ChatResult, OpenRouterClient

CHAT_PATH = "/chat/completions"
# Config spelling (either case) → wire name.
PARAM_WIRE: dict[str, str] = {camel: snake for snake, camel in PARAM_FIELDS.items()} | {
    snake: snake for snake in PARAM_FIELDS
}


@dataclass(frozen=True)
class ChatOptions:
    """What the command line says about this one call."""

    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    only: list[str] | None = None
    order: list[str] | None = None
    stream: bool = True


@dataclass(frozen=True)
class Failover:
    """`failed` could not answer; `next` is tried now."""

    failed: str
    error: MoltbotError
    next: str


@dataclass(frozen=True)
class Served:
    """The reply is complete; `ref` is the configured model that gave it."""

    ref: str
    result: ChatResult
    fallback: bool


def wire_params(params: Mapping[str, Any]) -> dict[str, Any]:
    return {PARAM_WIRE.get(key, routing.snake_case(key)): value for key, value in params.items()}


def build_messages(prompt: str, system: str | None) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": system}] if system else []
    return [*messages, {"role": "user", "content": prompt}]


def build_body(
    settings: Settings, ref: str, messages: list[dict[str, str]], options: ChatOptions
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
    body["stream"] = options.stream
    if options.stream:
        body["stream_options"] = {"include_usage": True}  # so --usage has tokens to show
    return body


def model_chain(settings: Settings, model: str | None, *, fallbacks: bool = True) -> list[str]:
    """The model to ask (the flag's, else the configured primary), then its fallbacks."""
    first = settings.resolve(model) if model else (settings.primary or refs.DEFAULT_MODEL)
    chain = [first]
    if fallbacks:
        for ref in settings.fallbacks:
            if not any(refs.same_model(ref, known) for known in chain):
                chain.append(ref)
    return chain


def converse(
    client: OpenRouterClient,
    settings: Settings,
    chain: list[str],
    messages: list[dict[str, str]],
    options: ChatOptions,
) -> Iterator[str | Failover | Served]:
    """Text pieces as they arrive (streaming only), a Failover per model given up on,
    and finally the Served reply. Raises the last model's error when none answers."""
    for index, ref in enumerate(chain):
        body = build_body(settings, ref, messages, options)
        began = False
        try:
            if options.stream:
                for item in client.stream_chat(body, name=ref):
                    if isinstance(item, str):
                        began = True
                        yield item
                    else:
                        yield Served(ref, item, fallback=index > 0)
                        return
            else:
                result = ChatResult.from_completion(client.complete(body, name=ref))
                yield Served(ref, result, fallback=index > 0)
                return
        except MoltbotError as error:
            if began or not errors.falls_back(error) or index == len(chain) - 1:
                raise
            yield Failover(ref, error, chain[index + 1])
