"""`moltbot config`: look at and change the config file from the command line."""

import typer

from moltbot_cli import completion
from moltbot_cli.commands.context import app_context

app = typer.Typer(
    help="Show, check and change the config file (comments and formatting are kept).",
    short_help="Show, check and change the config file.",
    no_args_is_help=True,
)

PATH_HELP = (
    "Config path, e.g. agents.defaults.model.primary or, quoted for the shell, "
    "'agents.defaults.models[\"openrouter/openai/gpt-5.2\"].alias'"
)
JSON_HELP = "Print JSON."
REVEAL_HELP = "Show secrets in full instead of masked."


@app.command("path")
def path_command(ctx: typer.Context) -> None:
    """Print where the config file is (it may not exist yet)."""
    from moltbot_cli.commands.config_work import show_path

    show_path(app_context(ctx))


@app.command("show", short_help="Print the whole config.")
def show_command(
    ctx: typer.Context,
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
    reveal: bool = typer.Option(False, "--reveal", help=REVEAL_HELP),
) -> None:
    """Print the whole config: the file as written, or its data with --json.

    Example: moltbot config show --json
    """
    from moltbot_cli.commands.config_work import show

    app = app_context(ctx)
    show(app, app.output(json=json), reveal=reveal)


@app.command("get")
def get_command(
    ctx: typer.Context,
    path: str = typer.Argument(
        ..., metavar="PATH", help=PATH_HELP, autocompletion=completion.config_paths
    ),
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
    reveal: bool = typer.Option(False, "--reveal", help=REVEAL_HELP),
) -> None:
    """Print one value. Strings print bare; objects and lists as JSON.

    Example: moltbot config get agents.defaults.model.primary
    """
    from moltbot_cli.commands.config_work import get

    app = app_context(ctx)
    get(app, app.output(json=json), path, reveal=reveal)


@app.command("set")
def set_command(
    ctx: typer.Context,
    path: str = typer.Argument(
        ..., metavar="PATH", help=PATH_HELP, autocompletion=completion.config_paths
    ),
    value: str = typer.Argument(
        ...,
        metavar="VALUE",
        help='JSON5 value (true, 0.7, ["a"], {only: ["x"]}); anything else is a string.',
    ),
    json: bool = typer.Option(
        False, "--strict", "--json", help="VALUE must be JSON5; never fall back to a string."
    ),
) -> None:
    """Set one value, creating missing parents. Refused if the result would be invalid.

    VALUE is read as JSON5, else taken as a string; one that starts like JSON5 ({, [ or a
    quote) but does not parse is refused.

    Example: moltbot config set 'agents.defaults.models["openrouter/openai/gpt-5.2"].params.temperature' 0.2
    """
    from moltbot_cli.commands.config_work import set_value

    app = app_context(ctx)
    set_value(app, app.output(), path, value, strict_json=json)


@app.command("unset")
def unset_command(
    ctx: typer.Context,
    path: str = typer.Argument(
        ..., metavar="PATH", help=PATH_HELP, autocompletion=completion.config_paths
    ),
) -> None:
    """Remove one value.

    Example: moltbot config unset env.OPENROUTER_API_KEY
    """
    from moltbot_cli.commands.config_work import unset

    app = app_context(ctx)
    unset(app, app.output(), path)


@app.command("validate")
def validate_command(
    ctx: typer.Context,
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Check the config file; exit 3 when it is invalid. Lists every issue with its line.

    Example: moltbot config validate --json
    """
    from moltbot_cli.commands.config_work import validate

    app = app_context(ctx)
    raise typer.Exit(validate(app, app.output(json=json)))


@app.command("edit", short_help="Open the config in your editor; a broken result is never saved.")
def edit_command(ctx: typer.Context) -> None:
    """Open the config in $VISUAL or $EDITOR; a broken result is never saved."""
    from moltbot_cli.commands.config_work import edit

    app = app_context(ctx)
    edit(app, app.output())
