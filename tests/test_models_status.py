"""`moltbot models status`: what is configured, which key is used and from where, masked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support import hanging_keyring
from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
    host_of,
    refused_base_url,
)

CONFIG = """// mine
{
  agents: { defaults: {
    model: { primary: "anthropic/claude-sonnet-4-5", fallbacks: ["openrouter/openai/gpt-5.2"] },
    models: {
      "openrouter/anthropic/claude-sonnet-4-5": { alias: "Claude Sonnet" },
      "openrouter/openai/gpt-5.2": { alias: "GPT-5.2" },
    },
  } },
}
"""
ENV_KEY = "sk-or-v1-test-" + "e" * 20
KEYS_PAGE = "https://openrouter.ai/settings/keys"
HANGING = {
    "PYTHON_KEYRING_BACKEND": "tests.support.hanging_keyring.HangingKeyring",
    "MOLTBOT_KEYRING_TIMEOUT": "0.3",
}


def write_config(config_file: Path, text: str = CONFIG) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(text)


def store_in_test_keyring(key: str) -> None:
    Path(os.environ["MOLTBOT_TEST_KEYRING_FILE"]).write_text(
        json.dumps({"moltbot/openrouter": key})
    )


def test_json_has_the_contract_fields(config_file: Path) -> None:
    write_config(config_file)
    store_in_test_keyring(TEST_KEY)
    result = run_moltbot("models", "status", "--json")
    assert result.code == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["defaultModel"] == "openrouter/anthropic/claude-sonnet-4-5"
    assert status["fallbacks"] == ["openrouter/openai/gpt-5.2"]
    assert status["aliases"] == {
        "Claude Sonnet": "openrouter/anthropic/claude-sonnet-4-5",
        "GPT-5.2": "openrouter/openai/gpt-5.2",
    }
    assert status["auth"]["openrouter"] == {
        "source": "keyring",
        "key": "sk-or-v1-te…xxx",
        "keyringProblem": None,
    }
    assert TEST_KEY not in result.output


def test_human_output_says_where_the_key_comes_from(config_file: Path) -> None:
    write_config(config_file)
    result = run_moltbot("models", "status", env={"OPENROUTER_API_KEY": ENV_KEY})
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split(None, 2)[2] == "openrouter/anthropic/claude-sonnet-4-5"
    assert "Fallbacks      openrouter/openai/gpt-5.2" in result.stdout
    assert "Claude Sonnet → openrouter/anthropic/claude-sonnet-4-5" in result.stdout
    assert (
        "API key        sk-or-v1-te…eee from OPENROUTER_API_KEY in the environment" in result.stdout
    )
    assert ENV_KEY not in result.output


def test_a_config_key_is_found_last_and_called_plain_text(config_file: Path) -> None:
    write_config(config_file, '{ env: { OPENROUTER_API_KEY: "sk-or-v1-test-config-1234567890" } }')
    result = run_moltbot("models", "status", "--json")
    assert json.loads(result.stdout)["auth"]["openrouter"]["source"] == "config"
    human = run_moltbot("models", "status")
    assert f"env.OPENROUTER_API_KEY in {config_file} (plain text" in human.stdout


def test_plain_prints_the_default_ref_alone(config_file: Path) -> None:
    assert run_moltbot("models", "status", "--plain").stdout == (
        "openrouter/anthropic/claude-sonnet-4-5\n"
    )
    write_config(config_file)
    assert run_moltbot("models", "status", "--plain").stdout == (
        "openrouter/anthropic/claude-sonnet-4-5\n"
    )


def test_nothing_configured(config_file: Path) -> None:
    result = run_moltbot("models", "status", "--json")
    assert result.code == 0
    status = json.loads(result.stdout)
    assert status["defaultModelSource"] == "builtin"
    assert status["auth"]["openrouter"] == {"source": "none", "key": None, "keyringProblem": None}
    human = run_moltbot("models", "status")
    assert "none found; run `moltbot onboard` or set OPENROUTER_API_KEY" in human.stdout
    assert "(built-in default; not set in the config)" in human.stdout
    assert not config_file.exists()


def test_json_and_plain_together_is_a_usage_error() -> None:
    result = run_moltbot("models", "status", "--json", "--plain")
    assert (result.code, result.stdout) == (2, "")
    assert "--json and --plain cannot be used together" in result.stderr


def test_check_exits_4_without_a_key_and_still_reports() -> None:
    result = run_moltbot("models", "status", "--check", "--json")
    assert result.code == 4
    assert json.loads(result.stdout)["auth"]["openrouter"]["source"] == "none"
    assert result.stderr.splitlines() == [
        "Error: no OpenRouter API key found",
        "Run `moltbot onboard`, or set OPENROUTER_API_KEY.",
    ]
    assert run_moltbot("models", "status", "--check", env={"OPENROUTER_API_KEY": ENV_KEY}).code == 0


def test_probe_shows_what_openrouter_says_about_the_key(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.keys[TEST_KEY] = {
        "label": "laptop",
        "usage": 1.2,
        "limit": 5,
        "limit_remaining": 3.8,
    }
    store_in_test_keyring(TEST_KEY)
    result = run_moltbot("models", "status", "--probe")
    assert result.code == 0, result.stderr
    assert "Key check      OK: label laptop, used $1.20 of $5.00 ($3.80 left)" in result.stdout
    as_json = json.loads(run_moltbot("models", "status", "--probe", "--json").stdout)
    assert as_json["probe"] == {
        "ok": True,
        "label": "laptop",
        "usage": 1.2,
        "limit": 5,
        "limitRemaining": 3.8,
        "isFreeTier": False,
    }


def test_probe_with_a_rejected_key_exits_4(fake_openrouter: FakeOpenRouter) -> None:
    bad = "sk-or-v1-test-" + "r" * 20
    result = run_moltbot("models", "status", "--probe", "--json", env={"OPENROUTER_API_KEY": bad})
    assert result.code == 4
    probe = json.loads(result.stdout)["probe"]
    assert probe["ok"] is False and "(401)" in probe["error"]
    first, hint = result.stderr.splitlines()
    assert first.startswith(f"Error: {fake_openrouter.host} rejected the key sk-or-v1-te…rrr (401)")
    # Status only probed the key: say which key and how to replace it, not "nothing was saved".
    assert hint == (
        "The probed key comes from OPENROUTER_API_KEY in the environment, which wins over any "
        f"stored key: fix it, or unset it. Check your keys at {KEYS_PAGE}."
    )
    assert bad not in result.output


def test_probe_with_a_refused_stored_key_says_where_it_is(
    fake_openrouter: FakeOpenRouter,
) -> None:
    fake_openrouter.fail("403", route="key")
    store_in_test_keyring(TEST_KEY)
    result = run_moltbot("models", "status", "--probe")
    assert result.code == 4
    assert "Key check" not in result.stdout and "API key        sk-or-v1-te…xxx" in result.stdout
    first, hint = result.stderr.splitlines()
    assert first.startswith(f"Error: {fake_openrouter.host} refused the key sk-or-v1-te…xxx (403)")
    assert hint == (
        "The probed key comes from the keyring (service 'moltbot', user 'openrouter'): store a "
        f"new one with `moltbot onboard`. Check your keys at {KEYS_PAGE}."
    )
    assert "saved" not in result.stderr.lower()


@pytest.mark.parametrize("source", ["env", "config"])
def test_probe_of_a_key_that_cannot_be_sent_names_its_source(
    fake_openrouter: FakeOpenRouter, config_file: Path, source: str
) -> None:
    broken = "sk-or-v1-test has space inside"
    env = {}
    if source == "env":
        env["OPENROUTER_API_KEY"] = broken
        where = (
            "OPENROUTER_API_KEY in the environment, which wins over any stored key: fix it, "
            "or unset it."
        )
    else:
        write_config(config_file, f'{{ env: {{ OPENROUTER_API_KEY: "{broken}" }} }}')
        where = (
            f"env.OPENROUTER_API_KEY in {config_file}: fix it with `moltbot config set "
            "env.OPENROUTER_API_KEY …`, or remove it with "
            "`moltbot config unset env.OPENROUTER_API_KEY`."
        )
    before = config_file.read_bytes() if config_file.exists() else None
    result = run_moltbot("models", "status", "--probe", "--json", env=env)
    assert result.code == 4
    assert json.loads(result.stdout)["probe"] == {
        "ok": False,
        "error": "the API key contains spaces or characters no OpenRouter key has",
    }
    assert result.stderr.splitlines() == [
        "Error: the API key contains spaces or characters no OpenRouter key has",
        f"The probed key comes from {where} Check your keys at {KEYS_PAGE}.",
    ]
    # Only the model list (no key needed) for the expiry check; the key was never sent.
    assert [request.path for request in fake_openrouter.requests] == ["/api/v1/models"]
    assert (config_file.read_bytes() if config_file.exists() else None) == before


def test_probe_offline_exits_8(monkeypatch: pytest.MonkeyPatch) -> None:
    base_url = refused_base_url()
    monkeypatch.setenv("OPENROUTER_BASE_URL", base_url)
    monkeypatch.setenv("MOLTBOT_RETRY_BASE_SECONDS", "0.01")
    result = run_moltbot("models", "status", "--probe", env={"OPENROUTER_API_KEY": ENV_KEY})
    assert result.code == 8
    assert f"cannot reach {host_of(base_url)} ({base_url})" in result.stderr


def test_probe_without_a_key_exits_4(fake_openrouter: FakeOpenRouter) -> None:
    result = run_moltbot("models", "status", "--probe")
    assert result.code == 4
    # Only the model list (no key needed) for the expiry check; the key was never sent.
    assert [request.path for request in fake_openrouter.requests] == ["/api/v1/models"]


def test_an_invalid_config_exits_3(config_file: Path) -> None:
    write_config(config_file, "{ agents: 1 }")
    result = run_moltbot("models", "status")
    assert result.code == 3
    assert "agents: expected an object" in result.stderr


def test_without_a_keyring_status_says_why(config_file: Path) -> None:
    result = run_moltbot(
        "models", "status", env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    )
    assert result.code == 0
    assert "Keyring        not used: no keyring backend is available" in result.stdout


def test_a_hanging_keyring_does_not_hang_status(tmp_path: Path) -> None:
    # A hang would outlast run_moltbot's own time limit, which fails the test.
    asked = tmp_path / "keyring-asked"
    result = run_moltbot(
        "models",
        "status",
        "--json",
        env={
            "PYTHON_KEYRING_BACKEND": "tests.support.hanging_keyring.HangingKeyring",
            "MOLTBOT_KEYRING_TIMEOUT": "0.3",
            hanging_keyring.ASKED_LOG_ENV: str(asked),
        },
    )
    assert result.code == 0, result.stderr
    auth = json.loads(result.stdout)["auth"]["openrouter"]
    assert auth == {
        "source": "none",
        "key": None,
        "keyringProblem": "the keyring did not answer within 0.3 s",
    }
    assert result.stderr == (
        "Note: the keyring did not answer within 0.3 s, so a key kept there could not be "
        "read. Unlock the keyring, or store the key with --key-store file.\n"
    )
    # One bounded wait: no later lookup asked the keyring again. The one question may not
    # be in the log: moltbot does not wait for the thread it gave up on before it exits.
    assert hanging_keyring.asked_in(asked) in ([], ["get"])


def test_a_hanging_keyring_is_noted_once_when_the_file_key_is_used(creds_file: Path) -> None:
    creds_file.parent.mkdir(parents=True)
    creds_file.write_text(json.dumps({"openrouter": {"apiKey": TEST_KEY}}))
    result = run_moltbot("models", "status", "--probe", env=HANGING)
    assert result.code == 8  # nothing listens at the sandbox's base URL
    assert f"API key        sk-or-v1-te…xxx from {creds_file}" in result.stdout
    assert "Keyring        not used: the keyring did not answer within 0.3 s" in result.stdout
    notes = [line for line in result.stderr.splitlines() if line.startswith("Note:")]
    assert notes == [
        f"Note: the keyring did not answer within 0.3 s; using the key from {creds_file}. "
        "Unlock the keyring, or skip it with PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring."
    ]
    assert result.stderr.splitlines()[1].startswith("Error: cannot reach 127.0.0.1:")
    assert TEST_KEY not in result.output


def test_a_config_key_given_as_a_reference_is_not_called_plain_text(config_file: Path) -> None:
    write_config(config_file, '{ env: { OPENROUTER_API_KEY: "${MY_TEST_KEY}" } }')
    result = run_moltbot("models", "status", env={"MY_TEST_KEY": "sk-or-v1-test-config-1234567890"})
    assert result.code == 0, result.stderr
    assert f"from env.OPENROUTER_API_KEY in {config_file}\n" in result.stdout
    assert "plain text" not in result.output
