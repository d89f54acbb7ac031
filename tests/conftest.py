"""Every test runs in a sandbox: its own HOME, XDG dirs, config, cache, keyring and no key."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).parent


@pytest.fixture(scope="session")
def fake_browser_command(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An executable for BROWSER (webbrowser runs it with the URL) that runs the double."""
    script = tmp_path_factory.mktemp("browser") / "fake-browser"
    target = TESTS_DIR / "support" / "fake_browser.py"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{target}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture(autouse=True)
def isolated_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_browser_command: Path
) -> Path:
    home = tmp_path / "home"
    for sub in ("config", "cache", "data", "state"):
        (home / sub).mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("MOLTBOT_CONFIG_PATH", str(home / "config" / "moltbot" / "moltbot.json"))
    monkeypatch.setenv("MOLTBOT_CACHE_DIR", str(home / "cache" / "moltbot"))
    monkeypatch.setenv("MOLTBOT_DATA_DIR", str(home / "data" / "moltbot"))
    # Nothing listens here: a test that forgets to start a fake server fails fast.
    monkeypatch.setenv("OPENROUTER_BASE_URL", "http://127.0.0.1:9/api/v1")
    # A file-backed keyring of the suite's own, kept inside the sandbox.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.keyring_backend.FileKeyring")
    monkeypatch.setenv("MOLTBOT_TEST_KEYRING_FILE", str(home / "test-keyring.json"))
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join(filter(None, [str(TESTS_DIR.parent), os.environ.get("PYTHONPATH")])),
    )
    # Sign-in: no real browser and no real sign-in page, ever. The double does nothing unless
    # MOLTBOT_TEST_BROWSER names actions; nothing listens at the page's address. Without a
    # display or SSH variables, sign-in is headless unless a test sets DISPLAY.
    monkeypatch.setenv("BROWSER", str(fake_browser_command))
    monkeypatch.setenv("MOLTBOT_TEST_BROWSER_LOG", str(home / "browser.log"))
    monkeypatch.setenv("OPENROUTER_AUTH_URL", "http://127.0.0.1:9/auth")
    for name in (
        "MOLTBOT_TEST_BROWSER",
        "MOLTBOT_SIGNIN_TIMEOUT",
        "DISPLAY",
        "WAYLAND_DISPLAY",
        "SSH_CONNECTION",
        "SSH_TTY",
        "SSH_CLIENT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    return home


@pytest.fixture
def config_file(isolated_environment: Path) -> Path:
    return Path(os.environ["MOLTBOT_CONFIG_PATH"])


@pytest.fixture
def log_file(isolated_environment: Path) -> Path:
    """The call log's database: where every chat is recorded."""
    return Path(os.environ["MOLTBOT_DATA_DIR"]) / "logs.db"


@pytest.fixture
def keyring_file(isolated_environment: Path) -> Path:
    """The test keyring's storage: where a stored key would land."""
    return Path(os.environ["MOLTBOT_TEST_KEYRING_FILE"])


@pytest.fixture
def creds_file(config_file: Path) -> Path:
    """The key fallback file beside the config."""
    return config_file.with_name("credentials.json")
