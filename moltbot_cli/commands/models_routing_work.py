"""The work behind `moltbot models routing`: provider routing from the command line.

A model's routing lives at `agents.defaults.models[ref].compat.openRouterRouting` (the
seed's spelling, what a new entry gets) or at `...params.provider` (today's Moltbot/
OpenClaw's): an edit goes where the model's routing already is. Routing for every model
lives at `models.providers.openrouter.params.provider` (`--global`). Fields are camelCase
or snake_case as the user wrote them: an edit keeps their spelling and never adds the
other one. What a chat sends is OpenRouter's snake_case `provider` object, the global
routing with the model's own over it field by field, and that is what `show` prints,
with where each field came from.
"""

from __future__ import annotations

import json
import math
import re
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
from moltbot_cli.config.pathexpr import Path, format_path
from moltbot_cli.config.settings import (
    GLOBAL_ROUTING_PATH,
    MODEL_ROUTING_KEYS,
    EffectiveRouting,
    Settings,
)
from moltbot_cli.console import Output
from moltbot_cli.errors import AuthError, UsageError
from moltbot_cli.records import Record, field
from moltbot_cli.vocabulary import routing

GLOBAL_LABEL = "every OpenRouter model"
PERCENTILES = ("p50", "p75", "p90", "p99")
SORT_PARTITIONS = ("model", "none")
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
    "sort-partition": "sort.partition",
}
UNSETTABLE_NAMES = [
    name for name in UNSETTABLE if "_" not in name and not any(c.isupper() for c in name)
]


class RoutingChanges(Record):
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
    sort_partition: str | None = None
    max_price_prompt: float | None = None
    max_price_completion: float | None = None
    preferred_min_throughput: str | None = None
    preferred_max_latency: str | None = None
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


def _number(text: str, flag: str) -> float | int:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise UsageError(
            f"{flag}: {text.strip()!r} is not a number 0 or more; nothing was changed.",
            hint=f"For example {flag} 50, or by percentile {flag} p50=50,p90=20.",
        )
    return int(value) if value.is_integer() else value


def _performance(text: str, flag: str) -> float | int | dict[str, float | int]:
    """A number, or percentiles as `p50=50,p90=20` (OpenRouter's `{p50, p75, p90, p99}`)."""
    if "=" not in text:
        return _number(text, flag)
    percentiles: dict[str, float | int] = {}
    for part in text.split(","):
        name, _, number = (piece.strip() for piece in part.partition("="))
        if name not in PERCENTILES:
            raise UsageError(
                f"{flag}: {name!r} is not a percentile (use {', '.join(PERCENTILES)}); "
                "nothing was changed.",
                hint=f"For example {flag} p50=50,p90=20, or a plain number.",
            )
        if name in percentiles:
            raise UsageError(f"{flag}: {name} is given twice; nothing was changed.")
        percentiles[name] = _number(number, flag)
    return percentiles


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
    if changes.sort_partition is not None:
        partition = _choice(changes.sort_partition, SORT_PARTITIONS, "--sort-partition")
        # The object form; `by` comes from --sort, else from the sort already configured.
        values["sort"] = {"by": values.get("sort"), "partition": partition}
    for name in ("preferred_min_throughput", "preferred_max_latency"):
        text = getattr(changes, name)
        if text is not None:
            values[name] = _performance(text, "--" + name.replace("_", "-"))
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


def routing_path(document: Document, ref: str | None) -> tuple[Path, Path]:
    """Where the routing to edit lives, and how far up emptied parents may be removed.

    A model's routing is edited where it already is (`compat.openRouterRouting` or
    `params.provider`); a model without any gets the seed's `compat.openRouterRouting`.
    """
    if ref is None:
        return GLOBAL_ROUTING_PATH, ()
    entry = entry_path(document, ref)
    settings = Settings(document.data if isinstance(document.data, dict) else {})
    keys = settings.routing_key(ref) or MODEL_ROUTING_KEYS[0]
    return (*entry, *keys), entry[:-1]


def _merged_sort(wanted: Any, current: Any) -> Any:
    """`--sort` keeps a configured partition; `--sort-partition` keeps a configured `by`."""
    if isinstance(wanted, str):
        return {**current, "by": wanted} if isinstance(current, dict) else wanted
    by = wanted["by"]
    if by is None:
        by = current.get("by") if isinstance(current, dict) else current
    if not isinstance(by, str):
        raise UsageError(
            "--sort-partition needs a sort to partition: add --sort price|throughput|latency; "
            "nothing was changed."
        )
    return {"by": by, "partition": wanted["partition"]}


def apply_changes(
    document: Document, ref: str | None, values: dict[str, Any], removed: list[str]
) -> Document:
    """Merge the new settings into the routing (a model's, or with ref None the global one);
    fields not named stay as they are."""
    base, stop = routing_path(document, ref)
    current = document.get(base) if document.has(base) else {}
    for snake, value in values.items():
        key = _spelling(current, snake)
        if snake == "max_price":
            for part, price in value.items():
                document = document.set((*base, key, part), price)
        elif snake == "sort":
            existing = current.get(key) if isinstance(current, dict) else None
            document = document.set((*base, key), _merged_sort(value, existing))
        else:
            document = document.set((*base, key), value)
    for name in removed:
        snake, _, part = name.partition(".")
        key = _spelling(current, snake)
        if snake == "sort" and part:
            # Without its partition, the object form goes back to the word it sorts by.
            existing = document.get((*base, key)) if document.has((*base, key)) else None
            if isinstance(existing, dict) and isinstance(existing.get("by"), str):
                document = document.set((*base, key), existing["by"])
            continue
        path = (*base, key, *((part,) if part else ()))
        if document.has(path):
            document = document.unset(path)
            document = prune_empty(document, path[:-1], base)
    return prune_empty(document, base, stop)


def _wire(settings: Settings, ref: str) -> dict[str, Any]:
    return settings.effective_routing(ref).provider


def show(app: AppContext, out: Output, text: str | None, *, global_only: bool = False) -> None:
    settings = app.store.settings()
    global_wire = routing.provider_object(settings.global_routing)
    if global_only:
        if text is not None:
            raise UsageError("give a model or --global, not both")
        if out.is_json:
            out.json({"global": global_wire, "path": format_path(GLOBAL_ROUTING_PATH)})
        elif global_wire:
            _show_one(out, GLOBAL_LABEL, EffectiveRouting(global_wire), sources=False)
        else:
            out.line(f"{GLOBAL_LABEL}: no routing (OpenRouter picks the providers).")
        return
    if text is not None:
        ref = settings.resolve(text)
        effective = settings.effective_routing(ref)
        if out.is_json:
            out.json({"key": ref, "provider": effective.provider, "sources": effective.sources})
        elif effective.provider:
            _show_one(out, ref, effective)
        else:
            out.line(f"{ref}: no routing (OpenRouter picks the providers).")
        return
    configured = {
        ref: settings.effective_routing(ref)
        for ref in settings.model_entries
        if settings.routing(ref)
    }
    if out.is_json:
        payload: dict[str, Any] = {
            "routing": {ref: effective.provider for ref, effective in configured.items()}
        }
        if global_wire:
            payload["global"] = global_wire
        out.json(payload)
        return
    blocks = 0
    if global_wire:
        _show_one(out, GLOBAL_LABEL, EffectiveRouting(global_wire), sources=False)
        blocks += 1
    for ref, effective in configured.items():
        if blocks:
            out.line()
        _show_one(out, ref, effective, sources=bool(global_wire))
        blocks += 1
    if not blocks:
        out.note(
            "No model has routing: OpenRouter picks the providers. "
            "Set some with `moltbot models routing set REF --only SLUG`."
        )


def _source_label(source: str) -> str:
    return f"global ({source})" if source == format_path(GLOBAL_ROUTING_PATH) else source


def _show_one(
    out: Output, label: str, effective: EffectiveRouting, *, sources: bool = True
) -> None:
    """The `provider` object a chat sends, one field a line, with where each came from."""
    out.line(f"{label} (sent as provider):")
    fields = [
        (f"  {name}: {json.dumps(value, ensure_ascii=False)}", effective.sources.get(name))
        for name, value in effective.provider.items()
    ]
    width = max(len(text) for text, _ in fields)
    for text, source in fields:
        if sources and source:
            out.line(f"{text.ljust(width)}  from {_source_label(source)}")
        else:
            out.line(text)


def set_routing(
    app: AppContext,
    out: Output,
    text: str | None,
    changes: RoutingChanges,
    *,
    global_only: bool = False,
) -> None:
    values, removed = wanted_fields(changes)
    if global_only != (text is None):
        raise UsageError(
            "give a model or --global, not both"
            if global_only
            else "give the model whose routing to set (or --global for every model)",
            hint="For example: moltbot models routing set --global --data-collection deny",
        )
    settings = app.store.settings()
    if text is None:
        if values.get("only"):
            out.warn(
                "--only for every model: a model that none of "
                f"{', '.join(values['only'])} serves will fail (its own routing can override it)."
            )
        app.store.update(lambda document: apply_changes(document, None, values, removed))
        provider = routing.provider_object(app.store.settings().global_routing)
        shown = json.dumps(provider, ensure_ascii=False) if provider else "none (OpenRouter picks)"
        out.note(f"Routing for {GLOBAL_LABEL}: {shown}")
        return
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


def clear(app: AppContext, out: Output, text: str | None, *, global_only: bool = False) -> None:
    settings = app.store.settings()
    if global_only == (text is not None):
        raise UsageError(
            "give a model or --global, not both"
            if global_only
            else "give the model whose routing to clear (or --global for every model)"
        )
    ref = settings.resolve(text) if text is not None else None
    has = settings.routing(ref) if ref is not None else settings.global_routing
    label = ref or GLOBAL_LABEL
    if not has:
        out.note(f"{label} has no routing; nothing changed.")
        return

    def edit(document: Document) -> Document:
        base, stop = routing_path(document, ref)
        return prune_empty(document.unset(base), base[:-1], stop)

    app.store.update(edit)
    if ref is not None and settings.global_routing:
        out.note(f"Cleared the routing of {ref}: the global routing applies to it.")
    else:
        out.note(f"Cleared the routing of {label}: OpenRouter picks the providers.")
