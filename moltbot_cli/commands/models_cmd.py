"""`moltbot models`: the default model, fallbacks, aliases, routing, and the key behind them."""

import typer

from moltbot_cli import completion
from moltbot_cli.commands.context import app_context

app = typer.Typer(
    help="See and change models, aliases, fallbacks, routing and the API key.",
    short_help="Models, aliases, fallbacks, routing and the key.",
    no_args_is_help=True,
)
auth_app = typer.Typer(help="Store or remove the OpenRouter API key.", no_args_is_help=True)
app.add_typer(auth_app, name="auth")

PROVIDER_HELP = "The key's provider: openrouter."
KEY_STORE_HELP = "Where the key goes: the keyring, else credentials.json beside the config (auto)."


@app.command("status", short_help="Default model, fallbacks, aliases and where the key comes from.")
def status_command(
    ctx: typer.Context,
    json: bool = typer.Option(False, "--json", help="Print JSON."),
    plain: bool = typer.Option(False, "--plain", help="Print the default model's ref alone."),
    check: bool = typer.Option(
        False,
        "--check",
        help="Exit 4 when no API key is found (with --probe: or it expired, or its limit is "
        "spent), 7 when a configured model is gone; warn when one expires within 30 days.",
    ),
    probe: bool = typer.Option(
        False,
        "--probe",
        help="Ask OpenRouter about the key (GET /key): usage, limit, expiry, free tier.",
    ),
) -> None:
    """Show the default model, fallbacks, aliases, and which API key is used (masked).

    Example: moltbot models status --probe
    """
    from moltbot_cli.commands.models_status_work import status

    app = app_context(ctx)
    status(app, app.output(json=json, plain=plain), check=check, probe=probe)


@auth_app.command("paste-token", short_help="Store an API key read from stdin.")
def paste_token_command(
    ctx: typer.Context,
    provider: str = typer.Option(
        "openrouter", "--provider", metavar="PROVIDER", help=PROVIDER_HELP
    ),
    key_store: str = typer.Option(
        "auto", "--key-store", metavar="auto|keyring|file", help=KEY_STORE_HELP
    ),
    skip_validate: bool = typer.Option(
        False, "--skip-validate", help="Do not check the key with OpenRouter."
    ),
) -> None:
    """Store an API key read from stdin (typed hidden at a terminal), after checking it.

    Example: printf %s "$KEY" | moltbot models auth paste-token --provider openrouter
    """
    from moltbot_cli.commands.auth_work import paste_token

    app = app_context(ctx)
    paste_token(app, app.output(), provider, key_store, skip_validate=skip_validate)


@auth_app.command("login", short_help="Sign in with OpenRouter (or type a key) and store the key.")
def login_command(
    ctx: typer.Context,
    provider: str = typer.Option(
        "openrouter", "--provider", metavar="PROVIDER", help=PROVIDER_HELP
    ),
    method: str = typer.Option(
        "oauth",
        "--method",
        metavar="oauth|api-key",
        help="oauth: sign in with OpenRouter in a browser; api-key: paste a key.",
        autocompletion=completion.login_methods,
    ),
    no_browser: bool = typer.Option(
        False, "--no-browser", help="Open no browser here: print a link and ask for the code."
    ),
    key_label: str | None = typer.Option(
        None,
        "--key-label",
        metavar="TEXT",
        help='Name of the new key (default "moltbot on <host>").',
    ),
    sign_in_timeout: float | None = typer.Option(
        None,
        "--sign-in-timeout",
        metavar="SECONDS",
        help="How long to wait for the sign-in (default 300; env MOLTBOT_SIGNIN_TIMEOUT).",
    ),
    key_store: str = typer.Option(
        "auto", "--key-store", metavar="auto|keyring|file", help=KEY_STORE_HELP
    ),
    skip_validate: bool = typer.Option(
        False, "--skip-validate", help="Do not check the key with OpenRouter."
    ),
) -> None:
    """Sign in with OpenRouter (OAuth PKCE) and store the new key; no key to copy by hand.

    Example: moltbot models auth login --provider openrouter --no-browser
    """
    from moltbot_cli.commands.auth_work import LoginOptions, login
    from moltbot_cli.commands.signin_work import SignInOptions

    app = app_context(ctx)
    options = LoginOptions(
        provider=provider,
        method=method,
        key_store=key_store,
        skip_validate=skip_validate,
        sign_in=SignInOptions(no_browser=no_browser, key_label=key_label, timeout=sign_in_timeout),
    )
    login(app, app.output(), options)


@auth_app.command("logout")
def logout_command(
    ctx: typer.Context,
    provider: str = typer.Option(
        "openrouter", "--provider", metavar="PROVIDER", help=PROVIDER_HELP
    ),
) -> None:
    """Remove the stored API key from the keyring and the key file.

    Example: moltbot models auth logout --provider openrouter
    """
    from moltbot_cli.commands.auth_work import logout

    app = app_context(ctx)
    logout(app, app.output(), provider)


# -- the catalogue, the default, aliases, fallbacks, routing, endpoints ------------------------

aliases_app = typer.Typer(help="Short names for models: `chat -m sonnet`.", no_args_is_help=True)
fallbacks_app = typer.Typer(
    help="Models tried in order when the default fails before replying.", no_args_is_help=True
)
routing_app = typer.Typer(
    help="Which providers serve a model (OpenRouter's `provider` routing).",
    short_help="Which providers may serve each model.",
    no_args_is_help=True,
)
app.add_typer(aliases_app, name="aliases")
app.add_typer(fallbacks_app, name="fallbacks")
app.add_typer(routing_app, name="routing")

REF_HELP = "A model: openrouter/<author>/<slug> (the prefix is optional) or an alias."
GLOBAL_HELP = "The routing for every OpenRouter model (a model's own routing wins over it)."
JSON_HELP = "Print JSON."


@app.command("list", short_help="List your models, or with --all the whole catalogue.")
def list_command(
    ctx: typer.Context,
    words: list[str] | None = typer.Argument(
        None, metavar="WORDS", help="Search words, as with --search.", show_default=False
    ),
    all: bool = typer.Option(False, "--all", help="The whole catalogue, not only your models."),
    author: str | None = typer.Option(
        None,
        "--author",
        metavar="SLUG",
        help="Only models by this author (the id's first part), e.g. x-ai.",
    ),
    provider: str | None = typer.Option(
        None,
        "--provider",
        metavar="SLUG",
        help="The same as --author: it matches the model's author, not who serves it "
        "(for that, see `moltbot models endpoints REF`).",
    ),
    search: str | None = typer.Option(
        None, "--search", metavar="TEXT", help="Only models whose ref or name has every word."
    ),
    free: bool = typer.Option(False, "--free", help="Only models that cost nothing."),
    refresh: bool = typer.Option(
        False, "--refresh", help="Fetch the catalogue now instead of using the cached copy."
    ),
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
    plain: bool = typer.Option(False, "--plain", help="Print one ref a line."),
) -> None:
    """List your models (default, fallbacks, configured) or, with --all, every model.

    Example: moltbot models list --all --free llama 70b
    """
    from moltbot_cli.commands.models_work import ListFilters, list_models
    from moltbot_cli.errors import UsageError

    if author and provider and author.strip().casefold() != provider.strip().casefold():
        raise UsageError(
            "--author and --provider both name the author, and they differ; give one of them"
        )
    app = app_context(ctx)
    list_models(
        app,
        app.output(json=json, plain=plain),
        show_all=all,
        filters=ListFilters(
            author=author or provider,
            search=" ".join([search or "", *(words or [])]).strip(),
            free=free,
        ),
        refresh=refresh,
    )


@app.command("scan", short_help="Find free models that work, probed live.")
def scan_command(
    ctx: typer.Context,
    max_candidates: int = typer.Option(
        12, "--max-candidates", metavar="N", help="How many free models to look at (newest first)."
    ),
    concurrency: int = typer.Option(
        4, "--concurrency", metavar="N", help="How many models to probe at once (1-16)."
    ),
    no_probe: bool = typer.Option(
        False, "--no-probe", help="Rank by what the catalogue claims; send nothing (no key needed)."
    ),
    set_default: bool = typer.Option(
        False, "--set-default", help="Make the best model that answered the default."
    ),
    set_fallbacks: int | None = typer.Option(
        None,
        "--set-fallbacks",
        metavar="K",
        help="Make the next K models that answered the fallbacks (replacing the list).",
    ),
    refresh: bool = typer.Option(
        False, "--refresh", help="Fetch the catalogue now instead of using the cached copy."
    ),
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
    plain: bool = typer.Option(False, "--plain", help="Print the refs that answered, best first."),
) -> None:
    """Find the free models (`:free` or zero price), probe them for a reply, tool use and
    image input, and rank them by what works, context and recency.

    Example: moltbot models scan --max-candidates 8 --set-default --set-fallbacks 2
    """
    from moltbot_cli.commands.models_scan_work import ScanOptions, scan

    app = app_context(ctx)
    scan(
        app,
        app.output(json=json, plain=plain),
        ScanOptions(
            max_candidates=max_candidates,
            concurrency=concurrency,
            probe=not no_probe,
            set_default=set_default,
            set_fallbacks=set_fallbacks,
            refresh=refresh,
        ),
    )


@app.command("set", short_help="Make a model the default.")
def set_command(
    ctx: typer.Context,
    ref: str = typer.Argument(
        ..., metavar="REF", help=REF_HELP, autocompletion=completion.model_refs
    ),
) -> None:
    """Make a model the default (checked against OpenRouter's catalogue).

    Example: moltbot models set openai/gpt-5.2
    """
    from moltbot_cli.commands.models_work import set_default

    app = app_context(ctx)
    set_default(app, app.output(), ref)


@app.command("endpoints", short_help="The providers serving a model, with their routing slugs.")
def endpoints_command(
    ctx: typer.Context,
    ref: str = typer.Argument(
        ..., metavar="REF", help=REF_HELP, autocompletion=completion.model_refs
    ),
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
    plain: bool = typer.Option(False, "--plain", help="Print the routing slugs (tags) alone."),
) -> None:
    """Show the providers serving a model: routing slug (tag), price, context, uptime, latency.

    Example: moltbot models endpoints meta-llama/llama-3.3-70b-instruct
    """
    from moltbot_cli.commands.models_work import endpoints

    app = app_context(ctx)
    endpoints(app, app.output(json=json, plain=plain), ref)


@app.command("presets", short_help="The account's presets, to use as @preset/<slug>.")
def presets_command(
    ctx: typer.Context,
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
    plain: bool = typer.Option(False, "--plain", help="Print the preset refs alone."),
) -> None:
    """List the presets saved in your OpenRouter account (model, routing and params in one).

    Use one anywhere a model is taken: moltbot chat -m @preset/SLUG "hi"
    """
    from moltbot_cli.commands.presets_work import list_presets

    app = app_context(ctx)
    list_presets(app, app.output(json=json, plain=plain))


@aliases_app.command("list")
def aliases_list_command(
    ctx: typer.Context,
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
    plain: bool = typer.Option(False, "--plain", help="Print ALIAS<tab>REF lines."),
) -> None:
    """List the aliases and the models they stand for."""
    from moltbot_cli.commands.models_work import aliases_list

    app = app_context(ctx)
    aliases_list(app, app.output(json=json, plain=plain))


@aliases_app.command("add", short_help="Give a model a short name.")
def aliases_add_command(
    ctx: typer.Context,
    alias: str = typer.Argument(
        ...,
        metavar="ALIAS",
        help='Any text without spaces at either end, e.g. "Claude Sonnet".',
    ),
    ref: str = typer.Argument(
        ..., metavar="REF", help=REF_HELP, autocompletion=completion.model_refs
    ),
) -> None:
    """Give a model a short name (one per model; a new one replaces the old).

    Example: moltbot models aliases add sonnet anthropic/claude-sonnet-4-5
    """
    from moltbot_cli.commands.models_work import aliases_add

    app = app_context(ctx)
    aliases_add(app, app.output(), alias, ref)


@aliases_app.command("remove")
def aliases_remove_command(
    ctx: typer.Context,
    alias: str = typer.Argument(
        ..., metavar="ALIAS", help="The alias (any case).", autocompletion=completion.aliases
    ),
) -> None:
    """Remove an alias; the model's other settings stay.

    Example: moltbot models aliases remove sonnet
    """
    from moltbot_cli.commands.models_work import aliases_remove

    app = app_context(ctx)
    aliases_remove(app, app.output(), alias)


@fallbacks_app.command("list")
def fallbacks_list_command(
    ctx: typer.Context,
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
    plain: bool = typer.Option(False, "--plain", help="Print one ref a line."),
) -> None:
    """List the fallback models in the order they are tried."""
    from moltbot_cli.commands.models_work import fallbacks_list

    app = app_context(ctx)
    fallbacks_list(app, app.output(json=json, plain=plain))


@fallbacks_app.command("add", short_help="Add a fallback at the end of the list.")
def fallbacks_add_command(
    ctx: typer.Context,
    ref: str = typer.Argument(
        ..., metavar="REF", help=REF_HELP, autocompletion=completion.model_refs
    ),
) -> None:
    """Add a fallback at the end of the list (not the default model, not twice).

    Example: moltbot models fallbacks add openai/gpt-5.2
    """
    from moltbot_cli.commands.models_work import fallbacks_add

    app = app_context(ctx)
    fallbacks_add(app, app.output(), ref)


@fallbacks_app.command("remove")
def fallbacks_remove_command(
    ctx: typer.Context,
    ref: str = typer.Argument(
        ..., metavar="REF", help=REF_HELP, autocompletion=completion.model_refs
    ),
) -> None:
    """Remove one fallback.

    Example: moltbot models fallbacks remove openai/gpt-5.2
    """
    from moltbot_cli.commands.models_work import fallbacks_remove

    app = app_context(ctx)
    fallbacks_remove(app, app.output(), ref)


@fallbacks_app.command("clear")
def fallbacks_clear_command(ctx: typer.Context) -> None:
    """Remove every fallback."""
    from moltbot_cli.commands.models_work import fallbacks_clear

    app = app_context(ctx)
    fallbacks_clear(app, app.output())


@routing_app.command("show", short_help="Show the routing sent with each model, or one.")
def routing_show_command(
    ctx: typer.Context,
    ref: str | None = typer.Argument(
        None, metavar="REF", help=REF_HELP, autocompletion=completion.model_refs
    ),
    global_: bool = typer.Option(False, "--global", help=GLOBAL_HELP),
    json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show the routing sent with each model (or one), as OpenRouter receives it, and
    where each field comes from (the model's own routing or the global one).

    Example: moltbot models routing show
    """
    from moltbot_cli.commands.models_routing_work import show

    app = app_context(ctx)
    show(app, app.output(json=json), ref, global_only=global_)


@routing_app.command("set", short_help="Change a model's routing, or every model's.")
def routing_set_command(
    ctx: typer.Context,
    ref: str | None = typer.Argument(
        None, metavar="REF", help=REF_HELP, autocompletion=completion.model_refs
    ),
    global_: bool = typer.Option(False, "--global", help=GLOBAL_HELP),
    only: str | None = typer.Option(
        None, "--only", metavar="SLUG,...", help="Use only these providers."
    ),
    order: str | None = typer.Option(
        None, "--order", metavar="SLUG,...", help="Try these providers first, in this order."
    ),
    ignore: str | None = typer.Option(
        None, "--ignore", metavar="SLUG,...", help="Never use these providers."
    ),
    allow_fallbacks: bool | None = typer.Option(
        None,
        "--allow-fallbacks/--no-allow-fallbacks",
        help="Whether other providers may serve when those named are down.",
        show_default=False,
    ),
    require_parameters: bool | None = typer.Option(
        None,
        "--require-parameters/--no-require-parameters",
        help="Only providers supporting every parameter sent.",
        show_default=False,
    ),
    data_collection: str | None = typer.Option(
        None, "--data-collection", metavar="allow|deny", help="deny: no providers that store data."
    ),
    zdr: bool | None = typer.Option(
        None, "--zdr/--no-zdr", help="Only zero-data-retention providers.", show_default=False
    ),
    quantizations: str | None = typer.Option(
        None,
        "--quantizations",
        metavar="Q,...",
        help="Only these: int4 int8 fp4 fp6 fp8 fp16 bf16 fp32 unknown.",
    ),
    sort: str | None = typer.Option(
        None, "--sort", metavar="price|throughput|latency", help="Prefer providers by this."
    ),
    sort_partition: str | None = typer.Option(
        None,
        "--sort-partition",
        metavar="model|none",
        help="With fallback models: sort within each model (model) or across them all (none).",
    ),
    max_price_prompt: float | None = typer.Option(
        None, "--max-price-prompt", metavar="USD", help="Most to pay per million input tokens."
    ),
    max_price_completion: float | None = typer.Option(
        None,
        "--max-price-completion",
        metavar="USD",
        help="Most to pay per million output tokens.",
    ),
    preferred_min_throughput: str | None = typer.Option(
        None,
        "--preferred-min-throughput",
        metavar="TOK/S|pNN=N,...",
        help="Prefer providers this fast (tokens/s), e.g. 50 or p50=50,p90=20.",
    ),
    preferred_max_latency: str | None = typer.Option(
        None,
        "--preferred-max-latency",
        metavar="SECONDS|pNN=N,...",
        help="Prefer providers answering within this, e.g. 2 or p90=3.",
    ),
    unset: list[str] | None = typer.Option(
        None,
        "--unset",
        metavar="FIELD",
        help="Remove one setting, e.g. --unset order (repeatable).",
    ),
) -> None:
    """Change a model's routing (or with --global every model's); settings not given stay.

    Example: moltbot models routing set meta-llama/llama-3.3-70b-instruct --only together
    """
    from moltbot_cli.commands.models_routing_work import RoutingChanges, set_routing

    app = app_context(ctx)
    changes = RoutingChanges(
        only=only,
        order=order,
        ignore=ignore,
        allow_fallbacks=allow_fallbacks,
        require_parameters=require_parameters,
        data_collection=data_collection,
        zdr=zdr,
        quantizations=quantizations,
        sort=sort,
        sort_partition=sort_partition,
        max_price_prompt=max_price_prompt,
        max_price_completion=max_price_completion,
        preferred_min_throughput=preferred_min_throughput,
        preferred_max_latency=preferred_max_latency,
        unset=list(unset or []),
    )
    set_routing(app, app.output(), ref, changes, global_only=global_)


@routing_app.command("clear", short_help="Remove a model's routing, or every model's.")
def routing_clear_command(
    ctx: typer.Context,
    ref: str | None = typer.Argument(
        None, metavar="REF", help=REF_HELP, autocompletion=completion.model_refs
    ),
    global_: bool = typer.Option(False, "--global", help=GLOBAL_HELP),
) -> None:
    """Remove a model's routing (or with --global every model's): OpenRouter picks again.

    Example: moltbot models routing clear meta-llama/llama-3.3-70b-instruct
    """
    from moltbot_cli.commands.models_routing_work import clear

    app = app_context(ctx)
    clear(app, app.output(), ref, global_only=global_)
