"""`30d`, `12h`, `1w2d`, `2026-11-01`: the spans and dates `logs prune` and `usage` take."""

from __future__ import annotations

import re
import time
from datetime import datetime

from moltbot_cli.errors import UsageError

UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
}
# Longer than any log could be old, short enough that no date arithmetic overflows.
MAX_SECONDS = 200 * 365 * 86400
_PART = re.compile(r"(\d{1,9})\s*([a-z]+)\s*")
DURATION_HINT = "Use a span such as 30d, 12h, 2w or 1d12h (s, m, h, d, w)."
SINCE_HINT = "Use a span such as 7d or 12h, or a date such as 2026-11-01."


def parse_duration(text: str, flag: str = "the duration") -> float:
    """Seconds in a span such as `30d`, `12h`, `90m`, `1w2d`."""
    cleaned = text.strip().lower()
    position, total = 0, 0
    while position < len(cleaned):
        match = _PART.match(cleaned, position)
        if not match or match.group(2) not in UNITS:
            raise UsageError(f"{flag} {text!r} is not a span of time", hint=DURATION_HINT)
        total += int(match.group(1)) * UNITS[match.group(2)]
        position = match.end()
    if position == 0:
        raise UsageError(f"{flag} is empty", hint=DURATION_HINT)
    if total > MAX_SECONDS:
        raise UsageError(f"{flag} {text!r} is longer than any log is old", hint=DURATION_HINT)
    return float(total)


def parse_since(text: str, flag: str = "--since", *, now: float | None = None) -> float:
    """A moment as seconds since the epoch: `7d` ago, or a local date or date and time."""
    now = time.time() if now is None else now
    cleaned = text.strip()
    if cleaned[:1].isdigit() and not _looks_like_date(cleaned):
        return now - parse_duration(cleaned, flag)
    try:
        moment = datetime.fromisoformat(cleaned.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"{flag} {text!r} is neither a span nor a date", hint=SINCE_HINT) from None
    try:
        # A date without a zone is the user's own local time, as a calendar would mean it.
        return moment.timestamp()
    except (OverflowError, OSError, ValueError):
        raise UsageError(f"{flag} {text!r} is out of range", hint=SINCE_HINT) from None


def _looks_like_date(text: str) -> bool:
    return bool(re.match(r"\d{4}-\d{2}-\d{2}", text))
