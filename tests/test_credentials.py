"""Where the key is kept and found: the keyring (bounded in time), the 0600 file, the env."""

from __future__ import annotations

import json
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from moltbot_cli import credentials
from moltbot_cli.config.settings import Settings
from moltbot_cli.errors import AuthError, UsageError
from tests.support import hanging_keyring
from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)
from tests.support.keyring_backend import keyring_of

KEY = "sk-or-v1-test-" + "a" * 20
OLD_KEY = "sk-or-v1-test-" + "b" * 20
FAIL_BACKEND = "keyring.backends.fail.Keyring"
NULL_BACKEND = "keyring.backends.null.Keyring"
HANGING_BACKEND = "tests.support.hanging_keyring.HangingKeyring"
NO_SETTINGS = Settings({})
UNSENDABLE = "sk-or-v1-test has space inside"
SKIP_KEYRING = "PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring"


@pytest.fixture(autouse=True)
def fresh_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """keyring picks its backend once per process; make each test pick it from its own env."""
    import keyring.core

    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    monkeypatch.setattr(credentials, "_hung_reason", None)
    monkeypatch.setattr(credentials, "_keyring_noted", False)
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
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    config_file: Path,
    creds_file: Path,
) -> None:
    use_backend(monkeypatch, HANGING_BACKEND)
    monkeypatch.setenv("MOLTBOT_KEYRING_TIMEOUT", "0.2")
    warnings: list[str] = []
    before = set(threading.enumerate())
    started = time.monotonic()
    assert credentials.store_key(KEY, config_file, "auto", warn=warnings.append) == "file"
    # It waited out the bound before giving up (a lower bound, which no load can break).
    assert time.monotonic() - started >= 0.2
    # A keyring that is there but does not answer wants unlocking, not installing.
    assert warnings == [
        "no usable keyring (the keyring did not answer within 0.2 s); keeping the key in "
        f"{creds_file} (mode 600) instead. Unlock the keyring to use it, or pass --key-store "
        "file to skip the keyring."
    ]
    # Later calls in the same run do not wait again: they do not ask the keyring (below).
    lookup = credentials.lookup_key(config_file, NO_SETTINGS)
    assert lookup.found == credentials.FoundKey(KEY, "file")
    assert lookup.keyring_problem == "the keyring did not answer within 0.2 s"
    # The wait is said once a run, on stderr, whichever command looked the key up.
    assert credentials.require_key(config_file, NO_SETTINGS).key == KEY
    assert capsys.readouterr() == (
        "",
        f"Note: the keyring did not answer within 0.2 s; using the key from {creds_file}. "
        f"Unlock the keyring, or skip it with {SKIP_KEYRING}.\n",
    )
    # Asked once, to store the key: neither store_key's read-back nor the lookups asked again.
    hanging_keyring.wait_until_asked(before, 1)
    assert hanging_keyring.asked_by_threads_since(before) == ["set"]


def test_a_hanging_keyring_without_another_key_says_a_key_may_be_there(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    use_backend(monkeypatch, HANGING_BACKEND)
    monkeypatch.setenv("MOLTBOT_KEYRING_TIMEOUT", "0.2")
    with pytest.raises(AuthError, match="no OpenRouter API key found"):
        credentials.require_key(config_file, NO_SETTINGS)
    assert capsys.readouterr() == (
        "",
        "Note: the keyring did not answer within 0.2 s, so a key kept there could not be read. "
        "Unlock the keyring, or store the key with --key-store file.\n",
    )


def test_no_keyring_at_all_is_not_noted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    use_backend(monkeypatch, FAIL_BACKEND)
    assert credentials.find_key(config_file, NO_SETTINGS).source == "none"
    assert capsys.readouterr() == ("", "")  # a machine without a keyring is normal


# -- a key that cannot be sent, blamed on where it comes from ----------------------------------


@pytest.mark.parametrize(
    ("source", "hint"),
    [
        (
            "env",
            "It comes from OPENROUTER_API_KEY in the environment, which wins over any stored "
            "key: fix it, or unset it.",
        ),
        (
            "config",
            "It comes from env.OPENROUTER_API_KEY in {config}: fix it with `moltbot config set "
            "env.OPENROUTER_API_KEY …`, or remove it with "
            "`moltbot config unset env.OPENROUTER_API_KEY`.",
        ),
        (
            "file",
            "It comes from {creds}: store a new one with `moltbot onboard`, pasting only the key "
            "itself.",
        ),
        (
            "keyring",
            "It comes from the keyring (service 'moltbot', user 'openrouter'): store a new one "
            "with `moltbot onboard`, pasting only the key itself.",
        ),
    ],
)
def test_an_unsendable_key_is_refused_with_a_hint_for_its_source(
    monkeypatch: pytest.MonkeyPatch,
    config_file: Path,
    creds_file: Path,
    source: str,
    hint: str,
) -> None:
    settings = NO_SETTINGS
    if source == "env":
        monkeypatch.setenv("OPENROUTER_API_KEY", UNSENDABLE)
    elif source == "config":
        settings = Settings({"env": {"OPENROUTER_API_KEY": UNSENDABLE}})
    elif source == "file":
        credentials.file_set(creds_file, UNSENDABLE)
    else:
        credentials.keyring_set(UNSENDABLE)
    with pytest.raises(AuthError) as caught:
        credentials.require_key(config_file, settings)
    assert caught.value.message == (
        "the API key contains spaces or characters no OpenRouter key has"
    )
    assert caught.value.hint == hint.format(config=config_file, creds=creds_file)
    assert caught.value.exit_code == 4


# -- as commands see it ---------------------------------------------------------------------------


def test_chat_blames_a_bad_environment_key_on_the_environment(
    fake_openrouter: FakeOpenRouter, keyring_file: Path
) -> None:
    keyring_file.write_text(json.dumps({"moltbot/openrouter": TEST_KEY}))
    result = run_moltbot("chat", "hi", env={"OPENROUTER_API_KEY": UNSENDABLE})
    assert (result.code, result.stdout) == (4, "")
    assert result.stderr.splitlines() == [
        "Error: the API key contains spaces or characters no OpenRouter key has",
        "It comes from OPENROUTER_API_KEY in the environment, which wins over any stored key: "
        "fix it, or unset it.",
    ]
    assert fake_openrouter.requests == []
    assert keyring_of(keyring_file) == {"moltbot/openrouter": TEST_KEY}  # left alone


def test_chat_blames_a_bad_config_key_on_the_config(
    fake_openrouter: FakeOpenRouter, config_file: Path
) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(f'{{ env: {{ OPENROUTER_API_KEY: "{UNSENDABLE}" }} }}\n')
    before = config_file.read_bytes()
    result = run_moltbot("chat", "hi")
    assert (result.code, result.stdout) == (4, "")
    first, hint = result.stderr.splitlines()
    assert first == "Error: the API key contains spaces or characters no OpenRouter key has"
    assert hint.startswith(f"It comes from env.OPENROUTER_API_KEY in {config_file}: ")
    assert "`moltbot config unset env.OPENROUTER_API_KEY`" in hint
    assert fake_openrouter.requests == []
    assert config_file.read_bytes() == before


def test_chat_with_a_hanging_keyring_says_so_once_and_answers(
    fake_openrouter: FakeOpenRouter, creds_file: Path, tmp_path: Path
) -> None:
    credentials.file_set(creds_file, TEST_KEY)
    asked = tmp_path / "keyring-asked"
    result = run_moltbot(
        "chat",
        "hi",
        env={
            "PYTHON_KEYRING_BACKEND": HANGING_BACKEND,
            "MOLTBOT_KEYRING_TIMEOUT": "0.3",
            hanging_keyring.ASKED_LOG_ENV: str(asked),
        },
    )
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("Hello from ")  # the reply, and only the reply
    assert result.stderr == (
        f"Note: the keyring did not answer within 0.3 s; using the key from {creds_file}. "
        f"Unlock the keyring, or skip it with {SKIP_KEYRING}.\n"
    )
    assert len(fake_openrouter.chat_bodies()) == 1
    # One bounded wait: no later lookup asked the keyring again. The one question may not
    # be in the log: moltbot does not wait for the thread it gave up on before it exits.
    assert hanging_keyring.asked_in(asked) in ([], ["get"])
