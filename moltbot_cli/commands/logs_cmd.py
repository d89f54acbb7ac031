"""`moltbot logs`: the call log of every chat, read back, switched on or off, pruned."""

import typer

from moltbot_cli import completion
from moltbot_cli.commands.context import app_context

app = typer.Typer(
    help="Read back the log of chat calls (prompts, replies, tokens, cost); turn it off or prune it.",
    short_help="The log of chat calls: list, show, on/off, prune.",
    no_args_is_help=True,
)

JSON_HELP = "Print JSON."
CID_HELP = "A conversation id (or the start of one) from `moltbot logs list`."


@app.command("list", short_help="The latest calls, newest first.")
def list_command(
    ctx: typer.Context,
    count: int = typer.Option(
        20, "-n", "--count", metavar="N", min=1, help="How many calls to show (default 20)."
    ),
    cid: str | None = typer.Option(None, "--cid", metavar="ID", help=CID_HELP),
    model: str | None = typer.Option(
        None,
        "--model",
        "-m",
        metavar="REF|ALIAS",
        help="Only calls that asked for or were served by this model.",
        autocompletion=completion.model_refs,
    ),
    search: str | None = typer.Option(
        None, "--search", metavar="TEXT", help="Only calls whose prompt, system or reply has TEXT."
    ),
    json: bool = typer.Option(False, "--json", help="Print a JSON array of records."),
) -> None:
    """The latest calls, newest first: time, model, tokens, cost and the prompt's first words.

    Examples:

    \b
      moltbot logs list -n 5
      moltbot logs list --search invoice --json
    """
    from moltbot_cli.commands.logs_work import list_calls

    app = app_context(ctx)
    list_calls(
        app, app.output(json=json), limit=count, conversation=cid, model=model, search=search
    )


@app.command("show", short_help="One call in full, or a whole conversation with --cid.")
def show_command(
    ctx: typer.Context,
    call_id: str | None = typer.Argument(
        None, metavar="[ID]", help="The call's id from `moltbot logs list` (default: the latest)."
    ),
    cid: str | None = typer.Option(None, "--cid", metavar="ID", help=CID_HELP),
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """One call in full (prompt, reply, routing, tokens, cost, timing), or with --cid a
    whole conversation.

    Examples:

    \b
      moltbot logs show 42
      moltbot logs show --cid k3j9x2m4p7qa --json
    """
    from moltbot_cli.commands.logs_work import show

    app = app_context(ctx)
    show(app, app.output(json=json), call_id=call_id, conversation=cid)


@app.command("path")
def path_command() -> None:
    """Print where the log is kept (it may not exist yet)."""
    from moltbot_cli.commands.context import AppContext
    from moltbot_cli.commands.logs_work import show_path

    show_path(AppContext().output())


@app.command("on", short_help="Log every chat call (the default).")
def on_command(ctx: typer.Context) -> None:
    """Log every chat call (the default); stored as logs.enabled in the config."""
    from moltbot_cli.commands.logs_work import set_enabled

    app = app_context(ctx)
    set_enabled(app, app.output(), True)


@app.command("off", short_help="Stop logging chat calls.")
def off_command(ctx: typer.Context) -> None:
    """Stop logging chat calls; what is logged stays until you prune it."""
    from moltbot_cli.commands.logs_work import set_enabled

    app = app_context(ctx)
    set_enabled(app, app.output(), False)


@app.command("status", short_help="Whether logging is on, and what the log holds.")
def status_command(
    ctx: typer.Context, json: bool = typer.Option(False, "--json", help=JSON_HELP)
) -> None:
    """Whether logging is on, where the log is, and how much it holds."""
    from moltbot_cli.commands.logs_work import status

    app = app_context(ctx)
    status(app, app.output(json=json))


@app.command("prune", short_help="Remove old calls from the log.")
def prune_command(
    ctx: typer.Context,
    older_than: str = typer.Option(
        ...,
        "--older-than",
        metavar="DURATION|DATE",
        help="Remove calls older than this: 30d, 12h, 2w, or a date such as 2026-11-01.",
    ),
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Remove old calls from the log.

    Example: moltbot logs prune --older-than 30d
    """
    from moltbot_cli.commands.logs_work import prune

    app = app_context(ctx)
    prune(app, app.output(json=json), older_than)
