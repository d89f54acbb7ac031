"""Expiry warnings: in `models status` (default, fallbacks, aliased models) and, once a day
per model, in `chat`.

`models status` checks against a fresh catalogue (fetching it when the cache is old, once,
quickly, without retries) and says which configured models expire within 30 days or are
gone, with the closest live replacements. `--check` makes a gone model exit 7 (what a chat
with it would end with: the upstream model failed) and an expiring one a warning.

`chat` never fetches for this: it reads the cached catalogue at most once a day per
model, remembered in a small stamp file in the cache dir, and says it on stderr only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from moltbot_cli.errors import UpstreamError, UsageError
from moltbot_cli.openrouter.server import belonging_to, server_name
from moltbot_cli.records import Record, field

if TYPE_CHECKING:
    from moltbot_cli.commands.context import AppContext
    from moltbot_cli.config.settings import Settings
    from moltbot_cli.console import Output
    from moltbot_cli.openrouter.availability import Finding
    from moltbot_cli.openrouter.catalogue import Catalogue

STAMP_FILENAME = "expiry-warnings.json"
# The list fetch for `status` is a courtesy: a slow or absent network must not hold it up.
STATUS_FETCH_TIMEOUT = 10.0
# Stamps older than this are dropped, so the file stays small whatever models come and go.
STAMP_KEEP_DAYS = 7
GONE_EXIT_HINT = (
    "Pick another with `moltbot models set REF` (or fallbacks remove/add, aliases add)."
)


def today() -> dt.date:
    return dt.date.today()


def configured_roles(settings: Settings, default: str) -> dict[str, list[str]]:
    """Each configured model (default, fallbacks, aliased) → what it is to the user."""
    from moltbot_cli.vocabulary import refs

    roles: dict[str, list[str]] = {}

    def add(ref: str, role: str) -> None:
        try:
            key = refs.normalize_ref(ref)
        except UsageError:
            return
        roles.setdefault(key, []).append(role)

    add(default, "default")
    for index, ref in enumerate(settings.fallbacks, start=1):
        add(ref, f"fallback#{index}")
    for alias, ref in settings.aliases.items():
        add(ref, f"alias:{alias}")
    return roles


class ExpiryReport(Record):
    """What the check found; `checked` is False when no model list could be had."""

    checked: bool
    origin: str | None = None
    age_seconds: float | None = None
    findings: list[Finding] = field(default_factory=list)
    problem: str | None = None

    @property
    def gone(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.gone]

    @property
    def expiring(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.gone]

    def as_json(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "catalogue": self.origin,
            "windowDays": _window(),
            "findings": [finding.as_json() for finding in self.findings],
            **({"problem": self.problem} if self.problem else {}),
        }

    def rows(self) -> list[tuple[str, str]]:
        """Lines for the human `models status` table."""
        if not self.checked:
            return [("Model check", f"not done ({self.problem or 'no model list'})")]
        rows = [("Model check", self.problem)] if self.problem else []
        if not self.findings:
            return [("Model check", f"all listed; none expires within {_window()} days"), *rows]
        for finding in self.findings:
            label = {"expiring": "Expiring", "expired": "Expired", "gone": "Gone"}[finding.state]
            rows.append((label, finding.describe()))
        return rows


def _window() -> int:
    from moltbot_cli.openrouter.availability import WINDOW_DAYS

    return WINDOW_DAYS


def status_report(app: AppContext, out: Output, settings: Settings, default: str) -> ExpiryReport:
    """Check the configured models against a current model list, fetched if need be."""
    from moltbot_cli.commands.models_work import CATALOGUE_UNAVAILABLE
    from moltbot_cli.openrouter import availability
    from moltbot_cli.openrouter import catalogue as catalogue_module

    url = settings.base_url
    notes: list[str] = []

    def opener() -> Any:
        return app.client(None, base_url=url, timeout=STATUS_FETCH_TIMEOUT, retries=0)

    try:
        catalogue: Catalogue = catalogue_module.load(
            url,
            opener,
            note=notes.append,
            waiting=lambda: out.spinner(f"Fetching the model list from {server_name(url)}…"),
        )
    except CATALOGUE_UNAVAILABLE as error:
        return ExpiryReport(False, problem=f"no model list: {error.message}")
    findings = availability.check(catalogue, configured_roles(settings, default), today())
    report = ExpiryReport(True, catalogue.origin, catalogue.age_seconds, findings)
    if catalogue.origin == "stale":
        report.problem = (
            f"model list cached {catalogue_module.describe_age(catalogue.age_seconds)} ago; "
            f"{server_name(url)} could not be reached"
        )
    return report


def enforce(out: Output, report: ExpiryReport, *, check: bool) -> None:
    """With --check: expiring models are a warning, a gone one ends the command with exit 7."""
    if not check:
        return
    for finding in report.expiring:
        out.warn(finding.describe())
    gone = report.gone
    if gone:
        first = gone[0]
        more = f" (and {len(gone) - 1} more)" if len(gone) > 1 else ""
        message = (
            f"{first.ref} is no longer in {belonging_to(first.server, 'model list')}{more}"
            if first.state == "gone"
            else f"{first.ref} expired on {first.expires}{more}"
        )
        hint = (
            f"Closest live models: {', '.join(first.replacements)}. {GONE_EXIT_HINT}"
            if first.replacements
            else GONE_EXIT_HINT
        )
        raise UpstreamError(message, hint=hint)


# -- chat: once a day, from the cache only --------------------------------------------------


def _stamp_path() -> Any:
    from moltbot_cli.paths import cache_dir

    return cache_dir() / STAMP_FILENAME


def _read_stamps() -> dict[str, str]:
    try:
        raw = _stamp_path().read_bytes()
    except OSError:
        return {}
    if len(raw) > 64 * 1024:  # not ours, or damaged: start again
        return {}
    try:
        stamps = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(stamps, dict):
        return {}
    return {str(key): value for key, value in stamps.items() if isinstance(value, str)}


def _write_stamps(stamps: dict[str, str], now: dt.date) -> None:
    from moltbot_cli.files import write_atomically

    oldest = (now - dt.timedelta(days=STAMP_KEEP_DAYS)).isoformat()
    kept = {ref: day for ref, day in stamps.items() if day >= oldest}
    path = _stamp_path()
    with contextlib.suppress(OSError):  # a stamp that cannot be written means another warning
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(kept, separators=(",", ":")))


def warn_once_a_day(out: Output, base_url: str, ref: str) -> None:
    """Say on stderr when the model about to be used expires soon or is gone.

    At most once a day per model; the check itself runs at most once a day per model too
    (the stamp is written whatever it finds), so most chats read one tiny file and stop.
    """
    now = today()
    stamps = _read_stamps()
    if stamps.get(ref) == now.isoformat():
        return
    from moltbot_cli.openrouter import availability
    from moltbot_cli.openrouter import catalogue as catalogue_module

    catalogue = catalogue_module.read_cache(base_url)
    if catalogue is None:
        return  # nothing to check against; look again once a list is cached
    stamps[ref] = now.isoformat()
    _write_stamps(stamps, now)
    for finding in availability.check(catalogue, {ref: ()}, now):
        if finding.state == "gone":
            age = catalogue_module.describe_age(catalogue.age_seconds)
            out.warn(f"{finding.describe()} (as of the list cached {age} ago).")
        else:
            out.warn(f"{finding.describe()}.")
