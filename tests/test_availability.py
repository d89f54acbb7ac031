"""Expiry and replacements from catalogue records: every value a server sends is suspect."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moltbot_cli.commands.models_routing_work import _performance
from moltbot_cli.errors import UsageError
from moltbot_cli.openrouter import availability
from moltbot_cli.openrouter.catalogue import Catalogue
from tests.support.catalogue_data import model

TODAY = dt.date(2026, 11, 30)


def catalogue(*models: dict[str, Any]) -> Catalogue:
    return Catalogue(list(models), 0.0, "http://x")


def expiring(model_id: str, days: int, **extra: Any) -> dict[str, Any]:
    item = model(model_id, model_id, prompt="0.000001", completion="0.000002")
    item["expiration_date"] = (TODAY + dt.timedelta(days=days)).isoformat()
    return {**item, **extra}


def test_the_window_is_thirty_days_inclusive_and_today_counts() -> None:
    known = catalogue(
        expiring("a/in-30", 30),
        expiring("a/in-31", 31),
        expiring("a/today", 0),
        expiring("a/yesterday", -1),
        model("a/forever", "a/forever", prompt="0", completion="0"),
    )
    roles = {
        f"openrouter/a/{slug}": ["default"]
        for slug in ("in-30", "in-31", "today", "yesterday", "forever", "vanished")
    }
    found = {f.ref: f for f in availability.check(known, roles, TODAY)}
    assert found["openrouter/a/in-30"].state == "expiring"
    assert found["openrouter/a/in-30"].days_left == 30
    assert "openrouter/a/in-31" not in found and "openrouter/a/forever" not in found
    assert (
        found["openrouter/a/today"]
        .describe()
        .startswith("openrouter/a/today (default) expires on 2026-11-30 (today)")
    )
    assert found["openrouter/a/yesterday"].state == "expired"
    assert found["openrouter/a/yesterday"].gone
    assert found["openrouter/a/vanished"].state == "gone"
    # Replacements never expire within the window themselves.
    for finding in found.values():
        assert not set(finding.replacements) & {
            "openrouter/a/in-30",
            "openrouter/a/today",
            "openrouter/a/yesterday",
        }


def test_suffixes_and_presets() -> None:
    known = catalogue(expiring("a/m", 5))
    roles = {"openrouter/a/m:nitro": ["default"], "@preset/mine": ["fallback#1"]}
    (finding,) = availability.check(known, roles, TODAY)
    assert finding.ref == "openrouter/a/m:nitro" and finding.state == "expiring"


def test_free_models_are_replaced_by_free_models_first() -> None:
    known = catalogue(
        model("meta/llama-4:free", "x", prompt="0", completion="0"),
        model("meta/llama-4", "x", prompt="0.000001", completion="0.000001"),
        model("other/thing", "x", prompt="0", completion="0"),
    )
    (finding,) = availability.check(known, {"openrouter/meta/llama-3:free": ["default"]}, TODAY)
    assert finding.replacements[0] == "openrouter/meta/llama-4:free"


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=60),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(expiry=values, created=values, prompt=values, context=values)
def test_hostile_records_never_break_the_check(
    expiry: Any, created: Any, prompt: Any, context: Any
) -> None:
    odd = {
        "id": "odd/model",
        "expiration_date": expiry,
        "created": created,
        "context_length": context,
        "pricing": {"prompt": prompt, "completion": prompt},
    }
    known = catalogue(
        odd, expiring("odd/model-2", 3), model("odd/x", "x", prompt="0", completion="0")
    )
    date = availability.expiration_date(odd)
    assert date is None or isinstance(date, dt.date)
    findings = availability.check(
        known, {"openrouter/odd/model": [], "openrouter/odd/gone": []}, TODAY
    )
    assert {f.ref for f in findings} >= {"openrouter/odd/gone"}
    for finding in findings:
        assert isinstance(finding.describe(), str)
        finding.as_json()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_the_performance_flag_parser_takes_numbers_and_percentiles_or_refuses(text: str) -> None:
    try:
        value = _performance(text, "--preferred-max-latency")
    except UsageError as error:
        assert error.message.startswith("--preferred-max-latency")
        return
    if isinstance(value, dict):
        assert value and set(value) <= {"p50", "p75", "p90", "p99"}
        assert all(number >= 0 for number in value.values())
    else:
        assert value >= 0


def test_once_a_probe_stays_rate_limited_the_scan_goes_one_at_a_time() -> None:
    import threading

    from moltbot_cli.commands.models_scan_work import Paced
    from moltbot_cli.errors import RateLimitedError

    entered, release = threading.Event(), threading.Event()
    active: list[int] = []

    class Busy:
        calls = 0

        def complete(self, body: dict[str, Any], *, name: str | None = None) -> dict[str, Any]:
            Busy.calls += 1
            if Busy.calls == 1:
                raise RateLimitedError("still rate limited (429)")
            active.append(1)
            entered.set()
            release.wait(10)
            active.pop()
            return {"choices": [{"message": {"content": "OK"}}]}

    paced = Paced(Busy())
    with pytest.raises(RateLimitedError):
        paced.complete({})
    assert paced.slowed.is_set()
    threads = [threading.Thread(target=paced.complete, args=({},)) for _ in range(3)]
    for thread in threads:
        thread.start()
    assert entered.wait(10)
    assert len(active) == 1 and paced._turn.locked()
    release.set()
    for thread in threads:
        thread.join(10)
    assert Busy.calls == 4 and active == []
