"""Models that come and go: which configured models expire soon or are gone, and what
could replace them.

OpenRouter marks a model that is being retired with an `expiration_date` in `/models`;
after that date (or once it has been dropped from the list) a chat with it fails. The
checks here read a catalogue already in hand (fetched or cached): they never fetch.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from moltbot_cli.errors import UsageError
from moltbot_cli.openrouter.catalogue import ROUTING_SUFFIXES, Catalogue, price_per_million
from moltbot_cli.openrouter.server import OPENROUTER, belonging_to
from moltbot_cli.records import Record
from moltbot_cli.vocabulary import refs

# Warn this long before a model's expiration date.
WINDOW_DAYS = 30
REPLACEMENTS = 3
MIN_LIKENESS = 0.5

State = Literal["expiring", "expired", "gone"]


def expiration_date(model: Mapping[str, Any]) -> dt.date | None:
    """The model's `expiration_date` as a date; None when unset or unreadable.

    OpenRouter sends `YYYY-MM-DD` (or an ISO timestamp); anything else is ignored rather
    than trusted: a server's odd value must not make a live model look gone.
    """
    value = model.get("expiration_date")
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


class Finding(Record, frozen=True):
    """A configured model that is expiring, past its date, or no longer listed."""

    ref: str
    roles: tuple[str, ...]
    state: State
    expires: dt.date | None = None
    days_left: int | None = None
    replacements: tuple[str, ...] = ()
    server: str = OPENROUTER  # whose model list it is (server.py)

    @property
    def gone(self) -> bool:
        return self.state != "expiring"

    def describe(self) -> str:
        """One line: what is the matter, and what to use instead."""
        roles = f" ({', '.join(self.roles)})" if self.roles else ""
        if self.state == "gone":
            what = f"{self.ref}{roles} is no longer in {belonging_to(self.server, 'model list')}"
        elif self.state == "expired":
            what = f"{self.ref}{roles} expired on {self.expires}"
        else:
            when = "today" if self.days_left == 0 else f"in {_days(self.days_left or 0)}"
            what = f"{self.ref}{roles} expires on {self.expires} ({when})"
        if self.replacements:
            return f"{what}; closest live models: {', '.join(self.replacements)}"
        return what

    def as_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "roles": list(self.roles),
            "state": self.state,
            "expirationDate": self.expires.isoformat() if self.expires else None,
            "daysLeft": self.days_left,
            "replacements": list(self.replacements),
        }


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def _base_id(ref: str) -> str | None:
    """The catalogue id for a ref, without the suffixes any model takes; None for presets."""
    try:
        model_id = refs.wire_id(ref)
    except UsageError:  # not a model ref at all: nothing to look up
        return None
    if model_id.startswith("@"):
        return None
    for suffix in ROUTING_SUFFIXES:
        if model_id.endswith(suffix):
            return model_id[: -len(suffix)]
    return model_id


def check(
    catalogue: Catalogue,
    roles: Mapping[str, Iterable[str]],
    today: dt.date,
    *,
    window_days: int = WINDOW_DAYS,
) -> list[Finding]:
    """Findings for each configured ref (ref → its roles), in the order given."""
    findings = []
    for ref, its_roles in roles.items():
        model_id = _base_id(ref)
        if model_id is None:
            continue
        model = catalogue.by_id.get(model_id)
        if model is None:
            state: State = "gone"
            expires, days_left = None, None
        else:
            expires = expiration_date(model)
            if expires is None:
                continue
            days_left = (expires - today).days
            if days_left > window_days:
                continue
            state = "expiring" if days_left >= 0 else "expired"
            days_left = max(days_left, 0) if state == "expiring" else None
        findings.append(
            Finding(
                ref,
                tuple(its_roles),
                state,
                expires,
                days_left,
                tuple(replacements(catalogue, ref, today, window_days=window_days)),
                catalogue.server,
            )
        )
    return findings


def _price(model: Mapping[str, Any] | None) -> float | None:
    pricing = model.get("pricing") if model else None
    if not isinstance(pricing, dict):
        return None
    prompt = price_per_million(pricing.get("prompt"))
    completion = price_per_million(pricing.get("completion"))
    if prompt is None or completion is None or prompt < 0 or completion < 0:
        return None
    return prompt + completion


def _slug(model_id: str) -> str:
    return model_id.rpartition("/")[2].split(":")[0].lower()


def replacements(
    catalogue: Catalogue,
    ref: str,
    today: dt.date,
    *,
    limit: int = REPLACEMENTS,
    window_days: int = WINDOW_DAYS,
) -> list[str]:
    """The live models most like `ref`: same author, similar name, similar price.

    A model that expires within the window is no replacement. A free variant (`:free`) is
    replaced by free models first.
    """
    model_id = _base_id(ref) or ""
    author, _, _ = model_id.partition("/")
    slug = _slug(model_id)
    free = model_id.endswith(":free")
    price = _price(catalogue.by_id.get(model_id))
    matcher = difflib.SequenceMatcher(b=slug, autojunk=False)
    scored: list[tuple[float, int, str]] = []
    for candidate_id, model in catalogue.by_id.items():
        if candidate_id == model_id or candidate_id.startswith("openrouter/"):
            continue
        expires = expiration_date(model)
        if expires is not None and (expires - today).days <= window_days:
            continue
        same_author = candidate_id.partition("/")[0] == author
        matcher.set_seq1(_slug(candidate_id))
        # Another author's model must at least be named alike to count as a replacement.
        if not same_author and matcher.real_quick_ratio() < MIN_LIKENESS:
            continue
        score = matcher.ratio()
        if not same_author and score < MIN_LIKENESS:
            continue
        if same_author:
            score += 1.0
        if candidate_id.endswith(":free") == free:
            score += 0.3
        candidate_price = _price(model)
        if price is not None and candidate_price is not None:
            # Within a factor of 10 either way still counts for something.
            distance = abs(math.log10((candidate_price + 0.01) / (price + 0.01)))
            score += 0.5 * max(0.0, 1 - distance)
        created = model.get("created")
        recency = (
            int(created)
            if isinstance(created, (int, float))
            and not isinstance(created, bool)
            and math.isfinite(created)
            else 0
        )
        scored.append((score, recency, candidate_id))
    scored.sort(key=lambda item: (-item[0], -item[1], item[2]))
    return [refs.ref_for_id(candidate) for _, _, candidate in scored[:limit]]
