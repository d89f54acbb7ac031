"""The spinner: one line on stderr, cropped to the terminal, gone when the wait is over."""

from __future__ import annotations

import io

from moltbot_cli.spinner import CLEAR_LINE, HIDE_CURSOR, SHOW_CURSOR, Spinner


class Terminal(io.StringIO):
    """A stream that says which encoding it writes, as a terminal's stderr does."""

    def __init__(self, encoding: str) -> None:
        super().__init__()
        self._encoding = encoding

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding


def spin(stream: Terminal, message: str) -> str:
    with Spinner(stream, message):
        pass  # the first frame is drawn at once, however short the wait
    return stream.getvalue()


def test_a_frame_is_drawn_then_erased_and_the_cursor_comes_back() -> None:
    shown = spin(Terminal("utf-8"), "Asking openrouter/x/y…")
    assert shown.startswith(HIDE_CURSOR + CLEAR_LINE + "⠋ Asking openrouter/x/y…")
    assert shown.endswith(CLEAR_LINE + SHOW_CURSOR)


def test_a_terminal_without_unicode_gets_plain_frames() -> None:
    shown = spin(Terminal("ascii"), "Asking")
    assert CLEAR_LINE + "| Asking" in shown


def test_a_long_message_is_cropped_so_the_line_never_wraps() -> None:
    shown = spin(Terminal("utf-8"), "x" * 500)
    line = shown.removeprefix(HIDE_CURSOR + CLEAR_LINE).split("\r")[0]
    assert len(line) == 79  # a stream that is no terminal counts as 80 columns
