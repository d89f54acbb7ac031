"""The walk down a model's fallbacks.

When the model in use fails before saying anything, in a way another model might
not (unavailable, 5xx after retries, no endpoints, rate limited, too slow), the next
configured fallback is tried with its own routing and params. A missing key, no
credits or a bad request end the walk at once: another model would fare no better.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from moltbot_cli.config.settings import Settings
from moltbot_cli.errors import MoltbotError
from moltbot_cli.openrouter import errors
from moltbot_cli.openrouter.client import ChatResult, OpenRouterClient, Reasoning
from moltbot_cli.records import Record
from moltbot_cli.request.body import ChatOptions, build_body
from moltbot_cli.vocabulary import refs


class Failover(Record, frozen=True):
    """`failed` could not answer; `next` is tried now."""

    failed: str
    error: MoltbotError
    next: str


class Served(Record, frozen=True):
    """The reply is complete; `ref` is the configured model that gave it."""

    ref: str
    result: ChatResult
    fallback: bool


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
    messages: list[dict[str, Any]],
    options: ChatOptions,
    check: Callable[[dict[str, Any], str], None] | None = None,
) -> Iterator[str | Reasoning | Failover | Served]:
    """Text and Reasoning pieces as they arrive (streaming only), a Failover per model given up on,
    and finally the Served reply. Raises the last model's error when none answers.

    `check(body, ref)` runs on each fallback's request before it is sent and raises what
    that model cannot take (an image for a text-only model, say): such a fallback is
    passed over, not asked, and when it is the last, its refusal is the error.
    """
    for index, ref in enumerate(chain):
        body = build_body(settings, ref, messages, options)
        if index and check is not None:
            try:
                check(body, ref)
            except MoltbotError as refused:
                if index == len(chain) - 1:
                    raise
                yield Failover(ref, refused, chain[index + 1])
                continue
        began = False
        try:
            if options.stream:
                for item in client.stream_chat(body, name=ref):
                    if isinstance(item, ChatResult):
                        yield Served(ref, _not_empty(item, ref), fallback=index > 0)
                        return
                    # Reasoning goes to stderr: only reply text on stdout rules out a fallback.
                    began = began or isinstance(item, str)
                    yield item
            else:
                result = ChatResult.from_completion(client.complete(body, name=ref))
                yield Served(ref, _not_empty(result, ref), fallback=index > 0)
                return
        except MoltbotError as error:
            if began or not errors.falls_back(error) or index == len(chain) - 1:
                raise
            yield Failover(ref, error, chain[index + 1])


def _not_empty(result: ChatResult, ref: str) -> ChatResult:
    """A 200 with no text and no tool call fails like an unavailable model (exit 7), so
    the next fallback is tried: a chat has nothing to show for it."""
    if result.empty:
        raise errors.empty_reply(ref, result.finish_reason)
    return result
