"""What `moltbot chat` leaves on stdout for scripts: every byte that arrived, one final
newline, an empty reply refused, usage asked for, and stdin left alone with -n.

All through the installed CLI as a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import Result, run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)
from tests.support.scripted_server import (
    SSE,
    Canned,
    ScriptedServer,
    scripted_server_fixture,  # noqa: F401
    sse,
    text_chunk,
)

KEY_ENV = {"OPENROUTER_API_KEY": TEST_KEY}
SONNET = "anthropic/claude-sonnet-4-5"
GPT = "openai/gpt-5.2"
MOLTBOT = f"{sys.executable} -m moltbot_cli"
ERROR_EVENT = {"error": {"code": "server_error", "message": "Provider disconnected"}}
FALLBACK_CONFIG = """{
  agents: { defaults: { model: {
    primary: "openrouter/anthropic/claude-sonnet-4-5",
    fallbacks: ["openrouter/openai/gpt-5.2"],
  } } },
}
"""


def chat(*args: str, input: str | None = None) -> Result:
    return run_moltbot("chat", *args, input=input, env=KEY_ENV, timeout=30)


def shell(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        env={**os.environ, **KEY_ENV},
        timeout=60,
    )


def stream(scripted: ScriptedServer, *events: object) -> None:
    scripted.answer("POST", "/chat/completions", Canned(200, sse(*events), SSE), streamed=True)


# -- text that arrived before a failure is on stdout, before the error ---------------------


@pytest.mark.parametrize("redirect", ["pipe", "file"])
def test_text_before_an_error_event_in_the_same_read_reaches_stdout(
    scripted_server: ScriptedServer, tmp_path: Path, redirect: str
) -> None:
    """ "Hello", " from", then an error, all in one network write."""
    stream(scripted_server, text_chunk("Hello"), text_chunk(" from"), ERROR_EVENT)
    if redirect == "pipe":
        result = chat("-m", "a/b", "hi")
        code, stdout, stderr = result.code, result.stdout, result.stderr
    else:
        out = tmp_path / "out"
        completed = shell(f"{MOLTBOT} chat -m a/b hi > {out}")
        code, stdout, stderr = completed.returncode, out.read_text(), completed.stderr
    assert code == 7
    assert stdout == "Hello from\n"
    assert stderr.splitlines() == [
        "Error: openrouter/a/b failed in the middle of its reply: Provider disconnected",
        "What arrived is above; run the command again for a whole reply.",
    ]


def test_text_before_a_cut_connection_reaches_stdout(scripted_server: ScriptedServer) -> None:
    # The last event stops mid-line: the connection was cut while it was being sent.
    scripted_server.answer(
        "POST",
        "/chat/completions",
        Canned(200, sse(text_chunk("Hello"), text_chunk(" from")) + b'data: {"id": "gen-', SSE),
    )
    result = chat("-m", "a/b", "hi")
    assert result.code == 7
    assert result.stdout == "Hello from\n"
    assert result.stderr.splitlines()[0] == (
        "Error: the reply from openrouter/a/b was cut off before it finished"
    )


def test_json_keeps_stdout_empty_and_the_hint_says_the_reply_was_cut(
    scripted_server: ScriptedServer,
) -> None:
    stream(scripted_server, text_chunk("Hello"), text_chunk(" from"), ERROR_EVENT)
    result = chat("--json", "-m", "a/b", "hi")
    assert result.code == 7
    assert result.stdout == ""
    assert result.stderr.splitlines()[1] == (
        "The reply was cut short; run the command again for a whole reply."
    )


def test_text_that_arrived_means_no_fallback_and_stays_on_stdout(
    scripted_server: ScriptedServer, config_file: Path
) -> None:
    """Output began (it is on stdout), so no other model's reply may follow it."""
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(FALLBACK_CONFIG)
    stream(scripted_server, text_chunk("Hello"), ERROR_EVENT)
    result = chat("hi")
    assert result.code == 7
    assert result.stdout == "Hello\n"
    assert len(scripted_server.requests) == 1
    assert "Note:" not in result.stderr


def test_an_error_before_any_text_in_the_same_read_falls_back(
    fake_openrouter: FakeOpenRouter, config_file: Path
) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(FALLBACK_CONFIG)
    fake_openrouter.fail("error_first", model=SONNET)
    result = chat("hi")
    assert result.code == 0, result.stderr
    assert result.stdout == f"Hello from {GPT}!\n"


# -- exactly one final newline ---------------------------------------------------------------


@pytest.mark.parametrize("flags", [[], ["--no-stream"]])
def test_one_final_newline_in_a_pipe_and_a_file(
    fake_openrouter: FakeOpenRouter, tmp_path: Path, flags: list[str]
) -> None:
    assert chat(*flags, "hi").stdout == f"Hello from {SONNET}!\n"
    out = tmp_path / "out"
    completed = shell(f"{MOLTBOT} chat {' '.join(flags)} hi > {out}")
    assert completed.returncode == 0, completed.stderr
    assert out.read_text() == f"Hello from {SONNET}!\n"


@pytest.mark.parametrize("flags", [[], ["--no-stream"]])
def test_a_reply_that_ends_in_a_newline_gets_no_second_one(
    fake_openrouter: FakeOpenRouter, flags: list[str]
) -> None:
    fake_openrouter.replies[SONNET] = "line one\nline two\n"
    assert chat(*flags, "hi").stdout == "line one\nline two\n"


def test_the_stderr_notes_start_on_their_own_line(fake_openrouter: FakeOpenRouter) -> None:
    completed = shell(f"{MOLTBOT} chat --usage hi 2>&1")
    lines = completed.stdout.splitlines()
    assert lines[0] == f"Hello from {SONNET}!"
    assert lines[1].startswith("Usage: ")


@pytest.mark.parametrize("flags", [[], ["--no-stream"], ["--dry-run"]])
def test_json_output_ends_with_a_newline(fake_openrouter: FakeOpenRouter, flags: list[str]) -> None:
    result = chat("--json", *flags, "hi")
    assert result.code == 0, result.stderr
    assert result.stdout.endswith("}\n")
    json.loads(result.stdout)


# -- an empty reply ----------------------------------------------------------------------------


@pytest.mark.parametrize("flags", [[], ["--no-stream"], ["--json"]])
def test_an_empty_reply_is_exit_7(fake_openrouter: FakeOpenRouter, flags: list[str]) -> None:
    fake_openrouter.replies[SONNET] = ""
    result = chat(*flags, "hi")
    assert result.code == 7
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: the model returned an empty reply (openrouter/{SONNET}; finish_reason stop)",
        "Try again, or pick another model with -m.",
    ]


def test_an_empty_reply_out_of_tokens_says_how_to_allow_more(
    fake_openrouter: FakeOpenRouter,
) -> None:
    fake_openrouter.replies[SONNET] = ""
    fake_openrouter.finish_reason = "length"
    result = chat("hi")
    assert result.code == 7
    assert "allow more with --max-tokens N" in result.stderr.splitlines()[1]


def test_an_empty_reply_falls_back(fake_openrouter: FakeOpenRouter, config_file: Path) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(FALLBACK_CONFIG)
    fake_openrouter.replies[SONNET] = ""
    result = chat("hi")
    assert result.code == 0, result.stderr
    assert result.stdout == f"Hello from {GPT}!\n"
    assert result.stderr.splitlines() == [
        f"Note: the model returned an empty reply (openrouter/{SONNET}; finish_reason stop); "
        f"trying openrouter/{GPT}",
        f"Note: answered by openrouter/{GPT} (a configured fallback).",
    ]


def test_a_tool_call_alone_is_not_an_empty_reply(scripted_server: ScriptedServer) -> None:
    tool_call = {
        "choices": [
            {
                "index": 0,
                "delta": {"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "f"}}]},
                "finish_reason": "tool_calls",
            }
        ]
    }
    stream(scripted_server, tool_call, "[DONE]")
    result = chat("-m", "a/b", "hi")
    assert result.code == 0, result.stderr
    assert result.stdout == ""


# -- usage ---------------------------------------------------------------------------------------


def test_streamed_bodies_ask_for_usage(fake_openrouter: FakeOpenRouter) -> None:
    assert chat("hi").code == 0
    assert chat("--no-stream", "hi").code == 0
    streamed, whole = fake_openrouter.chat_bodies()
    assert streamed["stream_options"] == {"include_usage": True}
    assert "stream_options" not in whole


def test_usage_says_tokens_not_reported_when_the_server_sends_none(
    scripted_server: ScriptedServer,
) -> None:
    stream(scripted_server, text_chunk("Hi"), text_chunk("", "stop"), "[DONE]")
    result = chat("--usage", "-m", "a/b", "hi")
    assert result.code == 0, result.stderr
    assert result.stdout == "Hi\n"
    assert result.stderr == (
        "Usage: model scripted/model, provider not reported, tokens not reported, "
        "cost not reported\n"
    )


# -- stdin: -n/--no-stdin ----------------------------------------------------------------------


def test_a_while_read_loop_sends_one_request_per_line(fake_openrouter: FakeOpenRouter) -> None:
    completed = shell(f"printf 'a\\nb\\n' | while read l; do {MOLTBOT} chat -n \"$l\"; done")
    assert completed.returncode == 0, completed.stderr
    prompts = [body["messages"][-1]["content"] for body in fake_openrouter.chat_bodies()]
    assert prompts == ["a", "b"]
    assert completed.stdout == f"Hello from {SONNET}!\n" * 2


def test_without_n_the_first_call_swallows_the_loop_input(
    fake_openrouter: FakeOpenRouter,
) -> None:
    """Why -n exists: stdin is the loop's own input."""
    completed = shell(f"printf 'a\\nb\\n' | while read l; do {MOLTBOT} chat \"$l\"; done")
    assert completed.returncode == 0, completed.stderr
    prompts = [body["messages"][-1]["content"] for body in fake_openrouter.chat_bodies()]
    assert prompts == ["a\n\nb"]


@pytest.mark.parametrize("flag", ["-n", "--no-stdin"])
def test_no_stdin_does_not_wait_for_a_pipe_that_never_closes(
    fake_openrouter: FakeOpenRouter, flag: str
) -> None:
    """`sleep 30 | moltbot chat -n hi`: the writer holds the pipe open and says nothing."""
    process = subprocess.Popen(
        [sys.executable, "-m", "moltbot_cli", "chat", flag, "hi"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **KEY_ENV},
    )
    try:
        assert process.wait(timeout=20) == 0  # stdin is still open
        assert process.stdout is not None
        assert process.stdout.read() == f"Hello from {SONNET}!\n".encode()
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def test_no_stdin_without_a_prompt_is_a_usage_error(fake_openrouter: FakeOpenRouter) -> None:
    result = chat("-n", input="ignored")
    assert result.code == 2
    assert result.stderr.splitlines() == [
        "Error: no prompt given, and -n/--no-stdin leaves stdin unread",
        'Give the prompt as arguments: moltbot chat -n "hello".',
    ]
    assert fake_openrouter.requests == []
