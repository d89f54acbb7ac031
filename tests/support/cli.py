"""Run the installed `moltbot` as a user would: a subprocess with the sandbox environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_moltbot(
    *args: str,
    input: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    stdin: int | None = None,
) -> Result:
    """Run `moltbot ARGS`; `input` is all of stdin, which then ends.

    `stdin` is a file descriptor to read instead: a pipe whose other end the test keeps
    open never ends, so a run that waits for input stops only at `timeout` and fails.
    """
    environment = dict(os.environ)
    environment.update(env or {})
    command = [sys.executable, "-m", "moltbot_cli", *args]
    if stdin is not None:
        assert input is None, "pass input or stdin, not both"
        completed = subprocess.run(
            command, stdin=stdin, capture_output=True, text=True, env=environment, timeout=timeout
        )
    else:
        completed = subprocess.run(
            command,
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            env=environment,
            timeout=timeout,
        )
    assert "Traceback" not in completed.stderr, completed.stderr
    return Result(completed.returncode, completed.stdout, completed.stderr)


@dataclass
class Interrupted:
    code: int
    first: str  # what stdout held when Ctrl-C was pressed
    stdout: str  # all of it
    stderr: str


def interrupt_after_first_output(*args: str, env: dict[str, str]) -> Interrupted:
    """Run `moltbot ARGS`, press Ctrl-C as soon as anything is on stdout, and collect the rest.

    SIGINT is delivered as at a terminal: it raises KeyboardInterrupt even when the test
    runner itself ignores the signal.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "moltbot_cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **env},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stdout is not None
        first = os.read(process.stdout.fileno(), 1024)  # blocks until the first chunk
        process.send_signal(signal.SIGINT)
        rest, stderr = process.communicate(timeout=60)  # generous for the busiest moments
    finally:
        if process.poll() is None:
            process.kill()
    assert b"Traceback" not in stderr, stderr
    return Interrupted(process.returncode, first.decode(), (first + rest).decode(), stderr.decode())
