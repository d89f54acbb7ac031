"""The one place that decides how output looks: colour, spinners, tables, --json, --plain.

Commands describe what to show; this module decides how, from whether stdout and
stderr are terminals, NO_COLOR, and the output flags. Rich is imported only when
something is actually rendered for a terminal, so scripts and pipes never pay for it.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from enum import Enum
from typing import IO, TYPE_CHECKING, Any, TextIO, cast

from moltbot_cli.errors import UsageError, safe_text

if TYPE_CHECKING:
    from rich.console import Console


RICH_TABLE_MAX_ROWS = 300
TABLE_GAP = 2  # spaces between aligned columns
MIN_TEXT_COLUMN = 6  # the narrowest a text column gets before the table may overflow
# Characters JSON allows raw inside strings that a terminal may still obey.
_RAW_CONTROLS = re.compile(r"[\x7f-\x9f]")
# The --config this run was given (app.main sets it), else None.
_config_in_use: str | None = None


def name_config_in_suggestions(config: str | None) -> None:
    """From now on, a `moltbot ...` command a message suggests names `--config config`."""
    global _config_in_use
    _config_in_use = config


# The root's commands (root.ENTRIES names them too; a test keeps the two the same), here
# without importing Typer.
COMMAND_NAMES = ("config", "onboard", "models", "chat", "logs", "usage")


def with_config(text: str) -> str:
    """`moltbot X` in a message as `moltbot --config F X` when this run has --config F:
    a command the message suggests must act on the same config as this one."""
    if _config_in_use is None:
        return text
    import re
    import shlex

    # A suggested command, in backticks or not: `moltbot` followed by one of its commands
    # ("another moltbot is writing" is not one).
    return re.sub(
        rf"(?<![\w/.-])moltbot (?=(?:{'|'.join(COMMAND_NAMES)})\b)",
        lambda _: f"moltbot --config {shlex.quote(_config_in_use or '')} ",
        text,
    )


def command_with_config(command: str) -> str:
    """A bare `moltbot X` command line (no backticks around it), as with_config names it."""
    return with_config(f"`{command}`")[1:-1]


class Format(str, Enum):
    HUMAN = "human"
    JSON = "json"
    PLAIN = "plain"


def choose_format(json_flag: bool = False, plain_flag: bool = False) -> Format:
    if json_flag and plain_flag:
        raise UsageError("--json and --plain cannot be used together; pick one.")
    if json_flag:
        return Format.JSON
    if plain_flag:
        return Format.PLAIN
    return Format.HUMAN


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def stdin_is_terminal() -> bool:
    """A person is at the keyboard: questions may be asked, and stdin holds no piped input."""
    return sys.stdin is not None and _is_terminal(sys.stdin)


class StdoutClosedError(UsageError):
    """Started with stdout closed (`moltbot ... >&-`): results have nowhere to go."""

    def __init__(self) -> None:
        super().__init__(
            "stdout is closed: there is nowhere to write the output",
            hint="Run it with stdout open: redirect it to a file, or to /dev/null to discard it.",
        )


class _ClosedStdout(io.TextIOBase):
    """Stands in for a stdout that was closed when the program started."""

    def write(self, text: str) -> int:
        raise StdoutClosedError()

    def writable(self) -> bool:
        return False

    def isatty(self) -> bool:
        return False


class _ForgivingStderr:
    """stderr that never fails: a closed or broken stderr must not change the exit code."""

    def __init__(self, wrapped: TextIO) -> None:
        self.wrapped = wrapped

    def write(self, text: str) -> int:
        try:
            return self.wrapped.write(text)
        except (OSError, ValueError):
            return len(text)

    def flush(self) -> None:
        with suppress(OSError, ValueError):
            self.wrapped.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


def guard_standard_streams() -> None:
    """Make closed or broken stdout and stderr behave; call once, before any output.

    A closed stdout or stderr (`>&-`, `2>&-`) leaves its descriptor free: /dev/null takes
    it, so no file the program opens (a config, a temp file) can land on fd 1 or 2 and
    receive output meant for a terminal. Writing results to a closed stdout is then a
    clean error; messages to a closed or vanished stderr are dropped without a word.
    """
    for fd in (1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_WRONLY)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    if sys.stdout is None:
        sys.stdout = cast(TextIO, _ClosedStdout())
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the program
    if not isinstance(sys.stderr, _ForgivingStderr):
        sys.stderr = cast(TextIO, _ForgivingStderr(sys.stderr))


def stdout_is_closed() -> bool:
    return isinstance(sys.stdout, _ClosedStdout)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _padded(parts: Sequence[str], widths: Sequence[int]) -> str:
    return (
        (" " * TABLE_GAP)
        .join(part.ljust(width) for part, width in zip(parts, widths, strict=True))
        .rstrip()
    )


def _fit(widths: list[int], columns: int) -> list[int]:
    """Column widths that fit `columns`: the first column gives way, then the last."""
    widths = list(widths)
    excess = sum(widths) + TABLE_GAP * (len(widths) - 1) - columns
    for index in (0, len(widths) - 1):
        if excess <= 0:
            break
        floor = min(MIN_TEXT_COLUMN, widths[index])
        give = min(excess, widths[index] - floor)
        if give > 0:
            widths[index] -= give
            excess -= give
    return widths


class Output:
    """Where and how a command writes. stdout carries results; stderr carries the rest."""

    def __init__(
        self,
        format: Format = Format.HUMAN,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
    ) -> None:
        self.format = format
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self._rich_stdout: Console | None = None
        self._wraps = False  # see wrap_for_people

    @property
    def is_json(self) -> bool:
        return self.format is Format.JSON

    @property
    def is_plain(self) -> bool:
        return self.format is Format.PLAIN

    @property
    def stdout_is_terminal(self) -> bool:
        return _is_terminal(self.stdout)

    @property
    def stderr_is_terminal(self) -> bool:
        return _is_terminal(self.stderr) and os.environ.get("TERM") != "dumb"

    @property
    def color(self) -> bool:
        """Colour only for a human at a terminal who has not asked for none."""
        return (
            self.format is Format.HUMAN
            and self.stdout_is_terminal
            and "NO_COLOR" not in os.environ
            and os.environ.get("TERM") != "dumb"
        )

    @property
    def rich_tables(self) -> bool:
        return self.format is Format.HUMAN and self.stdout_is_terminal

    # -- results (stdout) -------------------------------------------------------------

    def wrap_for_people(self) -> None:
        """From now on, notes and lines that reach a terminal are wrapped to its width.

        For the onboarding wizard: long sentences read by a person, not parsed by a
        script. Other commands keep their lines whole (a pipe or a log wants them so).
        """
        self._wraps = True

    def prose_width(self) -> int | None:
        """The width notes are wrapped to: stderr's terminal, once wrap_for_people is on."""
        if not self._wraps:
            return None
        from moltbot_cli.wrapping import terminal_columns

        return terminal_columns(self.stderr)

    def _wrapped(self, text: str, stream: IO[str]) -> str:
        # Results on stdout are wrapped only in the human format: --plain is for scripts.
        if not self._wraps or (stream is self.stdout and self.format is not Format.HUMAN):
            return text
        from moltbot_cli.wrapping import terminal_columns, wrap_text

        width = terminal_columns(stream)
        return wrap_text(text, width) if width else text

    def line(self, text: str = "") -> None:
        self.stdout.write(self._wrapped(safe_text(text), self.stdout) + "\n")

    def stream_text(self, text: str) -> None:
        """Write a piece of a streamed reply at once, without buffering it.

        The reply is what the user asked for, so it goes out as sent, with two
        exceptions: code points no encoding can carry (lone surrogates) are replaced,
        and on a terminal, control sequences other than newline and tab are shown
        escaped rather than obeyed (a reply must not clear the screen or retitle it).
        """
        self.text_streamer()(text)

    def text_streamer(self) -> Callable[[str], None]:
        """`stream_text` with stdout looked at once: a reply comes in thousands of pieces,
        and asking whether stdout is a terminal costs a system call each time."""
        from moltbot_cli.sanitize import fix_surrogates, visible_controls

        clean = visible_controls if self.stdout_is_terminal else fix_surrogates
        write, flush = self.stdout.write, self.stdout.flush

        def stream(text: str) -> None:
            write(clean(text))
            flush()

        return stream

    def json(self, payload: Any) -> None:
        """One whole JSON document: rendered first, then written at once, never half.

        Remembered secrets are masked in it, lone surrogates replaced, and the DEL and
        C1 control characters (which JSON lets through raw) escaped.
        """
        import json

        from moltbot_cli.masking import scrub_data
        from moltbot_cli.sanitize import fix_surrogates

        text = json.dumps(scrub_data(payload), indent=2, ensure_ascii=False)
        text = _RAW_CONTROLS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
        self.stdout.write(fix_surrogates(text) + "\n")

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        title: str | None = None,
        no_wrap: Sequence[str] = (),
    ) -> None:
        """A table for a terminal, tab-separated columns otherwise."""
        # Cells are often server metadata (model and provider names): an ESC in a name
        # is shown, not obeyed.
        rows = [[safe_text(str(cell)) for cell in row] for row in rows]
        if not self.rich_tables:
            if title:
                self.line(title)
            self.line("\t".join(headers))
            for row in rows:
                self.line("\t".join(row))
            return
        if len(rows) > RICH_TABLE_MAX_ROWS or any("\n" in cell for row in rows for cell in row):
            # Many rows, or cells of several lines: rich would be slow, or squeeze the
            # header and figures into wrapped fragments on a narrow terminal.
            self._aligned_table(headers, rows, title)
            return
        from rich.table import Table
        from rich.text import Text

        table = Table(title=title, title_justify="left", box=None, header_style="bold")
        for header in headers:
            table.add_column(header, no_wrap=header in no_wrap, overflow="fold")
        for row in rows:
            # Text, not markup: a model name with [brackets] must print as written.
            table.add_row(*(Text(cell) for cell in row))
        self._stdout_console().print(table)

    def _aligned_table(
        self, headers: Sequence[str], rows: Sequence[Sequence[str]], title: str | None
    ) -> None:
        """Padded columns that fit the terminal: rich lays out each row (too slow for
        thousands) and, when a table is wider than the terminal, squeezes and wraps
        headers and figures alike.

        Cells may hold several lines (a ref with its name under it). When the table is too
        wide, the first column (the widest text) gives way first, then the last; cut text
        ends in `…`. The figures in between are never cut.
        """
        cells = [[cell.split("\n") for cell in row] for row in rows]
        widths = [len(header) for header in headers]
        for row in cells:
            for index, lines in enumerate(row):
                widths[index] = max(widths[index], *(len(line) for line in lines))
        widths = _fit(widths, self._columns())
        if title:
            self.line(_cut(title, sum(widths) + TABLE_GAP * (len(widths) - 1)))
        self.line(_padded([_cut(h, w) for h, w in zip(headers, widths, strict=True)], widths))
        for row in cells:
            for depth in range(max(len(lines) for lines in row)):
                parts = [
                    _cut(lines[depth], width) if depth < len(lines) else ""
                    for lines, width in zip(row, widths, strict=True)
                ]
                self.line(_padded(parts, widths))

    def _columns(self) -> int:
        import shutil

        return shutil.get_terminal_size((100, 24)).columns

    # -- messages (stderr) ------------------------------------------------------------

    def note(self, text: str) -> None:
        self.stderr.write(self._wrapped(safe_text(with_config(text)), self.stderr) + "\n")
        self.stderr.flush()

    def stream_aside(self, text: str, *, dim: bool = False) -> None:
        """A streamed piece for stderr (a model's reasoning): dimmed only on a terminal."""
        if dim and self.stderr_is_terminal and "NO_COLOR" not in os.environ:
            text = f"\x1b[2m{text}\x1b[22m"
        self.stderr.write(text)
        self.stderr.flush()

    def warn(self, text: str) -> None:
        self.note(f"Warning: {text}")

    @contextmanager
    def spinner(self, message: str) -> Iterator[None]:
        """A spinner on stderr while waiting, only when a person is watching stderr."""
        if not self.stderr_is_terminal or self.is_json:
            yield
            return
        from moltbot_cli.spinner import Spinner

        with Spinner(self.stderr, message):
            yield

    # -- rich consoles, made on first use ----------------------------------------------

    def _stdout_console(self) -> Console:
        if self._rich_stdout is None:
            from rich.console import Console

            self._rich_stdout = Console(
                file=self.stdout, no_color=not self.color, highlight=False, soft_wrap=False
            )
        return self._rich_stdout
