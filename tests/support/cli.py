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
) -> Result:
    environment = dict(os.environ)
    environment.update(env or {})
    completed = subprocess.run(
        [sys.executable, "-m", "moltbot_cli", *args],
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return Result(completed.returncode, completed.stdout, completed.stderr)
