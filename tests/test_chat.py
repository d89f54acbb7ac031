"""`moltbot chat` end to end: the installed CLI as a subprocess against the fake OpenRouter.

Request bodies are compared whole, so a stray or missing field fails the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import Result, interrupt_after_first_output, run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
    host_of,
    refused_base_url,
)

DATA = Path(__file__).parent / "data"
SONNET = "anthropic/claude-sonnet-4-5"
GPT = "openai/gpt-5.2"
# Errors call a model by the ref the user writes; the server's own words keep its wire id.
SONNET_REF = "openrouter/" + SONNET
GPT_REF = "openrouter/" + GPT
HI = [{"role": "user", "content": "hi"}]
KEY_ENV = {"OPENROUTER_API_KEY": TEST_KEY}

SEED_ROUTING = (DATA / "seed_example_2.json5").read_text()
FALLBACK_CONFIG = """{
  // The primary answers through Anthropic only; GPT-5.2 stands in when it cannot.
  agents: { defaults: {
    model: { primary: "openrouter/anthropic/claude-sonnet-4-5",
             fallbacks: ["openrouter/openai/gpt-5.2"] },
    models: {
      "openrouter/anthropic/claude-sonnet-4-5": {
        alias: "Claude Sonnet",
        params: { temperature: 0.7, maxTokens: 4096 },
        compat: { openRouterRouting: { only: ["anthropic"] } },
      },
      "openrouter/openai/gpt-5.2": {
        alias: "GPT-5.2",
        params: { top_p: 0.9 },
        compat: { openRouterRouting: { order: ["anthropic", "openai"] } },
      },
    },
  } },
}
"""


@pytest.fixture
def config(config_file: Path) -> Any:
    """Write JSON5 text as the config; after the test, check chat left it untouched."""
    written: dict[str, str] = {}

    def write(text: str) -> Path:
        config_file.parent.mkdir(parents=True, exist_ok=True)
        config_file.write_text(text)
        written["text"] = text
        return config_file

    yield write
    if "text" in written:
        assert config_file.read_text() == written["text"]
        assert sorted(p.name for p in config_file.parent.iterdir()) == [config_file.name]


def chat(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    return run_moltbot("chat", *args, input=input, env={**KEY_ENV, **(env or {})}, timeout=30)


def body(model: str, messages: list[dict[str, str]] | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "model": model,
        "messages": messages or HI,
        **fields,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


# -- the request body ----------------------------------------------------------------------


def test_seed_example_primary_goes_out_with_only_anthropic(
    fake_openrouter: FakeOpenRouter, config: Any
) -> None:
    config(SEED_ROUTING)
    result = chat("hi")
    assert result.code == 0, result.stderr
    assert result.stdout == f"Hello from {SONNET}!\n"
    assert result.stderr == ""
    assert fake_openrouter.chat_bodies() == [body(SONNET, provider={"only": ["anthropic"]})]


@pytest.mark.parametrize("alias", ["gpt-5.2", GPT])
def test_seed_example_second_model_by_alias_or_ref_goes_out_with_its_order(
    fake_openrouter: FakeOpenRouter, config: Any, alias: str
) -> None:
    config(SEED_ROUTING)
    result = chat("-m", alias, "hi")
    assert result.code == 0, result.stderr
    assert result.stdout == f"Hello from {GPT}!\n"
    assert fake_openrouter.chat_bodies() == [body(GPT, provider={"order": ["anthropic", "openai"]})]


def test_no_routing_configured_means_no_provider_field(
    fake_openrouter: FakeOpenRouter, config: Any
) -> None:
    config((DATA / "seed_example_1.json5").read_text())
    assert chat("hi").code == 0
    assert fake_openrouter.chat_bodies() == [body(SONNET)]


def test_no_config_file_at_all_uses_the_default_model(fake_openrouter: FakeOpenRouter) -> None:
    result = chat("hi")
    assert result.code == 0, result.stderr
    assert fake_openrouter.chat_bodies() == [body(SONNET)]


ROUTING_CAMEL = """{
  only: ["anthropic", "amazon-bedrock"], ignore: ["google-vertex"],
  allowFallbacks: false, requireParameters: true, dataCollection: "deny", zdr: true,
  quantizations: ["fp8", "bf16"], sort: "throughput",
  maxPrice: { prompt: 3, completion: 15 }, preferredMaxLatency: { p90: 2 },
}"""
ROUTING_SNAKE = """{
  only: ["anthropic", "amazon-bedrock"], ignore: ["google-vertex"],
  allow_fallbacks: false, require_parameters: true, data_collection: "deny", zdr: true,
  quantizations: ["fp8", "bf16"], sort: "throughput",
  max_price: { prompt: 3, completion: 15 }, preferred_max_latency: { p90: 2 },
}"""
ROUTING_WIRE = {
    "only": ["anthropic", "amazon-bedrock"],
    "ignore": ["google-vertex"],
    "allow_fallbacks": False,
    "require_parameters": True,
    "data_collection": "deny",
    "zdr": True,
    "quantizations": ["fp8", "bf16"],
    "sort": "throughput",
    "max_price": {"prompt": 3, "completion": 15},
    "preferred_max_latency": {"p90": 2},
}


@pytest.mark.parametrize("routing", [ROUTING_CAMEL, ROUTING_SNAKE], ids=["camelCase", "snake_case"])
def test_routing_in_either_case_goes_out_snake_case(
    fake_openrouter: FakeOpenRouter, config: Any, routing: str
) -> None:
    config(
        '{ agents: { defaults: { models: { "anthropic/claude-sonnet-4-5": {\n'
        f"  compat: {{ openRouterRouting: {routing} }} }} }} }} }} }}\n"
    )
    result = chat("hi")
    assert result.code == 0, result.stderr
    assert fake_openrouter.chat_bodies() == [body(SONNET, provider=ROUTING_WIRE)]


@pytest.mark.parametrize(
    "params",
    [
        "{ temperature: 0.3, maxTokens: 256, topP: 0.8, frequencyPenalty: 0.5, stop: ['END'] }",
        "{ temperature: 0.3, max_tokens: 256, top_p: 0.8, frequency_penalty: 0.5, stop: ['END'] }",
    ],
    ids=["camelCase", "snake_case"],
)
def test_model_params_go_into_the_body(
    fake_openrouter: FakeOpenRouter, config: Any, params: str
) -> None:
    config(
        "{ agents: { defaults: { models: {\n"
        f"  'openrouter/anthropic/claude-sonnet-4-5': {{ alias: 'Claude', params: {params} }},\n"
        "} } } }\n"
    )
    result = chat("hi")
    assert result.code == 0, result.stderr
    assert fake_openrouter.chat_bodies() == [
        body(
            SONNET,
            temperature=0.3,
            max_tokens=256,
            top_p=0.8,
            frequency_penalty=0.5,
            stop=["END"],
        )
    ]


def test_flags_win_over_params_and_routing(fake_openrouter: FakeOpenRouter, config: Any) -> None:
    config(FALLBACK_CONFIG)
    result = chat(
        "-m",
        "claude sonnet",
        "-s",
        "Be brief.",
        "--temperature",
        "0.2",
        "--max-tokens",
        "50",
        "--only",
        "amazon-bedrock, google-vertex",
        "--order",
        "google-vertex",
        "two",
        "words",
    )
    assert result.code == 0, result.stderr
    assert fake_openrouter.chat_bodies() == [
        body(
            SONNET,
            [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "two words"}],
            temperature=0.2,
            max_tokens=50,
            provider={"only": ["amazon-bedrock", "google-vertex"], "order": ["google-vertex"]},
        )
    ]


def test_order_flag_adds_to_the_configured_only(
    fake_openrouter: FakeOpenRouter, config: Any
) -> None:
    config(SEED_ROUTING)
    assert chat("--order", "anthropic", "hi").code == 0
    assert fake_openrouter.chat_bodies() == [
        body(SONNET, provider={"only": ["anthropic"], "order": ["anthropic"]})
    ]


def test_no_stream_sends_stream_false_and_prints_the_reply(
    fake_openrouter: FakeOpenRouter,
) -> None:
    result = chat("--no-stream", "hi")
    assert result.code == 0, result.stderr
    assert result.stdout == f"Hello from {SONNET}!\n"
    unstreamed = {
        field: value for field, value in body(SONNET).items() if field != "stream_options"
    }
    assert fake_openrouter.chat_bodies() == [{**unstreamed, "stream": False}]


# -- prompt sources ------------------------------------------------------------------------


def test_piped_stdin_is_appended_to_the_prompt_as_context(
    fake_openrouter: FakeOpenRouter,
) -> None:
    result = chat("summarize", input="text\nmore text\n")
    assert result.code == 0, result.stderr
    assert result.stdout == f"Hello from {SONNET}!\n"
    assert fake_openrouter.chat_bodies()[0]["messages"] == [
        {"role": "user", "content": "summarize\n\ntext\nmore text"}
    ]


def test_stdin_alone_is_the_prompt(fake_openrouter: FakeOpenRouter) -> None:
    assert chat(input="what is 2+2?\n").code == 0
    assert fake_openrouter.chat_bodies()[0]["messages"] == [
        {"role": "user", "content": "what is 2+2?"}
    ]


def in_a_shell(command: str) -> subprocess.CompletedProcess[str]:
    """Run a pipeline through sh, as a script would, with a key in the environment."""
    return subprocess.run(
        ["sh", "-c", command],
        capture_output=True,
        text=True,
        env={**os.environ, **KEY_ENV},
        timeout=30,
    )


def test_echo_piped_through_a_real_shell(fake_openrouter: FakeOpenRouter) -> None:
    command = f"echo text | {sys.executable} -m moltbot_cli chat summarize | cat"
    completed = in_a_shell(command)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == f"Hello from {SONNET}!\n"
    assert fake_openrouter.chat_bodies()[0]["messages"][0]["content"] == "summarize\n\ntext"


def test_no_prompt_at_all_is_a_usage_error(fake_openrouter: FakeOpenRouter) -> None:
    result = chat(input="  \n")
    assert result.code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: no prompt given",
        'Give one as arguments (moltbot chat "hello") or on stdin (echo hello | moltbot chat).',
    ]
    assert fake_openrouter.requests == []


# -- output modes --------------------------------------------------------------------------


def test_json_prints_one_object_a_parser_reads(fake_openrouter: FakeOpenRouter) -> None:
    command = f"{sys.executable} -m moltbot_cli chat --json hi | {sys.executable} -m json.tool"
    completed = in_a_shell(command)
    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    assert list(payload) == [
        "id",
        "model",
        "provider",
        "content",
        "finish_reason",
        "usage",
        "conversation",  # the call was logged: `chat --cid` continues it
    ]
    assert payload["id"].startswith("gen-")
    assert payload["model"] == SONNET
    assert payload["provider"] == "Anthropic"
    assert payload["content"] == f"Hello from {SONNET}!"
    assert payload["finish_reason"] == "stop"
    assert payload["usage"]["total_tokens"] == 8


def test_json_without_streaming_gives_the_same_object(fake_openrouter: FakeOpenRouter) -> None:
    result = chat("--json", "--no-stream", "hi")
    assert result.code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["content"] == f"Hello from {SONNET}!"
    assert fake_openrouter.chat_bodies()[0]["stream"] is False


def test_dry_run_prints_the_request_and_sends_nothing(
    fake_openrouter: FakeOpenRouter, config: Any
) -> None:
    config(SEED_ROUTING)
    result = chat("--dry-run", "-m", "gpt-5.2", "hi")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "url": f"{fake_openrouter.base_url}/chat/completions",
        "headers": {
            "Content-Type": "application/json",
            "Authorization": "Bearer sk-or-v1-te…xxx",
            "HTTP-Referer": "https://github.com/moltbot/moltbot-cli",
            "X-OpenRouter-Title": "moltbot",
            "X-Title": "moltbot",
            "User-Agent": "moltbot/0.1.0",
            "Accept": "text/event-stream",
        },
        "body": body(GPT, provider={"order": ["anthropic", "openai"]}),
    }
    assert TEST_KEY not in result.stdout + result.stderr
    assert fake_openrouter.requests == []


def test_dry_run_works_without_a_key(fake_openrouter: FakeOpenRouter) -> None:
    result = run_moltbot("chat", "--dry-run", "hi")
    assert result.code == 0, result.stderr
    request = json.loads(result.stdout)
    assert "Authorization" not in request["headers"]
    assert request["body"] == body(SONNET)
    assert "no API key found" in result.stderr and "moltbot onboard" in result.stderr
    assert fake_openrouter.requests == []


def test_usage_goes_to_stderr(fake_openrouter: FakeOpenRouter) -> None:
    result = chat("--usage", "hi")
    assert result.code == 0, result.stderr
    assert result.stdout == f"Hello from {SONNET}!\n"
    assert result.stderr == (
        f"Usage: model {SONNET}, provider Anthropic, tokens 5 in + 3 out = 8, cost $0.000060\n"
    )


def test_verbose_traces_requests_with_the_key_masked(fake_openrouter: FakeOpenRouter) -> None:
    result = run_moltbot("-v", "chat", "hi", env=KEY_ENV)
    assert result.code == 0, result.stderr
    assert result.stdout == f"Hello from {SONNET}!\n"
    assert TEST_KEY not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"> POST {fake_openrouter.base_url}/chat/completions (try 1/4)")
    assert "Authorization: Bearer sk-or-v1-te…xxx" in lines[0]
    assert '"content": "hi"' in lines[0]
    assert lines[1].startswith("< 200 OK in ")
    assert lines[2].startswith("< stream ended after ")


def test_reply_cut_at_the_token_limit_says_so(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.finish_reason = "length"
    result = chat("hi")
    assert result.code == 0
    assert result.stdout == f"Hello from {SONNET}!\n"
    assert "token limit" in result.stderr and "--max-tokens" in result.stderr


# -- the key -------------------------------------------------------------------------------


def test_no_key_anywhere_exits_4_and_names_onboard(fake_openrouter: FakeOpenRouter) -> None:
    result = run_moltbot("chat", "hi")
    assert result.code == 4
    assert result.stdout == ""
    assert "Error: no OpenRouter API key found" in result.stderr
    assert "moltbot onboard" in result.stderr
    assert len(result.stderr.splitlines()) == 2
    assert fake_openrouter.requests == []


def test_a_rejected_key_exits_4(fake_openrouter: FakeOpenRouter) -> None:
    result = chat("hi", env={"OPENROUTER_API_KEY": "sk-or-v1-test-revoked"})
    assert result.code == 4
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == (
        f"Error: {fake_openrouter.host} rejected the API key (401): User not found."
    )
    assert "moltbot onboard" in result.stderr
    assert "sk-or-v1-test-revoked" not in result.stderr
    assert len(fake_openrouter.requests) == 1


def test_a_new_user_onboards_then_chats_with_the_stored_key(
    fake_openrouter: FakeOpenRouter,
) -> None:
    onboard = run_moltbot(
        "onboard", "--auth-choice", "apiKey", "--token-provider", "openrouter", "--token", TEST_KEY
    )
    assert onboard.code == 0, onboard.stderr
    result = run_moltbot("chat", "hello")  # no OPENROUTER_API_KEY: the keyring has it
    assert result.code == 0, result.stderr
    assert result.stdout == f"Hello from {SONNET}!\n"
    assert fake_openrouter.requests[-1].headers["authorization"] == f"Bearer {TEST_KEY}"


def test_the_key_in_the_config_env_block_is_used(
    fake_openrouter: FakeOpenRouter, config: Any
) -> None:
    config(f'{{ env: {{ OPENROUTER_API_KEY: "{TEST_KEY}" }} }}')
    result = run_moltbot("chat", "hi")
    assert result.code == 0, result.stderr
    assert fake_openrouter.requests[-1].headers["authorization"] == f"Bearer {TEST_KEY}"


# -- every misbehaviour, seen from the command line ---------------------------------------


@pytest.mark.parametrize(
    ("kind", "code", "stdout", "first_line"),
    [
        (
            "402",
            5,
            "",
            "Error: out of credits or over this key's limit (402): Insufficient credits. "
            "Add more using https://openrouter.ai/settings/credits",
        ),
        (
            "403",
            7,
            "",
            "Error: the request was refused (403): anthropic/claude-sonnet-4-5 requires "
            'moderation on Anthropic. Your input was flagged for "violence". '
            "(reasons: violence) [Anthropic]",
        ),
        (
            "404",
            7,
            "",
            f"Error: {SONNET_REF} is not available (404): No endpoints found for {SONNET}.",
        ),
        (
            "429",
            6,
            "",
            f"Error: {SONNET_REF} is still rate limited after 3 retries (429): "
            "Rate limit exceeded: free-models-per-min.",
        ),
        (
            "502",
            7,
            "",
            f"Error: {SONNET_REF} failed upstream (502): "
            "Provider returned error [Anthropic: Overloaded]",
        ),
        (
            "503",
            7,
            "",
            f"Error: no provider could serve {SONNET_REF} (503): "
            "No allowed providers are available for the selected model.",
        ),
        (
            "error_mid_stream",
            7,
            "Hell\n",
            f"Error: {SONNET_REF} failed in the middle of its reply: "
            "Provider disconnected unexpectedly",
        ),
        (
            "cut_off",
            7,
            "Hell\n",
            f"Error: the reply from {SONNET_REF} was cut off before it finished",
        ),
        (
            "garbage",
            7,
            "",
            "Error: HOST sent a text/html page that moltbot cannot read: 502 Bad Gateway",
        ),
        (
            "garbage_sse",
            7,
            "",
            "Error: HOST sent a stream event that moltbot cannot read: {this is not json",
        ),
    ],
)
def test_misbehaviour(
    fake_openrouter: FakeOpenRouter, kind: str, code: int, stdout: str, first_line: str
) -> None:
    fake_openrouter.fail(kind, retry_after=0 if kind == "429" else None)
    result = chat("hi")
    assert result.code == code, result.stderr
    assert result.stdout == stdout
    lines = result.stderr.splitlines()
    # HOST: the fake's host and port, which messages name instead of "OpenRouter".
    assert lines[0] == first_line.replace("HOST", fake_openrouter.host)
    assert len(lines) == 2  # the error and what to do about it


def test_no_endpoints_hint_names_the_model_to_look_up(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.fail("404")
    result = chat("-m", SONNET, "hi")
    assert result.code == 7
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: {SONNET_REF} is not available (404): No endpoints found for {SONNET}.",
        "No provider fits this model's routing; see who serves it with "
        f"`moltbot models endpoints {SONNET_REF}` and change `moltbot models routing set`.",
    ]


@pytest.mark.parametrize(
    ("kind", "code", "first_line", "hint"),
    [
        (
            "error_mid_stream",
            7,
            f"Error: {SONNET_REF} failed in the middle of its reply: "
            "Provider disconnected unexpectedly",
            "The reply was cut short; run the command again for a whole reply.",
        ),
        (
            "cut_off",
            7,
            f"Error: the reply from {SONNET_REF} was cut off before it finished",
            "The reply was cut short; run the command again for a whole reply.",
        ),
        (
            "stall",
            8,
            "Error: the reply stopped arriving: nothing for 0.5 s",
            "The reply was cut short; try again, or allow longer with --timeout SECONDS.",
        ),
    ],
)
def test_json_mid_reply_failure_points_at_nothing_above(
    fake_openrouter: FakeOpenRouter, kind: str, code: int, first_line: str, hint: str
) -> None:
    """With --json the part that arrived is never printed, so the hint cannot say "above"."""
    fake_openrouter.fail(kind)
    result = chat("--json", "--timeout", "0.5", "hi")
    assert result.code == code, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [first_line, hint]
    # The same failure without --json still points at the text it printed.
    plain = chat("--timeout", "0.5", "hi")
    assert plain.code == code
    assert plain.stdout == "Hell\n"
    assert plain.stderr.splitlines()[1].startswith("What arrived is above; ")


def test_429_once_with_retry_after_then_the_reply(fake_openrouter: FakeOpenRouter) -> None:
    rule = fake_openrouter.fail("429", times=1, retry_after=1)
    result = chat("hi")
    assert result.code == 0, result.stderr
    assert result.stdout == f"Hello from {SONNET}!\n"
    assert result.stderr == ""
    assert rule.hits == 1 and len(fake_openrouter.chat_bodies()) == 2
    # The second try came at least Retry-After's 1 s after the first (the test backoff is
    # 10 ms; a lower bound, which no load can break).
    first, second = fake_openrouter.requests
    assert second.arrived - first.arrived >= 1.0


def test_retries_flag_bounds_the_tries(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.fail("502")
    result = chat("--retries", "1", "hi")
    assert result.code == 7
    assert len(fake_openrouter.chat_bodies()) == 2


def test_hang_gives_up_after_the_timeout(fake_openrouter: FakeOpenRouter) -> None:
    # Were the timeout not kept, the fake would end the hang after HANG_LIMIT_SECONDS by
    # closing the connection, which moltbot reports differently: the message shows it.
    fake_openrouter.fail("hang")
    result = chat("--timeout", "0.5", "hi")
    assert result.code == 8
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: no answer from {fake_openrouter.base_url} within 0.5 s",
        "Try again, pick another model with -m, or allow longer with --timeout SECONDS.",
    ]
    assert len(fake_openrouter.chat_bodies()) == 1  # a hang is not retried


def test_stall_mid_reply_keeps_what_arrived(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.fail("stall")
    result = chat("--timeout", "0.5", "hi")
    assert result.code == 8
    assert result.stdout == "Hell\n"
    assert result.stderr.splitlines()[0] == "Error: the reply stopped arriving: nothing for 0.5 s"


def test_slow_drip_arrives_whole(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.fail("slow_drip", delay=0.05)
    result = chat("--timeout", "1", "hi")
    assert result.code == 0, result.stderr
    assert result.stdout == f"Hello from {SONNET}!\n"


def test_refused_connection_exits_8(fake_openrouter: FakeOpenRouter) -> None:
    base_url = refused_base_url()
    result = chat("hi", env={"OPENROUTER_BASE_URL": base_url})
    assert result.code == 8
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: cannot reach {host_of(base_url)} ({base_url}): connection refused",
        "Check your network connection, and OPENROUTER_BASE_URL or "
        "models.providers.openrouter.baseUrl if you set one.",
    ]


def test_broken_config_exits_3_and_sends_nothing(
    fake_openrouter: FakeOpenRouter, config: Any
) -> None:
    config("{ agents: { defaults: { modle: {} } } }")
    result = chat("hi")
    assert result.code == 3
    assert result.stdout == ""
    assert "agents.defaults.modle" in result.stderr
    assert fake_openrouter.requests == []


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-m", "nonsense", "hi"], "'nonsense' is neither an alias nor a model reference"),
        (["--only", " , ", "hi"], "--only needs at least one provider slug"),
        (["--temperature", "3", "hi"], "--temperature"),
        (["--timeout", "0", "hi"], "--timeout"),
    ],
)
def test_bad_flags_are_usage_errors(
    fake_openrouter: FakeOpenRouter, args: list[str], words: str
) -> None:
    result = chat(*args)
    assert result.code == 2
    assert result.stdout == ""
    assert words in result.stderr
    assert fake_openrouter.requests == []


@pytest.mark.parametrize("args", [["-m", "", "hi"], ["--model", " ", "--dry-run", "hi"]])
def test_an_empty_model_flag_is_refused_not_taken_as_the_primary(
    fake_openrouter: FakeOpenRouter, config: Any, args: list[str]
) -> None:
    config(FALLBACK_CONFIG)
    result = chat(*args)
    assert result.code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: -m/--model is empty: give the model to ask",
        "Use a ref such as openrouter/anthropic/claude-sonnet-4-5 or an alias "
        "(`moltbot models list`), or leave -m out to ask the configured primary.",
    ]
    assert fake_openrouter.requests == []


# -- fallbacks -----------------------------------------------------------------------------

PRIMARY_BODY = body(SONNET, temperature=0.7, max_tokens=4096, provider={"only": ["anthropic"]})
FALLBACK_BODY = body(GPT, top_p=0.9, provider={"order": ["anthropic", "openai"]})


@pytest.mark.parametrize("kind", ["503", "404", "429", "502", "error_first"])
def test_primary_fails_before_output_and_the_fallback_answers(
    fake_openrouter: FakeOpenRouter, config: Any, kind: str
) -> None:
    config(FALLBACK_CONFIG)
    fake_openrouter.fail(kind, model=SONNET, retry_after=0 if kind == "429" else None)
    result = chat("--timeout", "0.5", "--retries", "1", "hi")
    assert result.code == 0, result.stderr
    assert result.stdout == f"Hello from {GPT}!\n"
    bodies = fake_openrouter.chat_bodies()
    assert bodies[-1] == FALLBACK_BODY
    assert bodies[:-1] == [PRIMARY_BODY] * len(bodies[:-1])
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Note: ")
    assert lines[0].count(SONNET_REF) == 1  # named once, not "X failed (X failed ...)"
    assert lines[0].endswith(f"; trying openrouter/{GPT}")
    assert lines[1] == f"Note: answered by openrouter/{GPT} (a configured fallback)."
    assert len(lines) == 2


def test_fallback_names_the_reason_and_json_names_the_model_served(
    fake_openrouter: FakeOpenRouter, config: Any
) -> None:
    config(FALLBACK_CONFIG)
    fake_openrouter.fail("503", model=SONNET)
    result = chat("--json", "--usage", "hi")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["model"] == GPT
    assert result.stderr.splitlines()[0] == (
        f"Note: no provider could serve {SONNET_REF} (503): No allowed providers are available "
        f"for the selected model; trying {GPT_REF}"
    )
    assert f"Usage: model {GPT}, provider Anthropic," in result.stderr


@pytest.mark.parametrize(("kind", "code"), [("401", 4), ("402", 5), ("400", 2), ("403", 7)])
def test_no_fallback_where_another_model_would_fare_no_better(
    fake_openrouter: FakeOpenRouter, config: Any, kind: str, code: int
) -> None:
    config(FALLBACK_CONFIG)
    fake_openrouter.fail(kind, model=SONNET)
    result = chat("hi")
    assert result.code == code
    assert result.stdout == ""
    assert fake_openrouter.chat_bodies() == [PRIMARY_BODY]
    assert "Note:" not in result.stderr


def test_no_fallback_once_output_began(fake_openrouter: FakeOpenRouter, config: Any) -> None:
    config(FALLBACK_CONFIG)
    fake_openrouter.fail("error_mid_stream", model=SONNET)
    result = chat("hi")
    assert result.code == 7
    assert result.stdout == "Hell\n"
    assert fake_openrouter.chat_bodies() == [PRIMARY_BODY]


def test_every_model_fails(fake_openrouter: FakeOpenRouter, config: Any) -> None:
    config(FALLBACK_CONFIG)
    fake_openrouter.fail("503")
    result = chat("--retries", "0", "hi")
    assert result.code == 7
    assert result.stdout == ""
    assert fake_openrouter.chat_bodies() == [PRIMARY_BODY, FALLBACK_BODY]
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"Note: no provider could serve {SONNET_REF} (503)")
    assert lines[1] == (
        f"Error: no provider could serve {GPT_REF} (503): "
        "No allowed providers are available for the selected model."
    )
    assert len(lines) == 3


def test_no_fallbacks_flag(fake_openrouter: FakeOpenRouter, config: Any) -> None:
    config(FALLBACK_CONFIG)
    fake_openrouter.fail("503", model=SONNET)
    result = chat("--no-fallbacks", "--retries", "0", "hi")
    assert result.code == 7
    assert fake_openrouter.chat_bodies() == [PRIMARY_BODY]


def test_model_flag_keeps_the_fallbacks_after_it(
    fake_openrouter: FakeOpenRouter, config: Any
) -> None:
    config(FALLBACK_CONFIG)
    fake_openrouter.fail("503", model="openai/gpt-4o-mini")
    result = chat("-m", "openai/gpt-4o-mini", "--retries", "0", "hi")
    assert result.code == 0, result.stderr
    assert fake_openrouter.chat_bodies() == [body("openai/gpt-4o-mini"), FALLBACK_BODY]


# -- Ctrl-C --------------------------------------------------------------------------------


def test_ctrl_c_mid_reply_keeps_the_text_and_exits_130(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.replies[SONNET] = "one two three four five six seven eight nine ten"
    fake_openrouter.fail("slow_drip", delay=0.3)
    run = interrupt_after_first_output("chat", "count", env=KEY_ENV)
    assert run.first.startswith("one ")
    assert run.code == 130
    assert run.stdout.startswith("one ")
    assert "ten" not in run.stdout  # it stopped rather than finishing
    assert run.stderr.strip() == ""
