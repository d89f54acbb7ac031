"""The request body for one model.

Layers, lowest first: the model's configured `params` (camelCase or snake_case in the
config, snake_case on the wire), then `-o NAME VALUE` options, then the flags
(`--temperature`, `--max-tokens`, `--reasoning-*`, `--schema`, `--web`, attachments).
Routing goes in `provider`: the global routing, the model's own over it, `--only` /
`--order` over both; structured output adds `require_parameters: true` so only
providers that honour the schema serve. A model without routing gets no `provider`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from moltbot_cli.config.settings import Settings
from moltbot_cli.records import Record, field
from moltbot_cli.vocabulary import refs, routing
from moltbot_cli.vocabulary.params import wire_params

if TYPE_CHECKING:
    from moltbot_cli.request.attachments import Attachment
    from moltbot_cli.request.structured import StructuredOutput

WEB_SEARCH_TOOL = {"type": "openrouter:web_search"}
FILE_PARSER = "file-parser"


class ChatOptions(Record, frozen=True):
    """What the command line says about this one call."""

    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    only: list[str] | None = None
    order: list[str] | None = None
    stream: bool = True
    # A conversation's id: OpenRouter keeps its calls on one provider, so its cache is hit.
    session_id: str | None = None
    # -o NAME VALUE, by wire name: over the config's params, under the flags.
    extra: Mapping[str, Any] = field(default_factory=dict)
    reasoning_effort: str | None = None
    reasoning_max_tokens: int | None = None
    structured: StructuredOutput | None = None
    attachments: Sequence[Attachment] = ()
    pdf_engine: str | None = None
    web: bool = False

    @property
    def has_pdf(self) -> bool:
        return any(item.kind == "pdf" for item in self.attachments)


Message = dict[str, Any]


def user_content(prompt: str, attachments: Sequence[Attachment] = ()) -> str | list[Any]:
    """The user's turn: text files join the prompt as context (with their names); images
    and PDFs follow it as parts of their own, making the content a list of parts."""
    text = prompt
    for item in attachments:
        if item.kind == "text":
            body = item.text.rstrip("\n")  # the closing tag on a line of its own, once
            text = f'{text}\n\n<file name="{item.name}">\n{body}\n</file>'.strip()
    parts = [item.part() for item in attachments if item.kind != "text"]
    if not parts:
        return text
    return [*([{"type": "text", "text": text}] if text else []), *parts]


def build_messages(
    prompt: str, system: str | None, attachments: Sequence[Attachment] = ()
) -> list[Message]:
    """The system prompt, then the user's turn (see `user_content`)."""
    messages: list[Message] = [{"role": "system", "content": system}] if system else []
    return [*messages, {"role": "user", "content": user_content(prompt, attachments)}]


def build_body(
    settings: Settings, ref: str, messages: list[Message], options: ChatOptions
) -> dict[str, Any]:
    body: dict[str, Any] = {"model": refs.wire_id(ref), "messages": messages}
    body.update(wire_params(settings.params(ref)))
    extra = dict(options.extra)
    provider_option = extra.pop("provider", None)
    body.update(extra)
    if options.temperature is not None:
        body["temperature"] = options.temperature
    if options.max_tokens is not None:
        body["max_tokens"] = options.max_tokens
    reasoning = _reasoning(body.get("reasoning"), options)
    if reasoning is not None:
        body["reasoning"] = reasoning
    # The global routing, the model's own over it field by field, an -o provider over
    # that, the flags over all.
    provider = dict(settings.effective_routing(ref).provider)
    if isinstance(provider_option, Mapping):
        provider.update(routing.provider_object(provider_option))
    if options.only is not None:
        provider["only"] = options.only
    if options.order is not None:
        provider["order"] = options.order
    if options.structured is not None:
        body["response_format"] = options.structured.response_format()
        provider["require_parameters"] = True
    if provider:
        body["provider"] = provider
    if options.web:
        listed = body.get("tools")
        tools: list[Any] = listed if isinstance(listed, list) else []
        if WEB_SEARCH_TOOL not in tools:
            body["tools"] = [*tools, WEB_SEARCH_TOOL]
    if options.has_pdf or options.pdf_engine:
        body["plugins"] = _with_file_parser(body.get("plugins"), options.pdf_engine)
    if options.session_id:
        body["session_id"] = options.session_id
    body["stream"] = options.stream
    if options.stream:
        body["stream_options"] = {"include_usage": True}  # so --usage has tokens to show
    return body


def _reasoning(configured: Any, options: ChatOptions) -> dict[str, Any] | None:
    """The flags over the configured `reasoning`: an effort and a token budget are two
    ways of saying the same thing, so the flag's one replaces the other."""
    if options.reasoning_effort is None and options.reasoning_max_tokens is None:
        return None
    reasoning = dict(configured) if isinstance(configured, Mapping) else {}
    if options.reasoning_effort is not None:
        reasoning.pop("max_tokens", None)
        reasoning["effort"] = options.reasoning_effort
    if options.reasoning_max_tokens is not None:
        reasoning.pop("effort", None)
        reasoning["max_tokens"] = options.reasoning_max_tokens
    return reasoning


def _with_file_parser(plugins: Any, engine: str | None) -> list[Any]:
    items = plugins if isinstance(plugins, list) else []
    listed = [item for item in items if isinstance(item, Mapping)]
    others = [dict(item) for item in listed if item.get("id") != FILE_PARSER]
    parser: dict[str, Any] = next(
        (dict(item) for item in listed if item.get("id") == FILE_PARSER), {"id": FILE_PARSER}
    )
    if engine is not None:
        parser["pdf"] = {**(parser.get("pdf") or {}), "engine": engine}
    return [*others, parser]
