"""Model catalogues and endpoint lists shaped like OpenRouter's, at any size, and a quick
way to run `moltbot models ...` in the test's own process.

`catalogue(n)` is a handful of real-looking models every test can name, followed by
generated ones up to `n`, so listing, filtering and lookups are tested at the size
the commands must stay fast at. Prices are strings in dollars per token, as the API
sends them.
"""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

from tests.support.cli import Result

CREATED = 1_750_000_000


def model(
    model_id: str,
    name: str,
    *,
    prompt: str,
    completion: str,
    context: int = 131_072,
    description: str = "",
) -> dict[str, Any]:
    return {
        "id": model_id,
        "canonical_slug": model_id.split(":")[0],
        "name": name,
        "created": CREATED,
        "description": description or f"{name}. " + "A model for tests. " * 20,
        "context_length": context,
        "architecture": {
            "modality": "text->text",
            "input_modalities": ["text"],
            "output_modalities": ["text"],
            "tokenizer": "Other",
        },
        "pricing": {"prompt": prompt, "completion": completion, "request": "0", "image": "0"},
        "top_provider": {
            "context_length": context,
            "max_completion_tokens": 16_384,
            "is_moderated": False,
        },
        "supported_parameters": ["max_tokens", "temperature", "top_p", "stop"],
    }


# The models tests refer to by name; prices are per token ($3/M is "0.000003").
KNOWN_MODELS: list[dict[str, Any]] = [
    model(
        "anthropic/claude-sonnet-4-5",
        "Anthropic: Claude Sonnet 4.5",
        prompt="0.000003",
        completion="0.000015",
        context=1_000_000,
    ),
    model(
        "anthropic/claude-haiku-4-5",
        "Anthropic: Claude Haiku 4.5",
        prompt="0.000001",
        completion="0.000005",
        context=200_000,
    ),
    model(
        "openai/gpt-5.2",
        "OpenAI: GPT-5.2",
        prompt="0.00000175",
        completion="0.000014",
        context=400_000,
    ),
    model("openai/gpt-5-mini", "OpenAI: GPT-5 Mini", prompt="0.00000025", completion="0.000002"),
    model(
        "meta-llama/llama-3.3-70b-instruct",
        "Meta: Llama 3.3 70B Instruct",
        prompt="0.0000001",
        completion="0.00000032",
    ),
    model(
        "meta-llama/llama-3.3-70b-instruct:free",
        "Meta: Llama 3.3 70B Instruct (free)",
        prompt="0",
        completion="0",
    ),
    model("x-ai/grok-4", "xAI: Grok 4", prompt="0.000003", completion="0.000015", context=256_000),
    model(
        "x-ai/grok-4-fast",
        "xAI: Grok 4 Fast",
        prompt="0.0000002",
        completion="0.0000005",
        context=2_000_000,
    ),
    model(
        "deepseek/deepseek-chat-v3.1",
        "DeepSeek: DeepSeek V3.1",
        prompt="0.0000002",
        completion="0.0000008",
        context=163_840,
    ),
    model(
        "qwen/qwen3-235b-a22b-2507",
        "Qwen: Qwen3 235B A22B Instruct 2507",
        prompt="0.00000008",
        completion="0.00000055",
        context=262_144,
    ),
    model("openrouter/auto", "Auto Router", prompt="-1", completion="-1", context=2_000_000),
]


def generated(index: int) -> dict[str, Any]:
    """A filler model: deterministic, varied authors, sizes, prices and free variants."""
    author = f"lab{index % 211:03d}"
    size = (8, 14, 32, 70, 120, 405)[index % 6]
    free = index % 17 == 0
    model_id = f"{author}/model-{index:05d}-{size}b" + (":free" if free else "")
    cents = (index * 37) % 900 + 1  # between $0.01 and $9.00 per million prompt tokens
    prompt = "0" if free else f"{cents / 100 / 1_000_000:.10f}"
    completion = "0" if free else f"{cents * 3 / 100 / 1_000_000:.10f}"
    name = f"Lab {index % 211:03d}: Model {index} {size}B" + (" (free)" if free else "")
    return model(
        model_id,
        name,
        prompt=prompt,
        completion=completion,
        context=(8_192, 32_768, 131_072, 1_048_576)[index % 4],
    )


def catalogue(count: int = 3000) -> list[dict[str, Any]]:
    """The known models, then generated ones, `count` in all."""
    filler = [generated(index) for index in range(max(0, count - len(KNOWN_MODELS)))]
    return [*KNOWN_MODELS, *filler]


def endpoint(
    provider_name: str,
    tag: str,
    *,
    prompt: str,
    completion: str,
    quantization: str = "fp8",
    context: int = 131_072,
    uptime: float | None = 99.5,
    latency: float | None = 450.0,
    throughput: float | None = 80.0,
) -> dict[str, Any]:
    """One provider's endpoint; latency (ms to first token) and throughput are p50s."""
    return {
        "name": f"{provider_name} | model",
        "model_name": "model",
        "context_length": context,
        "pricing": {"prompt": prompt, "completion": completion, "request": "0", "image": "0"},
        "provider_name": provider_name,
        "tag": tag,
        "quantization": quantization,
        "max_completion_tokens": 16_384,
        "max_prompt_tokens": None,
        "supported_parameters": ["max_tokens", "temperature"],
        "status": 0,
        "uptime_last_30m": uptime,
        "latency_last_30m": _percentiles(latency),
        "throughput_last_30m": _percentiles(throughput),
        "supports_implicit_caching": False,
    }


def _percentiles(p50: float | None) -> dict[str, float] | None:
    if p50 is None:  # OpenRouter sends null when it has no figures (or no key was sent)
        return None
    return {"p50": p50, "p75": p50 * 1.3, "p90": p50 * 1.8, "p99": p50 * 3}


# Who serves what: the cheap Llama is served by Together, which a new user will pin.
ENDPOINTS: dict[str, list[dict[str, Any]]] = {
    "meta-llama/llama-3.3-70b-instruct": [
        endpoint("DeepInfra", "deepinfra/fp8", prompt="0.00000023", completion="0.0000004"),
        endpoint(
            "Together",
            "together",
            prompt="0.00000088",
            completion="0.00000088",
            quantization="fp16",
            uptime=100.0,
            latency=310.0,
        ),
        endpoint(
            "Groq",
            "groq",
            prompt="0.00000059",
            completion="0.00000079",
            quantization="unknown",
            latency=None,
            uptime=None,
        ),
    ],
    "anthropic/claude-sonnet-4-5": [
        endpoint(
            "Anthropic",
            "anthropic",
            prompt="0.000003",
            completion="0.000015",
            quantization="unknown",
            context=1_000_000,
        ),
        endpoint(
            "Google",
            "google-vertex",
            prompt="0.000003",
            completion="0.000015",
            quantization="unknown",
            context=1_000_000,
        ),
        endpoint(
            "Amazon Bedrock",
            "amazon-bedrock",
            prompt="0.000003",
            completion="0.000015",
            quantization="unknown",
            context=200_000,
        ),
    ],
}


def endpoints_payload(model_id: str) -> dict[str, Any]:
    """The `data` object `GET /models/{author}/{slug}/endpoints` returns for a model."""
    names = {item["id"]: item["name"] for item in KNOWN_MODELS}
    return {
        "id": model_id,
        "name": names.get(model_id, model_id),
        "created": CREATED,
        "description": "",
        "architecture": {"modality": "text->text"},
        "endpoints": ENDPOINTS.get(model_id, []),
    }


def serve(fake: Any, count: int = 3000) -> Any:
    """Point a FakeOpenRouter at a catalogue of `count` models and the endpoint lists above."""
    fake.models = catalogue(count)
    fake.endpoints = dict(ENDPOINTS)
    return fake


def run_in_process(*args: str) -> Result:
    """`moltbot ARGS` through the real entry point (`app.main`), without a new process.

    The same parsing, error mapping and exit codes as the installed command, at a
    fraction of a subprocess's start-up cost; the suites keep subprocess runs for the
    end-to-end cases (exit paths, terminals, the environment) and use this for variations.
    """
    from moltbot_cli.app import main

    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(stdout), redirect_stderr(stderr):
        try:
            main(list(args))
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
    assert "Traceback" not in stderr.getvalue(), stderr.getvalue()
    return Result(code, stdout.getvalue(), stderr.getvalue())
