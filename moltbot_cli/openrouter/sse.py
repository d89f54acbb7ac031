"""An incremental server-sent events parser (the WHATWG `text/event-stream` rules).

Bytes go in exactly as the network hands them over, split anywhere: inside a line,
inside a UTF-8 character, between a `\\r` and its `\\n`. Events come out once their
blank line has arrived. `:` lines are comments (OpenRouter's `: OPENROUTER PROCESSING`
keep-alives) and produce nothing.

One deliberate difference from the standard, which discards an event the stream
did not finish with a blank line: `close()` hands such a last event over, because
servers that end with `data: [DONE]` and no blank line are common. Whoever reads it
must be ready for that event's data to be cut short.

Memory and time stay bounded whatever arrives: a line or an event longer than a few MB
raises SSEOverflow, and a line arriving in many pieces is joined once, at its end.
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

_LINE_END = re.compile(r"\r\n|\r|\n")
# A chat chunk is a few hundred bytes; a few MB is generous for any line or event.
MAX_LINE = 4 * 1024 * 1024
MAX_EVENT = 4 * 1024 * 1024


class SSEEvent(NamedTuple):
    # A tuple, not a dataclass: a long reply makes tens of thousands of these.
    data: str
    event: str = "message"
    id: str | None = None


class SSEOverflow(ValueError):
    """A line or an event grew past its limit: no real stream sends one that big."""

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(f"{what} longer than {limit} characters")
        self.what = what
        self.limit = limit


class SSEParser:
    def __init__(self, max_line: int = MAX_LINE, max_event: int = MAX_EVENT) -> None:
        self.max_line = max_line
        self.max_event = max_event
        self._partial_size = 0
        self._data_size = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial: list[str] = []  # pieces of a line whose end has not arrived
        self._skip_newline = False  # the last text ended in `\r`, maybe half of `\r\n`
        self._started = False  # a byte-order mark is allowed only at the very start
        self._data: list[str] = []
        self._event = ""
        self._last_id: str | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Take the next bytes from the network; return the events they completed."""
        text = self._decoder.decode(chunk)
        if (
            # The usual read of a chat stream: one whole `data: ...` event and nothing
            # else, with nothing pending from earlier reads. The general path would make
            # the same event, only slower.
            self._started
            and not (self._partial or self._data or self._event or self._skip_newline)
            and text.startswith("data: ")
            and text.endswith("\n\n")
            and text.count("\n") == 2
            and "\r" not in text
            and len(text) - 2 <= self.max_line
            and len(text) - 7 <= self.max_event
        ):
            return [SSEEvent(text[6:-2], "message", self._last_id)]
        return self._take(text)

    def close(self) -> list[SSEEvent]:
        """The stream ended: return what is left, including an unterminated last event."""
        events = self._take(self._decoder.decode(b"", final=True))
        if self._partial:
            self._line("".join(self._partial))
            self._partial, self._partial_size = [], 0
        last = self._dispatch()
        return [*events, last] if last else events

    def _take(self, text: str) -> list[SSEEvent]:
        if not text:
            return []
        if not self._started:
            self._started = True
            text = text.removeprefix("\ufeff")
        position = 0
        if self._skip_newline:
            self._skip_newline = False
            if text.startswith("\n"):
                position = 1
        events: list[SSEEvent] = []
        if "\r" not in text:
            if "\n" not in text:
                # Still inside one line: keep the piece, join nothing (joining on every
                # read made one long line cost quadratic time).
                self._keep(text[position:] if position else text)
                return events
            return self._take_lines(text[position:] if position else text, events)
        for match in _LINE_END.finditer(text, position):
            self._keep(text[position : match.start()])
            line = "".join(self._partial)
            self._partial, self._partial_size = [], 0
            position = match.end()
            if match.group() == "\r" and position == len(text):
                self._skip_newline = True
            event = self._line(line)
            if event is not None:
                events.append(event)
        if position < len(text):
            self._keep(text[position:])
        return events

    def _keep(self, piece: str) -> None:
        self._partial.append(piece)
        self._partial_size += len(piece)
        if self._partial_size > self.max_line:
            raise SSEOverflow("a line", self.max_line)

    def _take_lines(self, text: str, events: list[SSEEvent]) -> list[SSEEvent]:
        """The common case, `\n` line ends only: split at once instead of matching each end."""
        lines = text.split("\n")
        if self._partial:
            self._keep(lines[0])
            lines[0] = "".join(self._partial)
            self._partial, self._partial_size = [], 0
        rest = lines.pop()
        if rest:
            self._keep(rest)
        for line in lines:
            if len(line) > self.max_line:
                raise SSEOverflow("a line", self.max_line)
            if line.startswith("data:"):
                self._add_data(line[6:] if line.startswith("data: ") else line[5:])
            else:
                event = self._line(line)
                if event is not None:
                    events.append(event)
        return events

    def _line(self, line: str) -> SSEEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._add_data(value)
        elif field == "event":
            self._event = value
        elif field == "id" and "\0" not in value:
            self._last_id = value
        # `retry` only matters to clients that reconnect, which a chat reply must not.
        return None

    def _add_data(self, value: str) -> None:
        self._data.append(value)
        self._data_size += len(value) + 1
        if self._data_size > self.max_event:
            raise SSEOverflow("an event", self.max_event)

    def _dispatch(self) -> SSEEvent | None:
        data, event_type = self._data, self._event
        self._data, self._event, self._data_size = [], "", 0
        if not data:
            return None
        return SSEEvent("\n".join(data), event_type or "message", self._last_id)
