"""What OpenRouter's failures mean, turned into the program's errors and exit codes.

Error bodies come in several shapes and none is assumed: OpenRouter's own
`{"error": {"code": 402, "message": ..., "metadata": {...}}}`, the OpenAI-style
`{"error": {"message", "type", "code": "model_not_found"}}`, a bare
`{"error": "text"}` or `{"message": ...}`, plain text from a proxy, or nothing.
The user sees the server's own words in one line, plus one line saying what to do.
"""

from __future__ import annotations

import json
import re
from typing import Any

from moltbot_cli.errors import (
    AuthError,
    CreditsError,
    MoltbotError,
    NetworkError,
    RateLimitedError,
    UpstreamError,
    UsageError,
)
from moltbot_cli.masking import scrub
from moltbot_cli.openrouter.server import OPENROUTER
from moltbot_cli.records import Record
from moltbot_cli.sanitize import metadata
from moltbot_cli.vocabulary import refs

MESSAGE_LIMIT = 300
# How a hint opens when part of a reply was printed before the failure. With --json
# nothing was printed, so the command swaps it for PARTIAL_UNSEEN (see unseen_partial).
PARTIAL_SHOWN = "What arrived is above; "
PARTIAL_UNSEEN = "The reply was cut short; "
_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class FallbackWorthy:
    """Marks a failure of one model that another model might not share."""


class ModelUnavailable(UpstreamError, FallbackWorthy):
    """The model or its providers failed before answering: 404, 408, 5xx, garbage."""


class ModelRateLimited(RateLimitedError, FallbackWorthy):
    """Still rate limited after the allowed retries."""


class ModelTimedOut(NetworkError, FallbackWorthy):
    """The model took longer than the read timeout to say anything."""


def falls_back(error: MoltbotError) -> bool:
    """Whether the next configured fallback model is worth trying after `error`."""
    return isinstance(error, FallbackWorthy)


class ErrorDetails(Record, frozen=True):
    """What an error body said, whatever its shape."""

    message: str | None = None
    code: int | str | None = None
    type: str | None = None
    provider: str | None = None
    raw: str | None = None
    reasons: tuple[str, ...] = ()


def one_line(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Server text squeezed into part of one line: whitespace collapsed, length capped.

    Every message built from server text passes through here, so this is where such
    text is made safe: the key (or a URL's password) the server echoed back is masked,
    and control characters (an ESC sequence, a NUL) are shown escaped, not obeyed.
    """
    squeezed = metadata(scrub(re.sub(r"\s+", " ", text).strip()))
    return squeezed if len(squeezed) <= limit else squeezed[: limit - 1].rstrip() + "…"


def parse_error_body(body: bytes | str | Any) -> ErrorDetails:
    """Read an error body of any shape. Never raises."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if isinstance(body, str):
        text = body.strip()
        if not text:
            return ErrorDetails()
        try:
            body = json.loads(text)
        except ValueError:
            return ErrorDetails(message=_text_message(text))
    if not isinstance(body, dict):
        return ErrorDetails(message=one_line(json.dumps(body)) if body is not None else None)
    error = body.get("error", body)
    if isinstance(error, str):
        return ErrorDetails(
            message=error, code=_code(body.get("code")), type=_str(body.get("type"))
        )
    if not isinstance(error, dict):
        return ErrorDetails(message=_str(body.get("message")) or _str(body.get("detail")))
    metadata = error.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    reasons = metadata.get("reasons")
    return ErrorDetails(
        message=_str(error.get("message"))
        or _str(error.get("detail"))
        or _str(body.get("message")),
        code=_code(error.get("code")),
        type=_str(error.get("type")),
        provider=_str(metadata.get("provider_name")),
        raw=_raw_message(metadata.get("raw")),
        reasons=tuple(str(item) for item in reasons) if isinstance(reasons, list) else (),
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _code(value: Any) -> int | str | None:
    if isinstance(value, bool):
        return None
    return value if isinstance(value, (int, str)) else None


def _text_message(text: str) -> str:
    """A proxy's HTML page says little; its title, or the start of its text, is enough."""
    title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if title and title.group(1).strip():
        return title.group(1)
    return re.sub(r"<[^>]+>", " ", text)


def _raw_message(raw: Any) -> str | None:
    """The upstream provider's own error, which OpenRouter passes on in `metadata.raw`."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return raw.strip() or None
    if isinstance(raw, dict):
        nested = parse_error_body(raw)
        if nested.message:
            return nested.message
    return one_line(json.dumps(raw)) if raw not in (None, "", {}, []) else None


def _describe(details: ErrorDetails, status: int | None) -> str:
    """`the server's message [provider: upstream's message]`, one line."""
    message = details.message or (_REASONS.get(status, "") if status else "") or "no details given"
    if details.reasons:
        message += f" (reasons: {', '.join(details.reasons)})"
    if details.provider or details.raw:
        origin = details.provider or "provider"
        extra = f"{origin}: {details.raw}" if details.raw else origin
        if details.raw is None or details.raw not in message:
            message += f" [{extra}]"
    return one_line(message)


def error_for_status(
    status: int,
    body: bytes | str | Any,
    *,
    model: str | None = None,
    retries: int = 0,
    key_sent: bool = True,
    server: str = OPENROUTER,
) -> MoltbotError:
    """The error for an HTTP status the server answered with (after any retries).

    `key_sent`: whether the request carried an API key; a 401 or 403 to a request without
    one is about the missing key, not a rejected one. `server`: what messages call the
    server (see server.py).
    """
    details = parse_error_body(body)
    said = _describe(details, status)
    if status in (401, 403) and not key_sent:
        error: MoltbotError = AuthError(
            f"{server} wants an API key ({status}), and this request was sent without one: {said}",
            hint="Set one up with `moltbot onboard` (or set OPENROUTER_API_KEY).",
        )
    else:
        error = _error_for_status(
            status, details, said, model=model, retries=retries, server=server
        )
    error.status, error.detail = status, said
    return error


def looks_like_no_such_path(
    status: int, body: bytes | str | Any, model: str | None, url_path: str = ""
) -> bool:
    """A 404 that says nothing about a model: maybe the base URL is wrong, not the model.

    `url_path` is the path the request went to: many servers name it in their 404
    ("Not Found: /api/models", "Cannot GET /api/models"), and the "models" in it is no
    sign that a model was the trouble.
    """
    if status != 404:
        return False
    details = parse_error_body(body)
    text = (details.message or "").lower()
    if url_path:
        from urllib.parse import unquote

        for spelling in {url_path, unquote(url_path)}:
            text = text.replace(spelling.lower(), "")
    if _mentions_unknown_model(details) or "endpoint" in text or "model" in text:
        return False
    return not (model and model.lower() in text)


def wrong_base_url(base_url: str, origin: str | None, path: str) -> UsageError:
    """Every path answers 404: the base URL does not point at an OpenRouter API."""
    where = f" (from {origin})" if origin else ""
    paths = path if path == "/models" else f"{path} and for /models"
    return UsageError(
        f"the server at {base_url}{where} answers 404 for {paths}: "
        "it is not an OpenRouter-compatible API at that address",
        hint="Check the base URL: OpenRouter's is https://openrouter.ai/api/v1, and a "
        "compatible server's usually ends in /v1.",
    )


def _error_for_status(
    status: int,
    details: ErrorDetails,
    said: str,
    *,
    model: str | None,
    retries: int,
    server: str,
) -> MoltbotError:
    subject = model or server
    if status == 401:
        return AuthError(
            f"{server} rejected the API key (401): {said}",
            hint="Set a working key with `moltbot onboard` (an OPENROUTER_API_KEY in the "
            "environment wins over the stored one).",
        )
    if status == 402:
        return CreditsError(
            f"out of credits or over this key's limit (402): {said}",
            hint="Add credits at https://openrouter.ai/settings/credits or raise the key's "
            "limit at https://openrouter.ai/settings/keys.",
        )
    if status == 429:
        tries = f" after {retries} {'retry' if retries == 1 else 'retries'}" if retries else ""
        return ModelRateLimited(
            f"{subject} is still rate limited{tries} (429): {said}",
            hint="Wait a little and try again, allow more tries with --retries, or pick "
            "another model with -m.",
        )
    if status == 403:
        return UpstreamError(
            f"the request was refused (403): {said}",
            hint="The model's moderation or a permission check declined it; rephrase, or pick "
            "another model with -m.",
        )
    if status == 400:
        return UsageError(
            f"{server} could not accept the request (400): {said}",
            hint="See the models you can use with `moltbot models list --all`."
            if _mentions_unknown_model(details)
            else "Check the model's params and routing (`moltbot config show`) and the flags "
            "you gave.",
        )
    if status == 404:
        if "endpoint" in said.lower() and not _mentions_unknown_model(details):
            # `model` is the wire id; the command wants the ref users write.
            endpoints = (
                f"`moltbot models endpoints {refs.ref_for_id(model)}`"
                if model
                else "`moltbot models endpoints` and the model's ref"
            )
            hint = (
                f"No provider fits this model's routing; see who serves it with {endpoints} "
                "and change `moltbot models routing set`."
            )
        else:
            hint = "See the models you can use with `moltbot models list --all`."
        return ModelUnavailable(f"{model or 'the model'} is not available (404): {said}", hint=hint)
    if status in (408, 504):
        return ModelUnavailable(
            f"{subject} timed out upstream ({status}): {said}",
            hint="Try again, or pick another model with -m.",
        )
    if status == 503:
        return ModelUnavailable(
            f"no provider could serve {model or 'the request'} (503): {said}",
            hint="Try again later, relax the model's routing (`moltbot models routing show`), "
            "or pick another model with -m.",
        )
    if status >= 500:
        return ModelUnavailable(
            f"{subject} failed upstream ({status}): {said}",
            hint="Try again in a moment, or pick another model with -m.",
        )
    return UpstreamError(f"{server} answered {status}: {said}")


def _mentions_unknown_model(details: ErrorDetails) -> bool:
    text = f"{details.message or ''} {details.code or ''} {details.type or ''}".lower()
    return "not a valid model" in text or "model_not_found" in text or "no such model" in text


def error_for_stream_event(
    payload: dict[str, Any], *, model: str | None, output_began: bool
) -> UpstreamError:
    """An `error` object arriving inside an HTTP 200 stream: the model failed mid-reply."""
    details = parse_error_body(payload)
    said = _describe(details, None)
    if output_began:
        return UpstreamError(
            f"{model or 'the model'} failed in the middle of its reply: {said}",
            hint=PARTIAL_SHOWN + "run the command again for a whole reply.",
        )
    return ModelUnavailable(
        f"{model or 'the model'} failed before replying: {said}",
        hint="Try again, or pick another model with -m.",
    )


def unreadable(
    what: str, sample: bytes | str, *, output_began: bool, server: str = OPENROUTER
) -> UpstreamError:
    """A response that is not what OpenRouter sends: a proxy page, a broken chunk."""
    if isinstance(sample, bytes):
        sample = sample.decode("utf-8", errors="replace")
    shown = one_line(_text_message(sample), 120) if sample.strip() else "(empty)"
    error_type = UpstreamError if output_began else ModelUnavailable
    return error_type(
        f"{server} sent {what} that moltbot cannot read: {shown}",
        hint="Try again; if it keeps happening, check OPENROUTER_BASE_URL and any proxy in "
        "between.",
    )


def cut_off(model: str | None, *, output_began: bool) -> UpstreamError:
    if output_began:
        return UpstreamError(
            f"the reply from {model or 'the model'} was cut off before it finished",
            hint=PARTIAL_SHOWN + "run the command again for a whole reply.",
        )
    return ModelUnavailable(
        f"{model or 'the model'} closed the stream without replying",
        hint="Try again, or pick another model with -m.",
    )


def empty_reply(model: str | None, finish_reason: str | None) -> UpstreamError:
    """A 200 that carries no text and no tool call: nothing a caller can use."""
    said = f"; finish_reason {finish_reason}" if finish_reason else ""
    if finish_reason == "length":
        hint = "It ran out of tokens before writing any text; allow more with --max-tokens N."
    else:
        hint = "Try again, or pick another model with -m."
    return ModelUnavailable(
        f"the model returned an empty reply ({model or 'no model named'}{said})", hint=hint
    )


def connection_failed(url: str, reason: str, *, server: str = OPENROUTER) -> NetworkError:
    # "cannot reach 127.0.0.1:8765 at http://127.0.0.1:8765/v1" would say the host twice.
    where = f"OpenRouter at {url}" if server == OPENROUTER else f"{server} ({url})"
    if "CERTIFICATE_VERIFY_FAILED" in reason or "certificate verify failed" in reason:
        # Usually a proxy or gateway that signs with its own authority.
        hint = (
            "The server's certificate is not signed by an authority moltbot trusts (the "
            "certifi bundle). If a proxy or gateway of yours signs it, point SSL_CERT_FILE "
            "at its authority's certificate (PEM)."
        )
    else:
        hint = (
            "Check your network connection, and OPENROUTER_BASE_URL or "
            "models.providers.openrouter.baseUrl if you set one."
        )
    return NetworkError(f"cannot reach {where}: {reason}", hint=hint)


def timed_out(url: str, seconds: float, *, output_began: bool) -> NetworkError:
    if output_began:
        return NetworkError(
            f"the reply stopped arriving: nothing for {seconds:g} s",
            hint=PARTIAL_SHOWN + "try again, or allow longer with --timeout SECONDS.",
        )
    return ModelTimedOut(
        f"no answer from {url} within {seconds:g} s",
        hint="Try again, pick another model with -m, or allow longer with --timeout SECONDS.",
    )


def unseen_partial(error: MoltbotError) -> None:
    """Reword a hint pointing at the part of a reply printed above, when none was printed."""
    if error.hint and error.hint.startswith(PARTIAL_SHOWN):
        error.hint = PARTIAL_UNSEEN + error.hint[len(PARTIAL_SHOWN) :]


def too_large(
    what: str, limit: int, *, output_began: bool, server: str = OPENROUTER
) -> UpstreamError:
    """A body, line or event past its size limit: no OpenRouter answer is that big."""
    error_type = UpstreamError if output_began else ModelUnavailable
    return error_type(
        f"{server} sent {what} larger than moltbot accepts ({limit / 1024 / 1024:g} MB); "
        "stopped reading it",
        hint=(PARTIAL_SHOWN if output_began else "")
        + "Try again; if it keeps happening, check OPENROUTER_BASE_URL and any proxy in "
        "between.",
    )


def out_of_time(seconds: float, *, output_began: bool, given: bool) -> NetworkError:
    """The command's whole time (`--timeout`, or the default bound) ran out."""
    limit = f"--timeout {seconds:g}" if given else f"the {seconds:g} s moltbot allows a command"
    if output_began:
        return NetworkError(
            f"the reply was still arriving after {seconds:g} s, {limit} in all",
            hint=PARTIAL_SHOWN + "allow longer with --timeout SECONDS.",
        )
    return NetworkError(
        f"no complete answer within {seconds:g} s ({limit} in all, tries and waits included)",
        hint="Try again, pick another model with -m, or allow longer with --timeout SECONDS.",
    )


def retry_later(
    error: MoltbotError, seconds: float, *, left: float | None, server: str = OPENROUTER
) -> MoltbotError:
    """`error`, saying how long the server asked to wait and when to try again."""
    import time as clock

    when = clock.strftime("%H:%M:%S UTC", clock.gmtime(clock.time() + seconds))
    why = (
        f"more than the {left:.0f} s --timeout leaves"
        if left is not None
        else "longer than moltbot waits"
    )
    error.message += f" ({server} asks to wait {seconds:.0f} s, {why})"
    error.hint = f"Try again after {when}."
    return error
