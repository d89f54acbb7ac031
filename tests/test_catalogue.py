"""The model catalogue cache: hits, expiry, --refresh, offline use, damage, and size.

Every test fetches over real HTTP from the fake OpenRouter on 127.0.0.1 and counts the
requests it received, so "served from the cache" means no request was made.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from moltbot_cli.commands.models_work import ListFilters, _filter
from moltbot_cli.errors import NetworkError, UpstreamError
from moltbot_cli.openrouter import catalogue
from moltbot_cli.openrouter.client import OpenRouterClient
from tests.support import catalogue_data
from tests.support.fake_openrouter import (
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)


def opener(url: str) -> catalogue.OpenClient:
    return lambda: OpenRouterClient(url, None, retries=0, timeout=5)


def model_requests(fake: FakeOpenRouter) -> int:
    return sum(1 for request in fake.requests if request.path == "/api/v1/models")


def age_cache(seconds: float) -> None:
    """Make the cache look `seconds` old, as if fetched back then."""
    path = catalogue.cache_path()
    payload = json.loads(path.read_text())
    payload["fetchedAt"] = time.time() - seconds
    path.write_text(json.dumps(payload))


@pytest.fixture
def fake(fake_openrouter: FakeOpenRouter) -> FakeOpenRouter:
    fake_openrouter.models = catalogue_data.catalogue(3000)
    return fake_openrouter


def load(fake: FakeOpenRouter, **options: object) -> catalogue.Catalogue:
    return catalogue.load(fake.base_url, opener(fake.base_url), **options)  # type: ignore[arg-type]


def test_first_load_fetches_and_the_second_is_served_from_the_cache(fake: FakeOpenRouter) -> None:
    first = load(fake)
    second = load(fake)
    assert first.origin == "network" and second.origin == "cache"
    assert model_requests(fake) == 1
    assert len(second.models) == 3000
    assert second.get("openrouter/x-ai/grok-4")["name"] == "xAI: Grok 4"  # type: ignore[index]
    # Descriptions are most of the bytes and nothing shows them: they are not cached.
    assert "description" not in second.models[0]


def test_an_expired_cache_is_fetched_again(fake: FakeOpenRouter) -> None:
    load(fake)
    age_cache(catalogue.TTL_SECONDS + 60)
    fake.models = catalogue_data.catalogue(50)
    again = load(fake)
    assert again.origin == "network" and len(again.models) == 50
    assert model_requests(fake) == 2
    assert load(fake).origin == "cache"  # and the new copy is fresh again


def test_a_cache_just_under_its_time_to_live_is_still_used(fake: FakeOpenRouter) -> None:
    load(fake)
    age_cache(catalogue.TTL_SECONDS - 60)
    assert load(fake).origin == "cache"
    assert model_requests(fake) == 1


def test_refresh_fetches_even_with_a_fresh_cache(fake: FakeOpenRouter) -> None:
    load(fake)
    fake.models = catalogue_data.catalogue(20)
    refreshed = load(fake, refresh=True)
    assert refreshed.origin == "network" and len(refreshed.models) == 20
    assert model_requests(fake) == 2


def test_a_stale_cache_serves_when_the_network_is_down_with_a_note(fake: FakeOpenRouter) -> None:
    load(fake)
    age_cache(3 * 3600)
    fake.stop()
    notes: list[str] = []
    stale = load(fake, note=notes.append)
    assert stale.origin == "stale" and len(stale.models) == 3000
    assert len(notes) == 1
    assert notes[0].startswith("Note: using the model list cached 3 h ago;")
    assert f"cannot reach {fake.host}" in notes[0]


def test_a_stale_cache_serves_when_openrouter_fails(fake: FakeOpenRouter) -> None:
    load(fake)
    age_cache(2 * 3600)
    fake.fail("503", route="models")
    notes: list[str] = []
    assert load(fake, note=notes.append).origin == "stale"
    assert "503" in notes[0]


def test_no_cache_and_no_network_is_a_network_error(fake: FakeOpenRouter) -> None:
    fake.stop()
    with pytest.raises(NetworkError) as caught:
        load(fake)
    assert f"cannot reach {fake.host}" in caught.value.message
    assert not catalogue.cache_path().exists()


def test_no_cache_and_a_failing_openrouter_is_an_upstream_error(fake: FakeOpenRouter) -> None:
    fake.fail("502", route="models")
    with pytest.raises(UpstreamError):
        load(fake)
    assert not catalogue.cache_path().exists()


def test_refresh_offline_fails_and_says_the_cache_is_still_there(fake: FakeOpenRouter) -> None:
    load(fake)
    fake.stop()
    with pytest.raises(NetworkError) as caught:
        load(fake, refresh=True)
    assert "run without --refresh" in (caught.value.hint or "")


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"{not json",
        b'{"version": 1, "baseUrl": "x", "fetchedAt": 1, "data": [1, 2]}',
        b'{"version": 99, "data": []}',
        b"[1, 2, 3]",
        b"\xff\xfe\x00garbage",
    ],
    ids=["empty", "truncated", "rows-not-objects", "other-version", "a-list", "binary"],
)
def test_a_damaged_cache_is_ignored_and_rebuilt(fake: FakeOpenRouter, damage: bytes) -> None:
    path = catalogue.cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(damage)
    rebuilt = load(fake)
    assert rebuilt.origin == "network" and len(rebuilt.models) == 3000
    assert json.loads(path.read_text())["data"][0]["id"] == "anthropic/claude-sonnet-4-5"
    assert load(fake).origin == "cache"


def test_a_damaged_cache_with_no_network_is_a_network_error(fake: FakeOpenRouter) -> None:
    path = catalogue.cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"{half a file")
    fake.stop()
    with pytest.raises(NetworkError):
        load(fake)


def test_a_cache_from_another_base_url_is_not_used(fake: FakeOpenRouter) -> None:
    load(fake)
    other = catalogue.read_cache("http://127.0.0.1:1/api/v1")
    assert other is None
    assert catalogue.read_cache(fake.base_url) is not None


def test_a_timestamp_from_the_future_counts_as_stale(fake: FakeOpenRouter) -> None:
    load(fake)
    age_cache(-3600)
    assert catalogue.read_cache(fake.base_url).origin == "stale"  # type: ignore[union-attr]


def test_the_cache_is_replaced_atomically_and_leaves_no_temp_files(fake: FakeOpenRouter) -> None:
    load(fake)
    path = catalogue.cache_path()
    before = path.stat().st_ino
    load(fake, refresh=True)
    assert path.stat().st_ino != before  # a new file renamed into place, not rewritten
    assert sorted(p.name for p in path.parent.iterdir()) == ["model-ids.txt", "models.json"]


def test_a_failed_write_keeps_the_old_cache_whole(
    fake: FakeOpenRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(fake)
    path = catalogue.cache_path()
    original = path.read_bytes()

    def disk_full(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    fake.models = catalogue_data.catalogue(20)
    fresh = load(fake, refresh=True)  # the catalogue still comes back: the cache is optional
    assert len(fresh.models) == 20
    assert path.read_bytes() == original
    assert sorted(p.name for p in path.parent.iterdir()) == ["model-ids.txt", "models.json"]


def test_an_unwritable_cache_dir_only_costs_speed(
    fake: FakeOpenRouter, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache dir should be")
    monkeypatch.setenv("MOLTBOT_CACHE_DIR", str(blocker / "cache"))
    assert load(fake).origin == "network"
    assert load(fake).origin == "network"
    assert model_requests(fake) == 2


def test_cached_ids_for_completion_need_no_network(fake: FakeOpenRouter) -> None:
    assert catalogue.cached_model_ids() == []
    load(fake)
    fake.stop()
    ids = catalogue.cached_model_ids()
    assert len(ids) == 3000 and ids[0] == "anthropic/claude-sonnet-4-5"
    age_cache(10 * 86400)  # completion takes any age
    assert len(catalogue.cached_model_ids()) == 3000


def test_known_models_allow_routing_suffixes_but_not_made_up_variants(
    fake: FakeOpenRouter,
) -> None:
    listed = load(fake)
    assert listed.knows("openai/gpt-5.2") and listed.knows("openrouter/openai/gpt-5.2")
    assert listed.knows("openrouter/openai/gpt-5.2:nitro")
    assert listed.knows("openrouter/auto")
    assert listed.knows("meta-llama/llama-3.3-70b-instruct:free")
    assert not listed.knows("openai/gpt-5.2:free")
    assert not listed.knows("openai/gpt-5.3")


def test_closest_matches_put_the_same_authors_models_first(fake: FakeOpenRouter) -> None:
    listed = load(fake)
    close = listed.closest("openai/gpt-5.3")
    assert close[0] == "openrouter/openai/gpt-5.2"
    assert all(ref.startswith("openrouter/") for ref in close)
    assert listed.closest("claude-sonnet-4-5")[0] == "openrouter/anthropic/claude-sonnet-4-5"
    assert listed.closest("zzzzqqqq/xxxxyyyy") == []


def test_several_thousand_models_load_index_and_filter(
    fake_openrouter: FakeOpenRouter,
) -> None:
    # Their speed is measured by benchmarks/bench.py (`models list --all` at 300 / 3,000 /
    # 30,000 models), not asserted here: a busy machine would fail any bound.
    fake_openrouter.models = catalogue_data.catalogue(6000)
    load(fake_openrouter)
    cached = catalogue.read_cache(fake_openrouter.base_url)
    assert cached is not None
    index = cached.by_id
    assert cached.by_id is index  # built once, then reused
    rows = ((model_id, model) for model_id, model in index.items())
    found = _filter(rows, ListFilters(search="lab007 405b", free=False))
    looked_up = all(cached.knows(model["id"]) for model in cached.models)
    assert looked_up and found
    assert all("lab007" in model_id and "405b" in model_id for model_id, _ in found)


def test_price_per_million() -> None:
    assert catalogue.price_per_million("0.000003") == pytest.approx(3.0)
    assert catalogue.price_per_million("0") == 0
    assert catalogue.price_per_million("-1") == -1_000_000
    assert catalogue.price_per_million(None) is None
    assert catalogue.price_per_million("n/a") is None
    assert catalogue.price_per_million(True) is None
