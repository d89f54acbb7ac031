"""Chats are logged and continued: through the installed CLI against the fake OpenRouter."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from moltbot_cli.calllog.record import CallRecord
from moltbot_cli.calllog.store import CallLog
from moltbot_cli.masking import mask_key
from tests.support.cli import Result, interrupt_after_first_output, run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)

SONNET = "anthropic/claude-sonnet-4-5"
GPT = "openai/gpt-5.2"
KEY_ENV = {"OPENROUTER_API_KEY": TEST_KEY}
CONFIG = """{
  agents: { defaults: {
    model: { primary: "openrouter/anthropic/claude-sonnet-4-5" },
    models: {
      "openrouter/anthropic/claude-sonnet-4-5": {
        params: { temperature: 0.7, maxTokens: 4096 },
        compat: { openRouterRouting: { only: ["anthropic"] } },
      },
    },
  } },
}
"""


def chat(*args: str, env: dict[str, str] | None = None) -> Result:
    return run_moltbot("chat", *args, env={**KEY_ENV, **(env or {})})


def logged() -> list[CallRecord]:
    log = CallLog.open(create=False)
    if log is None:
        return []
    with log:
        return list(reversed(log.recent(1000)))


@pytest.fixture
def configured(config_file: Path) -> Path:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(CONFIG)
    return config_file


def test_a_logged_call_has_every_field_right(
    fake_openrouter: FakeOpenRouter, configured: Path
) -> None:
    result = chat("--json", "-s", "be brief", "What is 2+2?")
    assert result.code == 0, result.stderr
    reply = json.loads(result.stdout)
    (record,) = logged()
    assert record.conversation_id == reply["conversation"]
    assert record.model_asked == "openrouter/" + SONNET
    assert (record.model_served, record.provider) == (SONNET, "Anthropic")
    assert record.routing == {"only": ["anthropic"]}
    assert record.params == {"temperature": 0.7, "max_tokens": 4096}
    assert (record.system, record.prompt) == ("be brief", "What is 2+2?")
    assert record.reply == f"Hello from {SONNET}!" == reply["content"]
    assert (record.finish_reason, record.exit_code, record.error) == ("stop", 0, None)
    usage = reply["usage"]
    assert record.prompt_tokens == usage["prompt_tokens"]
    assert record.completion_tokens == usage["completion_tokens"]
    assert record.cost == usage["cost"] and record.cost > 0
    assert (record.cached_tokens, record.reasoning_tokens) == (0, 0)
    assert record.generation_id == reply["id"]
    assert record.first_token_seconds is not None and record.duration_seconds is not None
    assert 0 <= record.first_token_seconds <= record.duration_seconds
    assert fake_openrouter.chat_bodies()[0].get("session_id") is None  # a fresh conversation


def test_a_failed_call_is_logged_with_its_partial_reply_and_error(
    fake_openrouter: FakeOpenRouter,
) -> None:
    fake_openrouter.fail("error_mid_stream")
    result = chat("tell me")
    assert result.code == 7
    (record,) = logged()
    assert record.reply == "Hell" == result.stdout.strip()
    assert record.exit_code == 7
    assert record.error and "Provider disconnected unexpectedly" in record.error
    assert record.cost is None


def test_a_call_that_never_reached_openrouter_is_logged_too(
    fake_openrouter: FakeOpenRouter,
) -> None:
    fake_openrouter.fail("401")
    assert chat("hi").code == 4
    (record,) = logged()
    assert (record.exit_code, record.reply, record.prompt) == (4, "", "hi")


def test_continue_sends_the_earlier_turns_the_system_prompt_and_a_session_id(
    fake_openrouter: FakeOpenRouter,
) -> None:
    first = chat("--json", "-s", "be brief", "-m", GPT, "Name a colour")
    conversation = json.loads(first.stdout)["conversation"]
    assert chat("-c", "and in French?").code == 0
    third = chat("--json", "-c", "and in German?")
    assert json.loads(third.stdout)["conversation"] == conversation
    bodies = fake_openrouter.chat_bodies()
    assert bodies[2]["model"] == GPT  # the conversation's model, without -m
    assert bodies[2]["session_id"] == conversation
    assert bodies[2]["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "Name a colour"},
        {"role": "assistant", "content": f"Hello from {GPT}!"},
        {"role": "user", "content": "and in French?"},
        {"role": "assistant", "content": f"Hello from {GPT}!"},
        {"role": "user", "content": "and in German?"},
    ]
    assert {record.conversation_id for record in logged()} == {conversation}


def test_cid_continues_a_given_conversation_and_m_switches_its_model(
    fake_openrouter: FakeOpenRouter,
) -> None:
    one = json.loads(chat("--json", "first topic").stdout)["conversation"]
    chat("another topic")
    result = chat("--json", "--cid", one[:6], "-m", GPT, "more on the first")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["conversation"] == one
    body = fake_openrouter.chat_bodies()[-1]
    assert body["model"] == GPT and body["session_id"] == one
    assert [m["content"] for m in body["messages"]] == [
        "first topic",
        f"Hello from {SONNET}!",
        "more on the first",
    ]
    again = chat("--json", "-c", "and?")
    assert fake_openrouter.chat_bodies()[-1]["model"] == GPT  # the model it switched to
    assert json.loads(again.stdout)["conversation"] == one


def test_a_failed_turn_with_nothing_said_is_not_sent_again(
    fake_openrouter: FakeOpenRouter,
) -> None:
    chat("first")
    fake_openrouter.fail("400", times=1)
    assert chat("-c", "broken").code == 2
    chat("-c", "second")
    contents = [m["content"] for m in fake_openrouter.chat_bodies()[-1]["messages"]]
    assert contents == ["first", f"Hello from {SONNET}!", "second"]


def test_usage_tells_the_running_cost_of_a_continued_conversation(
    fake_openrouter: FakeOpenRouter,
) -> None:
    chat("first")
    result = chat("--usage", "-c", "second")
    costs = [record.cost or 0 for record in logged()]
    assert f"2 calls, ${sum(costs):.6f} so far" in result.stderr


def test_dry_run_shows_the_continued_body_and_logs_nothing(
    fake_openrouter: FakeOpenRouter,
) -> None:
    cid = json.loads(chat("--json", "first").stdout)["conversation"]
    result = chat("--dry-run", "-c", "second")
    body = json.loads(result.stdout)["body"]
    assert body["session_id"] == cid and len(body["messages"]) == 3
    assert len(logged()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-c", "hi"], "no conversation to continue"),
        (["--cid", "nosuchid", "hi"], "no conversation to continue"),
        (["-c", "--cid", "x", "hi"], "give one of them"),
    ],
)
def test_nothing_to_continue_is_a_usage_error(
    fake_openrouter: FakeOpenRouter, args: list[str], message: str
) -> None:
    result = chat(*args)
    assert result.code == 2
    assert message in result.stderr
    assert fake_openrouter.chat_bodies() == []


def test_an_unknown_cid_in_a_filled_log_names_the_list(fake_openrouter: FakeOpenRouter) -> None:
    chat("hi")
    result = chat("--cid", "nosuchid", "hi")
    assert result.code == 2 and "moltbot logs list" in result.stderr


def test_no_log_and_logs_off_record_nothing(
    fake_openrouter: FakeOpenRouter, configured: Path, log_file: Path
) -> None:
    assert chat("--no-log", "hi").code == 0
    assert not log_file.exists()
    assert run_moltbot("logs", "off").code == 0
    result = chat("--json", "hi")
    assert result.code == 0 and "conversation" not in json.loads(result.stdout)
    assert logged() == []
    assert run_moltbot("logs", "on").code == 0
    assert chat("hi").code == 0
    assert len(logged()) == 1


def test_the_key_never_reaches_the_database(
    fake_openrouter: FakeOpenRouter, log_file: Path
) -> None:
    chat("my key is", TEST_KEY, "please keep it")
    fake_openrouter.fail("error_mid_stream")
    chat("-c", "again")
    assert len(logged()) == 2
    for path in log_file.parent.iterdir():
        assert TEST_KEY.encode() not in path.read_bytes(), path.name
    assert mask_key(TEST_KEY) in logged()[0].prompt  # masked, not dropped


def test_the_log_is_private(fake_openrouter: FakeOpenRouter, log_file: Path) -> None:
    chat("hi")
    assert log_file.stat().st_mode & 0o777 == 0o600
    assert log_file.parent.stat().st_mode & 0o777 == 0o700


# -- a log that cannot be written never stops a chat ----------------------------------------


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """The file cannot be written, even by root (who ignores its mode)."""
    if os.geteuid() != 0:
        path.chmod(0o400)
        try:
            yield
        finally:
            path.chmod(0o600)
        return
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("running as root without chattr: cannot make a file read-only")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def assert_chat_survives(result: Result) -> None:
    assert result.code == 0, result.stderr
    assert result.stdout == f"Hello from {SONNET}!\n"
    warnings = [line for line in result.stderr.splitlines() if "not logged" in line]
    assert len(warnings) == 1, result.stderr


def test_a_read_only_log_never_stops_a_chat(
    fake_openrouter: FakeOpenRouter, log_file: Path
) -> None:
    assert chat("hi").code == 0
    with read_only(log_file):
        assert_chat_survives(chat("hi again"))
    assert len(logged()) == 1


def test_a_damaged_log_never_stops_a_chat(fake_openrouter: FakeOpenRouter, log_file: Path) -> None:
    log_file.parent.mkdir(parents=True)
    log_file.write_bytes(b"\x00garbage, not SQLite" * 500)
    result = chat("hi")
    assert_chat_survives(result)
    assert "damaged" in result.stderr
    assert log_file.read_bytes().startswith(b"\x00garbage")


def test_a_log_locked_past_the_busy_timeout_never_stops_a_chat(
    fake_openrouter: FakeOpenRouter, log_file: Path
) -> None:
    """Another process holds the log's write lock for the whole chat (the chat waits the
    busy timeout, five seconds, then gives up on the row, not on the reply)."""
    assert chat("hi").code == 0
    holder = sqlite3.connect(log_file, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        result = chat("hi again")
    finally:
        holder.close()
    assert_chat_survives(result)
    assert "locked" in result.stderr
    assert len(logged()) == 1


def test_a_log_dir_that_cannot_be_made_never_stops_a_chat(
    fake_openrouter: FakeOpenRouter, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert_chat_survives(chat("hi", env={"MOLTBOT_DATA_DIR": str(blocker / "data")}))


def test_a_half_migrated_log_is_finished_on_open(
    fake_openrouter: FakeOpenRouter, log_file: Path
) -> None:
    """An empty file (a crash before the first migration) becomes a log."""
    log_file.parent.mkdir(parents=True)
    log_file.write_bytes(b"")
    assert chat("hi").code == 0
    assert len(logged()) == 1


# -- many at once, and Ctrl-C ------------------------------------------------------------


# 64 chat processes at once, as a CI matrix runs them. Each is a real process with its
# own connection to the log, forked from one that has already imported moltbot, so the
# suite pays for the chats and the log, not for 64 start-ups. They start together.
MATRIX = """
import os, sys
import httpx, sqlite3
import moltbot_cli.app
from moltbot_cli.commands import chat_turn, chat_work
from moltbot_cli.calllog import store

count = int(sys.argv[1])
go_read, go_write = os.pipe()
children = []
for index in range(count):
    pid = os.fork()
    if pid == 0:
        os.close(go_write)
        os.read(go_read, 1)
        for fd, name in ((1, "stdout"), (2, "stderr")):
            path = os.path.join(sys.argv[2], f"{name}-{index}")
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT), fd)
        sys.argv = ["moltbot", "chat", "--no-stream", f"question {index}"]
        code = 99
        try:
            moltbot_cli.app.main()
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    children.append(pid)
os.write(go_write, b"x" * count)
codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]
print(" ".join(str(code) for code in codes))
"""


def test_64_concurrent_chats_give_64_rows(fake_openrouter: FakeOpenRouter, tmp_path: Path) -> None:
    matrix = subprocess.run(
        [sys.executable, "-c", MATRIX, "64", str(tmp_path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, **KEY_ENV},
        timeout=180,
    )
    assert matrix.stdout.split() == ["0"] * 64, matrix.stderr
    for index in range(64):
        assert (tmp_path / f"stderr-{index}").read_text() == ""
        assert (tmp_path / f"stdout-{index}").read_text() == f"Hello from {SONNET}!\n"
    records = logged()
    assert sorted(record.prompt for record in records) == sorted(
        f"question {index}" for index in range(64)
    )
    assert len({record.conversation_id for record in records}) == 64


def test_ctrl_c_mid_reply_logs_what_arrived(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.replies[SONNET] = "one two three four five six seven eight nine ten"
    fake_openrouter.fail("slow_drip", delay=0.3)
    run = interrupt_after_first_output("chat", "count", env=KEY_ENV)
    assert run.code == 130
    (record,) = logged()
    assert record.exit_code == 130
    assert record.reply.startswith(run.first) and "ten" not in record.reply


def test_a_conversation_past_the_models_context_warns_before_sending(
    fake_openrouter: FakeOpenRouter,
) -> None:
    assert run_moltbot("models", "list", "--all", "--plain").code == 0  # fills the cache
    fake_openrouter.replies[SONNET] = "word " * 10
    log_setup = chat("-m", "openai/gpt-4o-mini", "start")
    assert log_setup.code == 0
    big = "lorem ipsum " * 50_000  # ~150,000 tokens: past gpt-4o-mini's 128,000
    result = run_moltbot("chat", "-c", input=big, env=KEY_ENV)
    assert result.code == 0, result.stderr
    assert "more than the 128,000 of openrouter/openai/gpt-4o-mini's context" in result.stderr
    assert "leaving out -c/--cid" in result.stderr
    small = chat("-c", "short")
    assert "context" not in small.stderr


def test_logs_show_reads_back_a_real_conversation(fake_openrouter: FakeOpenRouter) -> None:
    chat("first")
    chat("-c", "second")
    shown = run_moltbot("logs", "show", "--cid", logged()[0].conversation_id)
    assert shown.code == 0
    assert shown.stdout.index("> first") < shown.stdout.index("> second")


def test_reasoning_and_attachments_are_logged_the_files_only_by_name(
    fake_openrouter: FakeOpenRouter, tmp_path: Path, log_file: Path
) -> None:
    from tests.support.fake_features import features_catalogue
    from tests.test_request_layer import PNG

    fake_openrouter.models = features_catalogue()
    fake_openrouter.reasoning[SONNET] = "light scatters, blue wins"
    photo = tmp_path / "sky.png"
    photo.write_bytes(PNG)
    result = chat("-m", SONNET, "--reasoning-effort", "high", "-a", str(photo), "why blue?")
    assert result.code == 0, result.stderr
    (record,) = logged()
    assert record.reasoning == "light scatters, blue wins"
    assert record.reasoning_tokens == 4
    assert record.prompt == "why blue?"
    assert record.attachments == [f"image/png {len(PNG)} B"]
    assert record.params is not None and record.params["reasoning"] == {"effort": "high"}
    image = base64.b64encode(PNG).decode()
    assert image.encode() not in log_file.read_bytes()


def test_reasoning_that_arrived_before_a_failure_is_kept(fake_openrouter: FakeOpenRouter) -> None:
    from tests.support.fake_features import features_catalogue

    fake_openrouter.models = features_catalogue()
    fake_openrouter.reasoning[SONNET] = "step one, step two"
    fake_openrouter.fail("error_mid_stream")
    result = chat("-m", SONNET, "--reasoning-effort", "low", "hi")
    assert result.code == 7
    (record,) = logged()
    assert record.reasoning and "step" in record.reasoning
    assert record.exit_code == 7
