"""`onboard --test-chat`: one tiny chat after saving, through the request layer."""

from __future__ import annotations

import json
from pathlib import Path

import json5
import pytest

from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)
from tests.support.fake_signin import FakeSignIn, fake_signin_fixture  # noqa: F401
from tests.support.keyring_backend import keyring_of

FLAGS = ("onboard", "--auth-choice", "apiKey", "--token", TEST_KEY, "--test-chat")
ROUTED = """{
  agents: { defaults: {
    model: { primary: "openrouter/openai/gpt-5.2" },
    models: { "openrouter/openai/gpt-5.2": {
      params: { temperature: 0.2 },
      compat: { openRouterRouting: { only: ["azure"] } },
    } },
  } },
}
"""


def test_the_default_model_answers_with_its_routing(
    fake_openrouter: FakeOpenRouter, config_file: Path
) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(ROUTED)
    result = run_moltbot(*FLAGS)
    assert result.code == 0, result.stderr
    assert "moltbot is set up:" in result.stdout
    assert (
        "Test chat OK: 'Hello from openai/gpt-5.2!' from openai/gpt-5.2 via Azure; cost $0."
        in result.stderr
    )
    [body] = fake_openrouter.chat_bodies()
    assert body["model"] == "openai/gpt-5.2"
    assert body["messages"] == [{"role": "user", "content": "Reply with OK"}]
    assert body["provider"] == {"only": ["azure"]}
    assert body["temperature"] == 0.2
    # It went out after the key check, with the key just stored.
    assert [r.path for r in fake_openrouter.requests][-1] == "/api/v1/chat/completions"
    assert fake_openrouter.requests[-1].headers["authorization"] == f"Bearer {TEST_KEY}"


def test_json_output_is_unchanged_and_the_report_goes_to_stderr(
    fake_openrouter: FakeOpenRouter,
) -> None:
    result = run_moltbot(*FLAGS, "--json")
    assert result.code == 0, result.stderr
    assert set(json.loads(result.stdout)) == {"configPath", "model", "keyStore", "validated"}
    assert "Test chat OK" in result.stderr


@pytest.mark.parametrize(
    ("kind", "code", "said"),
    [
        ("402", 5, "out of credits or over this key's limit (402)"),
        ("503", 7, "(503)"),
        ("empty", 7, "empty reply"),
        ("429", 6, "(429)"),
    ],
)
def test_a_failure_keeps_what_was_saved_and_says_so(
    fake_openrouter: FakeOpenRouter,
    config_file: Path,
    keyring_file: Path,
    kind: str,
    code: int,
    said: str,
) -> None:
    if kind == "empty":
        fake_openrouter.replies["anthropic/claude-sonnet-4-5"] = ""
    else:
        fake_openrouter.fail(kind)
    result = run_moltbot(*FLAGS)
    assert result.code == code, result.stderr
    lines = result.stderr.splitlines()
    error = next(line for line in lines if line.startswith("Error: "))
    assert error.startswith("Error: the test chat failed: ") and said in error
    hint = lines[lines.index(error) + 1]
    assert hint.startswith("Your key and settings were saved.")
    # chat's own ways out (-m, --timeout, --retries) are not onboard's flags.
    for chat_flag in (" -m", "--timeout", "--retries"):
        assert chat_flag not in hint
    assert "moltbot is set up:" in result.stdout
    assert keyring_of(keyring_file) == {"moltbot/openrouter": TEST_KEY}
    config = json5.loads(config_file.read_text())
    assert (
        config["agents"]["defaults"]["model"]["primary"] == "openrouter/anthropic/claude-sonnet-4-5"
    )


def test_skip_has_no_key_to_test(config_file: Path) -> None:
    result = run_moltbot("onboard", "--auth-choice", "skip", "--test-chat")
    assert result.code == 2
    assert result.stderr.startswith(
        "Error: --test-chat needs a key, and --auth-choice skip sets up none; nothing was written"
    )
    assert not config_file.exists()


def test_from_nothing_to_a_working_chat_by_signing_in(
    fake_signin: FakeSignIn, isolated_environment: Path, keyring_file: Path
) -> None:
    result = run_moltbot(
        "onboard",
        "--auth-choice",
        "oauth",
        "--test-chat",
        env={"DISPLAY": ":0", "MOLTBOT_TEST_BROWSER": "approve"},
    )
    assert result.code == 0, result.stderr
    assert "Test chat OK: 'Hello from anthropic/claude-sonnet-4-5!'" in result.stderr
    [key] = fake_signin.issued_keys
    assert keyring_of(keyring_file) == {"moltbot/openrouter": key}
    assert fake_signin.openrouter.requests[-1].headers["authorization"] == f"Bearer {key}"
    assert key not in result.stdout + result.stderr
