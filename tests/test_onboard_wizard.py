"""The onboard wizard in a pseudo-terminal, typed into as a person would.

Each test spawns the installed CLI under pexpect against the fake OpenRouter, answers the
questions it asks, and checks the files it wrote (or, after a Ctrl-C, that it wrote none).
"""

from __future__ import annotations

import json
from pathlib import Path

import json5
import pytest

from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
    refused_base_url,
)
from tests.support.keyring_backend import keyring_of
from tests.support.terminal import Terminal

METHOD_PROMPT = "Choose 1 or 2 [1]: "
KEY_PROMPT = "API key (input hidden): "
TEST_CHAT_PROMPT = "once saved? (one short reply, a tiny cost) [Y/n]: "
SEARCH_PROMPT = "Search models: "
PICK_PROMPT = "Search, or pick a number: "
BAD_KEY = "sk-or-v1-test-" + "n" * 20
DEFAULT = "openrouter/anthropic/claude-sonnet-4-5"


class Session(Terminal):
    """A running `moltbot onboard` in a terminal, with everything it printed kept."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        super().__init__("onboard", *args, env=env)


def test_the_full_happy_path(
    fake_openrouter: FakeOpenRouter, config_file: Path, keyring_file: Path
) -> None:
    session = Session()
    session.expect("Welcome to moltbot!")
    session.expect("1. Sign in with OpenRouter (opens your browser)")
    session.expect("2. Paste an API key")
    session.answer(METHOD_PROMPT, "2")
    session.answer(KEY_PROMPT, TEST_KEY)
    session.expect("Key OK: label sk-or-v1-te…xxx, used $0.25, no spending limit")
    session.expect(f"Default model: {DEFAULT}.")
    session.answer(SEARCH_PROMPT, "claude")
    session.expect("1. openrouter/anthropic/claude-haiku-4-5  (Anthropic: Claude Haiku 4.5)")
    session.expect("2. openrouter/anthropic/claude-sonnet-4-5")
    session.answer(PICK_PROMPT, "sonnet 4.5")  # refine: one match left
    session.expect("1. openrouter/anthropic/claude-sonnet-4-5")
    session.answer(PICK_PROMPT, "1")
    session.answer(f"Choose which providers serve {DEFAULT}? (optional) [y/N]: ", "y")
    session.expect("1. anthropic")
    session.expect("2. amazon-bedrock")
    session.expect("3. google-vertex")
    session.answer("Enter for any): ", "anthropic, 3")
    session.answer("Enter leaves the order to OpenRouter): ", "3 1")
    session.answer(TEST_CHAT_PROMPT, "")  # Enter: yes
    session.expect("moltbot is set up:")
    session.expect('Next, try: moltbot chat "hello"')
    # The test chat went out with the routing just chosen, after everything was saved.
    session.expect(
        "Test chat OK: 'Hello from anthropic/claude-sonnet-4-5!' from "
        "anthropic/claude-sonnet-4-5 via Anthropic; cost $0."
    )
    assert session.finish() == 0
    [body] = fake_openrouter.chat_bodies()
    assert body["messages"] == [{"role": "user", "content": "Reply with OK"}]
    assert body["provider"] == {
        "only": ["anthropic", "google-vertex"],
        "order": ["google-vertex", "anthropic"],
    }
    assert TEST_KEY not in session.output  # typed hidden, shown masked
    assert keyring_of(keyring_file) == {"moltbot/openrouter": TEST_KEY}
    config = json5.loads(config_file.read_text())
    assert config["agents"]["defaults"] == {
        "model": {"primary": DEFAULT},
        "models": {
            DEFAULT: {
                "compat": {
                    "openRouterRouting": {
                        "only": ["anthropic", "google-vertex"],
                        "order": ["google-vertex", "anthropic"],
                    }
                }
            }
        },
    }
    assert config["auth"]["profiles"]["openrouter:default"] == {
        "provider": "openrouter",
        "mode": "api_key",
    }


def test_a_rejected_key_then_a_good_one(
    fake_openrouter: FakeOpenRouter, config_file: Path, keyring_file: Path
) -> None:
    session = Session()
    session.answer(METHOD_PROMPT, "2")
    session.answer(KEY_PROMPT, BAD_KEY)
    session.expect(
        f"{fake_openrouter.host} rejected the key sk-or-v1-te…nnn (401): User not found. "
        "Try another key"
    )
    session.answer(KEY_PROMPT, f"  {TEST_KEY}  ")
    session.expect("Key OK")
    session.answer(SEARCH_PROMPT, "")  # Enter keeps the default
    session.answer("(optional) [y/N]: ", "")
    session.answer(TEST_CHAT_PROMPT, "n")
    session.expect(f"Default model  {DEFAULT}")
    assert session.finish() == 0
    assert BAD_KEY not in session.output and TEST_KEY not in session.output
    assert keyring_of(keyring_file) == {"moltbot/openrouter": TEST_KEY}
    config = json5.loads(config_file.read_text())
    assert config["agents"]["defaults"] == {"model": {"primary": DEFAULT}}


def test_offline_save_anyway_and_type_a_ref(
    monkeypatch: pytest.MonkeyPatch, config_file: Path, keyring_file: Path
) -> None:
    monkeypatch.setenv("OPENROUTER_BASE_URL", refused_base_url())
    monkeypatch.setenv("MOLTBOT_RETRY_BASE_SECONDS", "0.01")
    session = Session()
    session.answer(METHOD_PROMPT, "2")
    session.answer(KEY_PROMPT, TEST_KEY)
    session.expect("Could not check the key: cannot reach 127.0.0.1:")
    session.answer("Save the key anyway, without checking it? [y/N]: ", "y")
    session.answer("Enter keeps openrouter/anthropic/claude-sonnet-4-5): ", "gpt five")
    session.expect("'gpt five' is neither an alias nor a model reference")
    session.answer("Enter keeps openrouter/anthropic/claude-sonnet-4-5): ", "openai/gpt-5.2")
    session.expect("; not checked")
    session.expect("Default model  openrouter/openai/gpt-5.2")
    assert session.finish() == 0
    assert "Choose which providers" not in session.output  # no routing without the network
    assert keyring_of(keyring_file) == {"moltbot/openrouter": TEST_KEY}
    config = json5.loads(config_file.read_text())
    assert config["agents"]["defaults"] == {"model": {"primary": "openrouter/openai/gpt-5.2"}}


def test_offline_searches_the_cached_catalogue(
    fake_openrouter: FakeOpenRouter, config_file: Path, keyring_file: Path
) -> None:
    # An earlier run checked --model against the catalogue, caching it; then the network went.
    assert Session("--token", TEST_KEY, "--model", "openai/gpt-5.2").finish() == 0
    fake_openrouter.models = []  # a fetch now would find nothing: the cache must serve
    fake_openrouter.stop()
    session = Session()
    session.answer("Use it? [Y/n]: ", "y")
    session.expect(f"Could not check the key: cannot reach {fake_openrouter.host}")
    session.answer("Use the key anyway, without checking it? [y/N]: ", "y")
    # The age depends on the machine's speed (a loaded one takes seconds per run).
    session.child.expect(r"Offline: searching the model list cached \d+ s ago\.")
    session.answer(SEARCH_PROMPT, "haiku")
    session.answer(PICK_PROMPT, "1")
    session.expect("Default model  openrouter/anthropic/claude-haiku-4-5")
    assert session.finish() == 0
    config = json5.loads(config_file.read_text())
    assert config["agents"]["defaults"]["model"] == {
        "primary": "openrouter/anthropic/claude-haiku-4-5"
    }


def test_offline_and_not_saving_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, config_file: Path, keyring_file: Path, creds_file: Path
) -> None:
    monkeypatch.setenv("OPENROUTER_BASE_URL", refused_base_url())
    monkeypatch.setenv("MOLTBOT_RETRY_BASE_SECONDS", "0.01")
    session = Session()
    session.answer(METHOD_PROMPT, "2")
    session.answer(KEY_PROMPT, TEST_KEY)
    session.answer("without checking it? [y/N]: ", "")
    session.expect("--skip-validate")
    assert session.finish() == 8
    assert not config_file.parent.exists() and not keyring_file.exists()


@pytest.mark.parametrize("where", ["key prompt", "model search", "routing"])
def test_ctrl_c_midway_writes_nothing(
    fake_openrouter: FakeOpenRouter,
    config_file: Path,
    keyring_file: Path,
    creds_file: Path,
    where: str,
) -> None:
    session = Session()
    session.answer(METHOD_PROMPT, "2")
    session.expect(KEY_PROMPT)
    if where != "key prompt":
        session.child.sendline(TEST_KEY)
        session.expect(SEARCH_PROMPT)
    if where == "routing":
        session.child.sendline("openai/gpt-5.2")  # an exact ref is taken as it is
        session.answer("(optional) [y/N]: ", "y")
        session.expect("Enter for any): ")
    session.child.sendintr()
    assert session.finish() == 130
    assert not config_file.parent.exists()
    assert not keyring_file.exists() and not creds_file.exists()


def test_a_key_already_found_is_offered_masked(
    fake_openrouter: FakeOpenRouter, config_file: Path, keyring_file: Path
) -> None:
    keyring_file.write_text(json.dumps({"moltbot/openrouter": TEST_KEY}))
    before = keyring_file.read_bytes()
    session = Session("--model", "openai/gpt-5.2")
    session.answer(
        "Found a key (sk-or-v1-te…xxx) from the keyring (service 'moltbot', user 'openrouter'). "
        "Use it? [Y/n]: ",
        "",
    )
    session.expect("Key OK")
    # --model answered the model question; only the optional routing is asked.
    session.answer(
        "Choose which providers serve openrouter/openai/gpt-5.2? (optional) [y/N]: ", "n"
    )
    session.answer(TEST_CHAT_PROMPT, "n")
    session.expect("(kept where it is)")
    assert session.finish() == 0
    assert "Search models" not in session.output
    assert keyring_file.read_bytes() == before
    config = json5.loads(config_file.read_text())
    assert config["agents"]["defaults"]["model"] == {"primary": "openrouter/openai/gpt-5.2"}


def test_non_interactive_never_asks_even_at_a_terminal(config_file: Path) -> None:
    session = Session("--non-interactive")
    session.expect("Error: no API key given, and none is stored")
    assert session.finish() == 2
    assert KEY_PROMPT not in session.output
    assert not config_file.parent.exists()
