"""The work behind `moltbot usage`: calls, tokens and cost totalled from the log.

`--probe` adds what OpenRouter itself counts for the key (`GET /key`): spend today,
this week, this month and in all, and the limit with what is left of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from moltbot_cli.calllog.store import GroupBy, Totals, Usage
from moltbot_cli.commands.context import AppContext
from moltbot_cli.commands.logs_work import format_cost, reading
from moltbot_cli.console import Output
from moltbot_cli.errors import MoltbotError, UsageError

GROUPINGS = ("day", "model", "provider")


def usage(app: AppContext, out: Output, *, since: str | None, by: str | None, probe: bool) -> None:
    from moltbot_cli.calllog.when import parse_since

    if by is not None and by not in GROUPINGS:
        raise UsageError(f"--by {by!r} is not one of {', '.join(GROUPINGS)}")
    cutoff = parse_since(since) if since is not None else None
    grouping: GroupBy = cast(GroupBy, by or "model")
    with reading() as log:
        result = log.usage(cutoff, grouping) if log is not None else Usage(Totals())
    key_info: dict[str, Any] | None = None
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
            payload["key"] = key_info if key_info is not None else {"error": _message(probe_error)}
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
    key_info: dict[str, Any] | None,
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
        out.line(describe_key_usage(key_info))


def describe_key_usage(info: dict[str, Any]) -> str:
    """What OpenRouter counts for the key, in one or two lines."""
    spent = [
        f"{label} {_money(info.get(field))}"
        for label, field in (
            ("today", "usage_daily"),
            ("this week", "usage_weekly"),
            ("this month", "usage_monthly"),
            ("in all", "usage"),
        )
        if _number(info.get(field)) is not None
    ]
    line = "OpenRouter counts for this key: " + (", ".join(spent) if spent else "no usage figures")
    limit = _number(info.get("limit"))
    if limit is None:
        line += "; no spending limit"
    else:
        line += f"; limit {_money(limit)}"
        remaining = _number(info.get("limit_remaining"))
        if remaining is not None:
            line += f" ({_money(remaining)} left)"
        reset = info.get("limit_reset")
        if isinstance(reset, str) and reset:
            line += f", resets {reset}"
    return line + "."


KEY_FIELDS = (
    "label",
    "usage",
    "usage_daily",
    "usage_weekly",
    "usage_monthly",
    "limit",
    "limit_remaining",
    "limit_reset",
    "is_free_tier",
    "expires_at",
)


def key_usage(data: dict[str, Any]) -> dict[str, Any]:
    """The usage and limit fields of a `GET /key` answer, each only if well formed."""
    picked: dict[str, Any] = {}
    for name in KEY_FIELDS:
        value = data.get(name)
        if name in ("label", "limit_reset", "expires_at"):
            picked[name] = value if isinstance(value, str) else None
        elif name == "is_free_tier":
            picked[name] = value if isinstance(value, bool) else None
        else:
            picked[name] = _number(value)
    return picked


def _probe(app: AppContext) -> tuple[dict[str, Any] | None, MoltbotError | None]:
    from moltbot_cli.commands.auth_work import check_key
    from moltbot_cli.credentials import require_key

    try:
        settings = app.store.settings()
        key = require_key(app.config_path, settings).key
        with app.client(key, base_url=settings.base_url) as client:
            data = check_key(client)
    except MoltbotError as error:
        return None, error
    info = key_usage(data)
    if isinstance(info.get("label"), str) and key and key in info["label"]:
        from moltbot_cli.masking import mask_key

        info["label"] = mask_key(key)
    return info, None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return float(value)


def _money(value: Any) -> str:
    number = _number(value)
    return "-" if number is None else f"${number:,.2f}" if number >= 0.01 else format_cost(number)


def _message(error: MoltbotError | None) -> str:
    return error.message if error is not None else "no key to check"
