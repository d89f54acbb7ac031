"""Routing as today's Moltbot/OpenClaw writes it (`params.provider`), routing for every model
(`models.providers.openrouter.params.provider`), and the newer `provider` fields.

"The same routing" is checked on the wire: `chat --dry-run` bodies, one per spelling.
"""

from __future__ import annotations

import json
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
)

LLAMA = "openrouter/meta-llama/llama-3.3-70b-instruct"
GPT = "openrouter/openai/gpt-5.2"
GLOBAL = "models.providers.openrouter.params.provider"

SEED_SPELLING = """{
  agents: { defaults: { models: {
    "openrouter/meta-llama/llama-3.3-70b-instruct": {
      params: { temperature: 0.2 },
      compat: { openRouterRouting: {
        only: ["together", "deepinfra/fp8"], allowFallbacks: false,
        sort: { by: "throughput", partition: "none" },
        preferredMinThroughput: { p50: 50, p90: 20 }, preferred_max_latency: 3,
      } },
    },
  } } },
}
"""
TODAYS_SPELLING = """{
  agents: { defaults: { models: {
    "openrouter/meta-llama/llama-3.3-70b-instruct": {
      params: {
        temperature: 0.2,
        provider: {
          only: ["together", "deepinfra/fp8"], allow_fallbacks: false,
          sort: { by: "throughput", partition: "none" },
          preferred_min_throughput: { p50: 50, p90: 20 }, preferredMaxLatency: 3,
        },
      },
    },
  } } },
}
"""
WIRE = {
    "only": ["together", "deepinfra/fp8"],
    "allow_fallbacks": False,
    "sort": {"by": "throughput", "partition": "none"},
    "preferred_min_throughput": {"p50": 50, "p90": 20},
    "preferred_max_latency": 3,
}


@pytest.fixture
def fake(fake_openrouter: FakeOpenRouter) -> FakeOpenRouter:
    return catalogue_data.serve(fake_openrouter, 200)


def write(config_file: Path, text: str) -> Path:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(text)
    return config_file


def body(*args: str, subprocess: bool = False) -> dict[str, Any]:
    argv = ("chat", "--dry-run", *args, "hi")
    result = run_moltbot(*argv, env={"OPENROUTER_API_KEY": TEST_KEY}) if subprocess else run(*argv)
    assert result.code == 0, result.stderr
    return dict(json.loads(result.stdout)["body"])


def data() -> Any:
    return json.loads(run("config", "show", "--json").stdout)


# -- both spellings ------------------------------------------------------------------------


def test_both_spellings_validate_and_send_the_same_body(config_file: Path) -> None:
    bodies = []
    for text in (SEED_SPELLING, TODAYS_SPELLING):
        write(config_file, text)
        checked = run("config", "validate", "--json")
        assert checked.code == 0, checked.stdout
        assert json.loads(checked.stdout)["valid"] is True
        bodies.append(body("-m", LLAMA, subprocess=True))
    assert bodies[0] == bodies[1]
    assert bodies[0]["provider"] == WIRE
    # params.provider is routing, never a request parameter of its own.
    assert bodies[1]["temperature"] == 0.2
    assert list(bodies[1]).count("provider") == 1


def test_a_model_carrying_both_spellings_is_refused_naming_both_paths(config_file: Path) -> None:
    both = """{
  agents: { defaults: { models: {
    "openrouter/openai/gpt-5.2": {
      compat: { openRouterRouting: { only: ["openai"] } },
      params: { provider: { only: ["azure"] } },
    },
  } } },
}
"""
    write(config_file, both)
    entry = f'agents.defaults.models["{GPT}"]'
    result = run_moltbot("config", "validate")
    assert result.code == 3
    assert (
        f"{entry}.params.provider: routing is set both here and at "
        f"{entry}.compat.openRouterRouting; keep one of the two (line 5, column 17)"
    ) in result.stdout + result.stderr
    chat = run("chat", "--dry-run", "hi")
    assert chat.code == 3
    assert f"{entry}.params.provider" in chat.stderr
    assert config_file.read_text() == both


def test_adding_the_other_spelling_is_refused_and_nothing_is_written(config_file: Path) -> None:
    write(config_file, SEED_SPELLING)
    path = f'agents.defaults.models["{LLAMA}"].params.provider'
    result = run("config", "set", path, '{only: ["groq"]}')
    assert result.code == 2
    assert "routing is set both here and at" in result.stderr
    assert config_file.read_text() == SEED_SPELLING


@pytest.mark.parametrize(
    ("routing", "message"),
    [
        (
            "{ alow_fallbacks: true }",
            'alow_fallbacks: unknown key (did you mean "allow_fallbacks"?)',
        ),
        ("{ preferedMaxLatency: 2 }", 'unknown key (did you mean "preferredMaxLatency"?)'),
        ('{ only: "together" }', "only: expected a list, found a string"),
        ('{ sort: "fastest" }', "sort: must be one of price, throughput, latency"),
        ('{ sort: { by: "price", partition: "all" } }', "partition: must be one of model, none"),
        ('{ sort: { by: "price", order: 1 } }', "sort.order: unknown key"),
        ("{ preferred_min_throughput: -1 }", "must be at least 0"),
        ("{ preferred_max_latency: { p95: 2 } }", 'p95: unknown key (did you mean "p99"?)'),
        ('{ preferredMaxLatency: "2s" }', "expected a number or {p50, p75, p90, p99}"),
        ("{ allowFallbacks: true, allow_fallbacks: true }", "same setting as 'allowFallbacks'"),
    ],
)
@pytest.mark.parametrize("where", ["model", "global"])
def test_params_provider_is_checked_as_strictly_as_the_seed_spelling(
    config_file: Path, routing: str, message: str | None, where: str
) -> None:
    if where == "model":
        text = f'{{ agents: {{ defaults: {{ models: {{ "{GPT}": {{ params: {{ provider: {routing} }} }} }} }} }} }}'
    else:
        text = f"{{ models: {{ providers: {{ openrouter: {{ params: {{ provider: {routing} }} }} }} }} }}"
    write(config_file, text)
    result = run("config", "validate", "--json")
    issues = json.loads(result.stdout)["issues"]
    if message is None:
        assert result.code == 0 and issues == []
        return
    assert result.code == 3
    prefix = f'agents.defaults.models["{GPT}"].params.provider' if where == "model" else GLOBAL
    described = [f"{issue['path']}: {issue['message']}" for issue in issues]
    assert any(line.startswith(prefix) and message in line for line in described), described


def test_unknown_keys_beside_the_global_provider_are_named(config_file: Path) -> None:
    write(config_file, "{ models: { providers: { openrouter: { parms: { provider: {} } } } } }")
    result = run("config", "validate")
    assert result.code == 3
    assert 'models.providers.openrouter.parms: unknown key (did you mean "params"?)' in (
        result.stdout + result.stderr
    )


# -- routing set / show / clear ------------------------------------------------------------


def model_entry(ref: str = LLAMA) -> Any:
    return data()["agents"]["defaults"]["models"][ref]


def test_set_writes_where_the_routing_already_lives(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    write(config_file, TODAYS_SPELLING)
    result = run("models", "routing", "set", LLAMA, "--ignore", "azure", "--no-allow-fallbacks")
    assert result.code == 0, result.stderr
    entry = model_entry()
    assert "compat" not in entry
    assert entry["params"]["provider"]["ignore"] == ["azure"]
    # The user's snake_case field kept its spelling; the temperature beside it stayed.
    assert entry["params"]["provider"]["allow_fallbacks"] is False
    assert "allowFallbacks" not in config_file.read_text()
    assert entry["params"]["temperature"] == 0.2
    # A model with no routing yet gets the seed's spelling.
    assert run("models", "routing", "set", GPT, "--order", "openai").code == 0
    assert model_entry(GPT) == {"compat": {"openRouterRouting": {"order": ["openai"]}}}


def test_clear_removes_params_provider_and_keeps_the_params(config_file: Path) -> None:
    write(config_file, TODAYS_SPELLING)
    assert run("models", "routing", "clear", LLAMA).code == 0
    assert model_entry() == {"params": {"temperature": 0.2}}


def test_new_fields_have_flags_and_go_out_snake_case(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    result = run_moltbot(
        "models", "routing", "set", LLAMA,
        "--sort", "latency", "--sort-partition", "none",
        "--preferred-min-throughput", "p50=50, p90=20",
        "--preferred-max-latency", "2.5",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert model_entry()["compat"]["openRouterRouting"] == {
        "sort": {"by": "latency", "partition": "none"},
        "preferredMinThroughput": {"p50": 50, "p90": 20},
        "preferredMaxLatency": 2.5,
    }
    # --sort alone keeps the partition; --unset sort-partition goes back to the word.
    assert run("models", "routing", "set", LLAMA, "--sort", "price").code == 0
    assert body("-m", LLAMA)["provider"] == {
        "sort": {"by": "price", "partition": "none"},
        "preferred_min_throughput": {"p50": 50, "p90": 20},
        "preferred_max_latency": 2.5,
    }
    assert run("models", "routing", "set", LLAMA, "--unset", "sort-partition").code == 0
    assert run("models", "routing", "set", LLAMA, "--unset", "preferred-max-latency").code == 0
    assert model_entry()["compat"]["openRouterRouting"] == {
        "sort": "price",
        "preferredMinThroughput": {"p50": 50, "p90": 20},
    }


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--sort-partition", "all"], "--sort-partition must be one of model, none"),
        (["--sort-partition", "model"], "--sort-partition needs a sort to partition"),
        (["--preferred-max-latency", "fast"], "--preferred-max-latency: 'fast' is not a number"),
        (["--preferred-max-latency", "-2"], "--preferred-max-latency: '-2' is not a number"),
        (["--preferred-min-throughput", "p95=3"], "'p95' is not a percentile"),
        (["--preferred-min-throughput", "p50=3,p50=4"], "p50 is given twice"),
        (["--preferred-min-throughput", "p50=x"], "'x' is not a number 0 or more"),
    ],
)
def test_bad_new_flag_values_change_nothing(
    config_file: Path, flags: list[str], message: str
) -> None:
    write(config_file, SEED_SPELLING.replace('sort: { by: "throughput", partition: "none" },', ""))
    before = config_file.read_text()
    result = run("models", "routing", "set", GPT, *flags)
    assert result.code == 2, result.stderr
    assert message in result.stderr
    assert config_file.read_text() == before


def test_global_routing_set_show_clear(config_file: Path) -> None:
    result = run(
        "models", "routing", "set", "--global", "--data-collection", "deny", "--sort", "price"
    )
    assert result.code == 0, result.stderr
    assert result.stderr == (
        'Routing for every OpenRouter model: {"data_collection": "deny", "sort": "price"}\n'
    )
    assert data()["models"]["providers"]["openrouter"]["params"]["provider"] == {
        "dataCollection": "deny",
        "sort": "price",
    }
    shown = json.loads(run("models", "routing", "show", "--global", "--json").stdout)
    assert shown == {"global": {"data_collection": "deny", "sort": "price"}, "path": GLOBAL}
    assert run("models", "routing", "show", "--global").stdout == (
        'every OpenRouter model (sent as provider):\n  data_collection: "deny"\n  sort: "price"\n'
    )
    # Every model without routing of its own now sends it.
    assert body("-m", GPT)["provider"] == {"data_collection": "deny", "sort": "price"}
    only = run("models", "routing", "set", "--global", "--only", "openai")
    assert only.code == 0 and "a model that none of openai serves will fail" in only.stderr
    assert run("models", "routing", "clear", "--global").code == 0
    assert "models" not in data()
    assert "provider" not in body("-m", GPT)
    again = run("models", "routing", "clear", "--global")
    assert again.stderr == "every OpenRouter model has no routing; nothing changed.\n"


@pytest.mark.parametrize(
    "argv",
    [
        ("set", GPT, "--global", "--zdr"),
        ("set", "--zdr"),
        ("clear",),
        ("clear", GPT, "--global"),
        ("show", GPT, "--global"),
    ],
)
def test_a_model_or_global_exactly(config_file: Path, argv: tuple[str, ...]) -> None:
    result = run("models", "routing", *argv)
    assert result.code == 2
    assert "--global" in result.stderr.splitlines()[0]
    assert not config_file.exists()


# -- precedence: global, then the model's own, then the flags ------------------------------

LAYERED = """{
  agents: { defaults: {
    model: { primary: "openrouter/meta-llama/llama-3.3-70b-instruct", fallbacks: ["openrouter/openai/gpt-5.2"] },
    models: {
      "openrouter/meta-llama/llama-3.3-70b-instruct": {
        params: { provider: { only: ["together"], sort: { by: "latency" }, maxPrice: { prompt: 1 } } },
      },
    },
  } },
  models: { providers: { openrouter: { params: { provider: {
    only: ["openai"], sort: "price", data_collection: "deny", maxPrice: { completion: 9 },
  } } } } },
}
"""


def test_global_then_model_then_flags_field_by_field(config_file: Path) -> None:
    write(config_file, LAYERED)
    assert body()["provider"] == {
        "only": ["together"],  # the model's, over the global one
        "sort": {"by": "latency"},  # the model's
        "data_collection": "deny",  # only the global sets it
        "max_price": {"prompt": 1},  # a field is replaced whole, not merged
    }
    assert body("--order", "groq", "--only", "deepinfra")["provider"] == {
        "only": ["deepinfra"],  # the flag, over both
        "sort": {"by": "latency"},
        "data_collection": "deny",
        "max_price": {"prompt": 1},
        "order": ["groq"],  # the flag, set nowhere else
    }
    # A model without routing of its own sends the global routing as it is.
    assert body("-m", GPT)["provider"] == {
        "only": ["openai"],
        "sort": "price",
        "data_collection": "deny",
        "max_price": {"completion": 9},
    }


def test_show_says_where_each_field_comes_from(config_file: Path) -> None:
    write(config_file, LAYERED)
    model = f'agents.defaults.models["{LLAMA}"].params.provider'
    shown = json.loads(run("models", "routing", "show", LLAMA, "--json").stdout)
    assert shown["sources"] == {
        "only": model,
        "sort": model,
        "data_collection": GLOBAL,
        "max_price": model,
    }
    assert run("models", "routing", "show", LLAMA).stdout == (
        f"{LLAMA} (sent as provider):\n"
        f'  only: ["together"]        from {model}\n'
        f'  sort: {{"by": "latency"}}   from {model}\n'
        f'  data_collection: "deny"   from global ({GLOBAL})\n'
        f'  max_price: {{"prompt": 1}}  from {model}\n'
    )
    every = json.loads(run("models", "routing", "show", "--json").stdout)
    assert every["global"]["only"] == ["openai"]
    assert list(every["routing"]) == [LLAMA]
    assert run("models", "routing", "show", "--global").stdout.startswith(
        "every OpenRouter model (sent as provider):\n"
    )


def test_the_fallback_is_sent_with_the_global_routing(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    write(config_file, LAYERED)
    fake.fail("503", model="meta-llama/llama-3.3-70b-instruct")
    result = run_moltbot("chat", "--retries", "0", "hi", env={"OPENROUTER_API_KEY": TEST_KEY})
    assert result.code == 0, result.stderr
    sent = [item["provider"] for item in fake.chat_bodies()]
    assert sent[0]["only"] == ["together"]
    assert sent[-1] == {
        "only": ["openai"],
        "sort": "price",
        "data_collection": "deny",
        "max_price": {"completion": 9},
    }


# -- today's OpenClaw docs ------------------------------------------------------------------

# Written the way OpenClaw's OpenRouter docs and release notes show it: the provider's
# config snippet, and provider routing passed through a model's `params.provider` in
# OpenRouter's own snake_case.
OPENCLAW_DOCS = """{
  env: { OPENROUTER_API_KEY: "sk-or-..." },
  agents: {
    defaults: {
      model: { primary: "openrouter/auto" },
      models: {
        "openrouter/deepseek/deepseek-chat-v3.1": {
          "params": {
            "provider": {
              "only": ["deepinfra", "fireworks"],
              "allow_fallbacks": false
            }
          }
        },
        "openrouter/anthropic/claude-sonnet-4-5": {
          params: {
            temperature: 0.7,
            provider: { order: ["anthropic"], allow_fallbacks: false },
          },
        },
      },
    },
  },
}
"""


def test_a_config_from_openclaws_docs_validates_and_routes_as_they_say(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    write(config_file, OPENCLAW_DOCS)
    checked = json.loads(run("config", "validate", "--json").stdout)
    assert checked["valid"] is True
    assert [issue["severity"] for issue in checked["issues"]] == ["warning"]  # the plain key
    env = {"OPENROUTER_API_KEY": TEST_KEY}
    assert run_moltbot("chat", "hi", env=env).code == 0  # openrouter/auto: no routing
    deepseek = run_moltbot("chat", "-m", "deepseek/deepseek-chat-v3.1", "hi", env=env)
    assert deepseek.code == 0, deepseek.stderr
    sonnet = run_moltbot("chat", "-m", "anthropic/claude-sonnet-4-5", "hi", env=env)
    assert sonnet.code == 0, sonnet.stderr
    auto, first, second = fake.chat_bodies()
    assert auto["model"] == "openrouter/auto" and "provider" not in auto
    assert first["provider"] == {"only": ["deepinfra", "fireworks"], "allow_fallbacks": False}
    assert second["provider"] == {"order": ["anthropic"], "allow_fallbacks": False}
    assert second["temperature"] == 0.7
