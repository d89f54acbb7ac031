"""`moltbot chat` request features end to end, against the fake OpenRouter: -o, reasoning,
--schema, attachments, --web, presets, and the checks before sending (each refusal with
its message, its exit code, and no chat request sent)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from moltbot_cli.calllog.store import CallLog
from tests.support.cli import Result, run_moltbot
from tests.support.fake_features import SAMPLE_PRESETS, features_catalogue
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)
from tests.test_request_layer import PDF, PNG, sdk_check

SONNET = "anthropic/claude-sonnet-4-5"
GPT = "openai/gpt-5.2"
DEEPSEEK = "deepseek/deepseek-chat-v3.1"
KEY_ENV = {"OPENROUTER_API_KEY": TEST_KEY}
STREAMING = pytest.mark.parametrize("stream", [True, False], ids=["streamed", "unstreamed"])


@pytest.fixture
def fake(fake_openrouter: FakeOpenRouter) -> FakeOpenRouter:
    fake_openrouter.models = features_catalogue()
    return fake_openrouter


def chat(*args: str, input: str | None = None, stream: bool = True) -> Result:
    flags = () if stream else ("--no-stream",)
    return run_moltbot("chat", *flags, *args, input=input, env=KEY_ENV, timeout=30)


def dry_body(*args: str) -> dict[str, Any]:
    result = chat("--dry-run", *args)
    assert result.code == 0, result.stderr
    body = json.loads(result.stdout)["body"]
    sdk_check(body)
    return body


def files(tmp_path: Path) -> dict[str, Path]:
    found = {
        "png": tmp_path / "photo.png",
        "pdf": tmp_path / "report.pdf",
        "txt": tmp_path / "notes.txt",
    }
    found["png"].write_bytes(PNG)
    found["pdf"].write_bytes(PDF)
    found["txt"].write_text("buy milk\n")
    return found


# -- --dry-run bodies ------------------------------------------------------------------------


def test_dry_run_shows_every_feature_in_one_body(fake: FakeOpenRouter, tmp_path: Path) -> None:
    paths = files(tmp_path)
    body = dry_body(
        "-m", SONNET, "-o", "top_p", "0.9", "-o", "stop", '["END"]', "-o", "user", "bob",
        "--reasoning-effort", "high", "--schema", "name, age int", "--web",
        "-a", str(paths["png"]), "-a", str(paths["pdf"]), "-a", str(paths["txt"]),
        "--pdf-engine", "pdf-text", "compare",
    )  # fmt: skip
    assert body["model"] == SONNET
    assert (body["top_p"], body["stop"], body["user"]) == (0.9, ["END"], "bob")
    assert body["reasoning"] == {"effort": "high"}
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["provider"] == {"require_parameters": True}
    assert body["tools"] == [{"type": "openrouter:web_search"}]
    assert body["plugins"] == [{"id": "file-parser", "pdf": {"engine": "pdf-text"}}]
    text, image, pdf = body["messages"][0]["content"]
    assert text == {"type": "text", "text": 'compare\n\n<file name="notes.txt">\nbuy milk\n</file>'}
    assert image["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert pdf["file"]["filename"] == "report.pdf"
    assert fake.chat_bodies() == []


def test_options_lose_to_flags_and_beat_the_config(fake: FakeOpenRouter, config_file: Path) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(
        '{ agents: { defaults: { models: { "openrouter/anthropic/claude-sonnet-4-5": '
        "{ params: { topP: 0.1, temperature: 0.2, reasoning: { maxTokens: 900, exclude: true } } } } } } }"
    )
    body = dry_body(
        "-o", "top_p", "0.5", "-o", "temperature", "1", "--temperature", "0.3",
        "--reasoning-effort", "low", "hi",
    )  # fmt: skip
    assert (body["top_p"], body["temperature"]) == (0.5, 0.3)
    assert body["reasoning"] == {"exclude": True, "effort": "low"}


@pytest.mark.parametrize(
    ("args", "message"),
    [(["-o", "model", "x"], "moltbot sets this field itself"),
     (["--reasoning-effort", "huge"], "--reasoning-effort must be one of"),
     (["--reasoning-effort", "low", "--reasoning-max-tokens", "5"], "say the same thing two ways"),
     (["--pdf-engine", "magic"], "--pdf-engine must be one of"),
     (["--schema", "name, age years"], "unknown type 'years'"),
     (["-a", "nowhere.png"], "no such file"),
     (["-n", "-a", "-"], "-n/--no-stdin leaves unread")],
)  # fmt: skip
def test_bad_flags_are_usage_errors_and_send_nothing(
    fake: FakeOpenRouter, args: list[str], message: str
) -> None:
    result = chat(*args, "hi")
    assert result.code == 2 and message in result.stderr and result.stdout == ""
    assert fake.requests == []


def test_an_attachment_read_from_stdin_and_no_prompt(fake: FakeOpenRouter) -> None:
    result = chat("--dry-run", "-a", "-", input="a poem about milk\n")
    assert result.code == 0, result.stderr
    (message,) = json.loads(result.stdout)["body"]["messages"]
    assert message == {"role": "user", "content": '<file name="stdin">\na poem about milk\n</file>'}


# -- end to end: streamed and unstreamed ---------------------------------------------------------


@STREAMING
def test_reasoning_goes_to_stderr_and_the_answer_alone_to_stdout(
    fake: FakeOpenRouter, stream: bool
) -> None:
    fake.reasoning[SONNET] = "First, light scatters.\nThen blue wins."
    result = chat("-m", SONNET, "--reasoning-effort", "high", "why blue?", stream=stream)
    assert result.code == 0, result.stderr
    assert result.stdout == f"Hello from {SONNET}!\n"
    assert "First, light scatters.\nThen blue wins.\n" in result.stderr
    assert "\x1b[" not in result.stderr  # plain in a pipe
    assert fake.chat_bodies()[0]["reasoning"] == {"effort": "high"}


@STREAMING
def test_hide_reasoning_and_json_carries_it(fake: FakeOpenRouter, stream: bool) -> None:
    fake.reasoning[SONNET] = "thinking hard"
    hidden = chat("-m", SONNET, "--hide-reasoning", "hi", stream=stream)
    assert hidden.code == 0 and "thinking" not in hidden.stderr
    shown = chat("-m", SONNET, "--json", "hi", stream=stream)
    payload = json.loads(shown.stdout)
    assert payload["reasoning"] == "thinking hard" and "thinking" not in shown.stderr
    plain = json.loads(chat("-m", GPT, "--json", "hi", stream=stream).stdout)
    assert "reasoning" not in plain and "citations" not in plain


def test_reasoning_text_from_the_server_cannot_drive_the_terminal(fake: FakeOpenRouter) -> None:
    fake.reasoning[SONNET] = "calm \x1b]0;pwned\x07 thought"
    result = chat("-m", SONNET, "hi")
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "calm ]0;pwned thought" in result.stderr


@STREAMING
def test_web_search_lists_the_sources_after_the_reply(fake: FakeOpenRouter, stream: bool) -> None:
    result = chat("-m", SONNET, "--web", "news?", stream=stream)
    assert result.code == 0, result.stderr
    assert result.stdout == f"Hello from {SONNET}!\n"
    assert result.stderr.endswith(
        "Sources:\n  [1] Why the sky is blue https://example.org/sky\n"
        "  [2] Today's news https://example.com/news\n"
    )
    assert fake.chat_bodies()[0]["tools"] == [{"type": "openrouter:web_search"}]
    payload = json.loads(chat("-m", SONNET, "--web", "--json", "news?", stream=stream).stdout)
    assert payload["citations"] == [
        {"url": "https://example.org/sky", "title": "Why the sky is blue"},
        {"url": "https://example.com/news", "title": "Today's news"},
    ]


@STREAMING
def test_a_schema_reply_that_fits_is_printed(fake: FakeOpenRouter, stream: bool) -> None:
    result = chat("-m", SONNET, "--schema", "name, age int, tags list", "a person", stream=stream)
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == {"name": "text", "age": 42, "tags": ["text"]}
    (body,) = fake.chat_bodies()
    assert body["provider"] == {"require_parameters": True}


@STREAMING
def test_a_schema_reply_that_does_not_fit_is_exit_7_with_the_text_on_stdout(
    fake: FakeOpenRouter, stream: bool
) -> None:
    fake.replies[SONNET] = '{"name": "Ada", "age": "old"}'
    result = chat("-m", SONNET, "--schema", "name, age int", "a person", stream=stream)
    assert result.code == 7
    assert result.stdout == '{"name": "Ada", "age": "old"}\n'
    assert "does not fit the schema: at $.age: 'old' is not of type 'integer'" in result.stderr
    fake.replies[SONNET] = "Sure! Ada, 36."
    result = chat("-m", SONNET, "--schema", "name, age int", "a person", stream=stream)
    assert result.code == 7 and "the reply is not JSON" in result.stderr
    assert result.stdout == "Sure! Ada, 36.\n"
    # The log says what the command said: both calls failed with exit 7, replies kept.
    log = CallLog.open(create=False)
    assert log is not None
    with log:
        not_json, misfit = log.recent(2)  # newest first
    assert (not_json.exit_code, not_json.reply) == (7, "Sure! Ada, 36.")
    assert not_json.error is not None and "the reply is not JSON" in not_json.error
    assert (misfit.exit_code, misfit.reply) == (7, '{"name": "Ada", "age": "old"}')
    assert misfit.error is not None and "does not fit the schema" in misfit.error


@STREAMING
def test_images_and_pdfs_arrive_whole(fake: FakeOpenRouter, tmp_path: Path, stream: bool) -> None:
    paths = files(tmp_path)
    result = chat(
        "-m", GPT, "-a", str(paths["png"]), "-a", str(paths["pdf"]),
        "-a", "https://example.org/chart.webp", "what is this?", stream=stream,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert fake.parts == [
        {"type": "image_url", "media": "image/png", "size": len(PNG), "filename": None},
        {"type": "file", "media": "application/pdf", "size": len(PDF), "filename": "report.pdf"},
        {"type": "image_url", "url": "https://example.org/chart.webp", "filename": None},
    ]
    assert fake.chat_bodies()[0]["plugins"] == [{"id": "file-parser"}]


# -- presets -------------------------------------------------------------------------------------


def test_presets_are_refs_everywhere(fake: FakeOpenRouter, config_file: Path) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(
        '{ agents: { defaults: { model: { primary: "@preset/careful", '
        'fallbacks: ["openrouter/@preset/fast-cheap"] }, '
        'models: { "@preset/fast-cheap": { alias: "fast" } } } } }'
    )
    assert run_moltbot("config", "validate").code == 0
    fake.fail("503", model="@preset/careful")
    result = chat("--retries", "0", "hi")
    assert result.code == 0, result.stderr
    assert [body["model"] for body in fake.chat_bodies()] == [
        "@preset/careful",
        "@preset/fast-cheap",
    ]
    assert dry_body("-m", "fast", "hi")["model"] == "@preset/fast-cheap"
    assert run_moltbot("models", "set", "@preset/other").code == 0
    assert "@preset/other" in config_file.read_text()


def test_models_presets_lists_the_accounts_presets(fake: FakeOpenRouter) -> None:
    fake.presets = [*SAMPLE_PRESETS, {"slug": "bad slug\x1b[31m", "name": "x"}]
    table = run_moltbot("models", "presets", env=KEY_ENV)
    assert table.code == 0, table.stderr
    assert "@preset/fast-cheap" in table.stdout and "Fast and cheap" in table.stdout
    assert "bad slug" not in table.stdout
    plain = run_moltbot("models", "presets", "--plain", env=KEY_ENV)
    assert plain.stdout == "@preset/fast-cheap\n@preset/careful\n"
    payload = json.loads(run_moltbot("models", "presets", "--json", env=KEY_ENV).stdout)
    assert payload["count"] == 2
    assert payload["presets"][0] == {
        "ref": "@preset/fast-cheap",
        "slug": "fast-cheap",
        "name": "Fast and cheap",
        "description": "Haiku, throughput first",
        "status": "active",
        "updatedAt": "2026-11-02T08:30:00Z",
    }


def test_models_presets_needs_a_key_and_says_when_there_are_none(fake: FakeOpenRouter) -> None:
    missing = run_moltbot("models", "presets")
    assert missing.code == 4 and fake.requests == []
    empty = run_moltbot("models", "presets", env=KEY_ENV)
    assert empty.code == 0 and "No presets" in empty.stderr and empty.stdout == ""
    rejected = run_moltbot("models", "presets", env={"OPENROUTER_API_KEY": "sk-or-v1-" + "0" * 64})
    assert rejected.code == 4


# -- checks before sending ---------------------------------------------------------------------


def refused(fake: FakeOpenRouter, *args: str) -> Result:
    result = chat(*args)
    assert result.code == 2, result.stderr
    assert result.stdout == ""
    assert fake.chat_bodies() == []  # nothing was sent
    return result


def test_reasoning_none_for_a_model_that_always_reasons(fake: FakeOpenRouter) -> None:
    result = refused(fake, "-m", GPT, "--reasoning-effort", "none", "hi")
    assert result.stderr == (
        "Error: openrouter/openai/gpt-5.2 always reasons: reasoning effort none is refused\n"
        "Efforts it takes: high, medium, low.\n"
    )


def test_an_effort_the_model_does_not_list(fake: FakeOpenRouter) -> None:
    result = refused(fake, "-m", GPT, "--reasoning-effort", "minimal", "--dry-run", "hi")
    assert "does not take reasoning effort minimal" in result.stderr
    assert "Efforts it takes: high, medium, low." in result.stderr


def test_an_image_for_a_text_only_model(fake: FakeOpenRouter, tmp_path: Path) -> None:
    result = refused(fake, "-m", DEEPSEEK, "-a", str(files(tmp_path)["png"]), "hi")
    assert "Error: openrouter/deepseek/deepseek-chat-v3.1 does not take images" in result.stderr
    assert "Models that do: openrouter/anthropic/claude-sonnet-4-5, " in result.stderr


def test_a_native_pdf_and_a_schema_for_a_model_that_cannot(
    fake: FakeOpenRouter, tmp_path: Path
) -> None:
    pdf = str(files(tmp_path)["pdf"])
    result = refused(fake, "-m", DEEPSEEK, "-a", pdf, "--pdf-engine", "native", "hi")
    assert "does not take PDFs read natively" in result.stderr
    result = refused(fake, "-m", DEEPSEEK, "--schema", "name", "hi")
    assert "does not take structured output (--schema)" in result.stderr
    assert chat("-m", DEEPSEEK, "-a", pdf, "--pdf-engine", "pdf-text", "hi").code == 0


def test_a_prompt_far_beyond_the_context(fake: FakeOpenRouter) -> None:
    result = refused(fake, "-m", "openai/gpt-4o-mini", "-o", "seed", "1", "x" * 8000)
    assert "about 2,000 tokens, far beyond the 1,000-token context" in result.stderr


def test_unlisted_parameters_warn_and_with_strict_are_refused(fake: FakeOpenRouter) -> None:
    warned = chat("-m", DEEPSEEK, "-o", "top_k", "5", "hi")
    assert warned.code == 0
    assert (
        "Warning: openrouter/deepseek/deepseek-chat-v3.1 does not list `top_k` among its "
        "supported parameters" in warned.stderr
    )
    assert fake.chat_bodies()[0]["top_k"] == 5
    fake.requests.clear()
    result = refused(fake, "-m", DEEPSEEK, "--strict", "-o", "top_k", "5", "hi")
    assert "does not list `top_k`" in result.stderr


def test_without_a_catalogue_the_checks_are_skipped_with_a_note(fake: FakeOpenRouter) -> None:
    fake.fail("503", route="models")
    result = chat("-m", GPT, "--reasoning-effort", "none", "hi")
    assert result.code == 0, result.stderr
    assert "Note: the model list cannot be had" in result.stderr
    assert "was not checked" in result.stderr
    assert fake.chat_bodies()[0]["reasoning"] == {"effort": "none"}


def test_a_plain_chat_never_waits_for_the_model_list(fake: FakeOpenRouter) -> None:
    assert chat("hi").code == 0
    assert [request.path for request in fake.requests] == ["/api/v1/chat/completions"]


PROBE = """
import sys
sys.argv = ["moltbot", "chat", "hi"]
from moltbot_cli.app import main
try:
    main()
except SystemExit:
    pass
rare = ("jsonschema", "moltbot_cli.request.attachments", "moltbot_cli.request.structured",
        "moltbot_cli.request.checks", "moltbot_cli.request.options", "moltbot_cli.openrouter.capabilities")
print("LOADED:" + ",".join(name for name in rare if name in sys.modules), file=sys.__stderr__)
"""


def test_a_plain_chat_loads_none_of_the_features_machinery(fake: FakeOpenRouter) -> None:
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **KEY_ENV},
    )
    (report,) = [line for line in result.stderr.splitlines() if line.startswith("LOADED:")]
    assert report == "LOADED:", result.stderr
    assert result.stdout == f"Hello from {SONNET}!\n"


def test_the_new_choices_complete() -> None:
    from tests.test_completion import complete

    assert complete("moltbot chat --reasoning-effort m") == ["medium", "minimal"]
    assert complete("moltbot chat --pdf-engine ") == ["pdf-text", "mistral-ocr", "native"]


@STREAMING
def test_options_and_presets_reach_the_server(fake: FakeOpenRouter, stream: bool) -> None:
    result = chat(
        "-m", "@preset/fast-cheap", "-o", "seed", "7", "-o", "stop", '["END"]', "-o", "user", "ci",
        "hi", stream=stream,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert result.stdout == "Hello from @preset/fast-cheap!\n"
    (body,) = fake.chat_bodies()
    assert (body["model"], body["seed"], body["stop"], body["user"]) == (
        "@preset/fast-cheap", 7, ["END"], "ci",
    )  # fmt: skip
    assert body["stream"] is stream


# -- fallbacks are checked too ---------------------------------------------------------------


def fallbacks_config(config_file: Path, *fallbacks: str) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    chain = ", ".join(f'"openrouter/{model}"' for model in fallbacks)
    config_file.write_text(
        f'{{ agents: {{ defaults: {{ model: {{ primary: "openrouter/{SONNET}", '
        f"fallbacks: [{chain}] }} }} }} }}"
    )


def test_a_fallback_that_cannot_take_the_request_is_passed_over(
    fake: FakeOpenRouter, config_file: Path, tmp_path: Path
) -> None:
    fallbacks_config(config_file, DEEPSEEK, GPT)
    fake.fail("503", model=SONNET)
    result = chat("--retries", "0", "-a", str(files(tmp_path)["png"]), "what is this?")
    assert result.code == 0, result.stderr
    assert [body["model"] for body in fake.chat_bodies()] == [SONNET, GPT]  # never DEEPSEEK
    assert (
        f"Note: openrouter/{DEEPSEEK} does not take images; trying openrouter/{GPT}"
        in result.stderr
    )
    assert f"Note: answered by openrouter/{GPT} (a configured fallback)." in result.stderr


def test_when_the_last_fallback_cannot_take_it_its_refusal_is_the_error(
    fake: FakeOpenRouter, config_file: Path, tmp_path: Path
) -> None:
    fallbacks_config(config_file, DEEPSEEK)
    fake.fail("503", model=SONNET)
    result = chat("--retries", "0", "-a", str(files(tmp_path)["png"]), "what is this?")
    assert result.code == 2, result.stderr
    assert f"trying openrouter/{DEEPSEEK}" in result.stderr
    assert f"Error: openrouter/{DEEPSEEK} does not take images" in result.stderr
    assert [body["model"] for body in fake.chat_bodies()] == [SONNET]
    assert result.stdout == ""
