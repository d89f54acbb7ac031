"""Readers that go away, and stdout or stderr closed: the installed CLI in a real shell.

A reader that closes the pipe early (`moltbot ... | head -1`) ends the command quietly
with exit 0, every time, also under `set -o pipefail`. A closed stdout is a clean error;
a closed or vanished stderr never changes the exit code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
    make_catalogue,
)

MOLTBOT = f"{sys.executable} -m moltbot_cli"
CONFIG = (Path(__file__).parent / "data" / "seed_example_2.json5").read_text()


def bash(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", "set -o pipefail\n" + script],
        capture_output=True,
        text=True,
        env={**os.environ, "OPENROUTER_API_KEY": TEST_KEY, **env},
        timeout=120,
    )


@pytest.fixture
def configured(fake_openrouter: FakeOpenRouter, config_file: Path) -> FakeOpenRouter:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(CONFIG)
    fake_openrouter.models = make_catalogue(1000)  # more JSON than a pipe holds
    fake_openrouter.chunk_size = 2000
    fake_openrouter.replies["anthropic/claude-sonnet-4-5"] = "Hello there. " * 2000
    return fake_openrouter


def every_time(command: str, reader: str, times: int) -> subprocess.CompletedProcess[str]:
    """Run `command | reader` `times` times; stop at the first non-zero exit."""
    return bash(
        f"for i in $(seq {times}); do\n"
        f'  {MOLTBOT} {command} | {reader} > /dev/null || {{ echo "run $i: $?"; exit 1; }}\n'
        "done"
    )


@pytest.mark.parametrize(
    ("command", "reader"),
    [
        ("chat hi", "head -c 3"),
        ("models list --all --json", "head -1"),
        ("config show --json", "head -1"),
    ],
)
def test_a_reader_that_leaves_early_is_exit_0_every_time(
    configured: FakeOpenRouter, command: str, reader: str
) -> None:
    completed = every_time(command, reader, 20)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stderr == ""


@pytest.mark.parametrize(
    "command",
    [
        "chat --no-stream hi",
        "chat --json hi",
        "models list --all",
        "models list",
        "models status",
        "models endpoints openrouter/anthropic/claude-sonnet-4-5",
        "config get agents --json",
        "chat --help",
        "models",
    ],
)
def test_every_command_ends_quietly_when_its_reader_is_already_gone(
    configured: FakeOpenRouter, command: str
) -> None:
    """`| true` exits before moltbot writes anything: every write meets a closed pipe."""
    completed = every_time(command, "true", 1)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    # Notes may go to stderr (it is still open); no error, and nothing about the pipe.
    assert "Error" not in completed.stderr and "Broken pipe" not in completed.stderr


def test_a_failure_still_fails_when_the_reader_left(configured: FakeOpenRouter) -> None:
    configured.fail("402")
    completed = bash(f"{MOLTBOT} chat hi | true; echo ${{PIPESTATUS[0]}}")
    assert completed.stdout == "5\n"


@pytest.mark.parametrize("command", ["chat hi", "chat --json hi", "config show", "--help"])
def test_a_closed_stdout_is_a_clean_error(configured: FakeOpenRouter, command: str) -> None:
    completed = bash(f"{MOLTBOT} {command} >&-")
    assert completed.returncode == 2
    assert completed.stderr.splitlines()[-2:] == [
        "Error: stdout is closed: there is nowhere to write the output",
        "Run it with stdout open: redirect it to a file, or to /dev/null to discard it.",
    ]
    assert configured.chat_bodies() == []  # nothing paid for that could not be shown


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    "command", ["chat hi", "chat --no-stream hi", "models list --all", "config show --json"]
)
def test_a_stdout_that_cannot_be_written_is_a_clean_error(
    configured: FakeOpenRouter, command: str
) -> None:
    # A full disk (here /dev/full) is the output's trouble, not "a bug in moltbot".
    completed = bash(f"{MOLTBOT} {command} > /dev/full")
    assert completed.returncode == 1
    assert completed.stderr.splitlines()[-2:] == [
        "Error: cannot write the output: No space left on device",
        "Make room where stdout goes (a file, a disk), or send it elsewhere.",
    ]


def test_a_closed_stdout_does_not_stop_a_command_that_prints_nothing(
    configured: FakeOpenRouter, config_file: Path
) -> None:
    completed = bash(f"{MOLTBOT} config set agents.defaults.model.primary openai/gpt-5.2 >&-")
    assert completed.returncode == 0, completed.stderr
    assert '"openai/gpt-5.2"' in config_file.read_text()


@pytest.mark.parametrize(
    ("command", "code"),
    [("chat hi", 5), ("models status --check", 0), ("config get nope.path", 2)],
)
@pytest.mark.parametrize(
    "stderr",
    ["2>&-", "2> >(exec 0<&-; true)", "2>&1 >/dev/null | true"],
)
def test_a_closed_or_vanished_stderr_never_changes_the_exit_code(
    configured: FakeOpenRouter, command: str, code: int, stderr: str
) -> None:
    configured.fail("402")
    completed = bash(f'{MOLTBOT} {command} {stderr}; echo "exit ${{PIPESTATUS[0]}}"')
    assert completed.stdout.splitlines()[-1] == f"exit {code}"
