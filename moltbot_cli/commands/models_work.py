"""The work behind `moltbot models`: the catalogue, the default model, aliases, fallbacks
and endpoints. (Routing lives in models_routing_work.)

Every change goes through `ConfigStore.update`, so comments and formatting survive and
the result is validated before it is written. A ref is checked against OpenRouter's
catalogue (the cache first) before it goes into the config; an unknown one is refused
with the nearest matches and nothing is written.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterable
from typing import Any

from moltbot_cli.commands.context import AppContext
from moltbot_cli.config.document import Document
from moltbot_cli.config.pathexpr import Path
from moltbot_cli.config.settings import FALLBACKS_PATH, MODELS_PATH, PRIMARY_PATH, Settings
from moltbot_cli.console import Output
from moltbot_cli.errors import (
    AuthError,
    NetworkError,
    RateLimitedError,
    UpstreamError,
    UsageError,
)
from moltbot_cli.gc_pause import cyclic_gc_paused
from moltbot_cli.openrouter import catalogue as catalogue_module
from moltbot_cli.openrouter.catalogue import Catalogue, price_per_million
from moltbot_cli.openrouter.server import belonging_to, opening, server_name
from moltbot_cli.records import Record
from moltbot_cli.vocabulary import refs

LIST_HEADERS = ("ref", "name", "context", "$/M in", "$/M out", "tags")
TERMINAL_LIST_HEADERS = ("ref / name", "context", "$/M in", "$/M out", "tags")
ENDPOINT_HEADERS = ("provider", "tag", "quant", "$/M in", "$/M out", "context", "uptime", "latency")
# Failures of the catalogue fetch after which a command can still go on without it.
CATALOGUE_UNAVAILABLE = (NetworkError, UpstreamError, RateLimitedError)


# -- the catalogue -------------------------------------------------------------------------


def load_catalogue(app: AppContext, out: Output, *, refresh: bool = False) -> Catalogue:
    """The catalogue from a fresh cache or the network, else a stale cache (with a note)."""
    url = app.store.settings().base_url
    return catalogue_module.load(
        url,
        _client_opener(app, url),
        refresh=refresh,
        note=out.note,
        waiting=lambda: out.spinner(f"Fetching the model list from {server_name(url)}…"),
    )


def _client_opener(app: AppContext, url: str) -> catalogue_module.OpenClient:
    # The key goes along when there is one: gateways and compatible servers may want it
    # for their catalogue too. Looked up only when the network is actually asked.
    return lambda: app.client(
        _key_if_any(app, app.store.settings()),
        base_url=url,
        timeout=catalogue_module.FETCH_TIMEOUT,
        retries=catalogue_module.FETCH_RETRIES,
    )


def catalogue_if_possible(app: AppContext, out: Output) -> Catalogue | None:
    """The catalogue, or None (with no error) when neither network nor cache has one."""
    try:
        return load_catalogue(app, out)
    except CATALOGUE_UNAVAILABLE:
        return None


def checked_ref(app: AppContext, out: Output, settings: Settings, text: str) -> str:
    """The ref an alias or ref stands for, refused unless OpenRouter lists the model.

    Offline with no cached catalogue it is taken as given, with a warning.
    """
    try:
        ref = settings.resolve(text)
    except UsageError as error:
        catalogue = catalogue_module.read_cache(settings.base_url)
        if catalogue is not None and "/" not in text:
            close = catalogue.closest(text.strip())
            if close:
                error.hint = f"Did you mean {_or_list(close)}?"
        raise
    if refs.is_preset(ref):
        return ref  # the account's own preset: the public model list cannot know it
    catalogue = catalogue_if_possible(app, out)
    if catalogue is None:
        model_list = belonging_to(server_name(settings.base_url), "model list")
        out.warn(
            f"could not check {ref} against {model_list} (it cannot be reached and "
            "none is cached); using it as given."
        )
        return ref
    if catalogue.knows(ref):
        return ref
    if catalogue.origin == "cache":
        # A model may have been added since the cache was written: ask once more.
        opener = _client_opener(app, settings.base_url)
        with contextlib.suppress(*CATALOGUE_UNAVAILABLE):
            catalogue = catalogue_module.fetch(settings.base_url, opener)
        if catalogue.knows(ref):
            return ref
    raise unknown_model(ref, catalogue)


def unknown_model(ref: str, catalogue: Catalogue, *, changing: bool = True) -> UsageError:
    close = catalogue.closest(ref)
    nearest = f"Closest: {', '.join(close)}. " if close else ""
    return UsageError(
        f"{opening(catalogue.server)} has no model {ref}"
        + ("; nothing was changed." if changing else "."),
        hint=f"{nearest}Search with `moltbot models list --all --search WORDS`.",
    )


def _or_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


# -- formatting ------------------------------------------------------------------------------


def format_price(value: Any) -> str:
    """A per-token price as `$3.00` per million, `free`, `varies` (negative) or blank."""
    price = price_per_million(value)
    if price is None:
        return ""
    if price < 0:
        return "varies"
    if price == 0:
        return "free"
    text = f"{price:.4f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"${whole}.{decimals.ljust(2, '0')}"


def format_context(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return ""
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    if value >= 1000:
        return f"{round(value / 1000)}K"
    return str(value)


def _pricing(model: dict[str, Any] | None) -> dict[str, Any]:
    pricing = model.get("pricing") if model else None
    return pricing if isinstance(pricing, dict) else {}


def _name(model: dict[str, Any] | None) -> str:
    name = model.get("name") if model else None
    return name if isinstance(name, str) else ""


def _is_free(model_id: str, model: dict[str, Any] | None) -> bool:
    if model_id.endswith(":free"):
        return True
    pricing = _pricing(model)
    prices = [price_per_million(pricing.get(field)) for field in ("prompt", "completion")]
    return all(price == 0 for price in prices)


# -- models list -----------------------------------------------------------------------------


class ListFilters(Record, frozen=True):
    author: str | None = None  # the part of a model id before the slash
    search: str | None = None
    free: bool = False


def configured_tags(settings: Settings) -> dict[str, list[str]]:
    """Every configured model (default, fallbacks, entries) with its tags, in that order."""
    tags: dict[str, list[str]] = {}
    tags.setdefault(settings.primary or refs.DEFAULT_MODEL, []).append("default")
    for number, ref in enumerate(settings.fallbacks, start=1):
        tags.setdefault(ref, []).append(f"fallback#{number}")
    for ref, entry in settings.model_entries.items():
        mine = tags.setdefault(ref, [])
        alias = entry.get("alias") if isinstance(entry, dict) else None
        if isinstance(alias, str):
            mine.append(f"alias:{alias}")
        if settings.routing(ref):
            mine.append("routing")
    return tags


@cyclic_gc_paused()  # a row for each of tens of thousands of models (see gc_pause)
def list_models(
    app: AppContext,
    out: Output,
    *,
    show_all: bool,
    filters: ListFilters,
    refresh: bool,
) -> None:
    settings = app.store.settings()
    tags = configured_tags(settings)
    catalogue: Catalogue | None
    if show_all:
        catalogue = load_catalogue(app, out, refresh=refresh)
        rows: Iterable[tuple[str, dict[str, Any] | None]] = (
            (model["id"], model) for model in catalogue.by_id.values()
        )
    else:
        # The configured list needs no network: names and prices come from any cache.
        if refresh:
            catalogue = load_catalogue(app, out, refresh=True)
        else:
            catalogue = catalogue_module.read_cache(settings.base_url)
        rows = ((refs.wire_id(ref), catalogue.get(ref) if catalogue else None) for ref in tags)
    matches = _filter(rows, filters)
    found = [
        (model_id, model, tags.get(refs.ref_for_id(model_id), [])) for model_id, model in matches
    ]
    if out.is_json:
        out.json({"count": len(found), "models": [_model_json(*row) for row in found]})
        return
    if out.is_plain:
        for model_id, _, _ in found:
            out.line(refs.ref_for_id(model_id))
    elif found and out.rich_tables:
        # Six columns cannot fit 80: on a terminal the name goes under its ref, and the
        # ref drops the `openrouter/` prefix, which every command takes either way.
        out.table(
            TERMINAL_LIST_HEADERS,
            [_terminal_row(*row) for row in found],
            no_wrap=TERMINAL_LIST_HEADERS[:4],
        )
    elif found:
        out.table(LIST_HEADERS, [_model_row(*row) for row in found])
    if not found:
        out.note(_nothing_found(filters, catalogue, show_all, server_name(settings.base_url)))
    elif not show_all and catalogue is None and not out.is_plain:
        out.note(
            "Names and prices appear once the catalogue is cached: `moltbot models list --all`."
        )


def _filter(
    rows: Iterable[tuple[str, dict[str, Any] | None]], filters: ListFilters
) -> list[tuple[str, dict[str, Any] | None]]:
    """Each row is looked at once, with work that does not depend on the list's size."""
    author = filters.author.strip().casefold() if filters.author else None
    words = filters.search.casefold().split() if filters.search else []
    kept = []
    for model_id, model in rows:
        if author is not None and model_id.partition("/")[0].casefold() != author:
            continue
        if filters.free and not _is_free(model_id, model):
            continue
        if words:
            haystack = f"{refs.ref_for_id(model_id)} {_name(model)}".casefold()
            if not all(word in haystack for word in words):
                continue
        kept.append((model_id, model))
    return kept


def _nothing_found(
    filters: ListFilters, catalogue: Catalogue | None, show_all: bool, server: str
) -> str:
    if not (filters.author or filters.search or filters.free):
        # Only the catalogue can be empty: the configured list always has a default.
        return f"{opening(server)} listed no models; try again later with --refresh."
    where = f"in {belonging_to(server, 'catalogue')}" if show_all else "among the configured models"
    message = f"No models match {where}."
    if filters.author and catalogue is not None:
        authors = {model_id.partition("/")[0] for model_id in catalogue.by_id}
        if filters.author.strip().casefold() not in {a.casefold() for a in authors}:
            close = difflib.get_close_matches(filters.author.strip(), sorted(authors), n=3)
            if close:
                message += (
                    f" No author is called {filters.author!r}; did you mean {_or_list(close)}?"
                )
    if not show_all:
        message += " Add --all to search the whole catalogue."
    return message


def _model_json(model_id: str, model: dict[str, Any] | None, tags: list[str]) -> dict[str, Any]:
    context = model.get("context_length") if model else None
    return {
        "key": refs.ref_for_id(model_id),
        "id": model_id,
        "name": _name(model) or None,
        "contextLength": context if isinstance(context, int) else None,
        "pricing": _pricing(model) or None,
        "tags": tags,
    }


def _terminal_row(model_id: str, model: dict[str, Any] | None, tags: list[str]) -> list[str]:
    _, name, *figures = _model_row(model_id, model, tags)
    return [f"{model_id}\n  {name}" if name else model_id, *figures]


def _model_row(model_id: str, model: dict[str, Any] | None, tags: list[str]) -> list[str]:
    pricing = _pricing(model)
    return [
        refs.ref_for_id(model_id),
        _name(model),
        format_context(model.get("context_length") if model else None),
        format_price(pricing.get("prompt")),
        format_price(pricing.get("completion")),
        ", ".join(tags),
    ]


# -- the config edits ------------------------------------------------------------------------


def entry_path(document: Document, ref: str) -> Path:
    """Where a model's entry is, reusing the key as written (even without the prefix)."""
    key = Settings(_as_dict(document.data)).entry_key(ref)
    return (*MODELS_PATH, key or ref)


def _as_dict(data: Any) -> dict[str, Any]:
    return data if isinstance(data, dict) else {}


def prune_empty(document: Document, path: Path, stop: Path) -> Document:
    """Remove `path` and its parents while they are empty objects, down to (not past) `stop`."""
    while len(path) > len(stop) and document.has(path) and document.get(path) == {}:
        document = document.unset(path)
        path = path[:-1]
    return document


def _raw_list(document: Document, path: Path) -> list[Any]:
    value = document.get(path) if document.has(path) else None
    return value if isinstance(value, list) else []


# -- models set ------------------------------------------------------------------------------


def drop_from_fallbacks(document: Document, ref: str, settings: Settings) -> tuple[Document, bool]:
    """Take the new default out of the fallbacks: it is tried first anyway, and the config
    refuses a fallback that is the default. Returns the edited document and whether it was there.
    """

    def is_ref(item: Any) -> bool:
        try:
            return isinstance(item, str) and settings.resolve(item) == ref
        except UsageError:
            return False

    fallbacks = _raw_list(document, FALLBACKS_PATH)
    found = [index for index, item in enumerate(fallbacks) if is_ref(item)]
    for index in reversed(found):
        document = document.unset((*FALLBACKS_PATH, index))
    if found and not _raw_list(document, FALLBACKS_PATH):
        document = document.unset(FALLBACKS_PATH)
    return document, bool(found)


def set_default(app: AppContext, out: Output, text: str) -> None:
    settings = app.store.settings()
    ref = checked_ref(app, out, settings, text)
    unchanged = settings.primary == ref
    dropped: list[str] = []

    def edit(document: Document) -> Document:
        document, removed = drop_from_fallbacks(document.set(PRIMARY_PATH, ref), ref, settings)
        if removed:
            dropped.append(ref)
        return document

    app.store.update(edit)
    out.note(f"Default model: {ref}" + (" (unchanged)" if unchanged and not dropped else ""))
    if dropped:
        out.note(f"Removed {ref} from the fallbacks: it is the default now.")


# -- models aliases --------------------------------------------------------------------------


def aliases_list(app: AppContext, out: Output) -> None:
    aliases = app.store.settings().aliases
    if out.is_json:
        out.json({"aliases": aliases})
        return
    if out.is_plain:
        for alias, ref in aliases.items():
            out.line(f"{alias}\t{ref}")
    elif aliases:
        out.table(("alias", "ref"), [[alias, ref] for alias, ref in aliases.items()])
    if not aliases:
        out.note("No aliases yet: add one with `moltbot models aliases add ALIAS REF`.")


def _find_alias(aliases: dict[str, str], alias: str) -> str | None:
    wanted = alias.strip().casefold()
    return next((name for name in aliases if name.casefold() == wanted), None)


def aliases_add(app: AppContext, out: Output, alias: str, text: str) -> None:
    from moltbot_cli.config.schema import alias_problem

    if problem := alias_problem(alias):
        raise UsageError(
            f"{alias!r} cannot be an alias: it {problem}",
            hint='For example: sonnet, gpt-5.2, "Claude Sonnet". Nothing was changed.',
        )
    settings = app.store.settings()
    taken = _find_alias(settings.aliases, alias)
    ref = checked_ref(app, out, settings, text)
    if taken is not None and settings.aliases[taken] != ref:
        raise UsageError(
            f"the alias {taken!r} already stands for {settings.aliases[taken]}; "
            "nothing was changed.",
            hint=f"Remove it first with `moltbot models aliases remove {taken}`, or pick another.",
        )
    previous = settings.model_entry(ref).get("alias")
    if previous == alias:
        out.note(f"Alias {alias} → {ref} (unchanged)")
        return
    app.store.update(lambda document: document.set((*entry_path(document, ref), "alias"), alias))
    replaced = (
        f" (replaces {previous!r}: a model has one alias)" if isinstance(previous, str) else ""
    )
    out.note(f"Alias {alias} → {ref}{replaced}")


def aliases_remove(app: AppContext, out: Output, alias: str) -> None:
    settings = app.store.settings()
    found = _find_alias(settings.aliases, alias)
    if found is None:
        known = ", ".join(repr(name) for name in settings.aliases) or "none yet"
        raise UsageError(
            f"there is no alias {alias!r}; nothing was changed.", hint=f"Aliases: {known}."
        )
    ref = settings.aliases[found]

    def edit(document: Document) -> Document:
        entry = entry_path(document, ref)
        return prune_empty(document.unset((*entry, "alias")), entry, MODELS_PATH)

    app.store.update(edit)
    out.note(f"Removed the alias {found} (it stood for {ref})")


# -- models fallbacks ------------------------------------------------------------------------


def fallbacks_list(app: AppContext, out: Output) -> None:
    fallbacks = app.store.settings().fallbacks
    if out.is_json:
        out.json({"fallbacks": fallbacks})
        return
    if out.is_plain:
        for ref in fallbacks:
            out.line(ref)
    elif fallbacks:
        out.table(("#", "ref"), [[str(number), ref] for number, ref in enumerate(fallbacks, 1)])
    if not fallbacks:
        out.note("No fallbacks: add one with `moltbot models fallbacks add REF`.")


def fallbacks_add(app: AppContext, out: Output, text: str) -> None:
    settings = app.store.settings()
    ref = checked_ref(app, out, settings, text)
    # With no default configured, chat starts with the built-in one: that counts too.
    if refs.same_model(settings.primary or refs.DEFAULT_MODEL, ref):
        raise UsageError(
            f"{ref} is the default model; a fallback is tried when the default fails, so it "
            "must be another model. Nothing was changed.",
            hint="Pick another model, or make that one the default: `moltbot models set REF`.",
        )
    for number, existing in enumerate(settings.fallbacks, start=1):
        if refs.same_model(existing, ref):
            raise UsageError(f"{ref} is already fallback #{number}; nothing was changed.")

    def edit(document: Document) -> Document:
        return document.set((*FALLBACKS_PATH, len(_raw_list(document, FALLBACKS_PATH))), ref)

    after = app.store.update(edit)
    number = len(_raw_list(after, FALLBACKS_PATH))
    out.note(f"Fallback #{number}: {ref}")


def _fallback_index(settings: Settings, text: str) -> int:
    fallbacks = settings.fallbacks
    try:
        ref = settings.resolve(text)
    except UsageError:
        ref = text
    for index, existing in enumerate(fallbacks):
        if refs.same_model(existing, ref):
            return index
    listed = ", ".join(fallbacks) or "none"
    raise UsageError(
        f"{text} is not a fallback; nothing was changed.", hint=f"Fallbacks: {listed}."
    )


def fallbacks_remove(app: AppContext, out: Output, text: str) -> None:
    settings = app.store.settings()
    index = _fallback_index(settings, text)
    ref = settings.fallbacks[index]

    def edit(document: Document) -> Document:
        current = _raw_list(document, FALLBACKS_PATH)
        at = next(i for i, item in enumerate(current) if refs.same_model(item, ref))
        document = document.unset((*FALLBACKS_PATH, at))
        return (
            document.unset(FALLBACKS_PATH) if not _raw_list(document, FALLBACKS_PATH) else document
        )

    app.store.update(edit)
    out.note(f"Removed fallback #{index + 1}: {ref}")


def fallbacks_clear(app: AppContext, out: Output) -> None:
    count = len(app.store.settings().fallbacks)
    if not count:
        out.note("No fallbacks; nothing changed.")
        return

    def edit(document: Document) -> Document:
        return document.unset(FALLBACKS_PATH) if document.has(FALLBACKS_PATH) else document

    app.store.update(edit)
    out.note(f"Cleared {count} fallback{'' if count == 1 else 's'}.")


# -- models endpoints ------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    """A figure that may come as a number or as percentiles ({p50, ...})."""
    if isinstance(value, dict):
        value = value.get("p50")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _endpoint_json(endpoint: dict[str, Any]) -> dict[str, Any]:
    context = endpoint.get("context_length")
    return {
        "provider": endpoint.get("provider_name"),
        "tag": endpoint.get("tag"),
        "quantization": endpoint.get("quantization"),
        "contextLength": context if isinstance(context, int) else None,
        "pricing": _pricing(endpoint) or None,
        "uptime": _number(endpoint.get("uptime_last_30m")),
        "latency": _number(endpoint.get("latency_last_30m")),
        "throughput": _number(endpoint.get("throughput_last_30m")),
        "status": endpoint.get("status"),
    }


def _endpoint_row(endpoint: dict[str, Any]) -> list[str]:
    pricing = _pricing(endpoint)
    uptime = _number(endpoint.get("uptime_last_30m"))
    latency = _number(endpoint.get("latency_last_30m"))
    return [
        str(endpoint.get("provider_name") or ""),
        str(endpoint.get("tag") or ""),
        str(endpoint.get("quantization") or ""),
        format_price(pricing.get("prompt")),
        format_price(pricing.get("completion")),
        format_context(endpoint.get("context_length")),
        f"{uptime:.1f}%" if uptime is not None else "",
        f"{latency:.0f} ms" if latency is not None else "",
    ]


def endpoint_model_id(ref: str) -> str:
    """The id whose endpoints serve a ref: routing suffixes (`:nitro`) pick among the same ones."""
    model_id = refs.wire_id(ref)
    for suffix in catalogue_module.ROUTING_SUFFIXES:
        if model_id.endswith(suffix):
            return model_id[: -len(suffix)]
    return model_id


def fetch_endpoints(
    app: AppContext,
    url: str,
    ref: str,
    api_key: str | None,
    *,
    name: str | None = None,
    **client_options: Any,
) -> list[dict[str, Any]]:
    """Who serves a model now. Latency figures come only when a key is sent.

    `name` is what errors call the model; the catalogue id by default.
    """
    with app.client(api_key, base_url=url, **client_options) as client:
        data = client.model_endpoints(endpoint_model_id(ref), name=name)
    endpoints = data.get("endpoints")
    return (
        [item for item in endpoints if isinstance(item, dict)]
        if isinstance(endpoints, list)
        else []
    )


def endpoints(app: AppContext, out: Output, text: str) -> None:
    settings = app.store.settings()
    ref = settings.resolve(text)
    catalogue = catalogue_if_possible(app, out)
    if catalogue is not None and not catalogue.knows(ref):
        raise unknown_model(ref, catalogue, changing=False)
    key = _key_if_any(app, settings)
    server = server_name(settings.base_url)
    with out.spinner(f"Asking {server} who serves {ref}…"):
        served = fetch_endpoints(
            app, settings.base_url, ref, key, retries=catalogue_module.FETCH_RETRIES
        )
    if out.is_json:
        out.json(
            {
                "key": ref,
                "id": endpoint_model_id(ref),
                "count": len(served),
                "endpoints": [_endpoint_json(item) for item in served],
            }
        )
        return
    if out.is_plain:
        for item in served:
            out.line(str(item.get("tag") or ""))
    elif served:
        rows = [_endpoint_row(item) for item in served]
        out.table(ENDPOINT_HEADERS, rows, no_wrap=("tag",))
        out.note(
            f"Pin providers with `moltbot models routing set {ref} --only TAG[,TAG]` "
            "(or --order to prefer them)."
        )
        if key is None and all(row[-1] == "" for row in rows):
            out.note(
                f"{opening(server)} shows latency only to a known API key (`moltbot onboard`)."
            )
    if not served:
        out.note(f"No provider serves {ref} right now.")


def _key_if_any(app: AppContext, settings: Settings) -> str | None:
    """The user's key, if one is set up: OpenRouter reports latency only to a known key."""
    from moltbot_cli import credentials

    try:
        found = credentials.find_key(app.config_path, settings)
    except AuthError:  # an unreadable key file: the list is still worth showing without it
        return None
    # A key that cannot go in a header only costs the latency figures: leave it out.
    return found.key if found.key and credentials.sendable(found.key) else None
