"""A spinner on a terminal's stderr while a command waits, drawn without rich.

A chat shows it from the moment it starts until the first words of the reply arrive,
so whatever it costs to start comes straight off the time to first token: rich's
console and live display take tens of milliseconds to import and set up, this takes
one thread. It draws one line, cropped to the terminal's width, and erases it when the
wait is over, as rich's transient status does.
"""

from __future__ import annotations

import contextlib
import os
import threading
from types import TracebackType
from typing import IO

FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"  # rich's "dots"
PLAIN_FRAMES = "|/-\\"  # for a terminal that cannot show the braille dots
INTERVAL_SECONDS = 0.08
HIDE_CURSOR, SHOW_CURSOR, CLEAR_LINE = "\x1b[?25l", "\x1b[?25h", "\r\x1b[2K"


class Spinner:
    def __init__(self, stream: IO[str], message: str) -> None:
        self.stream = stream
        try:
            FRAMES.encode(getattr(stream, "encoding", None) or "ascii")
            self.frames = FRAMES
        except (LookupError, UnicodeEncodeError):
            self.frames = PLAIN_FRAMES
        self.message = message
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._spin, name="moltbot-spinner", daemon=True)

    def _line(self, frame: str) -> str:
        try:
            width = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            width = 80
        # One character short of the width: a full line would wrap, and `\r` would then
        # only go back to the start of the wrapped part.
        return f"{frame} {self.message}"[: max(width - 1, 1)]

    def _write(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # a terminal gone away: stop drawing
            self.stream.write(text)
            self.stream.flush()

    def _spin(self) -> None:
        index = 0
        while True:
            self._write(CLEAR_LINE + self._line(self.frames[index % len(self.frames)]))
            index += 1
            if self._stop.wait(INTERVAL_SECONDS):
                return

    def __enter__(self) -> Spinner:
        self._write(HIDE_CURSOR)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._write(CLEAR_LINE + SHOW_CURSOR)
