"""`moltbot chat` with no prompt at a terminal: a conversation, one prompt line at a time.

The line is read with the standard library's `input` (with readline's editing and
history where the platform has it). A line ending in a backslash continues on the
next. Replies stream as in a one-shot chat and every turn is logged; Ctrl-C stops
the reply (what arrived is kept, in the conversation and in the log) and returns to
the prompt; at an empty prompt Ctrl-C leaves with 130, Ctrl-D or /exit with 0.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from moltbot_cli.calllog.conversation import Conversation
from moltbot_cli.commands.chat_turn import TurnSettings, take_turn
from moltbot_cli.commands.chat_work import (
    ChatCommand,
    chat_options,
    conversation_line,
    open_conversation,
    usage_line,
)
from moltbot_cli.commands.context import AppContext
from moltbot_cli.config.settings import Settings
from moltbot_cli.console import Output
from moltbot_cli.credentials import require_key
from moltbot_cli.errors import MoltbotError, report
from moltbot_cli.request.walk import model_chain

PROMPT = "> "
CONTINUATION = "… "
HELP = """\
Type a message and press Enter; end a line with \\ to go on to the next one.
  /model REF   switch to another model (a ref or an alias); /model alone names it
  /new         start a new conversation
  /usage       the conversation's calls and cost so far
  /help        this list
  /exit        leave (so does Ctrl-D)
Ctrl-C stops a reply and keeps what arrived; at an empty prompt it leaves.
A message that starts with / is written with two: //etc/hosts is sent as /etc/hosts."""

Ask = Callable[[str], str]


def run_interactive(app: AppContext, out: Output, command: ChatCommand) -> None:
    settings = app.store.settings()
    conversation = open_conversation(command)
    chain = model_chain(settings, command.model or conversation.model, fallbacks=command.fallbacks)
    key = require_key(app.config_path, settings).key
    from moltbot_cli.commands.models_expiry_work import warn_once_a_day

    warn_once_a_day(out, settings.base_url, chain[0])  # from the cache: never a fetch
    turn = TurnSettings(
        settings,
        chat_options(command),
        log=command.log and settings.logs_enabled,
        secret=key,
        spinner=not app.verbose,
        session=True,
        fresh_hint="Type /new to start afresh, or /model REF to switch to a model with a "
        "longer context.",
    )
    ask = prompt_reader(out)
    greet(out, chain[0], conversation, logged=turn.log)
    with app.client(
        key, base_url=settings.base_url, timeout=command.timeout, retries=command.retries
    ) as client:
        while True:
            try:
                text = read_message(ask)
            except EOFError:
                out.note("")  # Ctrl-D: leave the shell prompt on a line of its own
                return
            if not text.strip():
                continue
            if text.startswith("/") and not text.startswith("//"):
                action = text.split()[0].lower()
                if action in ("/exit", "/quit", "/q"):
                    return
                if action == "/new":
                    conversation = Conversation.new(command.system)
                    out.note(f"New conversation {conversation.id}.")
                elif action == "/model":
                    chain = switch_model(out, settings, text, chain, command.fallbacks)
                elif action == "/usage":
                    out.note(conversation_line(conversation))
                elif action in ("/help", "/?"):
                    out.note(HELP)
                else:
                    out.note(f"Unknown command {action}; /help lists the commands.")
                continue
            prompt = text[1:] if text.startswith("//") else text
            try:
                served = take_turn(out, client, turn, chain, conversation, prompt)
            except KeyboardInterrupt:
                out.note("[stopped]")
                continue
            except MoltbotError as error:
                report(error)
                continue
            if served.fallback:
                out.note(f"Note: answered by {served.ref} (a configured fallback).")
            if served.result.finish_reason == "length":
                out.note(
                    "Note: the reply stopped at its token limit; allow more with --max-tokens N."
                )
            if command.usage:
                out.note(usage_line(served))
                out.note(conversation_line(conversation))


def greet(out: Output, model: str, conversation: Conversation, *, logged: bool) -> None:
    if conversation.continued:
        turns = len(conversation.turns) // 2
        first = f"Continuing conversation {conversation.id} ({turns} earlier turn{'s' if turns != 1 else ''})"
    else:
        first = f"New conversation {conversation.id}"
    where = "" if logged else " (not logged)"
    out.note(f"{first} with {model}{where}.")
    out.note("Type /help for commands; /exit or Ctrl-D to leave.")


def switch_model(
    out: Output, settings: Settings, text: str, chain: list[str], fallbacks: bool
) -> list[str]:
    words = text.split(maxsplit=1)
    if len(words) < 2:
        out.note(f"Asking {chain[0]}. Switch with /model REF (a ref or an alias).")
        return chain
    try:
        new_chain = model_chain(settings, words[1].strip(), fallbacks=fallbacks)
    except MoltbotError as error:
        report(error)
        return chain
    out.note(f"Now asking {new_chain[0]}.")
    return new_chain


def read_message(ask: Ask) -> str:
    """One message: lines ending in a backslash go on to the next.

    Ctrl-C with something typed drops it and asks again; at an empty prompt it leaves.
    """
    lines: list[str] = []
    while True:
        typed = _TypedAtInterrupt()
        try:
            with typed:
                line = ask(CONTINUATION if lines else PROMPT)
        except KeyboardInterrupt:
            if lines or typed.anything:
                print(file=sys.stderr)
                lines = []
                continue
            raise
        if line.endswith("\\"):
            lines.append(line[:-1])
            continue
        lines.append(line)
        return "\n".join(lines)


class _TypedAtInterrupt:
    """Notes whether the line being edited held text when Ctrl-C came.

    readline empties its buffer once input() gives up, so the check runs in the signal
    handler, while the text is still there.
    """

    def __init__(self) -> None:
        self.anything = False
        self._previous: Any = None

    def __enter__(self) -> None:
        readline = sys.modules.get("readline")
        if readline is None or threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            return  # Ctrl-C is ignored here: keep it so

        def interrupted(signum: int, frame: Any) -> None:
            with contextlib.suppress(Exception):  # an odd readline: treat as nothing typed
                self.anything = bool(readline.get_line_buffer())
            raise KeyboardInterrupt

        self._previous = signal.signal(signal.SIGINT, interrupted)

    def __exit__(self, *exc_info: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def prompt_reader(out: Output) -> Ask:
    """input() with line editing when stdout is the terminal; the prompt on stderr otherwise,
    so a reply redirected to a file holds no prompts."""
    if out.stdout_is_terminal:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (imported for its effect: editing and history)
        return input

    def ask(prompt: str) -> str:
        sys.stderr.write(prompt)
        sys.stderr.flush()
        return input()

    return ask
