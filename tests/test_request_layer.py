"""The request layer in process: -o values, schemas, attachments, bodies, the checks
before sending; every body also checked against the official SDK's request model."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moltbot_cli.config.schema import errors_in, validate
from moltbot_cli.config.settings import Settings
from moltbot_cli.errors import UpstreamError, UsageError
from moltbot_cli.openrouter.catalogue import Catalogue
from moltbot_cli.request.attachments import Attachment, load_attachments, sniff
from moltbot_cli.request.body import ChatOptions, build_body, build_messages
from moltbot_cli.request.checks import check_request, estimated_tokens
from moltbot_cli.request.options import parse_options, parse_value
from moltbot_cli.request.structured import check_reply, load_schema, short_schema
from moltbot_cli.vocabulary import refs
from moltbot_cli.vocabulary.params import wire_params
from tests.support.fake_features import features_catalogue

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
PDF = b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n"
SONNET = "openrouter/anthropic/claude-sonnet-4-5"
GPT = "openrouter/openai/gpt-5.2"
DEEPSEEK = "openrouter/deepseek/deepseek-chat-v3.1"


def sdk_check(body: dict[str, Any]) -> None:
    """The official SDK's model takes the body and keeps every field of it: a field it
    drops is one OpenRouter's own schema does not know."""
    from openrouter.components import ChatRequest

    kept = ChatRequest.model_validate(body).model_dump(
        mode="json", by_alias=True, exclude_unset=True
    )
    assert [lost for lost in _dropped(body, kept) if lost not in SDK_GAPS] == []


# Fields OpenRouter documents (see shared/reference: reasoning {effort, max_tokens, exclude,
# enabled}) that the SDK's ChatRequestReasoning (openrouter 1.3.x) does not model yet.
SDK_GAPS = {".reasoning.max_tokens", ".reasoning.exclude", ".reasoning.enabled"}


def _dropped(sent: Any, kept: Any, path: str = "") -> list[str]:
    if isinstance(sent, dict):
        if not isinstance(kept, dict):
            return [path]
        return [
            lost
            for key, value in sent.items()
            for lost in (
                [f"{path}.{key}"]
                if key not in kept
                else _dropped(value, kept[key], f"{path}.{key}")
            )
        ]
    if isinstance(sent, list):
        if not isinstance(kept, list) or len(sent) != len(kept):
            return [path]
        return [
            lost
            for i, (a, b) in enumerate(zip(sent, kept, strict=True))
            for lost in _dropped(a, b, f"{path}[{i}]")
        ]
    return []


def settings_with(params: dict[str, Any] | None = None, **routing: Any) -> Settings:
    entry: dict[str, Any] = {}
    if params:
        entry["params"] = params
    if routing:
        entry["compat"] = {"openRouterRouting": routing}
    return Settings({"agents": {"defaults": {"models": {SONNET: entry}}}})


def body_for(
    options: ChatOptions, *, ref: str = SONNET, prompt: str = "hi", **kw: Any
) -> dict[str, Any]:
    body = build_body(
        settings_with(**kw),
        ref,
        build_messages(prompt, options.system, options.attachments),
        options,
    )
    sdk_check(body)
    return body


# -- -o NAME VALUE -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("0.9", 0.9), ("true", True), ('["END"]', ["END"]), ("{a: 1}", {"a": 1}), ("bob", "bob"),
     ("hello world", "hello world"), ("", "")],
)  # fmt: skip
def test_option_values_are_json5_else_strings(text: str, value: Any) -> None:
    assert parse_value(text) == value


def test_options_take_camel_case_and_the_last_one_wins() -> None:
    assert parse_options([("topP", "0.5"), ("top_p", "0.9"), ("logitBias", '{"50256": -100}')]) == {
        "top_p": 0.9,
        "logit_bias": {"50256": -100},
    }


@pytest.mark.parametrize("name", ["model", "messages", "stream", "streamOptions"])
def test_options_refuse_the_fields_moltbot_fills_in(name: str) -> None:
    with pytest.raises(UsageError, match="moltbot sets this field itself"):
        parse_options([(name, "x")])


def test_options_refuse_a_name_that_is_no_field_name() -> None:
    with pytest.raises(UsageError, match="not a request field name"):
        parse_options([("top p", "1")])


def test_flags_beat_options_beat_config_params() -> None:
    options = ChatOptions(temperature=0.1, extra={"temperature": 0.5, "top_p": 0.8, "seed": 7})
    body = body_for(options, params={"temperature": 0.9, "topP": 0.3, "topK": 40})
    assert (body["temperature"], body["top_p"], body["top_k"], body["seed"]) == (0.1, 0.8, 40, 7)


def test_an_option_provider_merges_over_the_routing_and_flags_over_it() -> None:
    options = ChatOptions(
        extra={"provider": {"allowFallbacks": False, "only": ["x"]}}, only=["anthropic"]
    )
    body = body_for(options, order=["openai"])
    assert body["provider"] == {
        "order": ["openai"],
        "allow_fallbacks": False,
        "only": ["anthropic"],
    }


def test_config_params_accept_any_request_field_in_either_spelling() -> None:
    config = {"agents": {"defaults": {"models": {SONNET: {"params": {
        "topP": 0.9, "logit_bias": {"50256": -100}, "user": "me", "verbosity": "low",
        "reasoning": {"effort": "high", "maxTokens": 100}, "parallelToolCalls": False,
    }}}}}}  # fmt: skip
    assert errors_in(validate(config)) == []
    params = config["agents"]["defaults"]["models"][SONNET]["params"]
    assert wire_params(params)["reasoning"] == {"effort": "high", "max_tokens": 100}
    assert "parallel_tool_calls" in wire_params(params)


@pytest.mark.parametrize(
    ("params", "message"),
    [({"topp": 1}, 'did you mean "top_p"'), ({"reasoning": {"effort": "huge"}}, "must be one of"),
     ({"logitBias": {"1": 500}}, "at most 100"), ({"top_p": 1, "topP": 1}, "same setting")],
)  # fmt: skip
def test_config_params_still_catch_typos_and_bad_values(
    params: dict[str, Any], message: str
) -> None:
    issues = errors_in(validate({"agents": {"defaults": {"models": {SONNET: {"params": params}}}}}))
    assert any(message in issue.message for issue in issues), issues


# -- reasoning ---------------------------------------------------------------------------------


def test_reasoning_effort_replaces_a_configured_budget_and_keeps_the_rest() -> None:
    body = body_for(
        ChatOptions(reasoning_effort="high"),
        params={"reasoning": {"maxTokens": 2000, "exclude": True}},
    )
    assert body["reasoning"] == {"exclude": True, "effort": "high"}
    body = body_for(ChatOptions(reasoning_max_tokens=500), params={"reasoning": {"effort": "low"}})
    assert body["reasoning"] == {"max_tokens": 500}


def test_configured_reasoning_goes_out_without_flags() -> None:
    assert body_for(ChatOptions(), params={"reasoning": {"effort": "minimal"}})["reasoning"] == {
        "effort": "minimal"
    }


# -- structured output -------------------------------------------------------------------------


def test_the_short_schema_form() -> None:
    assert short_schema("name, age int, tags list, score float: out of ten, ok bool") == {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "age": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "score": {"type": "number", "description": "out of ten"},
            "ok": {"type": "boolean"},
        },
        "required": ["name", "age", "tags", "score", "ok"],
        "additionalProperties": False,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [("name, age years", "unknown type 'years'"), ("name, name", "listed twice"), (" , ", "names no fields"),
     ("na-me", "cannot read the field"), ('{"type": 12}', "not a valid JSON Schema"), ("{oops", "not valid JSON"),
     ("[1, 2]", "cannot read the field"), ("missing.json", "no such file")],
)  # fmt: skip
def test_bad_schemas_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        load_schema(text)


def test_a_schema_file_names_the_format_and_the_wrapper_form_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "person card.json"
    path.write_text('{"type": "object", "properties": {"name": {"type": "string"}}}')
    assert load_schema(str(path)).name == "person_card"
    wrapped = load_schema('{"name": "pet", "schema": {"type": "object"}}')
    assert (wrapped.name, wrapped.schema) == ("pet", {"type": "object"})


def test_a_schema_asks_for_strict_json_and_providers_that_honour_it() -> None:
    body = body_for(ChatOptions(structured=load_schema("name")), only=["anthropic"])
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "reply", "strict": True, "schema": short_schema("name")},
    }
    assert body["provider"] == {"only": ["anthropic"], "require_parameters": True}


def test_replies_are_checked_against_the_schema() -> None:
    structured = load_schema("name, age int")
    assert check_reply(structured, '{"name": "Ada", "age": 36}') == {"name": "Ada", "age": 36}
    with pytest.raises(UpstreamError, match="not JSON"):
        check_reply(structured, "Sure! Here it is")
    with pytest.raises(UpstreamError, match=r"at \$.age: 'x' is not of type 'integer'") as caught:
        check_reply(structured, '{"name": "Ada", "age": "x"}')
    assert caught.value.exit_code == 7


# -- attachments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [(PNG, ("image", "image/png")), (b"\xff\xd8\xff\xe0rest", ("image", "image/jpeg")),
     (b"GIF89a...", ("image", "image/gif")), (b"RIFF\x00\x00\x00\x00WEBPVP8 ", ("image", "image/webp")),
     (PDF, ("pdf", "application/pdf")), ("héllo\n".encode(), ("text", "text/plain")),
     (b"\x00\x01binary", None), (b"\xff\xfe\xfa", None)],
)  # fmt: skip
def test_kinds_come_from_the_bytes(data: bytes, kind: Any) -> None:
    assert sniff(data) == kind


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_sniffing_any_bytes_never_fails(data: bytes) -> None:
    found = sniff(data)
    assert found is None or found[0] in ("image", "pdf", "text")


def test_a_png_named_txt_is_an_image_and_a_text_named_png_is_text(tmp_path: Path) -> None:
    (tmp_path / "photo.txt").write_bytes(PNG)
    (tmp_path / "notes.png").write_text("just words")
    found = load_attachments([str(tmp_path / "photo.txt"), str(tmp_path / "notes.png")], _no_stdin)
    assert [(item.kind, item.mime) for item in found] == [
        ("image", "image/png"),
        ("text", "text/plain"),
    ]


def _no_stdin(limit: int) -> bytes:
    raise AssertionError("stdin read")


@pytest.mark.parametrize(
    ("spec", "message"),
    [("missing.png", "no such file"), (".", "is a directory"), ("https://example.org/page", "cannot tell"),
     ("blob.bin", "neither an image, a PDF nor UTF-8 text"), ("empty.txt", "empty"), ("big.txt", "over 2 MiB")],
)  # fmt: skip
def test_attachments_that_cannot_go_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "blob.bin").write_bytes(b"\x00\x9f" * 10)
    (tmp_path / "empty.txt").write_text(" \n")
    (tmp_path / "big.txt").write_bytes(b"a" * (2 * 1024 * 1024 + 1))
    with pytest.raises(UsageError, match=message):
        load_attachments([spec], _no_stdin)


def test_stdin_gives_one_attachment() -> None:
    found = load_attachments(["-"], lambda limit: PDF)
    assert [(item.name, item.kind) for item in found] == [("stdin", "pdf")]
    with pytest.raises(UsageError, match="once"):
        load_attachments(["-", "-"], lambda limit: PDF)


def test_parts_images_as_data_urls_pdfs_as_files_text_in_the_prompt() -> None:
    attachments = [
        Attachment("a.png", "image", "image/png", data=PNG),
        Attachment("b.pdf", "pdf", "application/pdf", data=PDF),
        Attachment("c.txt", "text", "text/plain", data=b"line one"),
        Attachment("d.jpg", "image", "image/jpeg", url="https://example.org/d.jpg"),
    ]
    body = body_for(
        ChatOptions(attachments=attachments, pdf_engine="mistral-ocr"), prompt="compare"
    )
    (message,) = body["messages"]
    assert message["content"] == [
        {"type": "text", "text": 'compare\n\n<file name="c.txt">\nline one\n</file>'},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(PNG).decode()}},
        {"type": "file", "file": {"filename": "b.pdf", "file_data": "data:application/pdf;base64," + base64.b64encode(PDF).decode()}},
        {"type": "image_url", "image_url": {"url": "https://example.org/d.jpg"}},
    ]  # fmt: skip
    assert body["plugins"] == [{"id": "file-parser", "pdf": {"engine": "mistral-ocr"}}]


def test_text_only_attachments_keep_the_content_a_string() -> None:
    notes = Attachment("n.md", "text", "text/plain", data=b"# Notes")
    assert body_for(ChatOptions(attachments=[notes]), prompt="")["messages"] == [
        {"role": "user", "content": '<file name="n.md">\n# Notes\n</file>'}
    ]


# -- web search, presets -------------------------------------------------------------------------


def test_web_adds_the_server_tool_once() -> None:
    body = body_for(ChatOptions(web=True, extra={"tools": [{"type": "openrouter:web_search"}]}))
    assert body["tools"] == [{"type": "openrouter:web_search"}]


@pytest.mark.parametrize("written", ["@preset/fast-cheap", "openrouter/@preset/fast-cheap"])
def test_presets_are_refs_with_their_own_wire_id(written: str) -> None:
    assert refs.is_ref(written) and refs.is_preset(written)
    assert refs.normalize_ref(written) == "openrouter/@preset/fast-cheap"
    assert body_for(ChatOptions(), ref=written)["model"] == "@preset/fast-cheap"


@pytest.mark.parametrize("text", ["@preset/", "@preset/a/b", "@preset/-x", "@presets/x"])
def test_malformed_presets_are_not_refs(text: str) -> None:
    assert not refs.is_ref(text)


# -- checks before sending -------------------------------------------------------------------


CATALOGUE = Catalogue(features_catalogue(), 0.0, "http://x", "cache")


def check(ref: str, options: ChatOptions, *, prompt: str = "hi", strict: bool = False) -> list[str]:
    body = build_body(Settings({}), ref, build_messages(prompt, None, options.attachments), options)
    return check_request(
        body, ref, options, CATALOGUE, configured=[DEEPSEEK, SONNET], strict=strict
    )


def test_a_plain_request_passes_silently() -> None:
    assert check(SONNET, ChatOptions(temperature=0.5)) == []


def test_an_unlisted_parameter_is_a_warning_and_with_strict_an_error() -> None:
    (warning,) = check(DEEPSEEK, ChatOptions(extra={"top_k": 5}))
    assert "does not list `top_k`" in warning and DEEPSEEK in warning
    with pytest.raises(UsageError, match="does not list `top_k`"):
        check(DEEPSEEK, ChatOptions(extra={"top_k": 5}), strict=True)


def test_reasoning_the_model_will_not_do_is_refused_with_the_efforts_it_takes() -> None:
    with pytest.raises(UsageError, match="always reasons") as caught:
        check(GPT, ChatOptions(reasoning_effort="none"))
    assert caught.value.hint == "Efforts it takes: high, medium, low."
    with pytest.raises(UsageError, match="does not take reasoning effort xhigh"):
        check(GPT, ChatOptions(reasoning_effort="xhigh"))
    assert check(SONNET, ChatOptions(reasoning_effort="none")) == []


def test_inputs_the_model_cannot_take_are_refused_naming_models_that_can() -> None:
    image = Attachment("a.png", "image", "image/png", data=PNG)
    with pytest.raises(UsageError, match="does not take images") as caught:
        check(DEEPSEEK, ChatOptions(attachments=[image]))
    assert caught.value.hint is not None and caught.value.hint.startswith(
        f"Models that do: {SONNET}, "
    )
    pdf = Attachment("b.pdf", "pdf", "application/pdf", data=PDF)
    with pytest.raises(UsageError, match="does not take PDFs read natively"):
        check(DEEPSEEK, ChatOptions(attachments=[pdf], pdf_engine="native"))
    assert check(DEEPSEEK, ChatOptions(attachments=[pdf], pdf_engine="pdf-text")) == []
    with pytest.raises(UsageError, match="does not take structured output"):
        check(DEEPSEEK, ChatOptions(structured=load_schema("name")))


def test_a_prompt_far_beyond_the_context_is_refused_with_the_numbers() -> None:
    mini = "openrouter/openai/gpt-4o-mini"
    assert check(mini, ChatOptions(), prompt="x" * 4000) == []  # about 1000 tokens: fine
    with pytest.raises(UsageError, match=r"about 2,000 tokens, far beyond the 1,000-token context"):
        check(mini, ChatOptions(), prompt="x" * 8000)


def test_presets_and_unknown_models_are_not_checked() -> None:
    assert check("@preset/x", ChatOptions(reasoning_effort="none")) == []
    (note,) = check("openrouter/nobody/new-model", ChatOptions(reasoning_effort="none"))
    assert "not in the model list" in note


def test_images_count_toward_the_estimate() -> None:
    image = Attachment("a.png", "image", "image/png", data=PNG)
    body = build_body(
        Settings({}), SONNET, build_messages("abcd" * 10, None, [image]), ChatOptions()
    )
    assert estimated_tokens(body) == 10 + 1000


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_schema_text_is_a_schema_or_a_usage_error(text: str) -> None:
    try:
        found = short_schema(text)
    except UsageError:
        return
    assert found["required"] == list(found["properties"])


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=12), children, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(JSONISH)
def test_hostile_annotations_give_well_formed_citations(annotations: Any) -> None:
    from moltbot_cli.openrouter.client import add_citations

    found: list[dict[str, str]] = []
    add_citations(found, annotations)
    add_citations(found, [{"type": "url_citation", "url_citation": {"url": "u", "title": 5}}])
    assert all(isinstance(c["url"], str) and isinstance(c["title"], str) for c in found)
    assert len({c["url"] for c in found}) == len(found)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_reasoning_is_dimmed_on_a_terminal_and_ends_its_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from moltbot_cli.commands.chat_features import ReasoningOnStderr
    from moltbot_cli.console import Output

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    stderr = _Terminal()
    thinking = ReasoningOnStderr(Output(stdout=io.StringIO(), stderr=stderr), shown=True)
    thinking.write("hmm\x1b[2J")
    thinking.end()
    assert stderr.getvalue() == "\x1b[2mhmm[2J\x1b[22m\n"
    monkeypatch.setenv("NO_COLOR", "1")
    plain = _Terminal()
    ReasoningOnStderr(Output(stdout=io.StringIO(), stderr=plain), shown=True).write("hmm")
    assert plain.getvalue() == "hmm"
