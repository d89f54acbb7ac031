"""The pieces of a chat turn, in process: bodies, the model chain, prompts, usage, a terminal."""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest

from moltbot_cli.commands.chat_work import compose_prompt, provider_slugs, usage_line
from moltbot_cli.config.settings import Settings
from moltbot_cli.errors import UsageError
from moltbot_cli.openrouter.client import ChatResult
from moltbot_cli.request.body import ChatOptions, build_body, build_messages
from moltbot_cli.request.walk import Served, model_chain
from moltbot_cli.vocabulary.params import wire_params
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)

HI = build_messages("hi", None)


def settings(models: dict[str, Any], primary: str | None = None, **model: Any) -> Settings:
    defaults: dict[str, Any] = {"models": models}
    if primary or model:
        defaults["model"] = {"primary": primary, **model} if primary else model
    return Settings({"agents": {"defaults": defaults}})


def test_meta_model_keeps_its_prefix_on_the_wire() -> None:
    assert build_body(settings({}), "openrouter/auto", HI, ChatOptions()) == {
        "model": "openrouter/auto",
        "messages": HI,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_a_ref_written_without_the_prefix_finds_its_entry() -> None:
    config = settings({"openai/gpt-5.2": {"compat": {"openRouterRouting": {"only": ["azure"]}}}})
    assert build_body(config, "openrouter/openai/gpt-5.2", HI, ChatOptions(stream=False)) == {
        "model": "openai/gpt-5.2",
        "messages": HI,
        "provider": {"only": ["azure"]},
        "stream": False,
    }


def test_an_empty_routing_object_sends_no_provider() -> None:
    config = settings({"openai/gpt-5.2": {"compat": {"openRouterRouting": {}}}})
    assert "provider" not in build_body(config, "openai/gpt-5.2", HI, ChatOptions())


def test_flags_alone_make_a_provider_object() -> None:
    options = ChatOptions(only=["openai"], order=["azure", "openai"])
    assert build_body(settings({}), "openai/gpt-5.2", HI, options)["provider"] == {
        "only": ["openai"],
        "order": ["azure", "openai"],
    }


def test_wire_params_maps_every_spelling() -> None:
    assert wire_params(
        {"maxTokens": 5, "topK": 3, "repetitionPenalty": 1.1, "seed": 7, "min_p": 0.1}
    ) == {"max_tokens": 5, "top_k": 3, "repetition_penalty": 1.1, "seed": 7, "min_p": 0.1}


def test_system_prompt_comes_first() -> None:
    assert build_messages("q", "be brief") == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "q"},
    ]


def test_model_chain() -> None:
    config = settings(
        {"openai/gpt-5.2": {"alias": "GPT"}},
        primary="openrouter/anthropic/claude-sonnet-4-5",
        fallbacks=["openrouter/openai/gpt-5.2", "google/gemini-2.5-flash"],
    )
    assert model_chain(config, None) == [
        "openrouter/anthropic/claude-sonnet-4-5",
        "openrouter/openai/gpt-5.2",
        "openrouter/google/gemini-2.5-flash",
    ]
    # The model asked for is not asked twice when it is also a fallback.
    assert model_chain(config, "gpt") == [
        "openrouter/openai/gpt-5.2",
        "openrouter/google/gemini-2.5-flash",
    ]
    assert model_chain(config, None, fallbacks=False) == ["openrouter/anthropic/claude-sonnet-4-5"]
    assert model_chain(settings({}), None) == ["openrouter/anthropic/claude-sonnet-4-5"]


def test_compose_prompt() -> None:
    assert compose_prompt(["summarize", "this"], "text\n") == "summarize this\n\ntext"
    assert compose_prompt([], "  just stdin \n") == "just stdin"
    assert compose_prompt(["only", "args"], None) == "only args"
    with pytest.raises(UsageError, match="no prompt given"):
        compose_prompt([], "\n")
    with pytest.raises(UsageError):
        compose_prompt([" "], None)


def test_provider_slugs() -> None:
    assert provider_slugs(None, "--only") is None
    assert provider_slugs(" anthropic , openai,, ", "--only") == ["anthropic", "openai"]
    with pytest.raises(UsageError, match="--order needs at least one provider slug"):
        provider_slugs(",", "--order")


def test_usage_line_without_usage_or_provider() -> None:
    result = ChatResult(None, None, None, "x", "stop", None)
    assert usage_line(Served("openrouter/openai/gpt-5.2", result, fallback=False)) == (
        "Usage: model openai/gpt-5.2, provider not reported, tokens not reported, cost not reported"
    )


def chat_at_a_terminal(*args: str, **spawn: Any) -> Any:
    """`moltbot chat ARGS` in a pseudo-terminal, as a person runs it."""
    import pexpect

    return pexpect.spawn(
        sys.executable,
        ["-m", "moltbot_cli", "chat", *args],
        env={**os.environ, "OPENROUTER_API_KEY": TEST_KEY, "TERM": "xterm"},
        encoding="utf-8",
        timeout=20,
        **spawn,
    )


def finish(child: Any) -> str:
    """Everything the terminal showed once the command ended."""
    import pexpect

    child.expect(pexpect.EOF)
    child.wait()  # close() would signal a child still exiting; wait() only waits
    return str(child.before or "")


def test_a_terminal_sees_a_spinner_then_the_reply_and_a_final_newline(
    fake_openrouter: FakeOpenRouter,
) -> None:

    fake_openrouter.fail("429", times=1, retry_after=1)  # a second of waiting to spin through
    child = chat_at_a_terminal("hi")
    output = finish(child)
    assert child.exitstatus == 0, output
    assert "Asking openrouter/anthropic/claude-sonnet-4-5…" in output
    assert output.endswith("Hello from anthropic/claude-sonnet-4-5!\r\n")
    assert "Traceback" not in output


def test_at_a_terminal_an_error_mid_reply_starts_on_its_own_line(
    fake_openrouter: FakeOpenRouter,
) -> None:

    fake_openrouter.fail("error_mid_stream")
    child = chat_at_a_terminal("hi")
    output = finish(child)
    assert child.exitstatus == 7, output
    assert (
        "Hell\r\nError: openrouter/anthropic/claude-sonnet-4-5 failed in the middle of its reply"
    ) in output


def test_ctrl_c_at_a_terminal_keeps_the_text_and_ends_its_line(
    fake_openrouter: FakeOpenRouter,
) -> None:
    import signal

    fake_openrouter.replies["anthropic/claude-sonnet-4-5"] = "one two three four five six"
    fake_openrouter.fail("slow_drip", delay=0.3)
    child = chat_at_a_terminal(
        "count", preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)
    )
    child.expect_exact("one ")
    child.sendintr()
    output = finish(child)
    assert (child.exitstatus, child.signalstatus) == (130, None), repr(output)
    assert "six" not in output
    assert output.endswith("\r\n"), repr(output)  # the shell prompt will not land mid-line
    assert "Traceback" not in output
