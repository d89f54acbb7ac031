"""What a chat uses to log a call: collect it as it happens, store it when it ends.

Logging never breaks a chat. Whatever goes wrong with the database (locked past the
busy timeout, disk full, damaged, read-only, a newer schema) costs one line on stderr,
and the reply the user already has stands. sqlite3 is loaded only when the row is
written, after the reply is out.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moltbot_cli.calllog.record import CallRecord

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32: no i, l, o, u
CONVERSATION_ID_LENGTH = 12


def new_conversation_id() -> str:
    """Twelve lower-case characters (60 random bits): short enough to type, never shared.

    Each comes from one byte of the OS's randomness (what `secrets` uses too, without
    importing it and hmac on every chat): 32 characters, so the low five bits pick one
    evenly.
    """
    return "".join(_ALPHABET[byte & 31] for byte in os.urandom(CONVERSATION_ID_LENGTH))


class CallRecorder:
    """One call, from the request to its end, however it ends."""

    def __init__(self, conversation_id: str, model_asked: str | None) -> None:
        self.record = CallRecord(
            conversation_id=conversation_id, started=time.time(), model_asked=model_asked
        )
        self._clock = time.monotonic()
        self._parts: list[str] = []
        self._reasoning: list[str] = []

    @property
    def conversation_id(self) -> str:
        return self.record.conversation_id

    def request(self, body: dict[str, Any]) -> None:
        """The body as sent (the last one, when a fallback answered)."""
        self.record.take_request(body)

    def text(self, piece: str) -> None:
        if not self._parts and self.record.first_token_seconds is None:
            self.record.first_token_seconds = round(time.monotonic() - self._clock, 4)
        self._parts.append(piece)

    def reasoning(self, piece: str) -> None:
        if self.record.first_token_seconds is None:
            self.record.first_token_seconds = round(time.monotonic() - self._clock, 4)
        self._reasoning.append(piece)

    @property
    def reply_so_far(self) -> str:
        return "".join(self._parts)

    def served(self, result: Any) -> None:
        """The finished reply: a ChatResult (read by its fields, so any layer may pass one)."""
        record = self.record
        content = getattr(result, "content", None)
        if isinstance(content, str):
            self._parts = [content]
            if content and record.first_token_seconds is None:
                record.first_token_seconds = round(time.monotonic() - self._clock, 4)
        reasoning = getattr(result, "reasoning", None)
        if isinstance(reasoning, str) and reasoning:
            self._reasoning = [reasoning]
        record.model_served = _text(getattr(result, "model", None))
        record.provider = _text(getattr(result, "provider", None))
        record.finish_reason = _text(getattr(result, "finish_reason", None))
        record.generation_id = _text(getattr(result, "id", None))
        record.take_usage(getattr(result, "usage", None))

    def failed(self, message: str, exit_code: int) -> None:
        self.record.error = message
        self.record.exit_code = exit_code

    def finish(self) -> CallRecord:
        record = self.record
        record.reply = "".join(self._parts)
        record.reasoning = "".join(self._reasoning) or None
        if record.duration_seconds is None:
            record.duration_seconds = round(time.monotonic() - self._clock, 4)
        return record

    def write(self, warn: Callable[[str], None], *, secret: str | None = None) -> int | None:
        """Store the call; on any failure say so in one line and carry on."""
        record = self.finish()
        record.scrub(secret)
        return write_record(record, warn)


def write_record(
    record: CallRecord, warn: Callable[[str], None], path: Path | None = None
) -> int | None:
    try:
        from moltbot_cli.calllog.store import CallLog

        log = CallLog.open(path)
        assert log is not None  # open() creates the file
        with log:
            return log.add(record)
    except Exception as error:  # a log must never take the chat down with it
        from moltbot_cli.calllog.store import describe_failure, log_path

        warn(f"the call was not logged: {describe_failure(path or log_path(), error)}")
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
