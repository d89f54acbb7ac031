"""`moltbot logs ...` and `moltbot usage` as a user runs them, on a log filled beforehand."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from moltbot_cli.calllog.record import CallRecord
from moltbot_cli.calllog.store import CallLog
from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)

NOW = time.time()


def add(**fields: object) -> int:
    values: dict[str, object] = {
        "conversation_id": "conv00000001",
        "started": NOW,
        "model_asked": "openrouter/anthropic/claude-sonnet-4-5",
        "model_served": "anthropic/claude-sonnet-4-5",
        "provider": "Anthropic",
        "prompt": "What is the capital of France?",
        "reply": "Paris.",
        "prompt_tokens": 12,
        "completion_tokens": 3,
        "cost": 0.000081,
        "finish_reason": "stop",
        "generation_id": "gen-abc",
    }
    values.update(fields)
    with CallLog.open() as log:  # type: ignore[union-attr]
        return log.add(CallRecord(**values))  # type: ignore[arg-type]


@pytest.fixture
def filled(log_file: Path) -> list[int]:
    return [
        add(started=NOW - 40 * 86400, prompt="an old question", cost=1.0),
        add(),
        add(prompt="And Germany?", reply="Berlin."),
        add(
            conversation_id="other0000002",
            model_asked="openrouter/openai/gpt-5.2",
            model_served="openai/gpt-5.2",
            provider="OpenAI",
            prompt="write a poem",
            reply="Roses",
            error="the reply was cut off",
            exit_code=7,
            cost=None,
            prompt_tokens=None,
            completion_tokens=None,
        ),
    ]


def test_list_is_newest_first_one_line_a_call(filled: list[int]) -> None:
    result = run_moltbot("logs", "list")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    assert lines[0].split("\t")[0] == str(filled[-1])
    assert "write a poem" in lines[0] and "openai/gpt-5.2" in lines[0]
    assert "15 tok" in lines[1] and "$0.000081" in lines[1] and "And Germany?" in lines[1]


def test_list_narrows_by_count_conversation_model_and_text(filled: list[int]) -> None:
    assert len(run_moltbot("logs", "list", "-n", "2").stdout.splitlines()) == 2
    by_cid = run_moltbot("logs", "list", "--cid", "conv00000001", "--json")
    assert len(json.loads(by_cid.stdout)) == 3
    by_prefix = run_moltbot("logs", "list", "--cid", "oth", "--json")
    assert [r["prompt"] for r in json.loads(by_prefix.stdout)] == ["write a poem"]
    by_model = run_moltbot("logs", "list", "--model", "openai/gpt-5.2", "--json")
    assert [r["prompt"] for r in json.loads(by_model.stdout)] == ["write a poem"]
    by_ref = run_moltbot(
        "logs", "list", "--model", "openrouter/anthropic/claude-sonnet-4-5", "--json"
    )
    assert len(json.loads(by_ref.stdout)) == 3
    by_text = run_moltbot("logs", "list", "--search", "germany", "--json")
    assert [r["reply"] for r in json.loads(by_text.stdout)] == ["Berlin."]
    none = run_moltbot("logs", "list", "--search", "nothing like this")
    assert none.code == 0 and none.stdout == "" and "No logged call matches" in none.stderr


def test_list_json_records_carry_every_field(filled: list[int]) -> None:
    records = json.loads(run_moltbot("logs", "list", "--json").stdout)
    failed, good = records[0], records[1]
    assert set(good) >= {
        "id",
        "conversation_id",
        "time",
        "model_asked",
        "model_served",
        "provider",
        "routing",
        "params",
        "system",
        "prompt",
        "attachments",
        "reply",
        "reasoning",
        "error",
        "exit_code",
        "finish_reason",
        "prompt_tokens",
        "completion_tokens",
        "reasoning_tokens",
        "cached_tokens",
        "cost",
        "generation_id",
        "first_token_seconds",
        "duration_seconds",
    }
    assert all(key == key.lower() for key in good)  # one key style throughout
    assert good["cost"] == 0.000081 and good["generation_id"] == "gen-abc"
    assert good["time"].endswith("Z")
    assert (failed["exit_code"], failed["error"], failed["reply"]) == (
        7,
        "the reply was cut off",
        "Roses",
    )


def test_show_a_call_and_a_conversation(filled: list[int]) -> None:
    one = run_moltbot("logs", "show", str(filled[1]))
    assert one.code == 0, one.stderr
    assert "What is the capital of France?" in one.stdout and "Paris." in one.stdout
    assert "$0.000081" in one.stdout and "gen-abc" in one.stdout
    latest = run_moltbot("logs", "show", "--json")
    assert json.loads(latest.stdout)["id"] == filled[-1]
    failed = run_moltbot("logs", "show", str(filled[-1]))
    assert "Reply (partial)" in failed.stdout and "exit 7" in failed.stdout
    whole = run_moltbot("logs", "show", "--cid", "conv00000001")
    assert whole.stdout.index("France") < whole.stdout.index("Germany")
    as_json = json.loads(run_moltbot("logs", "show", "--cid", "conv00000001", "--json").stdout)
    assert [r["prompt"] for r in as_json] == [
        "an old question",
        "What is the capital of France?",
        "And Germany?",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["logs", "show", "9999"], "no call 9999"),
        (["logs", "show", "abc"], "is not a call id"),
        (["logs", "show", "--cid", "nope"], "no conversation 'nope'"),
        (["logs", "list", "--cid", "nope"], "no conversation 'nope'"),
        (["logs", "prune", "--older-than", "soon"], "neither a span nor a date"),
        (["usage", "--since", "30x"], "not a span of time"),
        (["usage", "--by", "week"], "--by 'week' is not one of day, model, provider"),
    ],
)
def test_bad_input_is_exit_2_with_a_clear_line(
    filled: list[int], args: list[str], message: str
) -> None:
    result = run_moltbot(*args)
    assert result.code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""


def test_nothing_logged_yet_is_not_an_error(log_file: Path) -> None:
    result = run_moltbot("logs", "list")
    assert result.code == 0 and result.stdout == ""
    assert "No calls logged yet" in result.stderr
    assert json.loads(run_moltbot("logs", "list", "--json").stdout) == []
    usage = json.loads(run_moltbot("usage", "--json").stdout)
    assert (usage["calls"], usage["tokens"], usage["cost"], usage["rows"]) == (0, 0, 0, [])
    assert not log_file.exists()  # reading made no file


def test_a_damaged_log_is_a_clear_error_and_left_alone(log_file: Path) -> None:
    log_file.parent.mkdir(parents=True)
    log_file.write_bytes(b"not a database " * 200)
    for args in (["logs", "list"], ["usage"], ["logs", "show", "1"]):
        result = run_moltbot(*args)
        assert result.code == 1, result.output
        assert "damaged" in result.stderr and "mv " in result.stderr
    assert log_file.read_bytes().startswith(b"not a database")


def test_path_prints_the_data_dir_log(log_file: Path) -> None:
    result = run_moltbot("logs", "path")
    assert (result.code, result.stdout.strip()) == (0, str(log_file))


def test_off_on_and_status_keep_the_config_comments(config_file: Path, filled: list[int]) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text("// mine\n{\n  agents: { defaults: {} }, // keep\n}\n")
    assert run_moltbot("logs", "off").code == 0
    text = config_file.read_text()
    assert "// mine" in text and "// keep" in text and "enabled: false" in text
    status = json.loads(run_moltbot("logs", "status", "--json").stdout)
    assert (
        status["enabled"] is False and status["calls"] == 4 and status["path"].endswith("logs.db")
    )
    assert "Logging is off" in run_moltbot("logs", "status").stdout
    assert run_moltbot("logs", "on").code == 0
    assert json.loads(run_moltbot("config", "get", "logs.enabled", "--json").stdout) is True


def test_logs_enabled_must_be_a_boolean(config_file: Path) -> None:
    result = run_moltbot("config", "set", "logs.enabled", '"yes"')
    assert result.code == 2 and "logs.enabled" in result.stderr


def test_prune_removes_only_older_calls(filled: list[int]) -> None:
    result = run_moltbot("logs", "prune", "--older-than", "30d")
    assert result.code == 0, result.stderr
    assert "Removed 1 call" in result.stderr
    prompts = [r["prompt"] for r in json.loads(run_moltbot("logs", "list", "--json").stdout)]
    assert "an old question" not in prompts and len(prompts) == 3
    future = run_moltbot("logs", "prune", "--older-than", "2999-01-01")
    assert future.code == 2 and "future" in future.stderr


def test_usage_totals_and_groups(filled: list[int]) -> None:
    everything = json.loads(run_moltbot("usage", "--json").stdout)
    assert set(everything) >= {"since", "calls", "tokens", "cost", "rows"}
    assert (everything["calls"], everything["since"]) == (4, None)
    assert everything["cost"] == pytest.approx(1.000162)
    week = json.loads(run_moltbot("usage", "--since", "7d", "--json").stdout)
    assert week["calls"] == 3 and week["tokens"] == 30
    assert week["cost"] == pytest.approx(0.000162)
    assert week["since"] is not None
    assert {row["model"] for row in week["rows"]} == {
        "anthropic/claude-sonnet-4-5",
        "openai/gpt-5.2",
    }
    providers = json.loads(run_moltbot("usage", "--by", "provider", "--json").stdout)
    assert {row["provider"] for row in providers["rows"]} == {"Anthropic", "OpenAI"}
    days = json.loads(run_moltbot("usage", "--by", "day", "--since", "2000-01-01", "--json").stdout)
    assert len(days["rows"]) == 2
    table = run_moltbot("usage", "--since", "7d")
    assert table.code == 0
    assert "3 calls" in table.stdout and "$0.000162" in table.stdout and "1 failed" in table.stdout
    assert "without a cost" in table.stderr


def test_usage_probe_adds_the_keys_own_figures(
    filled: list[int], fake_openrouter: FakeOpenRouter
) -> None:
    fake_openrouter.keys[TEST_KEY] = {"limit": 10.0, "limit_remaining": 7.5, "usage": 2.5}
    env = {"OPENROUTER_API_KEY": TEST_KEY}
    result = run_moltbot("usage", "--probe", "--json", env=env)
    assert result.code == 0, result.stderr
    key = json.loads(result.stdout)["key"]
    # The same object as `models status --probe --json` gives under "key".
    assert (key["limit"], key["limitRemaining"], key["usage"]["total"]) == (10.0, 7.5, 2.5)
    assert TEST_KEY not in result.stdout
    human = run_moltbot("usage", "--probe", env=env)
    assert "$10.00, $7.50 left" in human.stdout and "all time $2.50" in human.stdout


def test_usage_probe_without_a_key_still_prints_the_log_totals(filled: list[int]) -> None:
    result = run_moltbot("usage", "--probe", "--json")
    assert result.code == 4
    payload = json.loads(result.stdout)
    assert payload["calls"] == 4 and "error" in payload["key"]


def on_a_terminal(*args: str) -> str:
    import os
    import sys

    import pexpect

    child = pexpect.spawn(
        sys.executable,
        ["-m", "moltbot_cli", *args],
        env={**os.environ, "COLUMNS": "100"},
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 100),
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return str(child.before)


def test_on_a_terminal_list_is_one_aligned_line_a_call(filled: list[int]) -> None:
    lines = on_a_terminal("logs", "list").splitlines()
    assert len(lines) == 4
    newest, good = lines[0], lines[1]
    assert newest.split()[0] == str(filled[-1]) and "[exit 7] write a poem" in newest
    assert "openai/gpt-5.2" in newest and "- tok" in newest
    assert "anthropic/claude-sonnet-4-5" in good and "15 tok" in good and "$0.000081" in good
    assert all(len(line) < 100 for line in lines)
    assert good.index("15 tok") == lines[2].index("15 tok")  # columns line up


def test_on_a_terminal_usage_is_a_table(filled: list[int]) -> None:
    text = on_a_terminal("usage", "--since", "7d", "--by", "provider")
    assert "3 calls, 30 tokens" in text
    assert "PROVIDER" in text and "Anthropic" in text and "OpenAI" in text
