"""The work behind `moltbot models status`: what is configured, and which key would be used."""

from __future__ import annotations

from typing import Any

from moltbot_cli import credentials
from moltbot_cli.commands.auth_work import KEYS_PAGE, NO_PROBE, describe_key_info, verify_key
from moltbot_cli.commands.context import AppContext
from moltbot_cli.commands.key_report import KEYS_PAGE as LIMITS_PAGE
from moltbot_cli.commands.key_report import KeyReport
from moltbot_cli.commands.models_expiry_work import enforce, status_report
from moltbot_cli.config.settings import ENV_KEY_PATH, dig
from moltbot_cli.console import Output
from moltbot_cli.errors import AuthError, MoltbotError
from moltbot_cli.vocabulary import refs


def status(app: AppContext, out: Output, *, check: bool, probe: bool) -> None:
    settings = app.store.settings()
    lookup = credentials.lookup_key(app.config_path, settings)
    found = lookup.found
    default = settings.primary or refs.DEFAULT_MODEL

    info: dict[str, Any] | None = None
    probe_error: MoltbotError | None = None
    if probe and found.key:
        try:
            credentials.check_sendable(found, app.config_path)
            info = verify_key(app, out, settings, found.key, no_endpoint=NO_PROBE)
        except AuthError as error:
            # The key check's own hint is written for onboard ("nothing was saved"); here the
            # key was only probed, so say where it comes from and how to replace it there.
            where = credentials.fix_key_hint(found, app.config_path, "The probed key")
            error.hint = f"{where} Check your keys at {KEYS_PAGE}."
            probe_error = error
        except MoltbotError as error:
            probe_error = error
    report = KeyReport.from_data(info, found.key or "") if info is not None else None

    expiry = None if out.is_plain else status_report(app, out, settings, default)

    if out.is_plain:
        out.line(default)
    elif out.is_json:
        payload: dict[str, Any] = {
            "configPath": str(app.config_path),
            "defaultModel": default,
            "defaultModelSource": "config" if settings.primary else "builtin",
            "fallbacks": settings.fallbacks,
            "aliases": {alias: refs.normalize_ref(ref) for alias, ref in settings.aliases.items()},
            "auth": {
                "openrouter": {
                    "source": found.source,
                    "key": found.masked,
                    "keyringProblem": lookup.keyring_problem,
                }
            },
        }
        if probe:
            payload["probe"] = _probe_json(info, probe_error, report)
            payload["key"] = report.as_json() if report is not None else None
        if expiry is not None:
            payload["models"] = expiry.as_json()
        out.json(payload)
    else:
        _show(
            app,
            out,
            lookup,
            default,
            settings.primary is not None,
            settings.fallbacks,
            settings.aliases,
            info,
            report,
            expiry.rows() if expiry is not None else [],
        )
    for warning in report.warnings() if report is not None else []:
        out.warn(warning)

    if (check or probe) and found.key is None:
        raise AuthError(
            "no OpenRouter API key found",
            hint="Run `moltbot onboard`, or set OPENROUTER_API_KEY.",
        )
    if probe_error is not None:
        raise probe_error
    if check and report is not None and report.expired:
        raise AuthError(
            f"the key expired on {report.expiry_words()}",
            hint="Sign in for a new one with `moltbot onboard --auth-choice oauth`.",
        )
    if check and report is not None and report.limit_spent:
        raise AuthError(
            "the key's spending limit is used up",
            hint=f"Raise the key's limit at {LIMITS_PAGE}, or wait for it to reset.",
        )
    if expiry is not None:
        enforce(out, expiry, check=check)


def _probe_json(
    info: dict[str, Any] | None, error: MoltbotError | None, report: KeyReport | None
) -> dict[str, Any]:
    if info is None or report is None:
        return {"ok": False, "error": error.message if error else "no key to check"}
    return {
        "ok": True,
        "label": report.label,
        "usage": report.usage_total,
        "limit": report.limit,
        "limitRemaining": report.remaining,
        "isFreeTier": report.free_tier,
    }


def _show(
    app: AppContext,
    out: Output,
    lookup: credentials.KeyLookup,
    default: str,
    configured: bool,
    fallbacks: list[str],
    aliases: dict[str, str],
    info: dict[str, Any] | None,
    report: KeyReport | None,
    model_rows: list[tuple[str, str]],
) -> None:
    found = lookup.found
    rows = [
        ("Config", str(app.config_path)),
        (
            "Default model",
            default if configured else f"{default} (built-in default; not set in the config)",
        ),
        ("Fallbacks", ", ".join(fallbacks) or "none"),
        (
            "Aliases",
            ", ".join(f"{alias} → {refs.normalize_ref(ref)}" for alias, ref in aliases.items())
            or "none",
        ),
    ]
    if found.key:
        source = credentials.describe_source(found, app.config_path)
        written = dig(app.store.read()[0].data, ENV_KEY_PATH)
        if found.source == "config" and isinstance(written, str) and "${" not in written:
            source += " (plain text; the keyring is safer)"
        rows.append(("API key", f"{found.masked} from {source}"))
    else:
        rows.append(("API key", "none found; run `moltbot onboard` or set OPENROUTER_API_KEY"))
    if lookup.keyring_problem:
        rows.append(("Keyring", f"not used: {lookup.keyring_problem}"))
    if info is not None and found.key:
        rows.append(("Key check", f"OK: {describe_key_info(info, found.key)}"))
        if report is not None:
            rows.extend((f"  {label}", value) for label, value in report.rows())
    rows.extend(model_rows)
    width = max(len(label) for label, _ in rows) + 2
    for label, value in rows:
        out.line(f"{label.ljust(width)}{value}")
