"""`moltbot onboard` without questions: the seed's line, every flag, every way it can fail.

Each test runs the installed CLI against the fake OpenRouter on 127.0.0.1, with the suite's
file-backed keyring (or keyring's fail backend for the fallback), and checks what ended up
on disk byte for byte.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import json5
import pytest

from tests.support import hanging_keyring
from tests.support.cli import Result, run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
    host_of,
    refused_base_url,
)
from tests.support.keyring_backend import keyring_of

SEED_LINE = ("onboard", "--auth-choice", "apiKey", "--token-provider", "openrouter", "--token")
FAIL_BACKEND = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
BAD_KEY = "sk-or-v1-test-" + "n" * 20
DEFAULT = "openrouter/anthropic/claude-sonnet-4-5"

COMMENTED = """// my moltbot setup
{
  /* models I use */
  agents: {
    defaults: {
      model: {
        primary: 'anthropic/claude-haiku-4-5', // cheap by default
        fallbacks: ["openrouter/openai/gpt-5.2"],
      },
      models: {
        "openrouter/openai/gpt-5.2": { alias: "GPT" }, // my alias
      },
    },
  },
}
"""


def snapshot(*paths: Path) -> dict[str, bytes | None]:
    """Every file in the config dir and the keyring file, with its bytes."""
    found: dict[str, bytes | None] = {}
    for path in paths:
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_file() and not child.name.endswith(".lock"):
                    found[str(child)] = child.read_bytes()
        else:
            found[str(path)] = path.read_bytes() if path.exists() else None
    return found


def assert_no_key_shown(result: Result, key: str = TEST_KEY) -> None:
    assert key not in result.output


def config_of(config_file: Path) -> dict[str, object]:
    return dict(json5.loads(config_file.read_text()))


# -- the seed's line ------------------------------------------------------------------------------


def test_the_seed_line_sets_everything_up_without_a_question(
    fake_openrouter: FakeOpenRouter, config_file: Path, keyring_file: Path, creds_file: Path
) -> None:
    result = run_moltbot(*SEED_LINE, TEST_KEY)
    assert result.code == 0, result.stderr
    # The check's result is a note, like every confirmation; stdout holds the summary.
    assert result.stderr == "Key OK: label sk-or-v1-te…xxx, used $0.25, no spending limit\n"
    assert "Key OK" not in result.stdout
    assert "stored in the keyring (service 'moltbot', user 'openrouter')" in result.stdout
    assert f"Default model  {DEFAULT}" in result.stdout
    assert 'Next, try: moltbot chat "hello"' in result.stdout
    assert_no_key_shown(result)
    assert keyring_of(keyring_file) == {"moltbot/openrouter": TEST_KEY}
    assert not creds_file.exists()
    config = config_of(config_file)
    assert config == {
        "agents": {"defaults": {"model": {"primary": DEFAULT}}},
        "auth": {"profiles": {"openrouter:default": {"provider": "openrouter", "mode": "api_key"}}},
    }
    assert TEST_KEY not in config_file.read_text()
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    (check,) = [r for r in fake_openrouter.requests if r.path.endswith("/key")]
    assert check.headers["authorization"] == f"Bearer {TEST_KEY}"


def test_json_prints_the_four_fields_and_nothing_else(
    fake_openrouter: FakeOpenRouter, config_file: Path
) -> None:
    result = run_moltbot(*SEED_LINE, TEST_KEY, "--json")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "configPath": str(config_file),
        "model": DEFAULT,
        "keyStore": "keyring",
        "validated": True,
    }
    assert "Key OK" in result.stderr  # the check's result still shows, off stdout
    assert_no_key_shown(result)


@pytest.mark.parametrize(
    "flags",
    [
        ("--auth-choice", "openrouter-api-key", "--openrouter-api-key", TEST_KEY),
        ("--auth-choice", "apikey", "--token", TEST_KEY),
        ("--token-provider", "openrouter", "--token", TEST_KEY),
        ("--token", TEST_KEY, "--openrouter-api-key", TEST_KEY),
    ],
    ids=["openrouter-api-key", "any-case", "provider-only", "both-same"],
)
def test_other_spellings_of_the_same_setup(
    fake_openrouter: FakeOpenRouter, keyring_file: Path, flags: tuple[str, ...]
) -> None:
    result = run_moltbot("onboard", *flags, "--json")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["keyStore"] == "keyring"
    assert keyring_of(keyring_file) == {"moltbot/openrouter": TEST_KEY}


def test_token_stdin_takes_a_pasted_key_with_whitespace(
    fake_openrouter: FakeOpenRouter, keyring_file: Path
) -> None:
    result = run_moltbot("onboard", "--token-stdin", "--json", input=f"  {TEST_KEY}\n\n")
    assert result.code == 0, result.stderr
    assert keyring_of(keyring_file) == {"moltbot/openrouter": TEST_KEY}


# -- where the key goes ------------------------------------------------------------------------


def test_without_a_keyring_the_key_goes_to_a_private_file_with_one_warning(
    fake_openrouter: FakeOpenRouter, config_file: Path, creds_file: Path
) -> None:
    result = run_moltbot(*SEED_LINE, TEST_KEY, "--json", env=FAIL_BACKEND)
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["keyStore"] == "file"
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert warnings == [
        "Warning: no usable keyring (no keyring backend is available); keeping the key in "
        f"{creds_file} (mode 600) instead. Install a keyring backend to use it, or pass "
        "--key-store file to skip the keyring."
    ]
    assert json.loads(creds_file.read_text()) == {"openrouter": {"apiKey": TEST_KEY}}
    assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(creds_file.parent.stat().st_mode) == 0o700
    assert TEST_KEY not in config_file.read_text()
    assert_no_key_shown(result)
    status = run_moltbot("models", "status", "--json", env=FAIL_BACKEND)
    assert json.loads(status.stdout)["auth"]["openrouter"]["source"] == "file"


def test_key_store_file_is_quiet_and_skips_the_keyring(
    fake_openrouter: FakeOpenRouter, creds_file: Path, keyring_file: Path
) -> None:
    result = run_moltbot(*SEED_LINE, TEST_KEY, "--key-store", "file", "--json", env=FAIL_BACKEND)
    assert (result.code, result.stderr.count("Warning")) == (0, 0), result.stderr
    assert json.loads(result.stdout)["keyStore"] == "file"
    assert json.loads(creds_file.read_text()) == {"openrouter": {"apiKey": TEST_KEY}}


def test_key_store_keyring_without_a_keyring_fails_and_writes_nothing(
    fake_openrouter: FakeOpenRouter, config_file: Path
) -> None:
    before = snapshot(config_file.parent)
    result = run_moltbot(*SEED_LINE, TEST_KEY, "--key-store", "keyring", env=FAIL_BACKEND)
    assert result.code == 2
    assert result.stderr.splitlines() == [
        "Error: cannot store the key in the keyring: no keyring backend is available; nothing "
        "was stored",
        f"Use --key-store file to keep it in {config_file.with_name('credentials.json')} "
        "(mode 600) instead.",
    ]
    assert snapshot(config_file.parent) == before
    assert not config_file.exists()
    assert fake_openrouter.requests == []  # refused before the key went anywhere


def test_a_hanging_keyring_is_waited_for_once(
    fake_openrouter: FakeOpenRouter, creds_file: Path, tmp_path: Path
) -> None:
    asked = tmp_path / "keyring-asked"
    result = run_moltbot(
        *SEED_LINE,
        TEST_KEY,
        "--json",
        env={
            "PYTHON_KEYRING_BACKEND": "tests.support.hanging_keyring.HangingKeyring",
            "MOLTBOT_KEYRING_TIMEOUT": "0.5",
            hanging_keyring.ASKED_LOG_ENV: str(asked),
        },
    )
    assert result.code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    # The keyring is there but silent: the advice is to unlock it, not to install one.
    assert warnings == [
        "Warning: no usable keyring (the keyring did not answer within 0.5 s); keeping the key "
        f"in {creds_file} (mode 600) instead. Unlock the keyring to use it, or pass "
        "--key-store file to skip the keyring."
    ]
    assert json.loads(result.stdout)["keyStore"] == "file"
    assert json.loads(creds_file.read_text()) == {"openrouter": {"apiKey": TEST_KEY}}
    # One bounded wait, on storing the key: the later lookups gave up without asking. That
    # question may not be in the log: moltbot does not wait for the thread it gave up on.
    assert hanging_keyring.asked_in(asked) in ([], ["set"])


# -- failures write nothing ------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["401", "403"])
def test_a_rejected_key_writes_nothing(
    fake_openrouter: FakeOpenRouter,
    config_file: Path,
    keyring_file: Path,
    creds_file: Path,
    status: str,
) -> None:
    if status == "403":
        fake_openrouter.fail("403", route="key")
        key = TEST_KEY
    else:
        key = BAD_KEY
    result = run_moltbot(*SEED_LINE, key)
    assert result.code == 4
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    verb = "rejected" if status == "401" else "refused"
    assert lines[0].startswith(f"Error: {fake_openrouter.host} {verb} the key sk-or-v1-te…")
    assert f"({status})" in lines[0]
    assert "nothing was saved" in lines[1].lower()
    assert result.stdout == ""
    assert_no_key_shown(result, key)
    assert not config_file.exists() and not keyring_file.exists() and not creds_file.exists()


def test_unreachable_openrouter_fails_with_a_skip_validate_hint(
    monkeypatch: pytest.MonkeyPatch, config_file: Path, keyring_file: Path
) -> None:
    base_url = refused_base_url()
    monkeypatch.setenv("OPENROUTER_BASE_URL", base_url)
    monkeypatch.setenv("MOLTBOT_RETRY_BASE_SECONDS", "0.01")
    result = run_moltbot(*SEED_LINE, TEST_KEY)
    assert result.code == 8
    first, hint = result.stderr.splitlines()
    assert first.startswith(
        f"Error: could not check the key: cannot reach {host_of(base_url)} ({base_url})"
    )
    assert first.endswith("connection refused")
    assert "--skip-validate" in hint
    assert not config_file.parent.exists() and not keyring_file.exists()


def test_skip_validate_works_offline(
    monkeypatch: pytest.MonkeyPatch, config_file: Path, keyring_file: Path
) -> None:
    monkeypatch.setenv("OPENROUTER_BASE_URL", refused_base_url())
    result = run_moltbot(*SEED_LINE, TEST_KEY, "--skip-validate", "--json")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["validated"] is False
    assert keyring_of(keyring_file) == {"moltbot/openrouter": TEST_KEY}
    human = run_moltbot(*SEED_LINE, TEST_KEY, "--skip-validate")
    assert (
        "stored in the keyring (service 'moltbot', user 'openrouter'); not checked" in human.stdout
    )


@pytest.mark.parametrize(
    ("flags", "message", "hint"),
    [
        (
            ("--auth-choice", "password", "--token", TEST_KEY),
            "Error: unknown --auth-choice 'password'; nothing was written",
            "Accepted: oauth, openrouter-oauth, apiKey, openrouter-api-key, skip.",
        ),
        (
            ("--auth-choice", "oauth", "--token", TEST_KEY),
            "Error: --auth-choice oauth signs in for a new key, but a key was given; "
            "nothing was written",
            "Drop the key, or use --auth-choice apiKey to store it.",
        ),
        (
            ("--auth-choice", "apiKey", "--no-browser", "--token", TEST_KEY),
            "Error: --no-browser applies to signing in, not to --auth-choice apiKey; "
            "nothing was written",
            "Use --auth-choice oauth to sign in with OpenRouter.",
        ),
        (
            ("--auth-choice", "openrouter-oauth"),
            "Error: signing in without a browser (no display: DISPLAY and "
            "WAYLAND_DISPLAY are unset) needs you to paste a code, but stdin is not a terminal; "
            "nothing was written",
            "Supply a key instead with --token KEY (or --token-stdin), with --auth-choice apiKey.",
        ),
        (
            ("--auth-choice", "apiKey", "--token-provider", "anthropic", "--token", TEST_KEY),
            "Error: unknown --token-provider 'anthropic'; nothing was written",
            "Accepted: openrouter.",
        ),
        (
            ("--key-store", "vault", "--token", TEST_KEY),
            "Error: unknown --key-store 'vault'; nothing was written",
            "Accepted: auto, keyring, file.",
        ),
        (
            ("--auth-choice", "skip", "--token", TEST_KEY),
            "Error: --auth-choice skip sets up no key, but a key was given",
            "Drop the key, or use --auth-choice apiKey.",
        ),
        (
            ("--token", TEST_KEY, "--openrouter-api-key", BAD_KEY),
            "Error: --token and --openrouter-api-key give different keys; use one of them",
            None,
        ),
        (
            ("--token", "sk-or-v1 test"),
            "Error: the API key contains spaces or characters a key never has",
            "Copy the key again from https://openrouter.ai/settings/keys, on its own.",
        ),
        (
            ("--token", TEST_KEY, "--model", "not a model"),
            "Error: 'not a model' is neither an alias nor a model reference",
            "Aliases: none configured. A reference looks like openrouter/<author>/<slug>.",
        ),
        (
            ("--non-interactive",),
            "Error: no API key given, and none is stored",
            "Pass it with --token KEY (or --token-stdin to read it from stdin); "
            "--auth-choice skip sets up without one.",
        ),
    ],
    ids=[
        "auth-choice",
        "oauth-with-key",
        "no-browser-with-api-key",
        "oauth-headless-without-terminal",
        "token-provider",
        "key-store",
        "skip-with-key",
        "two-keys",
        "broken-key",
        "bad-model",
        "missing-key",
    ],
)
def test_usage_errors_name_the_way_out_and_write_nothing(
    fake_openrouter: FakeOpenRouter,
    config_file: Path,
    keyring_file: Path,
    flags: tuple[str, ...],
    message: str,
    hint: str | None,
) -> None:
    result = run_moltbot("onboard", *flags)
    assert result.code == 2
    assert result.stderr.splitlines() == [message, *([hint] if hint else [])]
    assert fake_openrouter.requests == []  # refused before asking anything
    assert not config_file.parent.exists() and not keyring_file.exists()


def test_a_missing_key_without_a_terminal_fails_without_waiting_for_input(
    config_file: Path,
) -> None:
    """stdin is not a terminal here, so no wizard: the missing input is named instead.

    stdin is a pipe the test keeps open, so a prompt reading it would wait until
    run_moltbot's time limit and fail the test.
    """
    read_end, write_end = os.pipe()
    try:
        result = run_moltbot("onboard", stdin=read_end)
    finally:
        os.close(read_end)
        os.close(write_end)
    assert result.code == 2
    assert "--token KEY" in result.stderr
    assert not config_file.parent.exists()


def test_token_stdin_with_nothing_on_stdin(config_file: Path) -> None:
    result = run_moltbot("onboard", "--token-stdin", input="\n")
    assert result.code == 2
    assert result.stderr.splitlines()[0] == "Error: --token-stdin: no key on stdin"
    assert not config_file.parent.exists()


def test_a_model_unknown_to_the_catalogue_is_refused_with_near_matches(
    fake_openrouter: FakeOpenRouter, config_file: Path, keyring_file: Path
) -> None:
    result = run_moltbot(*SEED_LINE, TEST_KEY, "--model", "anthropic/claude-sonet-4-5")
    assert result.code == 2
    assert (
        "Error: openrouter/anthropic/claude-sonet-4-5 is not in the model catalogue of "
        f"{fake_openrouter.host}" in result.stderr
    )
    assert "Did you mean openrouter/anthropic/claude-sonnet-4-5" in result.stderr
    assert not config_file.exists() and not keyring_file.exists()


def test_an_invalid_config_stops_before_the_key_is_stored(
    fake_openrouter: FakeOpenRouter, config_file: Path, keyring_file: Path
) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text("{ agents: { defaults: { modle: {} } } }\n")
    before = snapshot(config_file.parent)
    result = run_moltbot(*SEED_LINE, TEST_KEY)
    assert result.code == 3
    assert 'agents.defaults.modle: unknown key (did you mean "model"?)' in result.stderr
    assert snapshot(config_file.parent) == before
    assert not keyring_file.exists()
    assert fake_openrouter.requests == []


def test_a_failed_config_write_says_the_key_was_stored(
    fake_openrouter: FakeOpenRouter, config_file: Path, keyring_file: Path
) -> None:
    # A directory where the config's lock file goes: the config cannot be written.
    config_file.parent.mkdir(parents=True)
    (config_file.parent / ".moltbot.json.lock").mkdir()
    result = run_moltbot(*SEED_LINE, TEST_KEY)
    assert (result.code, result.stdout) == (1, "")
    checked, first, hint = result.stderr.splitlines()
    assert checked.startswith("Key OK: ")
    assert first.startswith(
        "Error: the key was stored in the keyring (service 'moltbot', user 'openrouter'), "
        "but the config was not written: "
    )
    assert hint  # the config layer's own advice on what to fix
    assert keyring_of(keyring_file) == {"moltbot/openrouter": TEST_KEY}
    assert not config_file.exists()


# -- what gets written -----------------------------------------------------------------------------


def test_a_rerun_keeps_comments_and_other_settings(
    fake_openrouter: FakeOpenRouter, config_file: Path
) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(COMMENTED)
    result = run_moltbot(*SEED_LINE, TEST_KEY, "--json")
    assert result.code == 0, result.stderr
    # The configured default is kept as written (unprefixed); only the auth profile is added.
    assert json.loads(result.stdout)["model"] == "openrouter/anthropic/claude-haiku-4-5"
    text = config_file.read_text()
    assert text.startswith(COMMENTED.rstrip()[:-1])  # everything up to the closing brace
    assert '"openrouter:default"' in text
    again = run_moltbot(*SEED_LINE, TEST_KEY, "--model", "GPT", "--json")
    assert again.code == 0, again.stderr
    assert json.loads(again.stdout)["model"] == "openrouter/openai/gpt-5.2"  # the alias
    text = config_file.read_text()
    for kept in ("// my moltbot setup", "/* models I use */", "// my alias", '{ alias: "GPT" }'):
        assert kept in text
    data = config_of(config_file)
    # The new default leaves the fallbacks: a fallback must be another model.
    assert data["agents"]["defaults"]["model"] == {  # type: ignore[index]
        "primary": "openrouter/openai/gpt-5.2",
    }
    assert "Removed openrouter/openai/gpt-5.2 from the fallbacks" in again.stderr
    assert Path(f"{config_file}.bak").exists()


def test_reset_starts_from_an_empty_config_and_keeps_a_backup(
    fake_openrouter: FakeOpenRouter, config_file: Path
) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(COMMENTED)
    result = run_moltbot(*SEED_LINE, TEST_KEY, "--reset")
    assert result.code == 0, result.stderr
    assert config_of(config_file) == {
        "agents": {"defaults": {"model": {"primary": DEFAULT}}},
        "auth": {"profiles": {"openrouter:default": {"provider": "openrouter", "mode": "api_key"}}},
    }
    assert Path(f"{config_file}.bak").read_text() == COMMENTED
    assert "kept as moltbot.json.bak" in result.stdout


def test_reset_rescues_a_broken_config(fake_openrouter: FakeOpenRouter, config_file: Path) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text("{ broken")
    result = run_moltbot(*SEED_LINE, TEST_KEY, "--reset", "--json")
    assert result.code == 0, result.stderr
    assert config_of(config_file)["agents"] == {"defaults": {"model": {"primary": DEFAULT}}}
    assert Path(f"{config_file}.bak").read_text() == "{ broken"


def test_skip_writes_the_model_and_no_key(
    fake_openrouter: FakeOpenRouter, config_file: Path, keyring_file: Path, creds_file: Path
) -> None:
    result = run_moltbot("onboard", "--auth-choice", "skip", "--model", "openai/gpt-5.2", "--json")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "configPath": str(config_file),
        "model": "openrouter/openai/gpt-5.2",
        "keyStore": None,
        "validated": False,
    }
    assert config_of(config_file) == {
        "agents": {"defaults": {"model": {"primary": "openrouter/openai/gpt-5.2"}}}
    }
    assert not keyring_file.exists() and not creds_file.exists()
    assert fake_openrouter.requests == []


def test_non_interactive_reuses_a_stored_key(
    fake_openrouter: FakeOpenRouter, config_file: Path, keyring_file: Path
) -> None:
    assert run_moltbot(*SEED_LINE, TEST_KEY).code == 0
    stored = keyring_file.read_bytes()
    result = run_moltbot("onboard", "--non-interactive", "--model", "openai/gpt-5.2", "--json")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "configPath": str(config_file),
        "model": "openrouter/openai/gpt-5.2",
        "keyStore": "keyring",
        "validated": True,
    }
    assert keyring_file.read_bytes() == stored


def test_an_odd_key_shape_is_warned_about_and_kept(
    fake_openrouter: FakeOpenRouter, keyring_file: Path
) -> None:
    odd = "test-key-of-another-shape-" + "q" * 10
    fake_openrouter.keys[odd] = {"label": "mine", "limit": 10, "limit_remaining": 9.5, "usage": 0.5}
    result = run_moltbot(*SEED_LINE, odd)
    assert result.code == 0, result.stderr
    assert "does not look like an OpenRouter key" in result.stderr
    assert "Key OK: label mine, used $0.50 of $10.00 ($9.50 left)" in result.stderr
    assert keyring_of(keyring_file) == {"moltbot/openrouter": odd}
    assert_no_key_shown(result, odd)


def test_an_env_key_that_differs_is_pointed_out(fake_openrouter: FakeOpenRouter) -> None:
    other = "sk-or-v1-test-" + "o" * 20
    result = run_moltbot(*SEED_LINE, TEST_KEY, env={"OPENROUTER_API_KEY": other})
    assert result.code == 0, result.stderr
    assert "OPENROUTER_API_KEY is set in this environment (sk-or-v1-te…ooo)" in result.stderr
    assert other not in result.output


def test_a_plain_text_key_in_the_config_is_pointed_out(
    fake_openrouter: FakeOpenRouter, config_file: Path
) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text('{ env: { OPENROUTER_API_KEY: "sk-or-v1-test-old-plain-key" } }\n')
    result = run_moltbot(*SEED_LINE, TEST_KEY)
    assert result.code == 0, result.stderr
    assert "moltbot config unset env.OPENROUTER_API_KEY" in result.stderr


def test_a_bare_slug_gets_the_cached_catalogues_suggestion(
    fake_openrouter: FakeOpenRouter, config_file: Path
) -> None:
    # The first run checks --model against the catalogue, which caches it.
    assert run_moltbot(*SEED_LINE, TEST_KEY, "--model", "openai/gpt-4o-mini").code == 0
    before = config_file.read_bytes()
    result = run_moltbot(*SEED_LINE, TEST_KEY, "--model", "gpt-5.2")
    assert result.code == 2
    assert result.stderr.splitlines() == [
        "Error: 'gpt-5.2' is neither an alias nor a model reference",
        "Did you mean openrouter/openai/gpt-5.2?",
    ]
    assert config_file.read_bytes() == before
