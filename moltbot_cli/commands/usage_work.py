"""The work behind `moltbot usage`: calls, tokens and cost totalled from the log.

`--probe` adds what OpenRouter itself counts for the key (`GET /key`): spend today,
this week, this month and in all, and the limit with what is left of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from moltbot_cli.calllog.store import GroupBy, Totals, Usage
from moltbot_cli.commands.context import AppContext
from moltbot_cli.commands.logs_work import format_cost, reading
from moltbot_cli.console import Output
from moltbot_cli.errors import MoltbotError, UsageError
from moltbot_cli.openrouter.server import OPENROUTER

if TYPE_CHECKING:
    from moltbot_cli.commands.key_report import KeyReport

GROUPINGS = ("day", "model", "provider")


def usage(app: AppContext, out: Output, *, since: str | None, by: str | None, probe: bool) -> None:
    from moltbot_cli.calllog.when import parse_since

    if by is not None and by not in GROUPINGS:
        raise UsageError(f"--by {by!r} is not one of {', '.join(GROUPINGS)}")
    cutoff = parse_since(since) if since is not None else None
    grouping: GroupBy = cast(GroupBy, by or "model")
    with reading() as log:
        result = log.usage(cutoff, grouping) if log is not None else Usage(Totals())
    key_info: KeyReport | None = None
    probe_error: MoltbotError | None = None
    if probe:
        key_info, probe_error = _probe(app)
    if out.is_json:
        payload: dict[str, Any] = {
            "since": datetime.fromtimestamp(cutoff).astimezone().isoformat()
            if cutoff is not None
            else None,
            "by": grouping,
            **result.total.as_json(),
            "rows": [{grouping: key, **totals.as_json()} for key, totals in result.rows],
        }
        if probe:
            payload["key"] = (
                key_info.as_json() if key_info is not None else {"error": _message(probe_error)}
            )
        out.json(payload)
    else:
        _show(out, result, cutoff, since, grouping, key_info)
    if probe_error is not None:
        raise probe_error


def _show(
    out: Output,
    result: Usage,
    cutoff: float | None,
    since: str | None,
    grouping: str,
    key_info: KeyReport | None,
) -> None:
    total = result.total
    period = (
        f"Since {datetime.fromtimestamp(cutoff).strftime('%Y-%m-%d %H:%M')} ({since})"
        if cutoff is not None
        else "All logged calls"
    )
    summary = (
        f"{period}: {total.calls:,} call{'s' if total.calls != 1 else ''}, "
        f"{total.tokens:,} tokens, {format_cost(total.cost) if total.calls else '$0'}"
    )
    if total.failed:
        summary += f" ({total.failed:,} failed)"
    out.line(summary)
    if result.rows:
        out.line()
        out.table(
            [grouping.upper(), "CALLS", "TOKENS IN", "TOKENS OUT", "COST"],
            [
                [
                    key,
                    f"{row.calls:,}",
                    f"{row.prompt_tokens:,}",
                    f"{row.completion_tokens:,}",
                    format_cost(row.cost),
                ]
                for key, row in result.rows
            ],
        )
    if total.uncosted:
        out.note(
            f"Note: {total.uncosted:,} call{'s' if total.uncosted != 1 else ''} came back "
            "without a cost (failed before a reply, or an old log); they count as $0."
        )
    if key_info is not None:
        out.line()
        counter = (
            "OpenRouter's own count"
            if key_info.server == OPENROUTER
            else f"What {key_info.server} itself counts"
        )
        out.line(f"{counter} for the key:")
        for name, value in key_info.rows():
            out.line(f"  {name + ':':<11}{value}")
        for warning in key_info.warnings():
            out.warn(warning)


def _probe(app: AppContext) -> tuple[KeyReport | None, MoltbotError | None]:
    """What OpenRouter counts for the key: read as `models status --probe` reads it."""
    from moltbot_cli.commands.auth_work import NO_PROBE, check_key
    from moltbot_cli.commands.key_report import KeyReport
    from moltbot_cli.credentials import require_key

    try:
        settings = app.store.settings()
        key = require_key(app.config_path, settings).key
        with app.client(key, base_url=settings.base_url) as client:
            data = check_key(client, no_endpoint=NO_PROBE)
    except MoltbotError as error:
        return None, error
    report = KeyReport.from_data(data, key or "")
    report.server = client.server
    return report, None


def _message(error: MoltbotError | None) -> str:
    return error.message if error is not None else "no key to check"
