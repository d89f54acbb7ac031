"""`moltbot usage`: what the logged calls cost, totalled by day, model or provider."""

import typer

from moltbot_cli.commands.context import app_context


def usage(
    ctx: typer.Context,
    since: str | None = typer.Option(
        None,
        "--since",
        metavar="DURATION|DATE",
        help="Only calls since then: 7d, 12h, 2w, or a date such as 2026-11-01 (default: all).",
    ),
    by: str | None = typer.Option(
        None, "--by", metavar="day|model|provider", help="Total by this (default: model)."
    ),
    json: bool = typer.Option(
        False, "--json", help='Print {"since", "calls", "tokens", "cost", "rows": [...]}.'
    ),
    probe: bool = typer.Option(
        False, "--probe", help="Add the key's own usage and limit from OpenRouter (GET /key)."
    ),
) -> None:
    """Calls, tokens and cost from the call log, totalled.

    Examples:

    \b
      moltbot usage --since 7d --by day
      moltbot usage --since 2026-11-01 --json | jq .cost
    """
    from moltbot_cli.commands.usage_work import usage as show_usage

    app = app_context(ctx)
    show_usage(app, app.output(json=json), since=since, by=by, probe=probe)
