"""The Typer root: global options, the command registry, and how a run is parsed.

Every command line goes through here except the plainest chats (see
commands/chat_args.py), which need none of Typer and start faster without it.
"""

import copy
import importlib
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

import typer

# Typer carries its own copy of click; its usage errors are ClickExceptions.
from typer import _click as click
from typer._click.exceptions import ClickException, NoArgsIsHelpError, NoSuchOption
from typer.core import TyperArgument
from typer.exceptions import Abort, Exit

from moltbot_cli import __version__
from moltbot_cli.commands.context import AppContext
from moltbot_cli.errors import ExitCode
from moltbot_cli.records import Record

ROOT_SETTINGS: dict[str, Any] = {
    "name": "moltbot",
    "help": "Talk to any OpenRouter model from your terminal, and keep models, keys and "
    'routing tidy.\n\nStart with `moltbot onboard`, then `moltbot chat "hello"`.',
    "no_args_is_help": True,
    "pretty_exceptions_enable": False,
    "pretty_exceptions_show_locals": False,
    # Plain help: readable in any terminal and pipe, and it starts without importing rich.
    "rich_markup_mode": None,
    "context_settings": {"help_option_names": ["-h", "--help"]},
}


class Entry(Record, frozen=True):
    """One command or command group of the root, imported only when a run needs it."""

    name: str
    module: str  # in moltbot_cli.commands
    attribute: str  # a Typer app (a group) or the command's function
    listed: str  # the line `moltbot --help` shows for it (a group's app says the same)
    group: bool = False

    def load(self) -> Any:
        module = importlib.import_module(f"moltbot_cli.commands.{self.module}")
        return getattr(module, self.attribute)


# In the order `moltbot --help` lists them.
ENTRIES = (
    Entry("config", "config_cmd", "app", "Show, check and change the config file.", group=True),
    Entry(
        "onboard",
        "onboard_cmd",
        "onboard_command",
        "Set up your OpenRouter key and a default model.",
    ),
    Entry("models", "models_cmd", "app", "Models, aliases, fallbacks, routing and the key.", True),
    Entry("chat", "chat_cmd", "chat", "Ask a model; with no prompt at a terminal, chat."),
    Entry("logs", "logs_cmd", "app", "The log of chat calls: list, show, on/off, prune.", True),
    Entry("usage", "usage_cmd", "usage", "Calls, tokens and cost from the call log, totalled."),
)


ANY_ARGS = {"ignore_unknown_options": True, "allow_extra_args": True}


class NeedsWholeApp(Exception):
    """A stand-in of the root's help was asked to run: `run` starts over with the app."""


def _stand_in() -> None:
    raise NeedsWholeApp


GLOBAL_OPTIONS = ("--config", "-v", "--verbose", "--version")
COMPLETE_VAR = "_MOLTBOT_COMPLETE"  # set when the shell asks for completions (as in app.py)


def _print_version(value: bool) -> None:
    if value:
        print(f"moltbot {__version__}")
        raise typer.Exit()


def root(
    ctx: typer.Context,
    config: str | None = typer.Option(
        None,
        "--config",
        metavar="PATH",
        help="Config file to use (default: $MOLTBOT_CONFIG_PATH, then the user config dir).",
    ),
    verbose: bool = typer.Option(
        False, "-v", "--verbose", help="Trace requests and responses on stderr (key masked)."
    ),
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    ctx.obj = AppContext(config_override=config, verbose=verbose)


def _invoke(command: click.Command, args: list[str]) -> Any:
    """Run the command as Typer's `main()` would, minus its closed-pipe handling.

    Typer's `main()` turns a reader that went away (EPIPE) into exit 1 before any handler
    of ours could see it; here it reaches `main()` below, which makes it exit 0.
    """
    if os.environ.get(COMPLETE_VAR):
        # Shell completion: Typer's own path prints the candidates and exits.
        return command.main(args=args, prog_name="moltbot")
    try:
        with command.make_context("moltbot", args) as ctx:
            return command.invoke(ctx)
    except Exit as done:
        return done.exit_code


def _command_index(args: Sequence[str]) -> int | None:
    """Where the command a run names is (`chat` in `moltbot --config x chat hi`), if
    nothing before it could change what the root does (help, an unknown option, `--`)."""
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--config":
            index += 1
        elif arg == "--":  # the options end; click reads the next word as the command
            return index + 1 if index + 1 < len(args) else None
        elif arg.startswith("-") and not (
            arg in ("-v", "--verbose", "--version") or arg.startswith("--config=")
        ):
            return None
        elif not arg.startswith("-"):
            return index
        index += 1
    return None


def build_app(entries: Sequence[Entry] = ENTRIES, *, listed_only: bool = False) -> typer.Typer:
    """The root app with `entries`; `listed_only`: stand-ins that only show in its help.

    Typer turns every registered command into a click command, with all its parameters,
    before it parses anything, and each command's module is imported to register it.
    `moltbot chat hi` needs one command, and `moltbot --help` lists only the root's
    entries, each by its one line, so neither pays for the rest.
    """
    root_app = typer.Typer(**ROOT_SETTINGS)
    root_app.callback()(root)
    if listed_only:
        # The help lists commands, then groups: the stand-ins (plain commands that take
        # any arguments) are registered in that order, so it reads the same. They have no
        # help option of their own: `moltbot -vv config get --help` reaches a stand-in
        # (app_for reads no `-vv`), and its help must be the command's, from the whole app.
        for entry in sorted(entries, key=lambda entry: entry.group):
            root_app.command(
                entry.name,
                short_help=entry.listed,
                context_settings=ANY_ARGS,
                add_help_option=False,
            )(_stand_in)
        return root_app
    for entry in entries:
        if entry.group:
            root_app.add_typer(entry.load(), name=entry.name)
        else:
            root_app.command(entry.name, short_help=entry.listed)(entry.load())
    return root_app


def app_for(args: Sequence[str]) -> typer.Typer:
    """The app a run needs: only the command it names, with everything below it.

    Pruning is safe because click only ever resolves the first command word against the
    root. Shell completion gets the whole app; help, unknown or misspelt commands (which
    name no entry) get stand-ins of the root's entries, which show in its help as the
    real ones do (should click still pick one to run, `run` starts over with the app).
    """
    if COMPLETE_VAR in os.environ:
        return build_app()
    index = _command_index(args)
    named = [entry for entry in ENTRIES if index is not None and entry.name == args[index]]
    if index is None or not named:
        return build_app(listed_only=True)
    built = build_app(named)
    words = _words_after(args, index)
    for group in built.registered_groups:  # the one named, if it is a group
        assert group.typer_instance is not None
        group.typer_instance = _only_named(group.typer_instance, words)
    return built


def _words_after(args: Sequence[str], index: int) -> list[str]:
    """The words that follow the command word, up to the first option or `--`."""
    words: list[str] = []
    for arg in args[index + 1 :]:
        if arg.startswith("-"):
            break
        words.append(arg)
    return words


def _only_named(group: typer.Typer, words: list[str]) -> typer.Typer:
    """`group` with only the subcommand (or subgroup, and so on down) `words` name.

    The same reasoning as at the root: click resolves one word against a group, so the
    rest of its commands are never looked at; a group whose next word is an option
    (`--help`) or names nothing keeps all its commands.
    """
    if not words:
        return group
    commands = [info for info in group.registered_commands if _command_name(info) == words[0]]
    groups = [info for info in group.registered_groups if _group_name(info) == words[0]]
    if len(commands) + len(groups) != 1:
        return group
    pruned = copy.copy(group)  # shallow: the same callback, settings and help
    pruned.registered_commands, pruned.registered_groups = commands, []
    for info in groups:
        assert info.typer_instance is not None
        below = copy.copy(info)
        below.typer_instance = _only_named(info.typer_instance, words[1:])
        pruned.registered_groups = [below]
    return pruned


def _command_name(info: Any) -> str:
    if info.name:
        return str(info.name)
    return str(info.callback.__name__).lower().replace("_", "-") if info.callback else ""


def _group_name(info: Any) -> str:
    return str(info.name or (info.typer_instance.info.name if info.typer_instance else ""))


def __getattr__(name: str) -> Any:
    """`app`: the whole app, every command built (for tests, docs and completion)."""
    if name == "app":
        return build_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _plain_metavar(self: TyperArgument, ctx: click.Context, *, usage: bool = False) -> str:
    """`PATH`, `[PROMPT...]`: Typer writes a required argument as `{PATH}`, which reads
    like a set to pick from and is not how the rest of the help (or any man page) spells it."""
    var = self.metavar if self.metavar is not None else (self.name or "").upper()
    if self.nargs != 1 and not var.endswith("..."):
        var += "..."
    if usage and not self.required and not var.startswith("["):
        var = f"[{var}]"
    return var


TyperArgument.make_metavar = _plain_metavar  # type: ignore[method-assign]

_ONE_LINE_EXAMPLE = re.compile(r"^([ \t]*)(Examples?:)[ \t]+(\S.*)$", re.MULTILINE)


def unwrap_examples(command: click.Command) -> None:
    """`Example: moltbot ...` lines become blocks Click never re-wraps, so no example is
    broken in the middle of a command at any terminal width."""
    if command.help:
        command.help = _ONE_LINE_EXAMPLE.sub(
            lambda m: f"{m[1]}{m[2]}\n\n{m[1]}\b\n{m[1]}  {m[3]}", command.help
        )
    for sub in getattr(command, "commands", {}).values():
        unwrap_examples(sub)


def run(args: list[str]) -> Any:
    """Parse `args` with the app they need and run the command; what it returns."""
    command = typer.main.get_command(app_for(args))
    unwrap_examples(command)
    try:
        return _invoke(command, list(args))  # Click consumes the list it parses
    except NeedsWholeApp:  # a line app_for read as help named a command after all
        command = typer.main.get_command(build_app())
        unwrap_examples(command)
        return _invoke(command, list(args))


def exit_code_for(error: BaseException, write_out: Any) -> int | None:
    """The exit code for a failure of Click's (after saying what it needs to); None when
    `error` is not one. `write_out(fn)` writes to stdout, ending quietly if the reader left."""
    if isinstance(error, NoArgsIsHelpError):
        # A bare `moltbot` or `moltbot models` asks what there is: help, not a complaint.
        help_text = error.format_message()
        write_out(lambda: print(help_text, flush=True))
        return ExitCode.OK
    if isinstance(error, ClickException):
        write_out(sys.stdout.flush)
        print(f"Error: {error.format_message()}", file=sys.stderr)
        context = getattr(error, "ctx", None)
        if isinstance(error, NoSuchOption) and error.option_name in GLOBAL_OPTIONS:
            option = error.option_name + (" PATH" if error.option_name == "--config" else "")
            where = context.command_path.partition(" ")[2] if context else "COMMAND"
            print(
                f"{error.option_name} is a global option: put it before the command, "
                f"e.g. moltbot {option} {where} ...",
                file=sys.stderr,
            )
        elif context is not None:
            print(f"Try '{context.command_path} --help' for help.", file=sys.stderr)
        return error.exit_code
    if isinstance(error, Abort):
        print(file=sys.stderr)
        return ExitCode.INTERRUPTED
    return None
