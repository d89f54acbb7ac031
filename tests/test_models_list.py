"""`moltbot models list`: the configured models and the whole catalogue.

Against the fake OpenRouter serving thousands of models; request counts prove when the
cache, not the network, answered. The exit paths, the terminal and completion run the
installed CLI as a subprocess; variations run the same entry point in-process.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pexpect
import pytest

from moltbot_cli.openrouter import catalogue
from tests.support import catalogue_data
from tests.support.catalogue_data import run_in_process as run
from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)

DATA = Path(__file__).parent / "data"
CONFIGURED = """{
  // my models
  agents: { defaults: {
    model: { primary: "openrouter/anthropic/claude-sonnet-4-5",
             fallbacks: ["openai/gpt-5.2", "openrouter/x-ai/grok-4"] },
    models: {
      "openrouter/anthropic/claude-sonnet-4-5": {
        alias: "Claude Sonnet",
        compat: { openRouterRouting: { only: ["anthropic"] } },
      },
      "meta-llama/llama-3.3-70b-instruct": { alias: "llama" },
    },
  } },
}
"""


@pytest.fixture
def fake(fake_openrouter: FakeOpenRouter) -> FakeOpenRouter:
    return catalogue_data.serve(fake_openrouter)


def model_requests(fake: FakeOpenRouter) -> int:
    return sum(1 for request in fake.requests if request.path == "/api/v1/models")


def listed(*args: str) -> dict:
    result = run("models", "list", *args, "--json")
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def keys(payload: dict) -> list[str]:
    return [model["key"] for model in payload["models"]]


def test_without_a_config_the_built_in_default_is_listed_offline() -> None:
    # Nothing listens at the sandbox's base URL: the configured list needs no network.
    result = run_moltbot("models", "list", "--json")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "count": 1,
        "models": [
            {
                "key": "openrouter/anthropic/claude-sonnet-4-5",
                "id": "anthropic/claude-sonnet-4-5",
                "name": None,
                "contextLength": None,
                "pricing": None,
                "tags": ["default"],
            }
        ],
    }


def test_configured_models_come_with_tags_in_order(config_file: Path) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(CONFIGURED)
    payload = listed()
    assert [(m["key"], m["tags"]) for m in payload["models"]] == [
        (
            "openrouter/anthropic/claude-sonnet-4-5",
            ["default", "alias:Claude Sonnet", "routing"],
        ),
        ("openrouter/openai/gpt-5.2", ["fallback#1"]),
        ("openrouter/x-ai/grok-4", ["fallback#2"]),
        ("openrouter/meta-llama/llama-3.3-70b-instruct", ["alias:llama"]),
    ]
    assert payload["count"] == 4
    plain = run("models", "list", "--plain")
    assert plain.stdout.splitlines() == keys(payload)
    assert plain.stderr == ""


def test_configured_models_take_names_and_prices_from_the_cache_without_asking(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(CONFIGURED)
    assert run("models", "list", "--all", "--plain").code == 0
    assert model_requests(fake) == 1
    fake.stop()  # the configured list must not need the network, even to refresh
    payload = listed()
    sonnet = payload["models"][0]
    assert sonnet["name"] == "Anthropic: Claude Sonnet 4.5"
    assert sonnet["contextLength"] == 1_000_000
    assert sonnet["pricing"]["prompt"] == "0.000003"
    table = run("models", "list")
    assert table.stdout.splitlines()[0].split("\t") == [
        "ref",
        "name",
        "context",
        "$/M in",
        "$/M out",
        "tags",
    ]
    assert table.stdout.splitlines()[1].split("\t") == [
        "openrouter/anthropic/claude-sonnet-4-5",
        "Anthropic: Claude Sonnet 4.5",
        "1M",
        "$3.00",
        "$15.00",
        "default, alias:Claude Sonnet, routing",
    ]


def test_all_lists_the_whole_catalogue_with_the_contract_shape(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(CONFIGURED)
    result = run_moltbot("models", "list", "--all", "--json")
    assert result.code == 0 and result.stderr == ""
    payload = json.loads(result.stdout)
    assert payload["count"] == 3000 == len(payload["models"])
    by_key = {model["key"]: model for model in payload["models"]}
    assert by_key["openrouter/openai/gpt-5.2"] == {
        "key": "openrouter/openai/gpt-5.2",
        "id": "openai/gpt-5.2",
        "name": "OpenAI: GPT-5.2",
        "contextLength": 400_000,
        "pricing": {"prompt": "0.00000175", "completion": "0.000014", "request": "0", "image": "0"},
        "tags": ["fallback#1"],
    }
    # OpenRouter's own meta-models keep their prefix rather than gaining a second one.
    assert by_key["openrouter/auto"]["id"] == "openrouter/auto"
    assert sum(1 for model in payload["models"] if model["tags"]) == 4


def test_provider_filters_by_author(fake: FakeOpenRouter) -> None:
    payload = listed("--all", "--provider", "x-ai")
    assert keys(payload) == ["openrouter/x-ai/grok-4", "openrouter/x-ai/grok-4-fast"]
    assert keys(listed("--all", "--provider", "X-AI")) == keys(payload)


def test_an_unknown_author_finds_nothing_and_suggests_the_right_one(fake: FakeOpenRouter) -> None:
    result = run("models", "list", "--all", "--provider", "xai")
    assert result.code == 0
    assert result.stdout == ""
    assert f"No models match in the catalogue of {fake.host}." in result.stderr
    assert "did you mean x-ai?" in result.stderr


def test_search_needs_every_word_in_ref_or_name(fake: FakeOpenRouter) -> None:
    assert keys(listed("--all", "--search", "LLAMA 70B")) == [
        "openrouter/meta-llama/llama-3.3-70b-instruct",
        "openrouter/meta-llama/llama-3.3-70b-instruct:free",
    ]
    # "Meta" is only in the name; "instruct:free" only in the ref.
    assert keys(listed("--all", "--search", "meta instruct:free")) == [
        "openrouter/meta-llama/llama-3.3-70b-instruct:free"
    ]
    # Words after the flags search too, so an unquoted phrase works.
    assert keys(listed("--all", "llama", "70b", "(free)")) == [
        "openrouter/meta-llama/llama-3.3-70b-instruct:free"
    ]
    assert listed("--all", "--search", "llama gpt")["count"] == 0


def test_free_keeps_zero_priced_and_free_variants(fake: FakeOpenRouter) -> None:
    payload = listed("--all", "--free")
    assert payload["count"] > 100
    for model in payload["models"]:
        zero = model["pricing"]["prompt"] == "0" and model["pricing"]["completion"] == "0"
        assert zero or model["id"].endswith(":free"), model
    # The auto router's "-1" means "varies", not "free".
    assert "openrouter/auto" not in keys(payload)
    both = listed("--all", "--free", "--provider", "meta-llama")
    assert keys(both) == ["openrouter/meta-llama/llama-3.3-70b-instruct:free"]


def test_filters_apply_to_the_configured_list_too(config_file: Path) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(CONFIGURED)
    assert keys(listed("--provider", "x-ai")) == ["openrouter/x-ai/grok-4"]
    result = run("models", "list", "--search", "mistral")
    assert result.code == 0 and result.stdout == ""
    assert "Add --all to search the whole catalogue." in result.stderr


def test_the_second_listing_is_served_from_the_cache(fake: FakeOpenRouter) -> None:
    listed("--all")
    listed("--all", "--search", "grok")
    assert model_requests(fake) == 1


def test_refresh_fetches_again(fake: FakeOpenRouter) -> None:
    listed("--all")
    fake.models = catalogue_data.catalogue(40)
    assert listed("--all", "--refresh")["count"] == 40
    assert model_requests(fake) == 2
    assert listed("--all")["count"] == 40


def test_an_expired_cache_is_fetched_again(fake: FakeOpenRouter) -> None:
    listed("--all")
    payload = json.loads(catalogue.cache_path().read_text())
    payload["fetchedAt"] -= 2 * catalogue.TTL_SECONDS
    catalogue.cache_path().write_text(json.dumps(payload))
    listed("--all")
    assert model_requests(fake) == 2


def test_offline_a_stale_cache_is_used_with_a_note_on_stderr(fake: FakeOpenRouter) -> None:
    listed("--all")
    payload = json.loads(catalogue.cache_path().read_text())
    payload["fetchedAt"] -= 5 * 3600
    catalogue.cache_path().write_text(json.dumps(payload))
    fake.stop()
    result = run_moltbot("models", "list", "--all", "--provider", "x-ai", "--plain")
    assert result.code == 0
    assert result.stdout.splitlines() == ["openrouter/x-ai/grok-4", "openrouter/x-ai/grok-4-fast"]
    assert result.stderr.startswith("Note: using the model list cached 5 h ago; cannot reach")


def test_no_cache_and_no_network_exits_8(fake: FakeOpenRouter) -> None:
    fake.stop()
    result = run_moltbot("models", "list", "--all")
    assert result.code == 8
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"Error: cannot reach {fake.host} ({fake.base_url})")
    assert not catalogue.cache_path().exists()


def test_refresh_offline_exits_8_and_points_at_the_cache(fake: FakeOpenRouter) -> None:
    listed("--all")
    fake.stop()
    result = run("models", "list", "--all", "--refresh")
    assert result.code == 8
    assert "run without --refresh to use it" in result.stderr


def test_a_corrupt_cache_is_ignored_and_rebuilt(fake: FakeOpenRouter) -> None:
    path = catalogue.cache_path()
    path.parent.mkdir(parents=True)
    path.write_text('{"version": 1, "data": [')
    assert listed("--all")["count"] == 3000
    assert json.loads(path.read_text())["version"] == catalogue.CACHE_VERSION
    assert model_requests(fake) == 1


def test_json_and_plain_together_are_a_usage_error() -> None:
    result = run_moltbot("models", "list", "--json", "--plain")
    assert result.code == 2
    assert result.stderr == "Error: --json and --plain cannot be used together; pick one.\n"


def test_an_invalid_config_exits_3_and_is_left_alone(config_file: Path) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text("{ agents: { defaults: { modle: {} } } }\n")
    before = config_file.read_bytes()
    result = run("models", "list")
    assert result.code == 3
    assert 'did you mean "model"' in result.stderr
    assert config_file.read_bytes() == before


def test_thousands_of_cached_models_list_and_filter(
    fake_openrouter: FakeOpenRouter,
) -> None:
    fake_openrouter.models = catalogue_data.catalogue(6000)
    listed("--all")
    everything = run_moltbot("models", "list", "--all", "--plain")
    searched = run_moltbot("models", "list", "--all", "--search", "lab042 70b", "--json")
    assert len(everything.stdout.splitlines()) == 6000
    assert json.loads(searched.stdout)["count"] > 0


def test_shell_completion_offers_cached_refs_and_aliases_without_the_network(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(CONFIGURED)
    listed("--all")
    fake.stop()

    def complete(words: str) -> list[str]:
        result = run_moltbot(
            env={
                "_MOLTBOT_COMPLETE": "complete_bash",
                "COMP_WORDS": words,
                "COMP_CWORD": str(len(words.split()) - 1),
            }
        )
        assert result.code == 0, result.stderr
        return result.stdout.split()

    assert complete("moltbot models set openai/gp") == ["openai/gpt-5.2", "openai/gpt-5-mini"]
    assert complete("moltbot models fallbacks add openrouter/x-ai/") == [
        "openrouter/x-ai/grok-4",
        "openrouter/x-ai/grok-4-fast",
    ]
    # Aliases complete too (one with a space would break the shell's word, so it is left out).
    assert complete("moltbot models set ll") == ["llama"]


def test_a_terminal_gets_a_table_that_fits_80_columns(fake: FakeOpenRouter) -> None:
    listed("--all")
    env = {**os.environ, "COLUMNS": "80", "LINES": "50"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "moltbot_cli", "models", "list", "--all", "--search", "llama"],
        env=env,
        dimensions=(50, 80),
        encoding="utf-8",
        timeout=20,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", child.before.replace("\r", ""))
    lines = [line.rstrip() for line in shown.splitlines()]
    assert all(len(line) <= 80 for line in lines), lines
    text = "\n".join(lines)
    assert "meta-llama/llama-3.3-70b-instruct:free" in text
    assert "Meta: Llama 3.3 70B Instruct (free)" in text
    header = next(line for line in lines if "context" in line)
    for column in ("ref / name", "context", "$/M in", "$/M out", "tags"):
        assert column in header
