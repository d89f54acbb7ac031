"""Run the installed `moltbot` as a user would: a subprocess with the sandbox environment."""

from __future__ import annotations

import os
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
