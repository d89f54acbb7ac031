"""`moltbot onboard`: set up the OpenRouter key and a default model, by flags or by a wizard."""

import typer

from moltbot_cli import completion
from moltbot_cli.commands.context import app_context


def onboard_command(
    ctx: typer.Context,
    auth_choice: str | None = typer.Option(
        None,
        "--auth-choice",
        metavar="CHOICE",
        help="oauth (or openrouter-oauth): sign in with OpenRouter; apiKey (or "
        "openrouter-api-key): set up an API key; skip: none.",
        autocompletion=completion.auth_choices,
    ),
    token_provider: str | None = typer.Option(
        None, "--token-provider", metavar="PROVIDER", help="Whose key --token is: openrouter."
    ),
    token: str | None = typer.Option(
        None,
        "--token",
        metavar="KEY",
        help="The OpenRouter API key (--token-stdin keeps it out of the process list).",
    ),
    openrouter_api_key: str | None = typer.Option(
        None, "--openrouter-api-key", metavar="KEY", help="Same as --token."
    ),
    token_stdin: bool = typer.Option(False, "--token-stdin", help="Read the API key from stdin."),
    no_browser: bool = typer.Option(
        False,
        "--no-browser",
        help="Signing in: open no browser here; print a link and ask for the code.",
    ),
    key_label: str | None = typer.Option(
        None,
        "--key-label",
        metavar="TEXT",
        help='Signing in: the new key\'s name (default "moltbot on <host>").',
    ),
    sign_in_timeout: float | None = typer.Option(
        None,
        "--sign-in-timeout",
        metavar="SECONDS",
        help="Signing in: how long to wait (default 300; env MOLTBOT_SIGNIN_TIMEOUT).",
    ),
    test_chat: bool = typer.Option(
        False,
        "--test-chat",
        help="After saving, send one tiny chat to the default model and report it.",
    ),
    model: str | None = typer.Option(
        None,
        "--model",
        metavar="REF",
        help="Default model, a ref or an alias (else the configured one, else Claude Sonnet 4.5).",
        autocompletion=completion.model_refs,
    ),
    key_store: str = typer.Option(
        "auto",
        "--key-store",
        metavar="auto|keyring|file",
        help="Where the key goes: the keyring, else credentials.json beside the config (auto).",
    ),
    skip_validate: bool = typer.Option(
        False, "--skip-validate", help="Do not check the key with OpenRouter."
    ),
    non_interactive: bool = typer.Option(
        False, "--non-interactive", help="Never ask; a missing input is an error naming its flag."
    ),
    reset: bool = typer.Option(
        False, "--reset", help="Start from an empty config (the old one is kept as .bak)."
    ),
    json: bool = typer.Option(
        False, "--json", help="Print {configPath, model, keyStore, validated} only."
    ),
) -> None:
    """Set up your OpenRouter key and default model; asks only what the flags leave open.

    Example:

    \b
      moltbot onboard --auth-choice oauth
      moltbot onboard --auth-choice apiKey --token-provider openrouter --token "$OPENROUTER_API_KEY"
    """
    from moltbot_cli.commands.onboard_work import OnboardOptions, onboard

    app = app_context(ctx)
    options = OnboardOptions(
        auth_choice=auth_choice,
        token_provider=token_provider,
        token=token,
        openrouter_api_key=openrouter_api_key,
        token_stdin=token_stdin,
        no_browser=no_browser,
        key_label=key_label,
        sign_in_timeout=sign_in_timeout,
        test_chat=test_chat,
        model=model,
        key_store=key_store,
        skip_validate=skip_validate,
        non_interactive=non_interactive,
        reset=reset,
    )
    onboard(app, app.output(json=json), options)
