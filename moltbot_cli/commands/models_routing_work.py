"""The work behind `moltbot models routing`: per-model provider routing from the command line.

Routing lives at `agents.defaults.models[ref].compat.openRouterRouting` in camelCase (or
snake_case, when the user wrote it that way: an edit keeps their spelling and never adds
the other one). What a chat sends is OpenRouter's snake_case `provider` object, and that
is what `show` prints, so users see exactly what goes on the wire.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from moltbot_cli.commands.context import AppContext
from moltbot_cli.commands.models_work import (
    CATALOGUE_UNAVAILABLE,
    checked_ref,
    entry_path,
    fetch_endpoints,
    prune_empty,
)
from moltbot_cli.config.document import Document
from moltbot_cli.config.pathexpr import Path
from moltbot_cli.config.settings import Settings
from moltbot_cli.console import Output
from moltbot_cli.errors import AuthError, UsageError
from moltbot_cli.openrouter import routing

ROUTING_KEY: Path = ("compat", "openRouterRouting")
SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?")
# A quick look at who serves the model, to catch a mistyped slug before it is saved.
SLUG_CHECK_TIMEOUT = 5.0
# What `--unset` takes: the flag's name, or either spelling of the config key.
UNSETTABLE: dict[str, str] = {
    **{snake.replace("_", "-"): snake for snake in routing.FIELDS},
    **{snake: snake for snake in routing.FIELDS},
    **{camel: snake for snake, camel in routing.FIELDS.items()},
    "max-price-prompt": "max_price.prompt",
    "max-price-completion": "max_price.completion",
}
UNSETTABLE_NAMES = [
    name for name in UNSETTABLE if "_" not in name and not any(c.isupper() for c in name)
]


@dataclass
class RoutingChanges:
    """The routing flags as given on the command line; None means "leave as it is"."""

    only: str | None = None
    order: str | None = None
    ignore: str | None = None
    allow_fallbacks: bool | None = None
    require_parameters: bool | None = None
    data_collection: str | None = None
    zdr: bool | None = None
    quantizations: str | None = None
    sort: str | None = None
    max_price_prompt: float | None = None
    max_price_completion: float | None = None
    unset: list[str] = field(default_factory=list)


def _slugs(text: str, flag: str) -> list[str]:
    slugs: list[str] = []
    for part in text.split(","):
        slug = part.strip()
        if not slug:
            continue
        if not SLUG.fullmatch(slug):
            raise UsageError(
                f"{flag}: {slug!r} is not a provider slug; nothing was changed.",
                hint="Slugs look like together, deepinfra or deepinfra/fp8: see "
                "`moltbot models endpoints REF` for the ones serving a model.",
            )
        if slug.casefold() in (known.casefold() for known in slugs):
            # The config check refuses a repeated slug too: never write what it would refuse.
            raise UsageError(
                f"{flag}: {slug} is listed twice; nothing was changed.",
                hint="Name each provider once.",
            )
        slugs.append(slug)
    if not slugs:
        raise UsageError(
            f"{flag} needs at least one provider slug (comma-separated); nothing was changed.",
            hint=f"To drop the setting, use --unset {flag.lstrip('-')}.",
        )
    return slugs


def _choice(value: str, accepted: tuple[str, ...], flag: str) -> str:
    if value not in accepted:
        raise UsageError(
            f"{flag} must be one of {', '.join(accepted)} (not {value!r}); nothing was changed."
        )
    return value


def _price(value: float, flag: str) -> float | int:
    if not math.isfinite(value) or value < 0:
        raise UsageError(
            f"{flag} is dollars per million tokens: 0 or more (not {value:g}); nothing was changed."
        )
    # `1` reads better in the file than `1.0`, and means the same to OpenRouter.
    return int(value) if value.is_integer() else value


def wanted_fields(changes: RoutingChanges) -> tuple[dict[str, Any], list[str]]:
    """The fields to set (snake_case name → config value) and those to remove.

    Every value is checked here, before anything is read or written.
    """
    values: dict[str, Any] = {}
    for name in ("only", "order", "ignore"):
        text = getattr(changes, name)
        if text is not None:
            values[name] = _slugs(text, f"--{name}")
    for name in ("allow_fallbacks", "require_parameters", "zdr"):
        if getattr(changes, name) is not None:
            values[name] = getattr(changes, name)
    if changes.data_collection is not None:
        values["data_collection"] = _choice(
            changes.data_collection, routing.DATA_COLLECTION, "--data-collection"
        )
    if changes.quantizations is not None:
        chosen = [part.strip() for part in changes.quantizations.split(",") if part.strip()]
        for item in chosen or [""]:
            _choice(item, routing.QUANTIZATIONS, "--quantizations")
        values["quantizations"] = list(dict.fromkeys(chosen))
    if changes.sort is not None:
        values["sort"] = _choice(changes.sort, routing.SORTS, "--sort")
    max_price: dict[str, float | int] = {}
    if changes.max_price_prompt is not None:
        max_price["prompt"] = _price(changes.max_price_prompt, "--max-price-prompt")
    if changes.max_price_completion is not None:
        max_price["completion"] = _price(changes.max_price_completion, "--max-price-completion")
    if max_price:
        values["max_price"] = max_price
    removed: list[str] = []
    for name in changes.unset:
        key = UNSETTABLE.get(name.strip())
        if key is None:
            raise UsageError(
                f"--unset: {name!r} is not a routing setting; nothing was changed.",
                hint=f"Routing settings: {', '.join(UNSETTABLE_NAMES)}.",
            )
        snake, _, part = key.partition(".")
        if snake in values and (not part or part in values[snake]):
            raise UsageError(
                f"--unset {name} contradicts the flag that sets it; nothing was changed."
            )
        if key not in removed:
            removed.append(key)
    if not values and not removed:
        raise UsageError(
            "give at least one routing setting, e.g. --only together or --sort price",
            hint="See `moltbot models routing set --help` for them all.",
        )
    return values, removed


def _spelling(routing_data: Any, snake: str) -> str:
    """The key a field already has in the file, else its camelCase name."""
    if isinstance(routing_data, dict):
        for key in routing_data:
            if routing.SNAKE_FOR.get(key) == snake:
                return str(key)
    return routing.FIELDS[snake]


def apply_changes(
    document: Document, ref: str, values: dict[str, Any], removed: list[str]
) -> Document:
    """Merge the new settings into the model's routing; fields not named stay as they are."""
    entry = entry_path(document, ref)
    base = (*entry, *ROUTING_KEY)
    current = document.get(base) if document.has(base) else {}
    for snake, value in values.items():
        key = _spelling(current, snake)
        if snake == "max_price":
            for part, price in value.items():
                document = document.set((*base, key, part), price)
        else:
            document = document.set((*base, key), value)
    for name in removed:
        snake, _, part = name.partition(".")
        path = (*base, _spelling(current, snake), *((part,) if part else ()))
        if document.has(path):
            document = document.unset(path)
            document = prune_empty(document, path[:-1], base)
    return prune_empty(document, base, entry[:-1])


def _wire(settings: Settings, ref: str) -> dict[str, Any]:
    return routing.provider_object(settings.routing(ref))


def show(app: AppContext, out: Output, text: str | None) -> None:
    settings = app.store.settings()
    if text is not None:
        ref = settings.resolve(text)
        provider = _wire(settings, ref)
        if out.is_json:
            out.json({"key": ref, "provider": provider})
        elif provider:
            _show_one(out, ref, provider)
        else:
            out.line(f"{ref}: no routing (OpenRouter picks the providers).")
        return
    every = {ref: _wire(settings, ref) for ref in settings.model_entries}
    configured = {ref: provider for ref, provider in every.items() if provider}
    if out.is_json:
        out.json({"routing": configured})
        return
    for index, (ref, provider) in enumerate(configured.items()):
        if index:
            out.line()
        _show_one(out, ref, provider)
    if not configured:
        out.note(
            "No model has routing: OpenRouter picks the providers. "
            "Set some with `moltbot models routing set REF --only SLUG`."
        )


def _show_one(out: Output, ref: str, provider: dict[str, Any]) -> None:
    """The `provider` object a chat sends, one field a line."""
    out.line(f"{ref} (sent as provider):")
    for name, value in provider.items():
        out.line(f"  {name}: {json.dumps(value, ensure_ascii=False)}")


def set_routing(app: AppContext, out: Output, text: str, changes: RoutingChanges) -> None:
    values, removed = wanted_fields(changes)
    settings = app.store.settings()
    ref = checked_ref(app, out, settings, text)
    _check_slugs(app, out, settings, ref, values)
    app.store.update(lambda document: apply_changes(document, ref, values, removed))
    provider = _wire(app.store.settings(), ref)
    shown = json.dumps(provider, ensure_ascii=False) if provider else "none (OpenRouter picks)"
    out.note(f"Routing for {ref}: {shown}")


def _check_slugs(
    app: AppContext, out: Output, settings: Settings, ref: str, values: dict[str, Any]
) -> None:
    """Compare the slugs with the providers serving the model now, where that list can be had.

    A slug in `only` that serves nothing makes every chat with the model fail, so it is
    refused; one in `order` is only useless, so it gets a warning.
    """
    slugs = [*values.get("only", []), *values.get("order", [])]
    if not slugs:
        return
    unchecked = f"could not check {', '.join(dict.fromkeys(slugs))} against who serves {ref}"
    as_given = f"using {'it' if len(set(slugs)) == 1 else 'them'} as given."
    try:
        served = fetch_endpoints(
            app, settings.base_url, ref, None, name=ref, timeout=SLUG_CHECK_TIMEOUT, retries=0
        )
    except (*CATALOGUE_UNAVAILABLE, AuthError, UsageError) as error:
        # Offline, or no endpoint list for this model: nothing to compare with, so say so.
        out.warn(f"{unchecked} ({error.message}); {as_given}")
        return
    tags = sorted({str(item["tag"]) for item in served if item.get("tag")})
    if not tags:
        out.warn(f"{unchecked} (no provider serves it right now); {as_given}")
        return
    known = {tag.casefold() for tag in tags} | {tag.split("/")[0].casefold() for tag in tags}
    serving = f"serving it now: {', '.join(tags)}"
    strays = [slug for slug in values.get("only", []) if slug.casefold() not in known]
    if strays:
        raise UsageError(
            f"--only: {', '.join(strays)} {'does' if len(strays) == 1 else 'do'} not serve {ref} "
            f"({serving}); nothing was changed.",
            hint=f"See them with `moltbot models endpoints {ref}`.",
        )
    strays = [slug for slug in values.get("order", []) if slug.casefold() not in known]
    if strays:
        out.warn(f"--order: {', '.join(strays)} not serving {ref} ({serving}).")


def clear(app: AppContext, out: Output, text: str) -> None:
    settings = app.store.settings()
    ref = settings.resolve(text)
    if not settings.routing(ref):
        out.note(f"{ref} has no routing; nothing changed.")
        return

    def edit(document: Document) -> Document:
        entry = entry_path(document, ref)
        base = (*entry, *ROUTING_KEY)
        return prune_empty(document.unset(base), base[:-1], entry[:-1])

    app.store.update(edit)
    out.note(f"Cleared the routing of {ref}: OpenRouter picks the providers.")
