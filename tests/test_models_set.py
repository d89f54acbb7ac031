"""`moltbot models set REF`: the default model, checked against the catalogue.

Every refusal is checked for its message, exit code 2, and a config file left byte for
byte as it was (no backup made either, since nothing was written).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from moltbot_cli.openrouter import catalogue
from tests.support import catalogue_data
from tests.support.catalogue_data import run_in_process as run
from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
    host_of,
)

MY_CONFIG = """{
  // Picked after a long evening of comparisons.
  agents: {
    defaults: {
      model: {
        primary: "openrouter/anthropic/claude-sonnet-4-5", // the good one
        fallbacks: ["openrouter/openai/gpt-5.2", "x-ai/grok-4"],
      },
      models: {
        "openrouter/x-ai/grok-4": { alias: "Grok" },
      },
    },
  },
}
"""


@pytest.fixture
def fake(fake_openrouter: FakeOpenRouter) -> FakeOpenRouter:
    return catalogue_data.serve(fake_openrouter)


@pytest.fixture
def config(config_file: Path) -> Path:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(MY_CONFIG)
    return config_file


def model_requests(fake: FakeOpenRouter) -> int:
    return sum(1 for request in fake.requests if request.path == "/api/v1/models")


def assert_untouched(config: Path) -> None:
    assert config.read_text() == MY_CONFIG
    assert not config.with_name(config.name + ".bak").exists()


def test_set_normalizes_the_ref_and_keeps_the_rest_of_the_file(
    fake: FakeOpenRouter, config: Path
) -> None:
    result = run_moltbot("models", "set", "openai/gpt-5.2")
    assert result.code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Default model: openrouter/openai/gpt-5.2",
        "Removed openrouter/openai/gpt-5.2 from the fallbacks: it is the default now.",
    ]
    expected = MY_CONFIG.replace(
        '"openrouter/anthropic/claude-sonnet-4-5", // the good one',
        '"openrouter/openai/gpt-5.2", // the good one',
    ).replace('["openrouter/openai/gpt-5.2", "x-ai/grok-4"]', '["x-ai/grok-4"]')
    assert config.read_text() == expected
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert config.with_name(config.name + ".bak").read_text() == MY_CONFIG


def test_an_alias_in_any_case_sets_the_model_it_stands_for(
    fake: FakeOpenRouter, config: Path
) -> None:
    result = run("models", "set", "grok")
    assert result.code == 0, result.stderr
    assert "Default model: openrouter/x-ai/grok-4" in result.stderr
    status = json.loads(run("models", "status", "--json").stdout)
    assert status["defaultModel"] == "openrouter/x-ai/grok-4"
    # It was the second fallback under its prefix-less name: same model, so it goes.
    assert status["fallbacks"] == ["openrouter/openai/gpt-5.2"]


def test_setting_the_current_default_changes_nothing(fake: FakeOpenRouter, config: Path) -> None:
    result = run("models", "set", "anthropic/claude-sonnet-4-5")
    assert result.code == 0
    assert result.stderr == "Default model: openrouter/anthropic/claude-sonnet-4-5 (unchanged)\n"
    assert_untouched(config)


def test_a_fresh_machine_gets_a_config_file(fake: FakeOpenRouter, config_file: Path) -> None:
    result = run("models", "set", "openrouter/auto")
    assert result.code == 0, result.stderr
    assert "Default model: openrouter/auto" in result.stderr
    text = config_file.read_text()
    assert '"openrouter/auto"' in text and "openrouter/openrouter" not in text


def test_an_unknown_model_is_refused_with_the_closest_ones(
    fake: FakeOpenRouter, config: Path
) -> None:
    result = run_moltbot("models", "set", "openai/gpt-5.3")
    assert result.code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: {fake.host} has no model openrouter/openai/gpt-5.3; nothing was changed.",
        "Closest: openrouter/openai/gpt-5.2, openrouter/openai/gpt-5-mini. "
        "Search with `moltbot models list --all --search WORDS`.",
    ]
    assert_untouched(config)


def test_a_bare_model_name_gets_a_did_you_mean(fake: FakeOpenRouter, config: Path) -> None:
    run("models", "list", "--all", "--plain")  # suggestions come from the cache
    result = run("models", "set", "claude-sonnet-4-5")
    assert result.code == 2
    assert result.stderr.splitlines() == [
        "Error: 'claude-sonnet-4-5' is neither an alias nor a model reference",
        "Did you mean openrouter/anthropic/claude-sonnet-4-5?",
    ]
    assert_untouched(config)


@pytest.mark.parametrize("bad", ["not a model", "openrouter/", "a/b c", ""])
def test_text_that_is_no_ref_at_all_is_refused(config: Path, bad: str) -> None:
    result = run("models", "set", bad)
    assert result.code == 2
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.splitlines()) == 2
    assert_untouched(config)


def test_the_cache_answers_when_fresh(fake: FakeOpenRouter, config: Path) -> None:
    run("models", "list", "--all", "--plain")
    assert run("models", "set", "x-ai/grok-4-fast").code == 0
    assert model_requests(fake) == 1


def test_a_model_newer_than_the_cache_is_found_by_asking_again(
    fake: FakeOpenRouter, config: Path
) -> None:
    run("models", "list", "--all", "--plain")
    grok_5 = catalogue_data.model("x-ai/grok-5", "xAI: Grok 5", prompt="0", completion="0")
    fake.models = [*fake.models, grok_5]
    result = run("models", "set", "x-ai/grok-5")
    assert result.code == 0, result.stderr
    assert model_requests(fake) == 2
    assert "x-ai/grok-5" in catalogue.cached_model_ids()


def test_offline_with_no_catalogue_it_is_set_with_a_warning(config: Path) -> None:
    quick = {"MOLTBOT_RETRY_BASE_SECONDS": "0"}
    result = run_moltbot("models", "set", "openai/gpt-5.2", env=quick)
    assert result.code == 0
    host = host_of(os.environ["OPENROUTER_BASE_URL"])
    assert result.stderr.splitlines()[0] == (
        f"Warning: could not check openrouter/openai/gpt-5.2 against the model list of {host} "
        "(it cannot be reached and none is cached); using it as given."
    )
    assert "Default model: openrouter/openai/gpt-5.2" in result.stderr


def test_offline_a_stale_cache_still_checks(fake: FakeOpenRouter, config: Path) -> None:
    run("models", "list", "--all", "--plain")
    payload = json.loads(catalogue.cache_path().read_text())
    payload["fetchedAt"] -= 3 * 3600
    catalogue.cache_path().write_text(json.dumps(payload))
    fake.stop()
    refused = run("models", "set", "openai/gpt-5.3")
    assert refused.code == 2
    assert refused.stderr.startswith("Note: using the model list cached 3 h ago")
    assert f"{fake.host} has no model openrouter/openai/gpt-5.3" in refused.stderr
    assert_untouched(config)
    accepted = run("models", "set", "x-ai/grok-4-fast")
    assert accepted.code == 0
    assert "Default model: openrouter/x-ai/grok-4-fast" in accepted.stderr


def test_an_invalid_config_is_not_touched(fake: FakeOpenRouter, config_file: Path) -> None:
    config_file.parent.mkdir(parents=True)
    broken = '{ agents: { defaults: { model: { primary: "openai/gpt-5.2", fallbackz: [] } } } }\n'
    config_file.write_text(broken)
    result = run("models", "set", "x-ai/grok-4")
    assert result.code == 3
    assert "fallbackz" in result.stderr
    assert config_file.read_text() == broken
