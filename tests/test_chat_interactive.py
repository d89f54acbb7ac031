"""`moltbot chat` with no prompt at a terminal: an interactive chat, driven through a pty."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pexpect
import pytest

from moltbot_cli.calllog.record import CallRecord
from moltbot_cli.calllog.store import CallLog
from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)

SONNET = "anthropic/claude-sonnet-4-5"
GPT = "openai/gpt-5.2"
KEY_ENV = {"OPENROUTER_API_KEY": TEST_KEY}
PROMPT = "\n> "


class Session:
    def __init__(self, *args: str) -> None:
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "moltbot_cli", "chat", *args],
            env={**os.environ, **KEY_ENV, "TERM": "dumb"},
            encoding="utf-8",
            timeout=60,
            dimensions=(40, 200),
        )

    def expect(self, pattern: str | type[pexpect.EOF]) -> str:
        if isinstance(pattern, str):
            self.child.expect_exact(pattern)
        else:
            self.child.expect(pattern)
        return str(self.child.before)

    def say(self, line: str) -> str:
        """Send a line; what was printed before the next prompt."""
        self.child.sendline(line)
        return self.expect(PROMPT)

    def end(self) -> int:
        self.child.expect(pexpect.EOF)
        self.child.close()
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1)


@pytest.fixture
def session_cleanup() -> Iterator[list[Session]]:
    sessions: list[Session] = []
    yield sessions
    for session in sessions:
        if session.child.isalive():
            session.child.terminate(force=True)


def start(sessions: list[Session], *args: str) -> Session:
    session = Session(*args)
    sessions.append(session)
    session.expect(PROMPT)
    return session


def logged() -> list[CallRecord]:
    log = CallLog.open(create=False)
    if log is None:
        return []
    with log:
        return list(reversed(log.recent(100)))


def test_a_conversation_of_several_turns_with_a_multi_line_message(
    fake_openrouter: FakeOpenRouter, session_cleanup: list[Session]
) -> None:
    session = start(session_cleanup)
    session.child.sendline("first line \\")
    session.expect("… ")
    reply = session.say("second line")
    assert f"Hello from {SONNET}!" in reply
    session.say("and again")
    session.child.sendline("/exit")
    assert session.end() == 0
    first, second = fake_openrouter.chat_bodies()
    assert first["messages"] == [{"role": "user", "content": "first line \nsecond line"}]
    assert second["messages"][-1] == {"role": "user", "content": "and again"}
    assert len(second["messages"]) == 3
    records = logged()
    assert len(records) == 2
    assert first["session_id"] == second["session_id"] == records[0].conversation_id
    assert records[1].conversation_id == records[0].conversation_id


def test_commands_switch_the_model_start_afresh_and_explain_themselves(
    fake_openrouter: FakeOpenRouter, session_cleanup: list[Session]
) -> None:
    session = start(session_cleanup)
    assert "/model REF" in session.say("/help")
    assert "Unknown command /frobnicate" in session.say("/frobnicate")
    assert f"Now asking openrouter/{GPT}" in session.say(f"/model {GPT}")
    assert "neither an alias nor a model reference" in session.say("/model nonsense")
    assert f"Hello from {GPT}!" in session.say("//etc/hosts")
    assert "New conversation" in session.say("/new")
    session.say("fresh")
    assert "1 call" in session.say("/usage")
    session.child.sendeof()
    assert session.end() == 0
    slash, fresh = fake_openrouter.chat_bodies()
    assert slash["model"] == fresh["model"] == GPT
    assert slash["messages"] == [{"role": "user", "content": "/etc/hosts"}]
    assert fresh["messages"] == [{"role": "user", "content": "fresh"}]
    assert slash["session_id"] != fresh["session_id"]


def test_ctrl_c_stops_a_reply_keeps_it_and_returns_to_the_prompt(
    fake_openrouter: FakeOpenRouter, session_cleanup: list[Session]
) -> None:
    fake_openrouter.replies[SONNET] = "one two three four five six seven eight nine ten"
    rule = fake_openrouter.fail("slow_drip", delay=0.3, times=1)
    session = start(session_cleanup)
    session.child.sendline("count")
    session.expect("one ")
    session.child.sendintr()
    stopped = session.expect(PROMPT)
    assert "[stopped]" in stopped and "ten" not in stopped
    assert rule.hits == 1
    session.say("go on")
    session.child.sendline("/exit")
    assert session.end() == 0
    interrupted, after = logged()
    assert interrupted.exit_code == 130 and interrupted.reply.startswith("one ")
    assert after.exit_code == 0
    kept = fake_openrouter.chat_bodies()[1]["messages"]
    assert kept[1] == {"role": "assistant", "content": interrupted.reply}


def test_ctrl_c_at_an_empty_prompt_leaves_with_130_and_drops_a_typed_line_first(
    fake_openrouter: FakeOpenRouter, session_cleanup: list[Session]
) -> None:
    session = start(session_cleanup)
    session.child.send("half a thought")
    session.expect("half a thought")
    session.child.sendintr()
    session.expect(PROMPT)
    session.child.sendintr()
    assert session.end() == 130
    assert fake_openrouter.chat_bodies() == []


def test_continue_opens_the_last_conversation(
    fake_openrouter: FakeOpenRouter, session_cleanup: list[Session]
) -> None:
    assert run_moltbot("chat", "-m", GPT, "earlier", env=KEY_ENV).code == 0
    conversation = logged()[0].conversation_id
    session = Session("-c")
    session_cleanup.append(session)
    greeting = session.expect(PROMPT)
    assert f"Continuing conversation {conversation} (1 earlier turn)" in greeting
    assert f"openrouter/{GPT}" in greeting
    session.say("later")
    session.child.sendline("/exit")
    assert session.end() == 0
    body = fake_openrouter.chat_bodies()[-1]
    assert body["model"] == GPT and body["session_id"] == conversation
    assert [m["content"] for m in body["messages"]] == ["earlier", f"Hello from {GPT}!", "later"]


def test_a_failed_turn_is_reported_and_the_chat_goes_on(
    fake_openrouter: FakeOpenRouter, session_cleanup: list[Session]
) -> None:
    fake_openrouter.fail("402", times=1)
    session = start(session_cleanup)
    assert "Insufficient credits" in session.say("hi")
    assert f"Hello from {SONNET}!" in session.say("hi again")
    session.child.sendline("/exit")
    assert session.end() == 0
    failed, good = logged()
    assert (failed.exit_code, good.exit_code) == (5, 0)
    second = fake_openrouter.chat_bodies()[-1]
    assert [m["content"] for m in second["messages"]] == ["hi again"]  # nothing was said before


def test_json_with_no_prompt_at_a_terminal_is_a_usage_error(
    fake_openrouter: FakeOpenRouter, session_cleanup: list[Session]
) -> None:
    session = Session("--json")
    session_cleanup.append(session)
    output = session.expect(pexpect.EOF)
    session.child.close()
    assert session.child.exitstatus == 2
    assert "--json needs a prompt" in output
