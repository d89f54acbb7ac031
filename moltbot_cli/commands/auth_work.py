"""The work behind `moltbot models auth`, and the key check that onboard and status share."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from moltbot_cli import credentials
from moltbot_cli.commands.context import AppContext
from moltbot_cli.commands.signin_work import SignInOptions
from moltbot_cli.console import Output, stdin_is_terminal
from moltbot_cli.errors import AuthError, MoltbotError, NetworkError, UpstreamError, UsageError
from moltbot_cli.masking import key_label_shown, mask_key
from moltbot_cli.openrouter.server import opening
from moltbot_cli.records import Record, field

if TYPE_CHECKING:
    from moltbot_cli.config.settings import Settings
    from moltbot_cli.openrouter.client import OpenRouterClient

PROVIDERS = ("openrouter",)
KEYS_PAGE = "https://openrouter.ai/settings/keys"
# The key check is one small request: one retry is enough, a long backoff is not wanted.
KEY_CHECK_RETRIES = 1


def check_provider(provider: str) -> None:
    if provider.strip().lower() not in PROVIDERS:
        raise UsageError(
            f"unknown provider {provider!r}",
            hint=f"Accepted: {', '.join(PROVIDERS)}.",
        )


def make_client(app: AppContext, settings: Settings, key: str | None) -> OpenRouterClient:
    """A client for the key check: the settings' base URL (the config may be reset), one retry."""
    return app.client(key, base_url=settings.base_url, retries=KEY_CHECK_RETRIES)


# What to do about a server without GET /key: saving a key can go on unchecked; a probe,
# which only asks GET /key, cannot.
SKIP_THE_CHECK = "Pass --skip-validate to use the key without checking it."
NO_PROBE = "It cannot report on keys; leave out --probe."


def verify_key(
    app: AppContext, out: Output, settings: Settings, key: str, *, no_endpoint: str = SKIP_THE_CHECK
) -> dict[str, Any]:
    """GET /key with a spinner: what OpenRouter knows about the key (label, usage, limit)."""
    with (
        make_client(app, settings, key) as client,
        out.spinner(f"Checking the key with {client.server}…"),
    ):
        return check_key(client, no_endpoint=no_endpoint)


def check_key(client: OpenRouterClient, *, no_endpoint: str = SKIP_THE_CHECK) -> dict[str, Any]:
    """GET /key. A rejected key (401 or 403) is an AuthError; other failures pass through.

    `no_endpoint` is the hint for a server without GET /key (a 404).
    """
    try:
        return client.get_key()
    except AuthError as error:
        raise AuthError(
            f"{opening(client.server)} rejected the key {mask_key(client.api_key or '')} (401): "
            f"{error.detail or error.message}",
            hint=f"Check or create a key at {KEYS_PAGE}; nothing was saved.",
        ) from None
    except UpstreamError as error:
        if error.status == 404:
            # Not "the model is not available": a compatible server without GET /key.
            raise UpstreamError(
                f"this server has no key-check endpoint ({client.base_url}/key answers 404)",
                hint=no_endpoint,
            ) from None
        # For GET /key a 403 means the key itself is not allowed, not a refused prompt.
        if error.status == 403:
            raise AuthError(
                f"{opening(client.server)} refused the key {mask_key(client.api_key or '')} (403): "
                f"{error.detail}",
                hint=f"The key may be disabled; check it at {KEYS_PAGE}. Nothing was saved.",
            ) from None
        raise


def cannot_check(error: MoltbotError) -> MoltbotError:
    """The same failure, with the way around it for a script: --skip-validate."""
    hint = (
        error.hint
        if error.hint and "--skip-validate" in error.hint
        else "Check your connection (and OPENROUTER_BASE_URL), or pass --skip-validate to "
        "save the key without checking it."
    )
    return type(error)(f"could not check the key: {error.message}", hint=hint)


UNCHECKABLE = (NetworkError, UpstreamError)


def _money(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "?"
    return f"${value:,.4f}" if 0 < abs(value) < 0.01 else f"${value:,.2f}"


def describe_key_info(info: dict[str, Any], key: str) -> str:
    """`label sk-or-v1-ab…, used $1.20 of $10.00 ($8.80 left)`; never the key itself."""
    parts = []
    from moltbot_cli.commands.key_report import server_text

    label = server_text(info.get("label"))
    if label:
        parts.append(f"label {key_label_shown(label, key)}")
    limit = info.get("limit")
    usage = _money(info.get("usage"))
    if isinstance(limit, (int, float)) and not isinstance(limit, bool):
        used = f"used {usage} of {_money(limit)}"
        remaining = info.get("limit_remaining")
        if isinstance(remaining, (int, float)) and not isinstance(remaining, bool):
            used += f" ({_money(remaining)} left)"
        parts.append(used)
    else:
        parts.append(f"used {usage}, no spending limit")
    if info.get("is_free_tier") is True:
        parts.append("free tier")
    return ", ".join(parts)


def show_key_info(out: Output, info: dict[str, Any], key: str) -> None:
    """The check's result is a note (stderr), as every confirmation is: stdout is for results."""
    out.note(f"Key OK: {describe_key_info(info, key)}")


def read_key(out: Output, *, what: str = "OpenRouter API key") -> str:
    """The key from stdin, or typed hidden when a person is at the terminal."""
    if stdin_is_terminal():
        import typer

        raw = typer.prompt(f"{what} (input hidden)", hide_input=True, err=True)
    else:
        raw = sys.stdin.read()
        if not raw.strip():
            raise UsageError(
                "no API key on stdin",
                hint='Pipe it in, e.g. `printf %s "$KEY" | moltbot models auth paste-token '
                "--provider openrouter`.",
            )
    return credentials.clean_key(raw)


def warn_if_env_overrides(out: Output, key: str) -> None:
    from_env = os.environ.get(credentials.ENV_VAR, "").strip()
    if from_env and from_env != key:
        out.warn(
            f"{credentials.ENV_VAR} is set in this environment ({mask_key(from_env)}) and is used "
            "before the stored key; unset it to use the stored one."
        )


def _check_key_store(app: AppContext, key_store: str) -> None:
    if key_store not in credentials.STORES:
        raise UsageError(
            f"unknown --key-store {key_store!r}", hint=f"Accepted: {', '.join(credentials.STORES)}."
        )
    if key_store == "keyring":
        # Before the key is asked for or checked online: it could not be kept anyway.
        credentials.require_keyring(app.config_path)


def paste_token(
    app: AppContext, out: Output, provider: str, key_store: str, *, skip_validate: bool
) -> None:
    check_provider(provider)
    _check_key_store(app, key_store)
    settings = app.store.settings()
    key = read_key(out)
    _check_and_store(app, out, settings, key, key_store, skip_validate=skip_validate)


LOGIN_METHODS = ("oauth", "api-key")
KEY_FLAGS = "`moltbot models auth paste-token --provider openrouter` (the key on stdin)"


class LoginOptions(Record):
    provider: str = "openrouter"
    method: str = "oauth"
    key_store: str = "auto"
    skip_validate: bool = False
    sign_in: SignInOptions = field(default_factory=SignInOptions)


def login(app: AppContext, out: Output, options: LoginOptions) -> None:
    """Sign in with OpenRouter for a new key (or type one), check it, store it."""
    check_provider(options.provider)
    method = options.method.strip().lower().replace("_", "-")
    if method in ("apikey", "key"):
        method = "api-key"
    if method not in LOGIN_METHODS:
        raise UsageError(
            f"unknown --method {options.method!r}", hint=f"Accepted: {', '.join(LOGIN_METHODS)}."
        )
    _check_key_store(app, options.key_store)
    settings = app.store.settings()
    if method == "api-key":
        if options.sign_in.no_browser or options.sign_in.key_label is not None:
            raise UsageError("--no-browser and --key-label apply to --method oauth only")
        if not stdin_is_terminal():
            raise UsageError(
                "--method api-key asks for the key at a terminal, and stdin is not one",
                hint=f"Pipe the key into {KEY_FLAGS} instead.",
            )
        key = read_key(out)
    else:
        from moltbot_cli.commands import signin_work

        signin_work.check_possible(options.sign_in, KEY_FLAGS)
        signin_work.timeout_seconds(options.sign_in.timeout)  # a bad value fails before the wait
        key = signin_work.sign_in(app, out, settings.base_url, options.sign_in)
    _check_and_store(
        app, out, settings, key, options.key_store, skip_validate=options.skip_validate
    )


def _check_and_store(
    app: AppContext,
    out: Output,
    settings: Settings,
    key: str,
    key_store: str,
    *,
    skip_validate: bool,
) -> None:
    """Check a key with GET /key (unless told not to), then store it: nothing before the check."""
    key = credentials.clean_key(key)
    if warning := credentials.shape_warning(key):
        out.warn(warning)
    if not skip_validate:
        try:
            info = verify_key(app, out, settings, key)
        except UNCHECKABLE as error:
            raise cannot_check(error) from None
        show_key_info(out, info, key)
    stored = credentials.store_key(key, app.config_path, key_store, warn=out.warn)
    where = credentials.describe_store(stored, app.config_path)
    out.note(f"Stored the OpenRouter key {mask_key(key)} in {where}.")
    warn_if_env_overrides(out, key)


def logout(app: AppContext, out: Output, provider: str) -> None:
    check_provider(provider)
    removed = credentials.delete_key(app.config_path, warn=out.warn)
    places = [credentials.describe_store(place, app.config_path) for place in removed]
    if places:
        out.note(f"Removed the OpenRouter key from {' and from '.join(places)}.")
    else:
        out.note(
            "No stored OpenRouter key to remove (checked the keyring and "
            f"{credentials.describe_store('file', app.config_path)})."
        )
    still = []
    if os.environ.get(credentials.ENV_VAR, "").strip():
        still.append(f"{credentials.ENV_VAR} in the environment (unset it)")
    try:
        in_config = app.store.settings().env_api_key
    except MoltbotError:
        in_config = None  # a broken config is reported by the commands that need it
    if in_config:
        still.append(
            f"env.OPENROUTER_API_KEY in {app.config_path} "
            "(remove it with `moltbot config unset env.OPENROUTER_API_KEY`)"
        )
    if still:
        out.warn(f"a key is still provided by {' and '.join(still)}.")
