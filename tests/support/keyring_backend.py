"""A real keyring backend for tests: stores secrets in a JSON file inside the test sandbox.

Selected through PYTHON_KEYRING_BACKEND, so the installed `moltbot` picks it up in
subprocesses exactly as it would pick up the OS keyring.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 1

    @property
    def _file(self) -> Path:
        return Path(os.environ["MOLTBOT_TEST_KEYRING_FILE"])

    def _load(self) -> dict[str, str]:
        try:
            return dict(json.loads(self._file.read_text()))
        except FileNotFoundError:
            return {}

    def _save(self, entries: dict[str, str]) -> None:
        self._file.write_text(json.dumps(entries))

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._load()
        entries[f"{service}/{username}"] = password
        self._save(entries)

    def delete_password(self, service: str, username: str) -> None:
        entries = self._load()
        if entries.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError("not found")
        self._save(entries)


def keyring_of(keyring_file: Path) -> dict[str, str]:
    """What the test keyring holds, as `service/user` → secret."""
    return json.loads(keyring_file.read_text()) if keyring_file.exists() else {}
