"""`moltbot models auth paste-token` and `logout`: storing and removing the key by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
    refused_base_url,
)
from tests.support.keyring_backend import keyring_of

PASTE = ("models", "auth", "paste-token", "--provider", "openrouter")
LOGOUT = ("models", "auth", "logout", "--provider", "openrouter")
FAIL_BACKEND = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
HANGING_BACKEND = {
    "PYTHON_KEYRING_BACKEND": "tests.support.hanging_keyring.HangingKeyring",
    "MOLTBOT_KEYRING_TIMEOUT": "0.3",
}
KEYRING_PLACE = "the keyring (service 'moltbot', user 'openrouter')"


def test_paste_token_checks_and_stores_a_key_from_stdin(
    fake_openrouter: FakeOpenRouter, keyring_file: Path, config_file: Path
) -> None:
    result = run_moltbot(*PASTE, input=f"{TEST_KEY}\n")
    assert result.code == 0, result.stderr
    # Confirmations are notes, as for every command that changes something: stdout stays
    # empty, so nothing a script captures from it is a message.
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Key OK: label sk-or-v1-te…xxx, used $0.25, no spending limit",
        f"Stored the OpenRouter key sk-or-v1-te…xxx in {KEYRING_PLACE}.",
    ]
    assert keyring_of(keyring_file) == {"moltbot/openrouter": TEST_KEY}
    assert not config_file.exists()  # the key never goes into the config
    assert TEST_KEY not in result.output


def test_paste_token_without_a_keyring_uses_the_file(
    fake_openrouter: FakeOpenRouter, creds_file: Path
) -> None:
    result = run_moltbot(*PASTE, input=TEST_KEY, env=FAIL_BACKEND)
    assert result.code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Key OK: label sk-or-v1-te…xxx, used $0.25, no spending limit",
        "Warning: no usable keyring (no keyring backend is available); keeping the key in "
        f"{creds_file} (mode 600) instead. Install a keyring backend to use it, or pass "
        "--key-store file to skip the keyring.",
        f"Stored the OpenRouter key sk-or-v1-te…xxx in {creds_file}.",
    ]
    assert json.loads(creds_file.read_text()) == {"openrouter": {"apiKey": TEST_KEY}}


def test_paste_token_with_a_hanging_keyring_says_to_unlock_it(
    fake_openrouter: FakeOpenRouter, creds_file: Path
) -> None:
    # A keyring that exists but does not answer needs unlocking, not installing.
    result = run_moltbot(*PASTE, input=TEST_KEY, env=HANGING_BACKEND)
    assert result.code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines()[1:] == [
        "Warning: no usable keyring (the keyring did not answer within 0.3 s); keeping the key "
        f"in {creds_file} (mode 600) instead. Unlock the keyring to use it, or pass "
        "--key-store file to skip the keyring.",
        f"Stored the OpenRouter key sk-or-v1-te…xxx in {creds_file}.",
    ]
    assert "Install" not in result.stderr
    assert json.loads(creds_file.read_text()) == {"openrouter": {"apiKey": TEST_KEY}}


def test_paste_token_moves_a_file_key_into_the_keyring(
    fake_openrouter: FakeOpenRouter, creds_file: Path, keyring_file: Path
) -> None:
    assert run_moltbot(*PASTE, "--key-store", "file", input=TEST_KEY).code == 0
    assert creds_file.exists() and not keyring_of(keyring_file)
    assert run_moltbot(*PASTE, input=TEST_KEY).code == 0
    assert not creds_file.exists()
    assert keyring_of(keyring_file) == {"moltbot/openrouter": TEST_KEY}


@pytest.mark.parametrize(
    ("args", "stdin", "env", "code", "first_line"),
    [
        (("--provider", "anthropic"), TEST_KEY, {}, 2, "Error: unknown provider 'anthropic'"),
        ((), "  \n", {}, 2, "Error: no API key on stdin"),
        (("--key-store", "vault"), TEST_KEY, {}, 2, "Error: unknown --key-store 'vault'"),
        (
            ("--key-store", "keyring"),
            TEST_KEY,
            FAIL_BACKEND,
            2,
            "Error: cannot store the key in the keyring: no keyring backend is available; "
            "nothing was stored",
        ),
        (
            (),
            "sk-or-v1-test-" + "r" * 20,
            {},
            4,
            # HOST: the fake's host and port, which messages name instead of "OpenRouter".
            "Error: HOST rejected the key sk-or-v1-te…rrr (401): User not found.",
        ),
    ],
    ids=["provider", "empty", "key-store", "no-keyring", "rejected"],
)
def test_paste_token_failures_store_nothing(
    fake_openrouter: FakeOpenRouter,
    keyring_file: Path,
    config_file: Path,
    args: tuple[str, ...],
    stdin: str,
    env: dict[str, str],
    code: int,
    first_line: str,
) -> None:
    result = run_moltbot("models", "auth", "paste-token", *args, input=stdin, env=env)
    assert (result.code, result.stdout) == (code, "")
    assert result.stderr.splitlines()[0] == first_line.replace("HOST", fake_openrouter.host)
    assert not keyring_file.exists() and not config_file.parent.exists()
    if code == 2:  # refused before the key went anywhere, OpenRouter included
        assert fake_openrouter.requests == []


def test_paste_token_offline_suggests_skip_validate(
    monkeypatch: pytest.MonkeyPatch, keyring_file: Path
) -> None:
    monkeypatch.setenv("OPENROUTER_BASE_URL", refused_base_url())
    monkeypatch.setenv("MOLTBOT_RETRY_BASE_SECONDS", "0.01")
    result = run_moltbot(*PASTE, input=TEST_KEY)
    assert result.code == 8
    assert "--skip-validate" in result.stderr
    assert not keyring_file.exists()
    skipped = run_moltbot(*PASTE, "--skip-validate", input=TEST_KEY)
    assert skipped.code == 0, skipped.stderr
    assert keyring_of(keyring_file) == {"moltbot/openrouter": TEST_KEY}


def test_logout_removes_the_key_from_both_places_and_says_so(
    keyring_file: Path, creds_file: Path
) -> None:
    keyring_file.write_text(json.dumps({"moltbot/openrouter": TEST_KEY, "other/user": "x"}))
    creds_file.parent.mkdir(parents=True)
    creds_file.write_text(json.dumps({"openrouter": {"apiKey": TEST_KEY}}))
    result = run_moltbot(*LOGOUT)
    assert result.code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        f"Removed the OpenRouter key from {KEYRING_PLACE} and from {creds_file}.\n"
    )
    assert keyring_of(keyring_file) == {"other/user": "x"}
    assert not creds_file.exists()
    again = run_moltbot(*LOGOUT)
    assert (again.code, again.stdout) == (0, "")
    assert again.stderr == (
        f"No stored OpenRouter key to remove (checked the keyring and {creds_file}).\n"
    )


def test_logout_mentions_keys_it_cannot_remove(config_file: Path) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text('{ env: { OPENROUTER_API_KEY: "sk-or-v1-test-in-config-123456" } }')
    result = run_moltbot(*LOGOUT, env={"OPENROUTER_API_KEY": TEST_KEY})
    assert (result.code, result.stdout) == (0, "")
    nothing, warning = result.stderr.splitlines()
    assert nothing.startswith("No stored OpenRouter key to remove")
    assert warning.startswith(
        "Warning: a key is still provided by OPENROUTER_API_KEY in the environment"
    )
    assert "moltbot config unset env.OPENROUTER_API_KEY" in warning
    assert TEST_KEY not in result.output


def test_logout_without_a_keyring_removes_the_file_quietly(creds_file: Path) -> None:
    creds_file.parent.mkdir(parents=True)
    creds_file.write_text(json.dumps({"openrouter": {"apiKey": TEST_KEY}}))
    result = run_moltbot(*LOGOUT, env=FAIL_BACKEND)
    assert (result.code, result.stdout) == (0, "")
    # No keyring at all holds no key: nothing to warn about, only the confirmation.
    assert result.stderr == f"Removed the OpenRouter key from {creds_file}.\n"


def test_logout_with_a_hanging_keyring_says_it_could_not_check(creds_file: Path) -> None:
    result = run_moltbot(*LOGOUT, env=HANGING_BACKEND)
    assert (result.code, result.stdout) == (0, "")
    assert result.stderr == (
        "Warning: could not check the keyring (the keyring did not answer within 0.3 s); "
        "any key kept there is still there\n"
        f"No stored OpenRouter key to remove (checked the keyring and {creds_file}).\n"
    )


def test_logout_of_an_unknown_provider(config_file: Path) -> None:
    result = run_moltbot("models", "auth", "logout", "--provider", "openai")
    assert result.code == 2
    assert result.stderr.splitlines() == [
        "Error: unknown provider 'openai'",
        "Accepted: openrouter.",
    ]
