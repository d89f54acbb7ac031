"""The model catalogue (`GET /models`), kept in a small cache so most commands need no network.

The cache is one JSON file in the cache dir (`MOLTBOT_CACHE_DIR`), trusted for an hour.
After that a fetch replaces it; when the fetch fails, the old copy still serves, with
a note on stderr saying how old it is. A second file holds only the model ids, so
shell completion can read them without parsing the whole catalogue or touching the
network. Both are written atomically (temp file + rename); a damaged file is ignored
and rebuilt on the next fetch.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from moltbot_cli.errors import NetworkError, RateLimitedError, UpstreamError, UsageError
from moltbot_cli.files import write_atomically
from moltbot_cli.gc_pause import cyclic_gc_paused
from moltbot_cli.openrouter.server import server_name
from moltbot_cli.paths import cache_dir
from moltbot_cli.records import Record, field
from moltbot_cli.vocabulary import refs

if TYPE_CHECKING:
    from moltbot_cli.openrouter.client import OpenRouterClient

CACHE_FILENAME = "models.json"
IDS_FILENAME = "model-ids.txt"
CACHE_VERSION = 1
TTL_SECONDS = 3600.0
# The catalogue is small and the fetch is a single GET: fail over to the cache quickly.
FETCH_RETRIES = 1
FETCH_TIMEOUT = 30.0
# Descriptions are most of the catalogue's bytes and nothing here shows them.
_DROPPED_FIELDS = ("description",)
# Suffixes OpenRouter accepts on any model id without listing them as models of their own.
ROUTING_SUFFIXES = (":nitro", ":floor", ":online")

Origin = Literal["network", "cache", "stale"]
Note = Callable[[str], None]
OpenClient = Callable[[], "OpenRouterClient"]


def price_per_million(value: Any) -> float | None:
    """OpenRouter's per-token price (a string) as dollars per million tokens."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        price = float(value)
    except (TypeError, ValueError):
        return None
    return price * 1_000_000 if price == price else None


class Catalogue(Record):
    """The models OpenRouter lists, as fetched or as cached."""

    models: list[dict[str, Any]]
    fetched_at: float
    base_url: str
    origin: Origin = "network"
    _by_id: dict[str, dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def server(self) -> str:
        """What messages call the server the list came from: OpenRouter, or its host."""
        return server_name(self.base_url)

    @property
    def age_seconds(self) -> float:
        return max(0.0, time.time() - self.fetched_at)

    @property
    def by_id(self) -> dict[str, dict[str, Any]]:
        """Built once, on first use: every later lookup is a dict access."""
        if self._by_id is None:
            self._by_id = {
                model["id"]: model for model in self.models if isinstance(model.get("id"), str)
            }
        return self._by_id

    def get(self, ref: str) -> dict[str, Any] | None:
        """The catalogue entry for a ref or id, or None."""
        return self.by_id.get(_model_id(ref))

    def knows(self, ref: str) -> bool:
        """Whether OpenRouter serves this model, allowing the suffixes any model takes."""
        if refs.is_preset(ref):
            return True  # the account's own preset: the public list cannot know it
        model_id = _model_id(ref)
        if model_id in self.by_id:
            return True
        return any(
            model_id.endswith(suffix) and model_id[: -len(suffix)] in self.by_id
            for suffix in ROUTING_SUFFIXES
        )

    def closest(self, ref: str, limit: int = 5) -> list[str]:
        """The refs most like `ref`: the same author's models first, then any."""
        model_id = _model_id(ref).lower()
        ids = list(self.by_id)
        lowered = {model.lower(): model for model in ids}
        author, _, slug = model_id.rpartition("/")
        found: list[str] = []

        def add(candidates: Iterable[str]) -> None:
            for candidate in candidates:
                original = lowered.get(candidate, candidate)
                if original not in found:
                    found.append(original)

        same_author = [key for key in lowered if key.startswith(author + "/")] if author else []
        add(difflib.get_close_matches(model_id, same_author, n=limit, cutoff=0.6))
        if slug:
            add(key for key in same_author if slug in key)
        add(difflib.get_close_matches(model_id, list(lowered), n=limit, cutoff=0.6))
        if slug and len(slug) >= 3:
            add(key for key in lowered if key.rpartition("/")[2].startswith(slug))
        return [refs.ref_for_id(model) for model in found[:limit]]


def _model_id(ref: str) -> str:
    """The catalogue id for a ref, id, or anything else (kept as it is)."""
    try:
        return refs.wire_id(ref)
    except UsageError:  # not a ref at all: nothing in the catalogue will match it
        return ref.strip()


# -- the cache ----------------------------------------------------------------------------


def cache_path() -> Path:
    return cache_dir() / CACHE_FILENAME


def ids_path() -> Path:
    return cache_dir() / IDS_FILENAME


@cyclic_gc_paused()  # tens of thousands of models: linear in their number (see gc_pause)
def read_cache(base_url: str) -> Catalogue | None:
    """The cached catalogue for this base URL, of any age; None when there is none usable.

    A damaged file, one of another format version, or one fetched from another base
    URL counts as no cache: the next fetch overwrites it.
    """
    try:
        raw = cache_path().read_bytes()
        payload = json.loads(raw)
    except (OSError, ValueError):
        return None
    if not isinstance(payload, dict) or payload.get("version") != CACHE_VERSION:
        return None
    models, fetched_at = payload.get("data"), payload.get("fetchedAt")
    if payload.get("baseUrl") != base_url or not isinstance(models, list):
        return None
    if isinstance(fetched_at, bool) or not isinstance(fetched_at, (int, float)):
        return None
    if not all(isinstance(model, dict) for model in models):
        return None
    age = time.time() - fetched_at
    # A timestamp from the future (a clock moved back) proves nothing about freshness.
    origin: Origin = "cache" if 0 <= age < TTL_SECONDS else "stale"
    return Catalogue(models, float(fetched_at), base_url, origin)


def write_cache(catalogue: Catalogue) -> None:
    """Save the catalogue and its id list; a cache that cannot be written is only slower."""
    directory = cache_dir()
    payload = {
        "version": CACHE_VERSION,
        "baseUrl": catalogue.base_url,
        "fetchedAt": catalogue.fetched_at,
        "data": catalogue.models,
    }
    ids = "".join(f"{model}\n" for model in catalogue.by_id)
    with contextlib.suppress(OSError):
        directory.mkdir(parents=True, exist_ok=True)
        write_atomically(directory / CACHE_FILENAME, json.dumps(payload, separators=(",", ":")))
        write_atomically(directory / IDS_FILENAME, ids)


def cached_model_ids() -> list[str]:
    """The ids in the cache, any age, for shell completion: no parsing, no network."""
    try:
        text = ids_path().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    return [line for line in text.splitlines() if line]


# -- getting a catalogue -------------------------------------------------------------------


def fetch(base_url: str, open_client: OpenClient) -> Catalogue:
    """GET /models now, and cache what comes back."""
    with open_client() as client:
        listed = client.list_models()
    models = [
        {key: value for key, value in model.items() if key not in _DROPPED_FIELDS}
        for model in listed
    ]
    catalogue = Catalogue(models, time.time(), base_url, "network")
    write_cache(catalogue)
    return catalogue


def load(
    base_url: str,
    open_client: OpenClient,
    *,
    refresh: bool = False,
    note: Note | None = None,
    waiting: Callable[[], AbstractContextManager[None]] | None = None,
) -> Catalogue:
    """A fresh cache, else a fetch, else (the fetch failing) the stale cache with a note.

    `refresh` skips the cache and insists on a fetch. With neither a catalogue from the
    network nor a cached one, the fetch's error goes up (exit 8 when unreachable).
    `open_client` makes the client for `base_url` (the app's, so --verbose traces it);
    `waiting` (a spinner) is shown only while the network is asked.
    """
    cached = read_cache(base_url)
    if cached is not None and cached.origin == "cache" and not refresh:
        return cached
    try:
        with waiting() if waiting is not None else contextlib.nullcontext():
            return fetch(base_url, open_client)
    except (NetworkError, UpstreamError, RateLimitedError) as error:
        if cached is None:
            raise
        if refresh:
            error.hint = (
                f"The model list cached {describe_age(cached.age_seconds)} ago is still there; "
                "run without --refresh to use it."
            )
            raise
        if note is not None:
            note(
                f"Note: using the model list cached {describe_age(cached.age_seconds)} ago; "
                f"{error.message}"
            )
        return cached


def describe_age(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"
