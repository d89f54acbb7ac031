"""The call log's store: file modes, schema and migrations, queries, and its parsers."""

from __future__ import annotations

import contextlib
import sqlite3
import stat
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moltbot_cli.calllog.record import CallRecord, split_content
from moltbot_cli.calllog.recorder import CallRecorder, new_conversation_id, write_record
from moltbot_cli.calllog.store import MIGRATIONS, SCHEMA_VERSION, CallLog, LogError
from moltbot_cli.calllog.when import MAX_SECONDS, UNITS, parse_duration, parse_since
from moltbot_cli.errors import UsageError


def record(cid: str = "c1", **fields: object) -> CallRecord:
    values: dict[str, object] = {
        "conversation_id": cid,
        "started": time.time(),
        "model_asked": "openrouter/anthropic/claude-sonnet-4-5",
        "model_served": "anthropic/claude-sonnet-4-5",
        "provider": "Anthropic",
        "prompt": "hello",
        "reply": "hi",
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "cost": 0.001,
    }
    values.update(fields)
    return CallRecord(**values)  # type: ignore[arg-type]


def test_the_log_is_private_and_in_wal_mode(log_file: Path) -> None:
    assert not log_file.parent.exists()
    with CallLog.open() as log:  # type: ignore[union-attr]
        log.add(record())
        mode = log.connection.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(log_file.parent.stat().st_mode) == 0o700


def test_migrations_run_in_order_from_the_first_release() -> None:
    assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1))


def test_a_first_release_log_opens_and_keeps_its_rows(log_file: Path) -> None:
    log_file.parent.mkdir(parents=True)
    connection = sqlite3.connect(log_file)
    connection.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied REAL)")
    for statement in MIGRATIONS[1]:
        connection.execute(statement)
    connection.execute("INSERT INTO schema_version VALUES (1, 0)")
    connection.execute(
        "INSERT INTO calls (conversation_id, started, prompt, reply) VALUES ('old', 1, 'p', 'r')"
    )
    connection.commit()
    connection.close()
    with CallLog.open() as log:  # type: ignore[union-attr]
        assert log.version() == SCHEMA_VERSION
        assert [r.prompt for r in log.conversation("old")] == ["p"]


def test_a_log_from_a_newer_release_is_refused_clearly(log_file: Path) -> None:
    with CallLog.open() as log:  # type: ignore[union-attr]
        log.connection.execute("INSERT INTO schema_version VALUES (99, 0)")
    with pytest.raises(LogError, match="newer moltbot"):
        CallLog.open()


def test_a_damaged_file_is_named_with_what_to_do(log_file: Path) -> None:
    log_file.parent.mkdir(parents=True)
    log_file.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(LogError) as caught:
        CallLog.open()
    assert "damaged" in caught.value.message
    assert "mv " in (caught.value.hint or "")
    assert log_file.read_bytes().startswith(b"this is not sqlite")  # left as it was


def test_a_failed_write_is_one_warning_and_no_exception(log_file: Path) -> None:
    log_file.parent.mkdir(parents=True)
    log_file.write_bytes(b"garbage" * 1000)
    warnings: list[str] = []
    assert write_record(record(), warnings.append) is None
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert "not logged" in warnings[0]


def test_reading_without_a_log_creates_nothing(log_file: Path) -> None:
    assert CallLog.open(create=False) is None
    assert not log_file.exists()


def test_queries_filter_and_order_newest_first(log_file: Path) -> None:
    with CallLog.open() as log:  # type: ignore[union-attr]
        log.add(record("a", prompt="first about cats"))
        log.add(record("b", prompt="second", model_served="openai/gpt-5.2", provider="OpenAI"))
        log.add(record("a", prompt="third", reply="cats again 100%"))
        assert [r.prompt for r in log.recent(10)] == ["third", "second", "first about cats"]
        assert [r.prompt for r in log.recent(1)] == ["third"]
        assert [r.prompt for r in log.recent(10, conversation="a")] == ["third", "first about cats"]
        assert [r.prompt for r in log.recent(10, models=["openai/gpt-5.2"])] == ["second"]
        assert [r.prompt for r in log.recent(10, search="CATS")] == ["third", "first about cats"]
        assert [r.prompt for r in log.recent(10, search="100%")] == ["third"]
        assert log.recent(10, search="_") == []  # LIKE wildcards are taken literally
        assert log.last_conversation_id() == "a"
        assert log.find_conversation("a") == "a"
        assert log.find_conversation("zz") is None


def test_a_conversation_prefix_must_be_unique(log_file: Path) -> None:
    with CallLog.open() as log:  # type: ignore[union-attr]
        log.add(record("abc111"))
        log.add(record("abc222"))
        assert log.find_conversation("abc1") == "abc111"
        with pytest.raises(UsageError, match="more than one"):
            log.find_conversation("abc")


def test_usage_totals_by_model_provider_and_day(log_file: Path) -> None:
    now = time.time()
    with CallLog.open() as log:  # type: ignore[union-attr]
        log.add(record(started=now - 10 * 86400, cost=5.0))
        log.add(record(started=now, cost=0.25))
        log.add(record(started=now, model_served="openai/gpt-5.2", provider="OpenAI", cost=0.5))
        log.add(record(started=now, cost=None, exit_code=7, prompt_tokens=None))
        everything = log.usage(None, None)
        assert everything.total.calls == 4
        assert everything.total.cost == pytest.approx(5.75)
        recent = log.usage(now - 86400, "model")
        assert recent.total.calls == 3 and recent.total.failed == 1
        assert recent.total.uncosted == 1
        assert [key for key, _ in recent.rows] == [
            "openai/gpt-5.2",
            "anthropic/claude-sonnet-4-5",
        ]
        by_provider = dict(log.usage(now - 86400, "provider").rows)
        assert by_provider["Anthropic"].calls == 2
        by_day = log.usage(None, "day").rows
        assert [key for key, _ in by_day] == sorted(key for key, _ in by_day)
        assert log.prune(now - 86400) == 1
        assert log.count() == 3


def test_the_recorder_takes_every_field_from_body_and_reply() -> None:
    recorder = CallRecorder("c", "openrouter/openai/gpt-5.2")
    recorder.request(
        {
            "model": "openai/gpt-5.2",
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "old"},
                {"role": "assistant", "content": "old reply"},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is this"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                        {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:x"}},
                    ],
                },
            ],
            "provider": {"only": ["openai"]},
            "temperature": 0.2,
            "session_id": "c",
            "stream": True,
        }
    )
    recorder.text("Hel")
    recorder.text("lo")
    recorder.failed("cut off", 7)
    done = recorder.finish()
    assert done.system == "be brief"
    assert done.prompt == "what is this"
    assert done.attachments == ["image/png 3 B", "a.pdf"]
    assert done.routing == {"only": ["openai"]}
    assert done.params == {"temperature": 0.2}
    assert done.reply == "Hello"
    assert (done.error, done.exit_code) == ("cut off", 7)
    assert done.first_token_seconds is not None and done.duration_seconds is not None


def test_scrub_masks_a_key_wherever_it_hides() -> None:
    key = "sk-or-v1-" + "a" * 64
    done = record(prompt=f"my key is {key}", params={"user": key}, attachments=[key])
    done.scrub(key)
    assert key not in repr(done)


def test_conversation_ids_are_short_and_distinct() -> None:
    ids = {new_conversation_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(cid) == 12 and cid.isalnum() and cid.islower() for cid in ids)


@given(st.one_of(st.text(max_size=30), st.lists(st.dictionaries(st.text(), st.text()))))
@settings(max_examples=100)
def test_any_message_content_splits_without_failing(content: object) -> None:
    text, names = split_content(content)
    assert isinstance(text, str) and isinstance(names, list)


# -- spans and dates ---------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(sorted(UNITS)))
@settings(max_examples=100)
def test_a_span_is_its_number_times_its_unit(number: int, unit: str) -> None:
    expected = number * UNITS[unit]
    if expected > MAX_SECONDS:
        with pytest.raises(UsageError):
            parse_duration(f"{number}{unit}")
    else:
        assert parse_duration(f"{number}{unit}") == expected
        assert parse_duration(f" {number} {unit.upper()} ") == expected


def test_spans_combine() -> None:
    assert parse_duration("1d12h") == 36 * 3600
    assert parse_duration("1w 2d") == 9 * 86400


@given(st.dates(min_value=date(1971, 1, 2), max_value=date(2999, 12, 31)))
@settings(max_examples=100)
def test_a_date_is_local_midnight(day: date) -> None:
    expected = datetime(day.year, day.month, day.day).timestamp()
    assert parse_since(day.isoformat()) == expected


def test_since_a_span_counts_back_from_now() -> None:
    assert parse_since("7d", now=1_000_000_000) == 1_000_000_000 - 7 * 86400
    assert (
        parse_since("2026-11-01T10:00:00Z")
        == datetime.fromisoformat("2026-11-01T10:00:00+00:00").timestamp()
    )
    assert parse_since("2026-11-01") - parse_since("2026-10-31") in (
        timedelta(days=1).total_seconds(),
        timedelta(hours=23).total_seconds(),
        timedelta(hours=25).total_seconds(),
    )


@given(st.text(max_size=20))
@settings(max_examples=200)
def test_anything_else_is_a_usage_error_never_a_crash(text: str) -> None:
    with contextlib.suppress(UsageError):
        parse_since(text)


@pytest.mark.parametrize("text", ["", "d", "30", "30x", "-3d", "3.5d", "2026-13-01", "yesterday"])
def test_bad_spans_say_what_to_write(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_since(text)
    assert caught.value.hint


def test_a_models_failed_calls_share_its_row_in_usage(log_file: Path) -> None:
    """A failed call has no served model; it counts under the ref it asked, written as the
    served ones are, not in a row of its own."""
    with CallLog.open() as log:  # type: ignore[union-attr]
        log.add(record())
        log.add(record(model_served=None, provider=None, exit_code=7, cost=None))
        log.add(record(model_asked="@preset/fast", model_served=None, exit_code=7))
        rows = dict(log.usage(None, "model").rows)
        assert sorted(rows) == ["@preset/fast", "anthropic/claude-sonnet-4-5"]
        assert (
            rows["anthropic/claude-sonnet-4-5"].calls,
            rows["anthropic/claude-sonnet-4-5"].failed,
        ) == (2, 1)
