"""A hostile or broken server: bombs, endless lines, trickles, long Retry-After,
lone surrogates and terminal escapes. Each attack is played over loopback against a
real moltbot subprocess; memory stays bounded, every command ends, output stays valid.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from moltbot_cli.openrouter.body import BODY_LIMIT
from moltbot_cli.openrouter.sse import MAX_EVENT, MAX_LINE
from tests.support.cli import run_moltbot
from tests.support.hostile_server import (
    HostileServer,
    Request,
    chunk,
    gzip_bomb,
    hostile_server_fixture,  # noqa: F401
)

KEY = "sk-or-v1-" + "h" * 40
KEY_ENV = {"OPENROUTER_API_KEY": KEY}
MIB = 1024 * 1024
# Far beyond what any child of this test process needs without the caps.
MEMORY_BOUND_KB = 400 * 1024


# Runs moltbot and, on the way out, writes its own peak memory (VmHWM, per process
# image, so not inherited from the forking test process as ru_maxrss would be).
MEASURED = """
import atexit, os, runpy, sys
def report():
    with open("/proc/self/status") as status:
        peak = next(line for line in status if line.startswith("VmHWM")).split()[1]
    with open(os.environ["PEAK_FILE"], "w") as out:
        out.write(peak)
atexit.register(report)
sys.argv = ["moltbot", *sys.argv[1:]]
runpy.run_module("moltbot_cli", run_name="__main__")
"""


def run_measured(*args: str, env: dict[str, str]) -> tuple[int, str, int]:
    """Run moltbot; its exit code, stderr, and its own peak memory in KB."""
    with tempfile.NamedTemporaryFile("r", suffix=".peak") as peak:
        completed = subprocess.run(
            [sys.executable, "-c", MEASURED, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, **env, "PEAK_FILE": peak.name},
            text=True,
            timeout=60,
        )
        return completed.returncode, completed.stderr, int(peak.read() or 0)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """gzip inflating to well past the body limit (the real limit, not a lowered one)."""
    return gzip_bomb(BODY_LIMIT + 8 * MIB)


def test_a_gzip_bomb_is_stopped_at_the_body_limit(
    hostile_server: HostileServer, bomb: bytes
) -> None:
    assert len(bomb) < MIB // 4
    hostile_server.answer = lambda request: request.gzipped(200, bomb)
    for args in (("models", "list", "--all", "--refresh"), ("chat", "--no-stream", "hi")):
        code, stderr, peak = run_measured(*args, env=KEY_ENV)
        assert code == 7, stderr
        assert "larger than moltbot accepts (32 MB)" in stderr
        assert peak < MEMORY_BOUND_KB


def test_a_gzip_bomb_in_a_stream_is_stopped_too(hostile_server: HostileServer) -> None:
    events = b"".join(
        b"data: " + json.dumps(chunk("x" * 1000)).encode() + b"\n\n" for _ in range(40)
    )
    repeated = gzip_bomb(BODY_LIMIT + MIB, events)

    def answer(request: Request) -> None:
        request.send(200, repeated, "text/event-stream", {"Content-Encoding": "gzip"})

    hostile_server.answer = answer
    result = run_moltbot("chat", "hi", env=KEY_ENV, timeout=60)
    assert result.code == 7, result.stderr
    assert "larger than moltbot accepts" in result.stderr
    assert result.stdout.startswith("xxxx")  # what arrived before the limit was shown


def test_broken_or_unknown_encodings_are_unreadable_not_crashes(
    hostile_server: HostileServer,
) -> None:
    hostile_server.answer = lambda request: request.send(
        200, b"\x1f\x8b\x08\x00garbage", "application/json", {"Content-Encoding": "gzip"}
    )
    broken = run_moltbot("models", "list", "--all", "--refresh")
    assert broken.code == 7 and "cannot read" in broken.stderr
    hostile_server.answer = lambda request: request.send(
        200, b"{}", "application/json", {"Content-Encoding": "br"}
    )
    unknown = run_moltbot("models", "list", "--all", "--refresh")
    assert unknown.code == 7 and "encoding" in unknown.stderr


def test_an_endless_sse_line_is_stopped_at_the_line_limit(hostile_server: HostileServer) -> None:
    block = b"x" * MIB

    def answer(request: Request) -> None:
        request.start(200, "text/event-stream")
        request.chunk(b"data: ")
        for _ in range(200):  # 200 MB without a newline, unless the client hangs up
            request.chunk(block)
        request.chunk(b"")

    hostile_server.answer = answer
    code, stderr, peak = run_measured("chat", "hi", env=KEY_ENV)
    assert code == 7, stderr
    assert f"a line larger than moltbot accepts ({MAX_LINE // MIB} MB)" in stderr
    assert peak < MEMORY_BOUND_KB


def test_an_event_of_endless_data_lines_is_stopped_at_the_event_limit(
    hostile_server: HostileServer,
) -> None:
    line = b"data: " + b"y" * 1000 + b"\n"

    def answer(request: Request) -> None:
        request.start(200, "text/event-stream")
        for _ in range(MAX_EVENT // 100_000 + 20):  # past the limit, and no blank line
            request.chunk(line * 100)
        request.chunk(b"")

    hostile_server.answer = answer
    result = run_moltbot("chat", "hi", env=KEY_ENV, timeout=60)
    assert result.code == 7, result.stderr
    assert "an event larger than moltbot accepts" in result.stderr


def test_keep_alive_comments_do_not_outlast_the_timeout(hostile_server: HostileServer) -> None:
    hostile_server.answer = lambda request: request.trickle(
        itertools.repeat(b": OPENROUTER PROCESSING\n\n"), every=0.1
    )
    result = run_moltbot("chat", "--timeout", "1", "hi", env=KEY_ENV, timeout=20)
    assert result.code == 8, result.stderr
    assert "no complete answer within 1 s (--timeout 1 in all" in result.stderr


def test_trickled_tokens_do_not_outlast_the_timeout(hostile_server: HostileServer) -> None:
    token = b"data: " + json.dumps(chunk("tick ")).encode() + b"\n\n"
    hostile_server.answer = lambda request: request.trickle(itertools.repeat(token), every=0.1)
    result = run_moltbot("chat", "--timeout", "1", "hi", env=KEY_ENV, timeout=20)
    assert result.code == 8, result.stderr
    assert result.stdout.startswith("tick tick")
    assert "still arriving after 1 s, --timeout 1 in all" in result.stderr
    as_json = run_moltbot("chat", "--json", "--timeout", "1", "hi", env=KEY_ENV, timeout=20)
    assert as_json.code == 8 and as_json.stdout == ""


@pytest.mark.parametrize("retry_after", ["date", "seconds"])
def test_a_retry_after_longer_than_the_time_left_fails_at_once(
    hostile_server: HostileServer, retry_after: str
) -> None:
    later = datetime.now(timezone.utc) + timedelta(seconds=20)
    header = format_datetime(later, usegmt=True) if retry_after == "date" else "20"

    def answer(request: Request) -> None:
        request.json(429, {"error": {"code": 429, "message": "slow down"}}, {"Retry-After": header})

    hostile_server.answer = answer
    result = run_moltbot("chat", "--timeout", "3", "hi", env=KEY_ENV, timeout=20)
    assert result.code == 6, result.stderr
    assert len(hostile_server.requests) == 1  # no try was spent waiting in vain
    assert re.search(r"asks to wait \d+ s, more than the \d s --timeout leaves", result.stderr)
    assert re.search(r"Try again after \d\d:\d\d:\d\d UTC\.", result.stderr)


def test_a_retry_after_beyond_the_cap_fails_at_once_without_a_timeout(
    hostile_server: HostileServer,
) -> None:
    hostile_server.answer = lambda request: request.json(
        429, {"error": {"message": "later"}}, {"Retry-After": "3600"}
    )
    result = run_moltbot("chat", "hi", env=KEY_ENV, timeout=20)
    assert result.code == 6
    assert "asks to wait 3600 s, longer than moltbot waits" in result.stderr
    assert len(hostile_server.requests) == 1


def surrogate_stream(request: Request) -> None:
    # json.dumps writes "\ud83d" escapes: valid JSON, half a character each.
    request.sse(
        [
            chunk("a\ud800b"),
            chunk("smile \ud83d"),
            chunk("\ude00!"),
            chunk(" end \udbff", finish="stop"),
            "[DONE]",
        ]
    )


def test_lone_and_split_surrogates_are_replaced_or_joined(hostile_server: HostileServer) -> None:
    hostile_server.answer = surrogate_stream
    result = run_moltbot("chat", "hi", env=KEY_ENV)
    assert result.code == 0, result.stderr
    assert result.stdout == "a\ufffdbsmile 😀! end \ufffd\n"  # a final newline is added
    as_json = run_moltbot("chat", "--json", "hi", env=KEY_ENV)
    assert as_json.code == 0, as_json.stderr
    assert json.loads(as_json.stdout)["content"] == "a\ufffdbsmile 😀! end \ufffd"
    hostile_server.answer = lambda request: request.json(
        200,
        {
            "id": "\ud800",
            "model": "m\udc00",
            "choices": [{"message": {"content": "x\ud800"}, "finish_reason": "stop"}],
        },
    )
    whole = run_moltbot("chat", "--no-stream", "--json", "hi", env=KEY_ENV)
    assert whole.code == 0, whole.stderr
    assert json.loads(whole.stdout)["content"] == "x\ufffd"


ESCAPES = "\x1b]0;owned\x07\x1b[2J\x00\x9b"


def test_reply_escapes_go_out_as_sent_to_a_pipe_and_metadata_is_escaped(
    hostile_server: HostileServer,
) -> None:
    hostile_server.answer = lambda request: request.sse(
        [
            chunk(
                f"hi{ESCAPES}\tthere\n",
                model=f"evil{ESCAPES}",
                provider=f"p{ESCAPES}",
                finish="stop",
            ),
            "[DONE]",
        ]
    )
    result = run_moltbot("chat", "--usage", "hi", env=KEY_ENV)
    assert result.code == 0, result.stderr
    assert result.stdout == f"hi{ESCAPES}\tthere\n"  # a pipe gets what the model sent
    assert "\x1b" not in result.stderr and "\x00" not in result.stderr
    assert "evil\\x1b]0;owned" in result.stderr
    as_json = run_moltbot("chat", "--json", "hi", env=KEY_ENV)
    assert "\x1b" not in as_json.stdout and "\x9b" not in as_json.stdout
    assert json.loads(as_json.stdout)["content"] == f"hi{ESCAPES}\tthere\n"


def test_reply_escapes_are_made_visible_on_a_terminal(hostile_server: HostileServer) -> None:
    import pexpect

    hostile_server.answer = lambda request: request.sse(
        [chunk(f"hi{ESCAPES}\tthere", finish="stop"), "[DONE]"]
    )
    child = pexpect.spawn(
        sys.executable,
        ["-m", "moltbot_cli", "chat", "hi"],
        env={**os.environ, **KEY_ENV, "TERM": "xterm"},
        encoding="utf-8",
        timeout=20,
    )
    child.expect(pexpect.EOF)
    child.wait()
    shown = str(child.before)
    assert "hi\\x1b]0;owned\\x07\\x1b[2J\\x00\\x9b\tthere" in shown
    assert "\x1b]0;owned" not in shown
