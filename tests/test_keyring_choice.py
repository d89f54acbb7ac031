"""The keyring backend that answered is remembered, so later lookups skip keyring's discovery.

These tests let keyring discover its backend as on a user's machine: no
PYTHON_KEYRING_BACKEND, and the suite's file keyring installed as a plugin (a dist-info
with a `keyring.backends` entry point on PYTHONPATH), so discovery finds it among
keyring's own backends. No desktop keyring can answer (the D-Bus address goes nowhere).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from moltbot_cli.masking import mask_key
from tests.support.cli import run_moltbot
from tests.support.keyring_backend import keyring_of

TEST_BACKEND = "tests.support.keyring_backend.FileKeyring"
KEY = "sk-or-v1-" + "k" * 40
OTHER_KEY = "sk-or-v1-" + "o" * 40

# Runs moltbot in this process and reports which keyring modules the lookup imported.
PROBE = """
import json, sys
sys.argv = ["moltbot", *json.loads(sys.argv[1])]
from moltbot_cli.app import main
try:
    main()
except SystemExit:
    pass
names = ("keyring.backends.SecretService", "keyring.backends.kwallet", "keyring.backends.macOS.api")
# A None entry is an import blocked on purpose: nothing of that module ran.
loaded = {name: sys.modules.get(name) is not None for name in names}
print("LOADED:" + json.dumps(loaded), file=sys.__stderr__)
"""


@pytest.fixture
def discovered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keyring_file: Path) -> Path:
    """The suite's file keyring, found by keyring's discovery; returns the choice file."""
    plugins = tmp_path / "plugins"
    dist = plugins / "moltbot_test_keyring-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: moltbot-test-keyring\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[keyring.backends]\nmoltbot-test = tests.support.keyring_backend\n"
    )
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([os.environ["PYTHONPATH"], str(plugins)]))
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
    monkeypatch.delenv("XDG_CURRENT_DESKTOP", raising=False)
    keyring_file.write_text(json.dumps({"moltbot/openrouter": KEY}))
    return Path(os.environ["MOLTBOT_CACHE_DIR"]) / "keyring-backend.json"


def key_status() -> dict[str, object]:
    result = run_moltbot("models", "status", "--json")
    assert result.code == 0, result.output
    auth = json.loads(result.stdout)["auth"]["openrouter"]
    assert isinstance(auth, dict)
    return auth


def imported_by(*args: str) -> dict[str, bool]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True, timeout=60
    )
    (report,) = [line for line in result.stderr.splitlines() if line.startswith("LOADED:")]
    loaded: dict[str, bool] = json.loads(report.removeprefix("LOADED:"))
    return loaded


def test_the_backend_that_held_the_key_is_remembered(discovered: Path) -> None:
    status = key_status()
    assert status["source"] == "keyring" and status["keyringProblem"] is None
    assert json.loads(discovered.read_text())["backend"] == TEST_BACKEND


def test_a_remembered_backend_is_asked_alone_without_discovery(discovered: Path) -> None:
    first = imported_by("models", "status", "--json")
    assert first["keyring.backends.SecretService"], "the first lookup discovers"
    assert discovered.exists()
    later = imported_by("models", "status", "--json")
    assert not later["keyring.backends.SecretService"]
    assert not later["keyring.backends.kwallet"]


@pytest.mark.skipif(sys.platform == "darwin", reason="the macOS backend is real there")
def test_discovery_never_runs_the_macos_library_lookup(discovered: Path) -> None:
    assert not imported_by("models", "status", "--json")["keyring.backends.macOS.api"]


@pytest.mark.parametrize(
    "remembered",
    [
        "keyring.backends.null.Keyring",  # loads, holds nothing
        "moltbot_nowhere.Keyring",  # cannot be imported any more
        "keyring.backends.chainer.ChainerBackend",  # never remembered: it means discovery
    ],
)
def test_a_remembered_backend_without_the_key_falls_back_to_discovery(
    discovered: Path, remembered: str
) -> None:
    key_status()
    saved = json.loads(discovered.read_text())
    discovered.write_text(json.dumps({**saved, "backend": remembered}))
    status = key_status()
    assert status["source"] == "keyring"
    assert json.loads(discovered.read_text())["backend"] == TEST_BACKEND


def test_a_damaged_choice_file_is_only_a_cache(discovered: Path) -> None:
    discovered.parent.mkdir(parents=True)
    discovered.write_text("{not json")
    assert key_status()["source"] == "keyring"
    assert json.loads(discovered.read_text())["backend"] == TEST_BACKEND


def test_a_new_session_discovers_again(discovered: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_status()
    saved = json.loads(discovered.read_text())
    discovered.write_text(json.dumps({**saved, "backend": "keyring.backends.null.Keyring"}))
    # Another desktop session could make another backend win: the remembered one is not used.
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/elsewhere")
    imported = imported_by("models", "status", "--json")
    assert imported["keyring.backends.SecretService"]
    assert json.loads(discovered.read_text())["backend"] == TEST_BACKEND


def test_a_key_stored_through_moltbot_is_found_where_keyring_put_it(
    discovered: Path, keyring_file: Path
) -> None:
    key_status()
    assert discovered.exists()
    result = run_moltbot(
        "models",
        "auth",
        "paste-token",
        "--provider",
        "openrouter",
        "--skip-validate",
        input=OTHER_KEY + "\n",
    )
    assert result.code == 0, result.output
    assert not discovered.exists()  # forgotten: the next lookup discovers where it went
    assert keyring_of(keyring_file)["moltbot/openrouter"] == OTHER_KEY
    status = key_status()
    assert status == {"source": "keyring", "key": mask_key(OTHER_KEY), "keyringProblem": None}


def test_a_backend_the_user_names_is_not_remembered(
    discovered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", TEST_BACKEND)
    assert key_status()["source"] == "keyring"
    assert not discovered.exists()


def test_no_keyring_at_all_is_not_remembered(discovered: Path, keyring_file: Path) -> None:
    keyring_file.unlink()
    status = key_status()
    assert status["source"] == "none"
    assert not discovered.exists()
