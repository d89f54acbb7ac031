"""The request features of `moltbot chat`: flags → ChatOptions, the checks before
sending, and what comes back besides the reply (reasoning, sources, a schema's verdict).

Everything heavy (jsonschema, base64, the catalogue) is imported on the path that needs it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from moltbot_cli.console import Output, stdin_is_terminal
from moltbot_cli.errors import MoltbotError, UsageError
from moltbot_cli.records import Record
from moltbot_cli.request.body import ChatOptions
from moltbot_cli.vocabulary.params import PDF_ENGINES, REASONING_EFFORTS

if TYPE_CHECKING:
    from moltbot_cli.commands.context import AppContext
    from moltbot_cli.config.settings import Settings
    from moltbot_cli.openrouter.catalogue import Catalogue

# Terminal control characters a server could use to rewrite the screen: never shown.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    return _CONTROL.sub("", text)


class RequestFlags(Record, frozen=True):
    """The flags of `chat` that shape the request beyond the prompt."""

    options: Sequence[tuple[str, str]] = ()
    reasoning_effort: str | None = None
    reasoning_max_tokens: int | None = None
    schema: str | None = None
    attach: Sequence[str] = ()
    pdf_engine: str | None = None
    web: bool = False
    strict: bool = False
    hide_reasoning: bool = False

    @property
    def asks_more(self) -> bool:
        """Whether this call uses anything the catalogue should be asked about."""
        return bool(
            self.options
            or self.reasoning_effort
            or self.reasoning_max_tokens
            or self.schema
            or self.attach
            or self.pdf_engine
            or self.web
            or self.strict
        )


def with_request_flags(base: ChatOptions, flags: RequestFlags) -> ChatOptions:
    """The command line's options with -o, reasoning, schema, attachments and --web."""
    from moltbot_cli.records import replace

    _choice(flags.reasoning_effort, REASONING_EFFORTS, "--reasoning-effort")
    _choice(flags.pdf_engine, PDF_ENGINES, "--pdf-engine")
    if flags.reasoning_effort is not None and flags.reasoning_max_tokens is not None:
        raise UsageError(
            "--reasoning-effort and --reasoning-max-tokens say the same thing two ways",
            hint="Give one of them.",
        )
    extra: dict[str, Any] = {}
    if flags.options:
        from moltbot_cli.request.options import parse_options

        extra = parse_options(flags.options)
    structured = None
    if flags.schema is not None:
        from moltbot_cli.request.structured import load_schema

        structured = load_schema(flags.schema)
    attachments: list[Any] = []
    if flags.attach:
        from moltbot_cli.request.attachments import load_attachments

        attachments = load_attachments(flags.attach, read_stdin_bytes)
    return replace(
        base,
        extra=extra,
        reasoning_effort=flags.reasoning_effort,
        reasoning_max_tokens=flags.reasoning_max_tokens,
        structured=structured,
        attachments=tuple(attachments),
        pdf_engine=flags.pdf_engine,
        web=flags.web,
    )


def _choice(value: str | None, accepted: tuple[str, ...], flag: str) -> None:
    if value is not None and value not in accepted:
        raise UsageError(f"{flag} must be one of {', '.join(accepted)} (not {value!r})")


def read_stdin_bytes(limit: int) -> bytes:
    """`-a -`: at most `limit` bytes of piped stdin."""
    stream = sys.stdin
    if stream is None or stdin_is_terminal():
        raise UsageError(
            "-a - reads a file from stdin, but stdin is a terminal",
            hint="Pipe the file in: moltbot chat -a - 'describe it' < photo.png",
        )
    try:
        source = stream.buffer if hasattr(stream, "buffer") else None
        return source.read(limit) if source is not None else stream.read(limit).encode()
    except OSError as error:
        raise UsageError(f"-a -: cannot read stdin ({error.strerror or error})") from None


# -- checks before sending -------------------------------------------------------------------


def check_before_sending(
    app: AppContext,
    out: Output,
    settings: Settings,
    body: dict[str, Any],
    ref: str,
    options: ChatOptions,
    flags: RequestFlags,
) -> Callable[[dict[str, Any], str], None] | None:
    """Refuse (exit 2) what the model cannot take; warn about fields it does not list.

    Returns the check for the fallbacks, which the walk runs on each before asking it
    (None when this request was not checked: a plain prompt, or no model list)."""
    if not flags.asks_more and not settings.params(ref):
        return None  # a plain prompt asks nothing of the model worth reading the list for
    catalogue = _catalogue_for_checks(app, out, settings, wanted=flags.asks_more)
    if catalogue is None:
        return None
    from moltbot_cli.request.checks import check_request

    configured = [ref for ref in (settings.primary, *settings.fallbacks) if ref]
    configured += [ref for ref in settings.model_entries if ref not in configured]

    def check(sent: dict[str, Any], model: str) -> None:
        for line in check_request(
            sent, model, options, catalogue, configured=configured, strict=flags.strict
        ):
            out.note(line)

    check(body, ref)
    return check


def _catalogue_for_checks(
    app: AppContext, out: Output, settings: Settings, *, wanted: bool
) -> Catalogue | None:
    """The cached catalogue, any age; fetched only when this call asks for more than a
    plain chat (a plain chat never waits for the model list)."""
    from moltbot_cli.openrouter import catalogue as catalogue_module

    cached = catalogue_module.read_cache(settings.base_url)
    if cached is not None or not wanted:
        return cached
    from moltbot_cli.commands.models_work import CATALOGUE_UNAVAILABLE, load_catalogue

    try:
        return load_catalogue(app, out)
    except CATALOGUE_UNAVAILABLE as error:
        assert isinstance(error, MoltbotError)
        out.note(
            f"Note: the model list cannot be had ({error.message}); the request was not checked."
        )
        return None


# -- what comes back ----------------------------------------------------------------------------


class ReasoningOnStderr:
    """The model's reasoning as it arrives, on stderr (dimmed on a terminal)."""

    def __init__(self, out: Output, *, shown: bool) -> None:
        self.out = out
        self.shown = shown and not out.is_json
        self.began = False
        self._tail = ""

    def write(self, text: str) -> None:
        text = clean(text)
        if not self.shown or not text:
            return
        self.out.stream_aside(text, dim=True)
        self.began, self._tail = True, text[-1]

    def end(self) -> None:
        """Before the reply starts: the reasoning ends its line and leaves a blank one."""
        if self.began and self._tail != "\n":
            self.out.stream_aside("\n")
            self._tail = "\n"


def show_citations(out: Output, citations: list[dict[str, str]]) -> None:
    if not citations or out.is_json:
        return
    out.note("Sources:")
    for number, cited in enumerate(citations, 1):
        title = clean(cited.get("title") or "").strip()
        url = clean(cited["url"])
        out.note(f"  [{number}] {title} {url}" if title else f"  [{number}] {url}")
