"""`moltbot models routing show|set|clear`, and the story a new user lives through.

What a chat sends is checked by `chat --dry-run` and by the bodies the fake OpenRouter
received, so "routes like the seed's example" means the same bytes on the wire.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.support import catalogue_data
from tests.support.catalogue_data import run_in_process as run
from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
    host_of,
)

DATA = Path(__file__).parent / "data"
SEED = (DATA / "seed_example_2.json5").read_text()
LLAMA = "meta-llama/llama-3.3-70b-instruct"
LLAMA_REF = "openrouter/" + LLAMA
SNAKE = """{
  agents: { defaults: { models: {
    // my own spelling, OpenRouter's
    "meta-llama/llama-3.3-70b-instruct": {
      compat: { openRouterRouting: { allow_fallbacks: true, max_price: { prompt: 1 } } },
    },
  } } },
}
"""


@pytest.fixture
def fake(fake_openrouter: FakeOpenRouter) -> FakeOpenRouter:
    return catalogue_data.serve(fake_openrouter)


def write(config_file: Path, text: str) -> Path:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(text)
    return config_file


def config_data() -> Any:
    return json.loads(run("config", "show", "--json", "--reveal").stdout)


def routing_in_file(ref: str = LLAMA_REF) -> Any:
    models = config_data()["agents"]["defaults"]["models"]
    entry = next(value for key, value in models.items() if key.endswith(ref.split("/", 1)[1]))
    return entry["compat"]["openRouterRouting"]


def wire(ref: str = LLAMA_REF) -> Any:
    result = run("models", "routing", "show", ref, "--json")
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)["provider"]


def routing_set(*args: str) -> None:
    result = run("models", "routing", "set", *args)
    assert result.code == 0, result.stderr


# -- set -----------------------------------------------------------------------------------


def test_every_flag_lands_in_camel_case_and_goes_out_in_snake_case(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    result = run_moltbot(
        "models", "routing", "set", LLAMA,
        "--only", "together, deepinfra/fp8",
        "--order", "together,deepinfra",
        "--ignore", "azure",
        "--no-allow-fallbacks",
        "--require-parameters",
        "--data-collection", "deny",
        "--zdr",
        "--quantizations", "fp8,fp16",
        "--sort", "throughput",
        "--max-price-prompt", "1",
        "--max-price-completion", "2.5",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert routing_in_file() == {
        "only": ["together", "deepinfra/fp8"],
        "order": ["together", "deepinfra"],
        "ignore": ["azure"],
        "allowFallbacks": False,
        "requireParameters": True,
        "dataCollection": "deny",
        "zdr": True,
        "quantizations": ["fp8", "fp16"],
        "sort": "throughput",
        "maxPrice": {"prompt": 1, "completion": 2.5},
    }
    expected_wire = {
        "only": ["together", "deepinfra/fp8"],
        "order": ["together", "deepinfra"],
        "ignore": ["azure"],
        "allow_fallbacks": False,
        "require_parameters": True,
        "data_collection": "deny",
        "zdr": True,
        "quantizations": ["fp8", "fp16"],
        "sort": "throughput",
        "max_price": {"prompt": 1, "completion": 2.5},
    }
    assert wire() == expected_wire
    said, _, shown = result.stderr.partition(": {")
    assert said == f"Routing for {LLAMA_REF}"
    assert json.loads("{" + shown) == expected_wire


def test_set_merges_and_leaves_other_fields_alone(fake: FakeOpenRouter, config_file: Path) -> None:
    routing_set(LLAMA, "--only", "together", "--max-price-prompt", "0.5")
    routing_set(LLAMA, "--sort", "price", "--max-price-completion", "0.9")
    routing_set(LLAMA, "--only", "deepinfra")
    assert routing_in_file() == {
        "only": ["deepinfra"],
        "maxPrice": {"prompt": 0.5, "completion": 0.9},
        "sort": "price",
    }


def test_the_users_snake_case_spelling_is_kept_never_doubled(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    write(config_file, SNAKE)
    routing_set(LLAMA, "--no-allow-fallbacks", "--max-price-completion", "3", "--zdr")
    assert routing_in_file() == {
        "allow_fallbacks": False,
        "max_price": {"prompt": 1, "completion": 3},
        "zdr": True,
    }
    text = config_file.read_text()
    assert "allowFallbacks" not in text and "maxPrice" not in text
    assert "// my own spelling, OpenRouter's" in text
    # The entry key as written (no prefix) was reused, not joined by a second one.
    assert list(config_data()["agents"]["defaults"]["models"]) == [LLAMA]


def test_unset_removes_single_settings(fake: FakeOpenRouter, config_file: Path) -> None:
    write(config_file, SNAKE)
    routing_set(LLAMA, "--only", "together", "--unset", "allow-fallbacks")
    routing_set(LLAMA, "--unset", "max-price-prompt")
    assert routing_in_file() == {"only": ["together"]}
    routing_set(LLAMA, "--unset", "only")
    # Nothing left: the empty routing, compat and entry go too.
    assert (
        "models" not in config_data()["agents"]["defaults"]
        or not config_data()["agents"]["defaults"]["models"]
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--sort", "cheapest"], "--sort must be one of price, throughput, latency"),
        (["--data-collection", "maybe"], "--data-collection must be one of allow, deny"),
        (
            ["--quantizations", "fp8,fp9"],
            "--quantizations must be one of int4, int8, fp4, fp6, fp8, fp16, bf16, fp32, unknown",
        ),
        (["--quantizations", ","], "--quantizations must be one of int4"),
        (["--max-price-prompt", "-1"], "--max-price-prompt is dollars per million tokens"),
        (["--max-price-completion", "nan"], "--max-price-completion is dollars per million"),
        (["--only", "together ai"], "--only: 'together ai' is not a provider slug"),
        (["--order", " , "], "--order needs at least one provider slug"),
        (["--ignore", "a;b"], "--ignore: 'a;b' is not a provider slug"),
        (["--only", "together,together"], "--only: together is listed twice"),
        (["--order", "groq, deepinfra,Groq"], "--order: Groq is listed twice"),
        ([], "give at least one routing setting"),
        (["--unset", "speed"], "--unset: 'speed' is not a routing setting"),
        (["--only", "together", "--unset", "only"], "--unset only contradicts the flag"),
    ],
    ids=lambda value: value if isinstance(value, str) else " ".join(value),
)
def test_bad_values_are_usage_errors_and_nothing_is_written(
    config_file: Path, flags: list[str], message: str
) -> None:
    write(config_file, SNAKE)
    result = run("models", "routing", "set", LLAMA, *flags)
    assert result.code == 2, result.stderr
    assert result.stderr.startswith(f"Error: {message}"), result.stderr
    assert len(result.stderr.splitlines()) <= 2
    assert config_file.read_text() == SNAKE
    assert not config_file.with_name(config_file.name + ".bak").exists()


def test_a_bad_flag_value_type_is_a_usage_error_too(config_file: Path) -> None:
    write(config_file, SNAKE)
    result = run_moltbot("models", "routing", "set", LLAMA, "--max-price-prompt", "cheap")
    assert result.code == 2
    assert result.stderr.startswith("Error: Invalid value for '--max-price-prompt'")
    assert config_file.read_text() == SNAKE


def test_only_a_provider_that_does_not_serve_the_model_is_refused(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    write(config_file, SNAKE)
    result = run("models", "routing", "set", LLAMA, "--only", "togther")
    assert result.code == 2
    assert result.stderr.splitlines() == [
        f"Error: --only: togther does not serve {LLAMA_REF} (serving it now: deepinfra/fp8, "
        "groq, together); nothing was changed.",
        f"See them with `moltbot models endpoints {LLAMA_REF}`.",
    ]
    assert config_file.read_text() == SNAKE
    # A provider's slug matches all its endpoints (deepinfra covers deepinfra/fp8).
    routing_set(LLAMA, "--only", "deepinfra")


def test_an_order_slug_that_serves_nothing_is_only_warned_about(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    result = run("models", "routing", "set", LLAMA, "--order", "together,azure")
    assert result.code == 0
    assert result.stderr.splitlines()[0] == (
        f"Warning: --order: azure not serving {LLAMA_REF} "
        "(serving it now: deepinfra/fp8, groq, together)."
    )
    assert routing_in_file() == {"order": ["together", "azure"]}


def test_offline_the_slugs_cannot_be_checked_and_are_taken(config_file: Path) -> None:
    quick = {"MOLTBOT_RETRY_BASE_SECONDS": "0"}
    result = run_moltbot("models", "routing", "set", LLAMA, "--only", "together", env=quick)
    assert result.code == 0
    assert result.stdout == ""
    base_url = os.environ["OPENROUTER_BASE_URL"]
    assert result.stderr.splitlines() == [
        f"Warning: could not check {LLAMA_REF} against the model list of {host_of(base_url)} "
        "(it cannot be reached and none is cached); using it as given.",
        f"Warning: could not check together against who serves {LLAMA_REF} (cannot reach "
        f"{host_of(base_url)} ({base_url}): connection refused); using it as given.",
        f'Routing for {LLAMA_REF}: {{"only": ["together"]}}',
    ]
    assert routing_in_file() == {"only": ["together"]}


def test_with_the_model_list_cached_but_openrouter_down_the_slugs_are_said_unchecked(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    routing_set(LLAMA, "--sort", "price")  # caches the model list
    fake.stop()
    result = run(
        "models", "routing", "set", LLAMA, "--only", "together", "--order", "groq,together"
    )
    assert result.code == 0
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Warning: could not check together, groq against who serves {LLAMA_REF} (cannot "
        f"reach {fake.host} ({fake.base_url}): connection refused); using them as given.",
        f'Routing for {LLAMA_REF}: {{"sort": "price", "only": ["together"], '
        '"order": ["groq", "together"]}',
    ]
    assert routing_in_file() == {
        "sort": "price",
        "only": ["together"],
        "order": ["groq", "together"],
    }


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (
            lambda fake: fake.fail("500", route="endpoints"),
            f"{LLAMA_REF} failed upstream (500): Internal Server Error",
        ),
        (lambda fake: fake.endpoints.update({LLAMA: []}), "no provider serves it right now"),
    ],
    ids=["endpoints fail", "no endpoints"],
)
def test_slugs_that_cannot_be_compared_are_taken_with_a_warning(
    fake: FakeOpenRouter, config_file: Path, setup: Any, reason: str
) -> None:
    setup(fake)
    result = run("models", "routing", "set", LLAMA, "--only", "together")
    assert result.code == 0
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == (
        f"Warning: could not check together against who serves {LLAMA_REF} ({reason}); "
        "using it as given."
    )
    assert len(result.stderr.splitlines()) == 2
    assert routing_in_file() == {"only": ["together"]}


def test_slugs_that_serve_the_model_pass_without_a_word(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    result = run("models", "routing", "set", LLAMA, "--only", "together")
    assert result.code == 0
    assert result.stderr == f'Routing for {LLAMA_REF}: {{"only": ["together"]}}\n'


def test_routing_for_an_unknown_model_is_refused(fake: FakeOpenRouter, config_file: Path) -> None:
    write(config_file, SNAKE)
    result = run("models", "routing", "set", "meta-llama/llama-9", "--only", "together")
    assert result.code == 2
    assert f"{fake.host} has no model openrouter/meta-llama/llama-9; nothing was changed." in (
        result.stderr
    )
    assert config_file.read_text() == SNAKE


# -- show and clear ------------------------------------------------------------------------


def test_show_lists_every_model_with_routing_as_sent(config_file: Path) -> None:
    write(config_file, SEED.replace("only: [", "allow_fallbacks: false, only: ["))
    result = run_moltbot("models", "routing", "show", "--json")
    assert result.code == 0
    assert json.loads(result.stdout) == {
        "routing": {
            "openrouter/anthropic/claude-sonnet-4-5": {
                "allow_fallbacks": False,
                "only": ["anthropic"],
            },
            "openrouter/openai/gpt-5.2": {"order": ["anthropic", "openai"]},
        }
    }
    human = run("models", "routing", "show")
    assert human.stdout == (
        "openrouter/anthropic/claude-sonnet-4-5 (sent as provider):\n"
        "  allow_fallbacks: false\n"
        '  only: ["anthropic"]\n'
        "\n"
        "openrouter/openai/gpt-5.2 (sent as provider):\n"
        '  order: ["anthropic", "openai"]\n'
    )
    one = json.loads(run("models", "routing", "show", "gpt-5.2", "--json").stdout)
    assert one == {
        "key": "openrouter/openai/gpt-5.2",
        "provider": {"order": ["anthropic", "openai"]},
        "sources": {
            "order": 'agents.defaults.models["openrouter/openai/gpt-5.2"].compat.openRouterRouting'
        },
    }


def test_show_without_routing_says_openrouter_picks(config_file: Path) -> None:
    assert run("models", "routing", "show", "x-ai/grok-4").stdout == (
        "openrouter/x-ai/grok-4: no routing (OpenRouter picks the providers).\n"
    )
    empty = run("models", "routing", "show", "--json")
    assert json.loads(empty.stdout) == {"routing": {}}
    assert "No model has routing" in run("models", "routing", "show").stderr


def test_clear_removes_the_routing_and_the_empty_parts(config_file: Path) -> None:
    write(config_file, SEED)
    result = run("models", "routing", "clear", "Claude Sonnet")
    assert result.code == 0
    assert result.stderr == (
        "Cleared the routing of openrouter/anthropic/claude-sonnet-4-5: "
        "OpenRouter picks the providers.\n"
    )
    models = config_data()["agents"]["defaults"]["models"]
    assert models["openrouter/anthropic/claude-sonnet-4-5"] == {"alias": "Claude Sonnet"}
    again = run("models", "routing", "clear", "Claude Sonnet")
    assert again.code == 0
    assert (
        again.stderr == "openrouter/anthropic/claude-sonnet-4-5 has no routing; nothing changed.\n"
    )


# -- the same wire as the seed's hand-written example --------------------------------------


def dry_run(model: str) -> Any:
    result = run_moltbot(
        "chat", "--dry-run", "-m", model, "hi", env={"OPENROUTER_API_KEY": TEST_KEY}
    )
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)["body"]


def test_a_config_written_by_commands_routes_like_the_seed_example(
    fake: FakeOpenRouter, config_file: Path, tmp_path: Path
) -> None:
    seed_file = write(tmp_path / "seed" / "moltbot.json", SEED)
    commands = [
        ("models", "set", "anthropic/claude-sonnet-4-5"),
        ("models", "routing", "set", "anthropic/claude-sonnet-4-5", "--only", "anthropic"),
        ("models", "routing", "set", "openai/gpt-5.2", "--order", "anthropic,openai"),
        ("models", "aliases", "add", "GPT-5.2", "openai/gpt-5.2"),
    ]
    for command in commands:
        assert run(*command).code == 0
    written = config_data()["agents"]["defaults"]
    seed = json.loads(
        run("--config", str(seed_file), "config", "show", "--json", "--reveal").stdout
    )
    seed_defaults = seed["agents"]["defaults"]
    assert written["model"] == seed_defaults["model"]
    for ref in ("openrouter/anthropic/claude-sonnet-4-5", "openrouter/openai/gpt-5.2"):
        assert written["models"][ref]["compat"] == seed_defaults["models"][ref]["compat"]
    # And on the wire: the request bodies are the same, model by model.
    for model in ("anthropic/claude-sonnet-4-5", "openai/gpt-5.2"):
        ours = dry_run(model)
        theirs = run_moltbot(
            "--config", str(seed_file), "chat", "--dry-run", "-m", model, "hi",
            env={"OPENROUTER_API_KEY": TEST_KEY},
        )  # fmt: skip
        assert ours == json.loads(theirs.stdout)["body"]
        assert ours["provider"] == (
            {"only": ["anthropic"]} if "claude" in model else {"order": ["anthropic", "openai"]}
        )


# -- a new user, start to finish ------------------------------------------------------------


def test_a_new_user_pins_a_cheap_together_model_as_the_fallback(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    key = {"OPENROUTER_API_KEY": TEST_KEY}
    # 1. Find a cheap Llama 70B.
    found = json.loads(
        run_moltbot("models", "list", "--all", "--search", "llama 70b", "--json").stdout
    )
    cheapest = min(
        (m for m in found["models"] if not m["id"].endswith(":free")),
        key=lambda m: float(m["pricing"]["prompt"]),
    )
    assert cheapest["id"] == LLAMA
    # 2. Who serves it? Together does.
    served = run_moltbot("models", "endpoints", cheapest["id"], "--plain")
    assert "together" in served.stdout.split()
    # 3. Make it the fallback, served by Together only.
    assert run_moltbot("models", "fallbacks", "add", cheapest["key"]).code == 0
    pinned = run_moltbot("models", "routing", "set", cheapest["key"], "--only", "together")
    assert pinned.code == 0, pinned.stderr
    listed = json.loads(run_moltbot("models", "list", "--json").stdout)
    assert [(m["key"], m["tags"]) for m in listed["models"]] == [
        ("openrouter/anthropic/claude-sonnet-4-5", ["default"]),
        (LLAMA_REF, ["fallback#1", "routing"]),
    ]
    # 4. The default fails; the fallback answers through Together.
    fake.fail("503", model="anthropic/claude-sonnet-4-5")
    chat = run_moltbot("chat", "--usage", "hello", env=key)
    assert chat.code == 0, chat.stderr
    assert chat.stdout == f"Hello from {LLAMA}!\n"
    assert f"answered by {LLAMA_REF}" in chat.stderr
    assert "provider Together" in chat.stderr
    bodies = fake.chat_bodies()
    assert bodies[-1]["model"] == LLAMA
    assert bodies[-1]["provider"] == {"only": ["together"]}
    assert all(body["model"] == "anthropic/claude-sonnet-4-5" for body in bodies[:-1])
    assert all("provider" not in body for body in bodies[:-1])
