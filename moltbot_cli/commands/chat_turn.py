"""One turn of a conversation: send it, show the reply, and log the call however it ends.

Both `moltbot chat PROMPT` and the interactive chat take their turns here, so a
turn is logged the same way from either: success, an error with the part of the
reply that arrived and its exit code, or Ctrl-C (exit code 130, what arrived kept).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import Any

from moltbot_cli.calllog.conversation import Conversation
from moltbot_cli.calllog.recorder import CallRecorder
from moltbot_cli.commands.chat_features import ReasoningOnStderr
from moltbot_cli.commands.chat_work import show_reply
from moltbot_cli.config.settings import Settings
from moltbot_cli.console import Output
from moltbot_cli.errors import ExitCode, MoltbotError
from moltbot_cli.openrouter.client import OpenRouterClient, Reasoning
from moltbot_cli.records import Record, replace
from moltbot_cli.request.body import ChatOptions, build_body
from moltbot_cli.request.walk import Failover, Served, converse

# Below this many tokens no model's context is at risk: skip reading the catalogue.
CONTEXT_CHECK_FLOOR = 2000


class TurnSettings(Record):
    settings: Settings
    options: ChatOptions
    log: bool = True
    secret: str | None = None  # the key: masked should anything try to log it
    spinner: bool = True
    show_reasoning: bool = True  # stream the model's reasoning to stderr
    session: bool = False  # send the conversation id as session_id from the first turn
    fresh_hint: str = (
        "Start a new conversation by leaving out -c/--cid, or ask a model with a longer "
        "context with -m."
    )
    # Run on each fallback's request before it is sent: raises what that model cannot take.
    check_fallback: Callable[[dict[str, Any], str], None] | None = None


def take_turn(
    out: Output,
    client: OpenRouterClient,
    turn: TurnSettings,
    chain: list[str],
    conversation: Conversation,
    prompt: str | list[dict[str, Any]],
) -> Served:
    """Ask `chain` (the model, then its fallbacks) `prompt` within `conversation`.

    `prompt` is the user message's content: text, or a list of parts (text, images, files).
    """
    messages = conversation.messages(prompt)
    options = turn.options
    if turn.session or conversation.continued:
        options = replace(options, session_id=conversation.id)
    warn_past_context(out, turn.settings, chain[0], conversation, prompt, turn.fresh_hint)
    recorder = CallRecorder(conversation.id, chain[0])
    asked = [chain[0]]
    items = converse(client, turn.settings, chain, messages, options, turn.check_fallback)
    tapped = _tap(items, recorder, asked)
    try:
        served = show_reply(
            out,
            tapped,
            chain[0],
            spinner=turn.spinner,
            reasoning=ReasoningOnStderr(out, shown=turn.show_reasoning),
        )
    except MoltbotError as error:
        recorder.failed(error.message, int(error.exit_code))
        raise
    except KeyboardInterrupt:
        recorder.failed("interrupted (Ctrl-C)", int(ExitCode.INTERRUPTED))
        raise
    else:
        recorder.served(served.result)
        misfit = schema_misfit(options, served.result.content)
        if misfit is not None:  # the command exits 7 for it: so does the logged call
            recorder.failed(misfit.message, int(misfit.exit_code))
    finally:
        tapped.close()
        close = getattr(items, "close", None)
        if close is not None:
            close()  # a reply cut short by Ctrl-C lets go of its connection
        recorder.request(build_body(turn.settings, asked[-1], messages, options))
        record = recorder.finish()
        if turn.log:
            recorder.write(out.warn, secret=turn.secret)
        conversation.add(record)
    return served


def schema_misfit(options: ChatOptions, content: str) -> MoltbotError | None:
    """Why a reply asked to follow --schema does not, or None (also without a schema)."""
    if options.structured is None:
        return None
    from moltbot_cli.request.structured import check_reply

    try:
        check_reply(options.structured, content)
    except MoltbotError as error:
        return error
    return None


def _tap(
    items: Iterator[str | Reasoning | Failover | Served], recorder: CallRecorder, asked: list[str]
) -> Generator[str | Reasoning | Failover | Served, None, None]:
    """The items as they pass, with the reply's text, its reasoning and the model in use noted."""
    for item in items:
        if isinstance(item, str):
            recorder.text(item)
        elif isinstance(item, Reasoning):
            recorder.reasoning(item.text)  # kept even if the reply never comes
        elif isinstance(item, Failover):
            asked.append(item.next)
        elif isinstance(item, Served):
            asked.append(item.ref)
        yield item


def warn_past_context(
    out: Output,
    settings: Settings,
    ref: str,
    conversation: Conversation,
    prompt: str | list[dict[str, Any]],
    fresh_hint: str,
) -> None:
    """Say so before sending a conversation that has outgrown the model's context."""
    estimate = conversation.estimated_tokens(prompt)
    if estimate < CONTEXT_CHECK_FLOOR:
        return
    limit = context_length(settings, ref)
    if limit is None or estimate <= limit:
        return
    out.warn(
        f"this conversation is about {estimate:,} tokens, more than the {limit:,} of "
        f"{ref}'s context; the model may refuse it or lose its start."
    )
    out.note(fresh_hint)


def context_length(settings: Settings, ref: str) -> int | None:
    """The model's context length from the cached catalogue (no network), if known."""
    from moltbot_cli.openrouter import catalogue

    cached = catalogue.read_cache(settings.base_url)
    model: dict[str, Any] | None = cached.get(ref) if cached is not None else None
    length = model.get("context_length") if model else None
    return length if isinstance(length, int) and not isinstance(length, bool) else None
