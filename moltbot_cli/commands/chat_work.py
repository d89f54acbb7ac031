"""The work behind `moltbot chat`: prompt in, reply streamed out, failures explained.

stdout carries the reply and nothing else (or the one JSON object with --json);
notes, the spinner, --usage and errors go to stderr.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

from moltbot_cli.calllog.conversation import Conversation
from moltbot_cli.calllog.conversation import load as load_conversation
from moltbot_cli.commands.chat_features import (
    ReasoningOnStderr,
    RequestFlags,
    check_before_sending,
    show_citations,
    with_request_flags,
)
from moltbot_cli.commands.context import AppContext
from moltbot_cli.console import Output, StdoutClosedError, stdin_is_terminal, stdout_is_closed
from moltbot_cli.credentials import find_key, require_key
from moltbot_cli.errors import MoltbotError, UsageError
from moltbot_cli.openrouter.client import CHAT_PATH, Reasoning
from moltbot_cli.openrouter.errors import unseen_partial
from moltbot_cli.records import Record, field, replace
from moltbot_cli.request.body import ChatOptions, build_body, user_content
from moltbot_cli.request.walk import Failover, Served, model_chain
from moltbot_cli.vocabulary import refs


class ChatCommand(Record, frozen=True):
    words: list[str]
    model: str | None = None
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    only: str | None = None
    order: str | None = None
    stream: bool = True
    dry_run: bool = False
    timeout: float | None = None
    retries: int = 3
    usage: bool = False
    fallbacks: bool = True
    read_stdin: bool = True
    continue_last: bool = False
    cid: str | None = None
    log: bool = True
    request: RequestFlags = field(default_factory=RequestFlags)


def run_chat(app: AppContext, out: Output, command: ChatCommand) -> None:
    if stdout_is_closed():
        raise StdoutClosedError()  # before paying for a reply that could not be shown
    if command.model is not None and not command.model.strip():
        # An empty -m (say, an unset shell variable) must not quietly mean the primary.
        raise UsageError(
            "-m/--model is empty: give the model to ask",
            hint="Use a ref such as openrouter/anthropic/claude-sonnet-4-5 or an alias "
            "(`moltbot models list`), or leave -m out to ask the configured primary.",
        )
    if command.continue_last and command.cid is not None:
        raise UsageError("-c/--continue and --cid both name a conversation; give one of them")
    if wants_interactive(command):
        if out.is_json or command.dry_run:
            flag = "--json" if out.is_json else "--dry-run"
            raise UsageError(
                f"{flag} needs a prompt: the interactive chat has no {flag}",
                hint='Give the prompt as arguments: moltbot chat --json "hello".',
            )
        from moltbot_cli.commands.chat_interactive import run_interactive

        run_interactive(app, out, command)
        return
    flags = command.request
    file_on_stdin = "-" in flags.attach
    if file_on_stdin and not command.read_stdin:
        raise UsageError("-a - reads stdin, which -n/--no-stdin leaves unread")
    stdin_text = piped_stdin() if command.read_stdin and not file_on_stdin else None
    if flags.attach and not command.words and not (stdin_text or "").strip():
        prompt = ""  # the attachments are the question (an image, a PDF, a text file)
    else:
        prompt = compose_prompt(command.words, stdin_text, stdin_read=command.read_stdin)
    options = with_request_flags(chat_options(command), flags)
    content = user_content(prompt, options.attachments)
    settings = app.store.settings()
    if not command.dry_run:
        from moltbot_cli.openrouter import tls

        tls.prepare(settings.base_url)  # loads while the key and the client are found
    conversation = open_conversation(command)
    chain = model_chain(settings, command.model or conversation.model, fallbacks=command.fallbacks)
    sent = replace(options, session_id=conversation.id) if conversation.continued else options
    body = build_body(settings, chain[0], conversation.messages(content), sent)
    check_fallback = check_before_sending(app, out, settings, body, chain[0], options, flags)
    if command.dry_run:
        key = find_key(app.config_path, settings).key
        with app.client(key, base_url=settings.base_url) as client:
            out.json(client.preview(CHAT_PATH, body))
        if key is None:
            out.note("Note: no API key found; a real call would stop here (run `moltbot onboard`).")
        return
    from moltbot_cli.commands.chat_turn import TurnSettings, take_turn

    key = require_key(app.config_path, settings).key
    from moltbot_cli.commands.models_expiry_work import warn_once_a_day

    warn_once_a_day(out, settings.base_url, chain[0])  # from the cache: never a fetch
    logged = command.log and settings.logs_enabled
    turn = TurnSettings(
        settings,
        options,
        log=logged,
        secret=key,
        spinner=not app.verbose,
        show_reasoning=not flags.hide_reasoning,
        check_fallback=check_fallback,
    )
    continued = conversation.continued
    with app.client(
        key, base_url=settings.base_url, timeout=command.timeout, retries=command.retries
    ) as client:
        served = take_turn(out, client, turn, chain, conversation, content)
    result = served.result
    if out.is_json:
        payload = result.as_json()
        if logged or continued:
            payload["conversation"] = conversation.id
        out.json(payload)
    show_citations(out, result.citations)
    if served.fallback:
        out.note(f"Note: answered by {served.ref} (a configured fallback).")
    if result.finish_reason == "length":
        out.note("Note: the reply stopped at its token limit; allow more with --max-tokens N.")
    if command.usage:
        out.note(usage_line(served))
        if continued:
            out.note(conversation_line(conversation))
    if options.structured is not None:
        from moltbot_cli.request.structured import check_reply

        check_reply(options.structured, result.content)  # exit 7 when it does not fit


def wants_interactive(command: ChatCommand) -> bool:
    """No prompt, and a person at the keyboard: talk with them."""
    return (
        not command.words
        and not command.request.attach
        and command.read_stdin
        and stdin_is_terminal()
    )


def chat_options(command: ChatCommand) -> ChatOptions:
    return ChatOptions(
        system=command.system,
        temperature=command.temperature,
        max_tokens=command.max_tokens,
        only=provider_slugs(command.only, "--only"),
        order=provider_slugs(command.order, "--order"),
        stream=command.stream,
    )


def open_conversation(command: ChatCommand) -> Conversation:
    """The conversation -c or --cid names, with -s replacing its system prompt; else a new one."""
    if not (command.continue_last or command.cid is not None):
        return Conversation.new(command.system)
    conversation = load_conversation(None if command.continue_last else command.cid)
    if command.system:
        conversation.system = command.system
    return conversation


def conversation_line(conversation: Conversation) -> str:
    calls = f"{conversation.calls} call{'s' if conversation.calls != 1 else ''}"
    cost = f"${conversation.cost:.6f}" if conversation.costed else "cost not reported"
    return f"Conversation {conversation.id}: {calls}, {cost} so far"


def compose_prompt(words: list[str], stdin_text: str | None, *, stdin_read: bool = True) -> str:
    """Arguments, then piped text as context; at least one of them must say something."""
    asked = " ".join(words).strip()
    piped = (stdin_text or "").strip()
    if asked and piped:
        return f"{asked}\n\n{piped}"
    if asked or piped:
        return asked or piped
    if not stdin_read:
        raise UsageError(
            "no prompt given, and -n/--no-stdin leaves stdin unread",
            hint='Give the prompt as arguments: moltbot chat -n "hello".',
        )
    raise UsageError(
        "no prompt given",
        hint='Give one as arguments (moltbot chat "hello") or on stdin '
        "(echo hello | moltbot chat).",
    )


def piped_stdin() -> str | None:
    """What was piped in; None when stdin is a terminal (nobody is typing a prompt there)."""
    stream = sys.stdin
    if stream is None or stdin_is_terminal():
        return None
    try:
        raw = stream.buffer.read() if hasattr(stream, "buffer") else stream.read().encode()
    except OSError:
        return None
    return raw.decode("utf-8", errors="replace")


def provider_slugs(text: str | None, flag: str) -> list[str] | None:
    if text is None:
        return None
    slugs = [slug.strip() for slug in text.split(",") if slug.strip()]
    if not slugs:
        raise UsageError(
            f"{flag} needs at least one provider slug",
            hint=f"For example {flag} anthropic,openai (see `moltbot models endpoints REF`).",
        )
    return slugs


def show_reply(
    out: Output,
    items: Iterator[str | Reasoning | Failover | Served],
    first: str,
    *,
    spinner: bool = True,
    reasoning: ReasoningOnStderr | None = None,
) -> Served:
    """Write the reply as it arrives; a spinner keeps a watching person company until then.

    With --verbose the trace lines say what is happening, and a spinner would garble them.
    """
    asking = first
    while True:
        with out.spinner(f"Asking {asking}…") if spinner else contextlib.nullcontext():
            item = next(items)
        if not isinstance(item, Failover):
            break
        out.note(f"Note: {failover_reason(item)}; trying {item.next}")
        asking = item.next
    shown = ReplyOnStdout(out)
    thinking = reasoning or ReasoningOnStderr(out, shown=False)
    try:
        while not isinstance(item, Served):
            if isinstance(item, str):
                if thinking.began:
                    thinking.end()
                shown.write(item)
            elif isinstance(item, Reasoning):
                thinking.write(item.text)
            item = next(items)
    except (MoltbotError, KeyboardInterrupt) as error:
        if out.is_json and isinstance(error, MoltbotError):
            unseen_partial(error)  # the part that arrived was never printed
        thinking.end()
        shown.end()  # so the error, or the shell prompt, starts a line of its own
        raise
    if not thinking.began and item.result.reasoning:
        thinking.write(item.result.reasoning)  # --no-stream: the reasoning came whole
    thinking.end()
    if not shown.began:
        # Nothing was streamed (--no-stream, or a whole answer to a streamed request).
        shown.write(item.result.content)
    shown.end()
    return item


class ReplyOnStdout:
    """The reply's text on stdout (none with --json), ending in exactly one newline.

    `began` says whether any text was written: it is what "output began" means.
    """

    def __init__(self, out: Output) -> None:
        self.out = out
        self.began = False
        self._tail = ""
        self._stream: Callable[[str], None] | None = None

    def write(self, text: str) -> None:
        if not text or self.out.is_json:
            return
        if self._stream is None:
            self._stream = self.out.text_streamer()
        self._stream(text)
        self.began, self._tail = True, text[-1]

    def end(self) -> None:
        if self.began and self._tail != "\n":
            self.out.stream_text("\n")
            self._tail = "\n"


def failover_reason(failover: Failover) -> str:
    """Why a model was given up on, naming it once: most messages name it already."""
    message = failover.error.message
    if message.endswith(".") and not message.endswith(".."):
        message = message[:-1]  # the server's sentence goes on: "...; trying X"
    return message if failover.failed in message else f"{failover.failed} failed: {message}"


def usage_line(served: Served) -> str:
    result = served.result
    usage: dict[str, Any] = result.usage or {}
    parts = [
        f"model {result.model or refs.wire_id(served.ref)}",
        f"provider {result.provider or 'not reported'}",
    ]
    prompt_tokens = _count(usage.get("prompt_tokens"))
    completion_tokens = _count(usage.get("completion_tokens"))
    if prompt_tokens is None and completion_tokens is None:
        # Servers that ignore stream_options send none; say so rather than print nothing.
        parts.append("tokens not reported")
    else:
        total = _count(usage.get("total_tokens"))
        if total is None and prompt_tokens is not None and completion_tokens is not None:
            total = prompt_tokens + completion_tokens
        parts.append(
            f"tokens {_or_unknown(prompt_tokens)} in + {_or_unknown(completion_tokens)} out"
            f" = {_or_unknown(total)}"
        )
    cost = usage.get("cost")
    if isinstance(cost, (int, float)) and not isinstance(cost, bool):
        parts.append(f"cost ${cost:.6f}")
    else:
        parts.append("cost not reported")
    return "Usage: " + ", ".join(parts)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _or_unknown(value: int | None) -> str:
    return "?" if value is None else str(value)
