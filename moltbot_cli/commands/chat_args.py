"""`moltbot chat ...` read without Typer, for the command lines typed most.

Importing Typer (and its click) and building the command costs a one-shot chat about
as much as everything else it does before the request goes out. A chat line made of
known options, each spelt out exactly, with values that need nothing beyond a plain
number, is read here into the same ChatCommand the Typer command builds (both use
`make_command`). Anything else returns None and goes through Typer, which gives its own
answers and errors: help, completion, an unknown, misspelt or abbreviated option, a
value starting with `-`, a number Typer would refuse or read differently.
tests/test_chat_args.py holds the two readings to the same result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from moltbot_cli.records import Record

if TYPE_CHECKING:
    from moltbot_cli.commands.chat_work import ChatCommand

# The root's own options, which app.hoist_global_options has moved before `chat`.
ROOT_FLAGS = {"-v": "verbose", "--verbose": "verbose"}
ROOT_VALUES = {"--config": "config"}

FLAGS = {
    "--no-stream": "no_stream",
    "--json": "json",
    "--dry-run": "dry_run",
    "--usage": "usage",
    "--no-fallbacks": "no_fallbacks",
    "-n": "no_stdin",
    "--no-stdin": "no_stdin",
    "-c": "continue_last",
    "--continue": "continue_last",
    "--no-log": "no_log",
    "--hide-reasoning": "hide_reasoning",
    "--web": "web",
    "--strict": "strict",
}
TEXT = {
    "-m": "model",
    "--model": "model",
    "-s": "system",
    "--system": "system",
    "--only": "only",
    "--order": "order",
    "--cid": "cid",
    "--reasoning-effort": "reasoning_effort",
    "--schema": "schema",
    "--pdf-engine": "pdf_engine",
}
REPEATED = {"-a": "attach", "--attach": "attach"}
PAIRS = {"-o": "option", "--option": "option"}  # NAME VALUE, repeatable


class Number(Record, frozen=True):
    name: str
    kind: type[int] | type[float]
    low: float
    high: float | None = None

    def read(self, text: str) -> int | float | None:
        """The number, or None when Typer should judge it (a form or range it refuses)."""
        pattern = _INTEGER if self.kind is int else _DECIMAL
        if not pattern.fullmatch(text):
            return None
        value = self.kind(text)
        if value < self.low or (self.high is not None and value > self.high):
            return None
        return value


_INTEGER = re.compile(r"[0-9]{1,9}")
_DECIMAL = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?")

# The same bounds as the Typer command's options (min/max).
NUMBERS = {
    "--temperature": Number("temperature", float, 0.0, 2.0),
    "--max-tokens": Number("max_tokens", int, 1),
    "--timeout": Number("timeout", float, 0.1),
    "--retries": Number("retries", int, 0, 20),
    "--reasoning-max-tokens": Number("reasoning_max_tokens", int, 1),
}

DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(FLAGS.values(), False),
    **dict.fromkeys(TEXT.values()),
    **{number.name: None for number in NUMBERS.values()},
    "retries": 3,
    "attach": None,
    "option": None,
}


class QuickChat(Record, frozen=True):
    """A chat read without Typer, ready to run as the Typer command would run it."""

    config: str | None
    verbose: bool
    json: bool
    command: ChatCommand

    def run(self) -> None:
        from moltbot_cli.commands.chat_work import run_chat
        from moltbot_cli.commands.context import AppContext

        app = AppContext(config_override=self.config, verbose=self.verbose)
        run_chat(app, app.output(json=self.json), self.command)


def parse(args: Sequence[str]) -> QuickChat | None:
    """`args` (global options first) as a chat, or None when Typer should read them."""
    root: dict[str, Any] = {"config": None, "verbose": False}
    index = 0
    while index < len(args) and args[index] != "chat":
        arg = args[index]
        if arg in ROOT_FLAGS:
            root[ROOT_FLAGS[arg]] = True
        elif arg in ROOT_VALUES:
            index += 1
            if index >= len(args) or _looks_like_option(args[index]):
                return None
            root[ROOT_VALUES[arg]] = args[index]
        elif arg.startswith("--config="):
            root["config"] = arg.partition("=")[2]
        else:
            return None
        index += 1
    if index >= len(args):
        return None
    values = _chat_values(args[index + 1 :])
    if values is None:
        return None
    return QuickChat(root["config"], root["verbose"], values["json"], make_command(values))


def _chat_values(args: Sequence[str]) -> dict[str, Any] | None:
    values = dict(DEFAULTS)
    words: list[str] = []
    rest = iter(args)
    for arg in rest:
        if arg == "--":
            words.extend(rest)
            break
        if not _looks_like_option(arg):
            words.append(arg)
            continue
        name, equals, attached = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in FLAGS and not equals:
            values[FLAGS[name]] = True
            continue
        if name in PAIRS and not equals:
            pair = (next(rest, None), next(rest, None))
            if pair[0] is None or pair[1] is None or any(map(_looks_like_option, pair)):
                return None
            values["option"] = [*(values["option"] or []), pair]
            continue
        if name not in TEXT and name not in NUMBERS and name not in REPEATED:
            return None
        value = attached if equals else next(rest, None)
        if value is None or (not equals and _looks_like_option(value)):
            return None
        if name in NUMBERS:
            number = NUMBERS[name].read(value)
            if number is None:
                return None
            values[NUMBERS[name].name] = number
        elif name in REPEATED:
            values["attach"] = [*(values["attach"] or []), value]
        else:
            values[TEXT[name]] = value
    values["prompt"] = words
    return values


def _looks_like_option(arg: str | None) -> bool:
    """What click could read as an option; a lone `-` is a word (stdin, for -a)."""
    return arg is not None and arg.startswith("-") and arg != "-"


def make_command(values: dict[str, Any]) -> ChatCommand:
    """The ChatCommand for the chat options' values, keyed by their parameter names."""
    from moltbot_cli.commands.chat_features import RequestFlags
    from moltbot_cli.commands.chat_work import ChatCommand

    return ChatCommand(
        words=list(values["prompt"] or []),
        model=values["model"],
        system=values["system"],
        temperature=values["temperature"],
        max_tokens=values["max_tokens"],
        only=values["only"],
        order=values["order"],
        stream=not values["no_stream"],
        dry_run=values["dry_run"],
        timeout=values["timeout"],
        retries=values["retries"],
        usage=values["usage"],
        fallbacks=not values["no_fallbacks"],
        read_stdin=not values["no_stdin"],
        continue_last=values["continue_last"],
        cid=values["cid"],
        log=not values["no_log"],
        request=RequestFlags(
            # click hands each -o over as a (NAME, VALUE) pair.
            options=[(pair[0], pair[1]) for pair in values["option"] or []],
            reasoning_effort=values["reasoning_effort"],
            reasoning_max_tokens=values["reasoning_max_tokens"],
            hide_reasoning=values["hide_reasoning"],
            schema=values["schema"],
            attach=list(values["attach"] or []),
            pdf_engine=values["pdf_engine"],
            web=values["web"],
            strict=values["strict"],
        ),
    )
