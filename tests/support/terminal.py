"""`moltbot` in a pseudo-terminal, as a person would type into it, with all it printed kept."""

from __future__ import annotations

import io
import os
import sys

import pexpect


class Terminal:
    def __init__(self, *args: str, env: dict[str, str] | None = None, columns: int = 200) -> None:
        environment = dict(os.environ)
        environment.update({"TERM": "xterm", **(env or {})})
        self.screen = io.StringIO()
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "moltbot_cli", *args],
            env=environment,
            encoding="utf-8",
            timeout=20,
            dimensions=(50, columns),
        )
        self.child.logfile_read = self.screen

    def expect(self, text: str) -> None:
        self.child.expect_exact(text)

    def answer(self, prompt: str, reply: str) -> None:
        self.expect(prompt)
        self.child.sendline(reply)

    def finish(self) -> int:
        """Wait for the command to end; its exit code (no traceback allowed on the way)."""
        self.child.expect(pexpect.EOF)
        self.child.close()
        assert "Traceback" not in self.output, self.output
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1)

    @property
    def output(self) -> str:
        return self.screen.getvalue()
