"""A keyring backend that never answers, like a locked Secret Service waiting on a prompt.

Selected with PYTHON_KEYRING_BACKEND=tests.support.hanging_keyring.HangingKeyring to show
that moltbot gives up on the keyring after its time limit instead of hanging.
"""

from __future__ import annotations

import threading

from keyring.backend import KeyringBackend

_never = threading.Event()


class HangingKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        _never.wait()
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        _never.wait()

    def delete_password(self, service: str, username: str) -> None:
        _never.wait()
