"""`models status --probe`: what GET /key says about the key, its warnings and --check."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moltbot_cli.commands.key_report import KeyReport, server_text
from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)

ENV = {"OPENROUTER_API_KEY": TEST_KEY}
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def _in(days: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).isoformat()


def test_every_field_is_shown(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.keys[TEST_KEY] = {
        "label": "laptop",
        "usage": 12.5,
        "usage_daily": 0.5,
        "usage_weekly": 2.25,
        "usage_monthly": 7.0,
        "limit": 50,
        "limit_remaining": 37.5,
        "limit_reset": "monthly",
        "expires_at": "2099-01-01T00:00:00Z",
        "is_free_tier": False,
    }
    result = run_moltbot("models", "status", "--probe", env=ENV)
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "  Label        laptop" in lines
    assert "  Usage        today $0.50, this week $2.25, this month $7.00, all time $12.50" in lines
    assert "  Limit        $50.00, $37.50 left, resets monthly" in lines
    assert "  Expires      2099-01-01 00:00 UTC (in " in result.stdout
    assert "  Free tier    no" in lines
    assert "Warning" not in result.stderr

    as_json = json.loads(run_moltbot("models", "status", "--probe", "--json", env=ENV).stdout)
    assert as_json["key"] == {
        "label": "laptop",
        "usage": {"daily": 0.5, "weekly": 2.25, "monthly": 7.0, "total": 12.5},
        "limit": 50.0,
        "limitRemaining": 37.5,
        "limitReset": "monthly",
        "expiresAt": "2099-01-01T00:00:00+00:00",
        "expired": False,
        "isFreeTier": False,
        "isManagementKey": False,
        "warnings": [],
    }


def test_no_limit_and_no_expiry(fake_openrouter: FakeOpenRouter) -> None:
    result = run_moltbot("models", "status", "--probe", env=ENV)
    assert "  Limit        none" in result.stdout
    assert "  Expires      never" in result.stdout


@pytest.mark.parametrize(
    ("fields", "warning", "check_code"),
    [
        (
            {"expires_at": "EXPIRES_SOON"},
            "Warning: the key expires 20",
            0,
        ),
        (
            {"limit": 10, "limit_remaining": 0.5, "usage": 9.5, "limit_reset": "weekly"},
            "Warning: only $0.50 of the key's $10.00 limit is left (5%; it resets weekly); "
            "raise it at https://openrouter.ai/settings/keys",
            0,
        ),
        (
            {"limit": 10, "limit_remaining": 0, "usage": 10},
            "Warning: the key's limit is spent ($10.00 of $10.00)",
            4,
        ),
        (
            {"expires_at": "2020-01-01T00:00:00Z"},
            "Warning: the key expired on 2020-01-01 00:00 UTC",
            4,
        ),
    ],
    ids=["expires-soon", "limit-low", "limit-spent", "expired"],
)
def test_warnings_and_check(
    fake_openrouter: FakeOpenRouter, fields: dict[str, Any], warning: str, check_code: int
) -> None:
    if fields.get("expires_at") == "EXPIRES_SOON":
        fields = {**fields, "expires_at": _in(3)}
    fake_openrouter.keys[TEST_KEY] = fields
    shown = run_moltbot("models", "status", "--probe", env=ENV)
    assert shown.code == 0, shown.stderr  # without --check, a warning only
    assert warning in shown.stderr
    as_json = json.loads(run_moltbot("models", "status", "--probe", "--json", env=ENV).stdout)
    assert as_json["key"]["warnings"]
    checked = run_moltbot("models", "status", "--probe", "--check", env=ENV)
    assert checked.code == check_code, checked.stderr
    if check_code:
        assert checked.stderr.splitlines()[-2].startswith("Error: the key")


def test_hostile_strings_are_made_safe(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.keys[TEST_KEY] = {
        "label": "\x1b]0;pwned\x07evil\x1b[31m label\u202e" + "x" * 200,
        "limit_reset": "\x1b[2Jdaily",
        "expires_at": "soon\x1b[0m",
        "usage": "lots",
        "limit": True,
    }
    result = run_moltbot("models", "status", "--probe", env=ENV)
    assert result.code == 0, result.stderr
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\u202e" not in result.output
    assert "  Expires      soon\\x1b[0m" in result.stdout  # the escape shown, not obeyed
    label = next(line for line in result.stdout.splitlines() if line.startswith("  Label"))
    assert len(label) < 110 and label.endswith("…")
    as_json = json.loads(run_moltbot("models", "status", "--probe", "--json", env=ENV).stdout)
    assert as_json["key"]["usage"]["total"] is None and as_json["key"]["limit"] is None


def test_the_key_itself_in_the_label_is_masked(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.keys[TEST_KEY] = {"label": TEST_KEY}
    result = run_moltbot("models", "status", "--probe", "--json", env=ENV)
    assert TEST_KEY not in result.output


def test_a_failed_probe_has_no_key_details(fake_openrouter: FakeOpenRouter) -> None:
    result = run_moltbot(
        "models", "status", "--probe", "--json", env={"OPENROUTER_API_KEY": "sk-or-v1-nope"}
    )
    assert result.code == 4
    assert json.loads(result.stdout)["key"] is None


# -- the report on its own -------------------------------------------------------------------


def test_expiry_words() -> None:
    report = KeyReport.from_data({"expires_at": "2026-12-02T12:00:00Z"}, "k", now=NOW)
    assert report.expiry_words() == "2026-12-02 12:00 UTC (in 2 days)"
    assert report.warnings()[0].startswith("the key expires 2026-12-02 12:00 UTC (in 2 days)")
    soon = KeyReport.from_data({"expires_at": "2026-11-30T15:00:00+00:00"}, "k", now=NOW)
    assert soon.expiry_words() == "2026-11-30 15:00 UTC (in 3 hours)"
    later = KeyReport.from_data({"expires_at": "2026-12-30T12:00:00Z"}, "k", now=NOW)
    assert later.warnings() == []


def test_remaining_is_worked_out_when_missing() -> None:
    report = KeyReport.from_data({"limit": 4, "usage": 3.8}, "k", now=NOW)
    assert report.remaining == pytest.approx(0.2) and report.limit_low


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "label",
                "usage",
                "usage_daily",
                "limit",
                "limit_remaining",
                "limit_reset",
                "expires_at",
                "is_free_tier",
            ]
        ),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(allow_nan=True, allow_infinity=True),
            st.text(max_size=60),
        ),
    )
)
def test_any_answer_reads_without_failing(data: dict[str, Any]) -> None:
    report = KeyReport.from_data(data, "sk-or-v1-k", now=NOW)
    shown = [value for _, value in report.rows()] + report.warnings()
    json.dumps(report.as_json(), allow_nan=False)
    for text in shown:
        assert text.isprintable()


@given(st.text(max_size=200))
def test_server_text_is_printable(text: str) -> None:
    cleaned = server_text(text)
    assert cleaned is None or (cleaned.isprintable() and len(cleaned) <= 80)
