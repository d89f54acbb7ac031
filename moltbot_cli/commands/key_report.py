"""What `GET /key` says about a key, read defensively and told plainly.

Every value comes from the server, so each is checked for its type, and every string is
made safe to print (no control characters or terminal escapes, one line, bounded) before
it reaches a terminal or a JSON document.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from moltbot_cli.masking import key_label_shown, scrub
from moltbot_cli.openrouter.server import OPENROUTER
from moltbot_cli.records import Record, field
from moltbot_cli.sanitize import metadata

EXPIRY_WARNING_DAYS = 7
LOW_LIMIT_FRACTION = 0.10
TEXT_LIMIT = 80
KEYS_PAGE = "https://openrouter.ai/settings/keys"


def server_text(value: Any, limit: int = TEXT_LIMIT) -> str | None:
    """A server string fit to print on one line: secrets masked, controls shown as escapes
    (the shared sanitizer), and any other invisible character made a space; bounded."""
    if not isinstance(value, str):
        return None
    cleaned = metadata(scrub(" ".join(value.split())))
    kept = "".join(char if char.isprintable() else " " for char in cleaned)
    text = " ".join(kept.split())
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if number == number and abs(number) != float("inf") else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def money(value: float | None) -> str:
    if value is None:
        return "?"
    return f"${value:,.4f}" if 0 < abs(value) < 0.01 else f"${value:,.2f}"


class KeyReport(Record):
    label: str | None = None
    usage_daily: float | None = None
    usage_weekly: float | None = None
    usage_monthly: float | None = None
    usage_total: float | None = None
    limit: float | None = None
    remaining: float | None = None
    reset: str | None = None
    expires_at: datetime | None = None
    expires_text: str | None = None  # what the server said, when it did not parse as a date
    free_tier: bool | None = None
    management_key: bool | None = None
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    server: str = OPENROUTER  # who counted: OpenRouter, or the host of another base URL

    @classmethod
    def from_data(cls, data: dict[str, Any], key: str, now: datetime | None = None) -> KeyReport:
        label = server_text(data.get("label"))
        if label:
            label = key_label_shown(label, key)
        raw_expiry = data.get("expires_at")
        expires_at, expires_text = _parse_time(raw_expiry)
        report = cls(
            label=label,
            usage_daily=_number(data.get("usage_daily")),
            usage_weekly=_number(data.get("usage_weekly")),
            usage_monthly=_number(data.get("usage_monthly")),
            usage_total=_number(data.get("usage")),
            limit=_number(data.get("limit")),
            remaining=_number(data.get("limit_remaining")),
            reset=server_text(data.get("limit_reset"), 20),
            expires_at=expires_at,
            expires_text=expires_text,
            free_tier=_flag(data.get("is_free_tier")),
            management_key=_flag(data.get("is_management_key", data.get("is_provisioning_key"))),
        )
        if now is not None:
            report.now = now
        if report.remaining is None and report.limit is not None and report.usage_total is not None:
            report.remaining = max(0.0, report.limit - report.usage_total)
        return report

    # -- judgements ------------------------------------------------------------------------

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= self.now

    @property
    def days_left(self) -> float | None:
        if self.expires_at is None:
            return None
        return (self.expires_at - self.now).total_seconds() / 86400

    @property
    def limit_spent(self) -> bool:
        return self.limit is not None and self.remaining is not None and self.remaining <= 0

    @property
    def limit_low(self) -> bool:
        return (
            self.limit is not None
            and self.limit > 0
            and self.remaining is not None
            and 0 < self.remaining < LOW_LIMIT_FRACTION * self.limit
        )

    def warnings(self) -> list[str]:
        found = []
        days = self.days_left
        if self.expired:
            found.append(
                f"the key expired on {self.expiry_words()}; create a new one with "
                "`moltbot onboard --auth-choice oauth`"
            )
        elif days is not None and days <= EXPIRY_WARNING_DAYS:
            found.append(
                f"the key expires {self.expiry_words()}; create a new one before then with "
                "`moltbot onboard --auth-choice oauth`"
            )
        if self.limit_spent:
            found.append(
                f"the key's limit is spent ({money(self.usage_total)} of {money(self.limit)}"
                f"{self._resets()}); raise it at {KEYS_PAGE}"
            )
        elif self.limit_low and self.limit is not None and self.remaining is not None:
            share = self.remaining / self.limit * 100
            found.append(
                f"only {money(self.remaining)} of the key's {money(self.limit)} limit is left "
                f"({share:.0f}%{self._resets()}); raise it at {KEYS_PAGE}"
            )
        return found

    def _resets(self) -> str:
        return f"; it resets {self.reset}" if self.reset else ""

    # -- words -----------------------------------------------------------------------------

    def expiry_words(self) -> str:
        if self.expires_at is None:
            return self.expires_text or "never"
        when = self.expires_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        days = self.days_left
        if days is None or days <= 0:
            return when
        if days < 1:
            hours = max(1, round(days * 24))
            return f"{when} (in {hours} hour{'s' if hours != 1 else ''})"
        whole = int(days)
        return f"{when} (in {whole} day{'s' if whole != 1 else ''})"

    def rows(self) -> list[tuple[str, str]]:
        usage = ", ".join(
            f"{name} {money(value)}"
            for name, value in (
                ("today", self.usage_daily),
                ("this week", self.usage_weekly),
                ("this month", self.usage_monthly),
                ("all time", self.usage_total),
            )
            if value is not None
        )
        if self.limit is None:
            limit = "none"
        else:
            limit = f"{money(self.limit)}, {money(self.remaining)} left"
            limit += f", resets {self.reset}" if self.reset else ", never resets"
        rows = [
            ("Label", self.label or "none"),
            ("Usage", usage or "not reported"),
            ("Limit", limit),
            ("Expires", self.expiry_words() if self.expires_at or self.expires_text else "never"),
        ]
        if self.free_tier is not None:
            rows.append(("Free tier", "yes" if self.free_tier else "no"))
        return rows

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "usage": {
                "daily": self.usage_daily,
                "weekly": self.usage_weekly,
                "monthly": self.usage_monthly,
                "total": self.usage_total,
            },
            "limit": self.limit,
            "limitRemaining": self.remaining,
            "limitReset": self.reset,
            "expiresAt": self.expires_at.isoformat() if self.expires_at else self.expires_text,
            "expired": self.expired,
            "isFreeTier": self.free_tier,
            "isManagementKey": self.management_key,
            "warnings": self.warnings(),
        }


def _parse_time(value: Any) -> tuple[datetime | None, str | None]:
    text = server_text(value, 40)
    if text is None:
        return None, None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None, text
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when, None
