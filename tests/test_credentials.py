"""Where the key is kept and found: the keyring (bounded in time), the 0600 file, the env."""

from __future__ import annotations

import json
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from moltbot_cli import credentials
from moltbot_cli.config.settings import Settings
from moltbot_cli.errors import AuthError, UsageError
from tests.support.keyring_backend import keyring_of

KEY = "sk-or-v1-test-" + "a" * 20
OLD_KEY = "sk-or-v1-test-" + "b" * 20
FAIL_BACKEND = "keyring.backends.fail.Keyring"
NULL_BACKEND = "keyring.backends.null.Keyring"
HANGING_BACKEND = "tests.support.hanging_keyring.HangingKeyring"
NO_SETTINGS = Settings({})


@pytest.fixture(autouse=True)
def fresh_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """keyring picks its backend once per process; make each test pick it from its own env."""
    import keyring.core

    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    monkeypatch.setattr(credentials, "_hung_reason", None)
    yield


def use_backend(monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)


# -- the key itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("pasted", [f"  {KEY}\n", f"\t{KEY}\r\n", KEY])
def test_a_pasted_key_is_stripped(pasted: str) -> None:
    assert credentials.clean_key(pasted) == KEY


@pytest.mark.parametrize(
    ("pasted", "message"),
    [
        ("", "the API key is empty"),
        (" \n ", "the API key is empty"),
        ("sk-or-v1-test abc", "spaces or characters"),
        ("sk-or-v1-tëst-abc", "spaces or characters"),
    ],
)
def test_a_key_that_cannot_be_one_is_refused(pasted: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        credentials.clean_key(pasted)


def test_an_odd_shape_is_a_warning_not_a_refusal() -> None:
    assert credentials.shape_warning(KEY) is None
    warning = credentials.shape_warning("my-test-key-" + "z" * 20)
    assert warning is not None and "sk-or-" in warning and "using it anyway" in warning
    assert "z" * 20 not in warning  # masked


# -- storing ------------------------------------------------------------------------------------


def test_auto_stores_in_the_keyring_when_one_answers(
    config_file: Path, keyring_file: Path, creds_file: Path
) -> None:
    warnings: list[str] = []
    assert (
        credentials.store_key(f" {KEY}\n", config_file, "auto", warn=warnings.append) == "keyring"
    )
    assert keyring_of(keyring_file) == {"moltbot/openrouter": KEY}
    assert not creds_file.exists() and not config_file.exists()
    assert warnings == []
    assert credentials.find_key(config_file, NO_SETTINGS) == credentials.FoundKey(KEY, "keyring")


def test_auto_falls_back_to_a_private_file_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, config_file: Path, creds_file: Path
) -> None:
    use_backend(monkeypatch, FAIL_BACKEND)
    warnings: list[str] = []
    assert credentials.store_key(KEY, config_file, "auto", warn=warnings.append) == "file"
    (warning,) = warnings
    assert "no keyring backend is available" in warning
    assert str(creds_file) in warning and "--key-store file" in warning and "\n" not in warning
    assert json.loads(creds_file.read_text()) == {"openrouter": {"apiKey": KEY}}
    assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(creds_file.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in creds_file.parent.iterdir()) == ["credentials.json"]
    assert not config_file.exists()
    assert credentials.find_key(config_file, NO_SETTINGS) == credentials.FoundKey(KEY, "file")


def test_a_null_keyring_is_no_keyring(
    monkeypatch: pytest.MonkeyPatch, config_file: Path, creds_file: Path
) -> None:
    use_backend(monkeypatch, NULL_BACKEND)
    warnings: list[str] = []
    assert credentials.store_key(KEY, config_file, "auto", warn=warnings.append) == "file"
    assert "disabled" in warnings[0]
    assert credentials.file_get(creds_file) == KEY


def test_keyring_store_without_a_keyring_is_an_error_and_stores_nothing(
    monkeypatch: pytest.MonkeyPatch, config_file: Path, creds_file: Path
) -> None:
    use_backend(monkeypatch, FAIL_BACKEND)
    with pytest.raises(UsageError) as caught:
        credentials.store_key(KEY, config_file, "keyring")
    assert "cannot store the key in the keyring" in caught.value.message
    assert "--key-store file" in (caught.value.hint or "")
    assert not creds_file.exists() and not creds_file.parent.exists()


def test_file_store_skips_the_keyring_and_clears_an_older_key_there(
    config_file: Path, keyring_file: Path, creds_file: Path
) -> None:
    credentials.keyring_set(OLD_KEY)
    warnings: list[str] = []
    assert credentials.store_key(KEY, config_file, "file", warn=warnings.append) == "file"
    assert warnings == []
    assert keyring_of(keyring_file) == {}  # the old key would otherwise win over the file
    assert credentials.find_key(config_file, NO_SETTINGS) == credentials.FoundKey(KEY, "file")


def test_keyring_store_removes_an_older_key_file(
    config_file: Path, keyring_file: Path, creds_file: Path
) -> None:
    credentials.file_set(creds_file, OLD_KEY)
    assert credentials.store_key(KEY, config_file, "keyring") == "keyring"
    assert not creds_file.exists()
    assert keyring_of(keyring_file) == {"moltbot/openrouter": KEY}


def test_the_file_keeps_entries_it_does_not_own(config_file: Path, creds_file: Path) -> None:
    creds_file.parent.mkdir(parents=True)
    creds_file.write_text(json.dumps({"other": {"apiKey": "x"}}))
    credentials.store_key(KEY, config_file, "file")
    assert json.loads(creds_file.read_text()) == {
        "other": {"apiKey": "x"},
        "openrouter": {"apiKey": KEY},
    }
    assert credentials.delete_key(config_file) == ["file"]
    assert json.loads(creds_file.read_text()) == {"other": {"apiKey": "x"}}


def test_an_unknown_store_is_refused(config_file: Path) -> None:
    with pytest.raises(UsageError, match="unknown key store 'vault'"):
        credentials.store_key(KEY, config_file, "vault")


# -- finding --------------------------------------------------------------------------------------


def test_lookup_order_env_keyring_file_config(
    monkeypatch: pytest.MonkeyPatch, config_file: Path, creds_file: Path
) -> None:
    in_config = Settings({"env": {"OPENROUTER_API_KEY": "sk-or-v1-test-config-key-cccc"}})
    assert credentials.find_key(config_file, NO_SETTINGS) == credentials.FoundKey(None, "none")
    assert credentials.find_key(config_file, in_config).source == "config"
    credentials.file_set(creds_file, "sk-or-v1-test-file-key-dddd")
    assert credentials.find_key(config_file, in_config).source == "file"
    credentials.keyring_set(KEY)
    assert credentials.find_key(config_file, in_config) == credentials.FoundKey(KEY, "keyring")
    monkeypatch.setenv("OPENROUTER_API_KEY", "  sk-or-v1-test-env-key-eeee\n")
    found = credentials.find_key(config_file, in_config)
    assert found == credentials.FoundKey("sk-or-v1-test-env-key-eeee", "env")
    assert found.masked == "sk-or-v1-te…eee"


def test_require_key_says_what_to_do(config_file: Path) -> None:
    with pytest.raises(AuthError) as caught:
        credentials.require_key(config_file, NO_SETTINGS)
    assert caught.value.message == "no OpenRouter API key found"
    assert caught.value.hint == "Run `moltbot onboard`, or set OPENROUTER_API_KEY."
    assert caught.value.exit_code == 4


def test_lookup_without_a_keyring_says_why(
    monkeypatch: pytest.MonkeyPatch, config_file: Path
) -> None:
    use_backend(monkeypatch, FAIL_BACKEND)
    lookup = credentials.lookup_key(config_file, NO_SETTINGS)
    assert lookup.found.source == "none"
    assert lookup.keyring_problem == "no keyring backend is available"


def test_a_broken_backend_name_is_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch, config_file: Path
) -> None:
    use_backend(monkeypatch, "no_such_module.Keyring")
    lookup = credentials.lookup_key(config_file, NO_SETTINGS)
    assert lookup.keyring_problem == "cannot load the keyring backend 'no_such_module.Keyring'"


def test_a_corrupt_key_file_is_reported_and_logout_clears_it(
    config_file: Path, creds_file: Path
) -> None:
    creds_file.parent.mkdir(parents=True)
    creds_file.write_text("{not json")
    with pytest.raises(AuthError) as caught:
        credentials.find_key(config_file, NO_SETTINGS)
    assert f"cannot read the key file {creds_file}: not valid JSON" == caught.value.message
    assert "moltbot models auth logout" in (caught.value.hint or "")
    assert credentials.delete_key(config_file) == ["file"]
    assert not creds_file.exists()


def test_delete_removes_the_key_from_both_places(
    config_file: Path, keyring_file: Path, creds_file: Path
) -> None:
    credentials.keyring_set(KEY)
    credentials.file_set(creds_file, OLD_KEY)
    assert credentials.delete_key(config_file) == ["keyring", "file"]
    assert keyring_of(keyring_file) == {} and not creds_file.exists()
    assert credentials.delete_key(config_file) == []


# -- the time bound ---------------------------------------------------------------------------


def test_default_bound_is_five_seconds() -> None:
    assert credentials.keyring_timeout() == 5.0


@pytest.mark.parametrize("value", ["soon", "0", "-1", "601"])
def test_a_bad_bound_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MOLTBOT_KEYRING_TIMEOUT", value)
    with pytest.raises(UsageError, match="MOLTBOT_KEYRING_TIMEOUT"):
        credentials.keyring_timeout()


def test_a_hanging_keyring_is_given_up_on_once(
    monkeypatch: pytest.MonkeyPatch, config_file: Path, creds_file: Path
) -> None:
    use_backend(monkeypatch, HANGING_BACKEND)
    monkeypatch.setenv("MOLTBOT_KEYRING_TIMEOUT", "0.2")
    warnings: list[str] = []
    started = time.monotonic()
    assert credentials.store_key(KEY, config_file, "auto", warn=warnings.append) == "file"
    first = time.monotonic() - started
    assert 0.2 <= first < 1.5
    assert "the keyring did not answer within 0.2 s" in warnings[0]
    # Later calls in the same run do not wait again.
    started = time.monotonic()
    lookup = credentials.lookup_key(config_file, NO_SETTINGS)
    assert time.monotonic() - started < 0.1
    assert lookup.found == credentials.FoundKey(KEY, "file")
    assert lookup.keyring_problem == "the keyring did not answer within 0.2 s"
