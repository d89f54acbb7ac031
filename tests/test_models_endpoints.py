"""`moltbot models endpoints REF`: who serves a model, to pick routing slugs from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import catalogue_data
from tests.support.catalogue_data import run_in_process as run
from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)

LLAMA = "meta-llama/llama-3.3-70b-instruct"


@pytest.fixture
def fake(fake_openrouter: FakeOpenRouter) -> FakeOpenRouter:
    return catalogue_data.serve(fake_openrouter)


def endpoint_requests(fake: FakeOpenRouter) -> list:
    return [request for request in fake.requests if request.path.endswith("/endpoints")]


def test_the_table_shows_slug_quantization_price_context_uptime_latency(
    fake: FakeOpenRouter,
) -> None:
    result = run_moltbot("models", "endpoints", LLAMA, env={"OPENROUTER_API_KEY": TEST_KEY})
    assert result.code == 0, result.stderr
    assert [line.split("\t") for line in result.stdout.splitlines()] == [
        ["provider", "tag", "quant", "$/M in", "$/M out", "context", "uptime", "latency"],
        ["DeepInfra", "deepinfra/fp8", "fp8", "$0.23", "$0.40", "131K", "99.5%", "450 ms"],
        ["Together", "together", "fp16", "$0.88", "$0.88", "131K", "100.0%", "310 ms"],
        ["Groq", "groq", "unknown", "$0.59", "$0.79", "131K", "", ""],
    ]
    assert result.stderr == (
        f"Pin providers with `moltbot models routing set openrouter/{LLAMA} --only TAG[,TAG]` "
        "(or --order to prefer them).\n"
    )
    # OpenRouter reports latency only to a known key, so the user's key goes along.
    assert endpoint_requests(fake)[0].headers["authorization"] == f"Bearer {TEST_KEY}"
    assert endpoint_requests(fake)[0].path == f"/api/v1/models/{LLAMA}/endpoints"


def test_json_carries_every_figure(fake: FakeOpenRouter) -> None:
    result = run("models", "endpoints", f"openrouter/{LLAMA}", "--json")
    assert result.code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["key"] == f"openrouter/{LLAMA}" and payload["id"] == LLAMA
    assert payload["count"] == 3
    assert payload["endpoints"][1] == {
        "provider": "Together",
        "tag": "together",
        "quantization": "fp16",
        "contextLength": 131_072,
        "pricing": {
            "prompt": "0.00000088",
            "completion": "0.00000088",
            "request": "0",
            "image": "0",
        },
        "uptime": 100.0,
        "latency": 310.0,
        "throughput": 80.0,
        "status": 0,
    }
    assert payload["endpoints"][2]["latency"] is None


def test_plain_prints_the_slugs_and_no_key_means_no_authorization(fake: FakeOpenRouter) -> None:
    result = run("models", "endpoints", "anthropic/claude-sonnet-4-5", "--plain")
    assert result.stdout.splitlines() == ["anthropic", "google-vertex", "amazon-bedrock"]
    assert "authorization" not in endpoint_requests(fake)[0].headers


def test_an_alias_and_a_routing_suffix_resolve_to_the_served_model(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(
        f'{{ agents: {{ defaults: {{ models: {{ "{LLAMA}": {{ alias: "l" }} }} }} }} }}'
    )
    assert run("models", "endpoints", "L", "--plain").code == 0
    assert run("models", "endpoints", f"{LLAMA}:nitro", "--plain").code == 0
    assert [r.path for r in endpoint_requests(fake)] == [f"/api/v1/models/{LLAMA}/endpoints"] * 2


def test_latency_needs_a_key_and_the_table_says_so(fake: FakeOpenRouter) -> None:
    for endpoint in fake.endpoints[LLAMA]:
        endpoint["latency_last_30m"] = None  # what OpenRouter sends without a key
    result = run("models", "endpoints", LLAMA)
    assert result.code == 0
    assert f"{fake.host} shows latency only to a known API key (`moltbot onboard`)." in (
        result.stderr
    )


def test_the_fakes_generated_endpoints_read_too(fake: FakeOpenRouter) -> None:
    # Percentile objects for latency and throughput, and a model with no hand-made list.
    result = run("models", "endpoints", "x-ai/grok-4", "--json")
    assert result.code == 0, result.stderr
    first = json.loads(result.stdout)["endpoints"][0]
    assert first["tag"] == "deepinfra" and first["latency"] == pytest.approx(0.6)


def test_an_unknown_model_is_refused_before_asking_for_endpoints(fake: FakeOpenRouter) -> None:
    result = run_moltbot("models", "endpoints", "meta-llama/llama-3.3-7b-instruct")
    assert result.code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: {fake.host} has no model openrouter/meta-llama/llama-3.3-7b-instruct.",
        "Closest: openrouter/meta-llama/llama-3.3-70b-instruct, "
        "openrouter/meta-llama/llama-3.3-70b-instruct:free. "
        "Search with `moltbot models list --all --search WORDS`.",
    ]
    assert endpoint_requests(fake) == []


def test_a_model_no_one_serves_right_now(fake: FakeOpenRouter) -> None:
    fake.endpoints["x-ai/grok-4"] = []
    result = run("models", "endpoints", "x-ai/grok-4")
    assert result.code == 0 and result.stdout == ""
    assert result.stderr == "No provider serves openrouter/x-ai/grok-4 right now.\n"


def test_openrouter_not_knowing_the_endpoints_is_an_upstream_error(fake: FakeOpenRouter) -> None:
    fake.fail("404", route="endpoints")
    result = run_moltbot("models", "endpoints", LLAMA)
    assert result.code == 7
    assert result.stderr.startswith(f"Error: {LLAMA} is not available (404)")
    assert len(result.stderr.splitlines()) == 2


def test_no_network_exits_8(fake: FakeOpenRouter) -> None:
    fake.stop()
    result = run_moltbot("models", "endpoints", LLAMA)
    assert result.code == 8
    assert result.stderr.startswith(f"Error: cannot reach {fake.host} ({fake.base_url})")
    assert len(result.stderr.splitlines()) == 2
