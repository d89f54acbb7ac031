"""A keyring backend that never answers, like a locked Secret Service waiting on a prompt.

Selected with PYTHON_KEYRING_BACKEND=tests.support.hanging_keyring.HangingKeyring to show
that moltbot gives up on the keyring after its time limit instead of hanging.

It records every question it is asked, so a test can show that moltbot asked once and
gave up on the later lookups without asking again (rather than timing the run):
- in the test's own process, in `asked` (`asked_by_threads_since(before)` counts only
  the questions of threads started since `before`, so a thread left hanging by an
  earlier test that is slow to arrive is not counted);
- in a `moltbot` subprocess, one line per question (`get`, `set` or `delete`) in the file
  named by MOLTBOT_TEST_KEYRING_ASKED, when set (`asked_in(path)` reads it).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from keyring.backend import KeyringBackend

ASKED_LOG_ENV = "MOLTBOT_TEST_KEYRING_ASKED"

_never = threading.Event()
_asked_changed = threading.Condition()
asked: list[tuple[threading.Thread, str]] = []


class HangingKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        _hang("get")
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        _hang("set")

    def delete_password(self, service: str, username: str) -> None:
        _hang("delete")


def _hang(operation: str) -> None:
    with _asked_changed:
        asked.append((threading.current_thread(), operation))
        _asked_changed.notify_all()
    log = os.environ.get(ASKED_LOG_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as file:
            file.write(operation + "\n")
    _never.wait()


def asked_by_threads_since(before: set[threading.Thread]) -> list[str]:
    """The questions asked by threads that were not running when `before` was taken."""
    with _asked_changed:
        return [operation for thread, operation in asked if thread not in before]


def wait_until_asked(before: set[threading.Thread], count: int, limit: float = 30.0) -> None:
    """Wait until threads started since `before` asked `count` questions.

    moltbot's keyring thread may still be on its way to the keyring when moltbot has given
    up on it (importing keyring takes a while on a loaded machine); this waits for it. The
    limit only ends a test whose thread never comes.
    """
    with _asked_changed:
        _asked_changed.wait_for(
            lambda: len([t for t, _ in asked if t not in before]) >= count, timeout=limit
        )


def asked_in(log: Path) -> list[str]:
    """The questions a `moltbot` subprocess asked, from its MOLTBOT_TEST_KEYRING_ASKED file."""
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []
