"""The one HTTP client every command uses to talk to OpenRouter.

Headers, timeouts, retries, the verbose trace and the meaning of failures live here,
so `chat`, the key check and the model catalogue all behave the same way. httpx is
imported when a client is made, never when the program starts.

Retries: 429 waits as long as `Retry-After` says (up to a cap); 408, 502, 503, 504 and
connection failures back off exponentially with jitter; `retries` extra tries at
most. Only failures before a response begins are retried: once a reply is streaming,
a failure ends it.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from moltbot_cli import __version__
from moltbot_cli.errors import AuthError, MoltbotError, UsageError
from moltbot_cli.masking import mask_key, remember_secret, scrub
from moltbot_cli.openrouter import errors
from moltbot_cli.openrouter.body import (
    ACCEPT_ENCODING,
    BODY_LIMIT,
    BodyTooLarge,
    BodyUnreadable,
    DeadlinePassed,
    decoded_chunks,
)
from moltbot_cli.openrouter.server import server_name
from moltbot_cli.openrouter.sse import SSEEvent, SSEOverflow, SSEParser
from moltbot_cli.records import Record, field
from moltbot_cli.sanitize import fix_surrogates

if TYPE_CHECKING:
    import httpx

PROJECT_URL = "https://github.com/moltbot/moltbot-cli"
APP_TITLE = "moltbot"
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 120.0
DEFAULT_RETRIES = 3
BACKOFF_BASE = 0.5
BACKOFF_CAP = 20.0
RETRY_AFTER_CAP = 60.0
RETRY_BASE_ENV = "MOLTBOT_RETRY_BASE_SECONDS"
INSECURE_HTTP_ENV = "MOLTBOT_ALLOW_INSECURE_HTTP"
RETRIED_STATUSES = frozenset({408, 429, 502, 503, 504})
ERROR_BODY_LIMIT = 64 * 1024
CHAT_PATH = "/chat/completions"
TRACE_BODY_LIMIT = 2000
DEFAULT_TOTAL_SECONDS = 600.0

Trace = Callable[[str], None]


class Reasoning(Record, frozen=True):
    """A piece of the model's reasoning, streamed apart from the reply's text."""

    text: str


class ChatResult(Record):
    """A finished reply: what the contract's `chat --json` prints.

    `id` is the generation id; `usage` carries the token details (cached, reasoning)
    and the cost as OpenRouter reported them.
    """

    id: str | None
    model: str | None
    provider: str | None
    content: str
    finish_reason: str | None
    usage: dict[str, Any] | None
    reasoning: str | None = None
    citations: list[dict[str, str]] = field(default_factory=list)
    tool_calls: bool = False  # the model asked for a tool: a reply even without text

    @property
    def empty(self) -> bool:
        """No text and no tool call: nothing a caller can use (whether that is a failure
        is the caller's to decide; see request/walk.py)."""
        return not self.content and not self.tool_calls

    def as_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "id": self.id,
            "model": self.model,
            "provider": self.provider,
            "content": self.content,
            "finish_reason": self.finish_reason,
            "usage": self.usage,
        }
        if self.reasoning:
            shown["reasoning"] = self.reasoning
        if self.citations:
            shown["citations"] = self.citations
        return shown

    @classmethod
    def from_completion(cls, payload: dict[str, Any]) -> ChatResult:
        """From a non-streaming response, which `complete()` has already checked."""
        choice = payload["choices"][0]
        message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        content = message.get("content") if isinstance(message, dict) else None
        citations: list[dict[str, str]] = []
        add_citations(citations, message.get("annotations") if isinstance(message, dict) else None)
        return cls(
            id=_text(payload.get("id")),
            model=_text(payload.get("model")),
            provider=_text(payload.get("provider")),
            content=fix_surrogates(content) if isinstance(content, str) else "",
            finish_reason=_text(choice.get("finish_reason")),
            usage=payload.get("usage") if isinstance(payload.get("usage"), dict) else None,
            reasoning=_reasoning_text(message) if isinstance(message, dict) else None,
            citations=citations,
            tool_calls=bool(message.get("tool_calls")) if isinstance(message, dict) else False,
        )


MAX_CITATIONS = 100
CITATION_FIELD_LIMIT = 2000


def add_citations(citations: list[dict[str, str]], annotations: Any) -> None:
    """`url_citation` annotations as {"url", "title"}, each URL once, bounded."""
    if not isinstance(annotations, list):
        return
    for item in annotations:
        if len(citations) >= MAX_CITATIONS:
            return
        cited = item.get("url_citation") if isinstance(item, dict) else None
        if not isinstance(cited, dict) or item.get("type", "url_citation") != "url_citation":
            continue
        url = cited.get("url")
        if not isinstance(url, str) or not url or any(c["url"] == url for c in citations):
            continue
        title = cited.get("title")
        citations.append(
            {
                "url": url[:CITATION_FIELD_LIMIT],
                "title": title[:CITATION_FIELD_LIMIT] if isinstance(title, str) else "",
            }
        )


def _reasoning_text(holder: dict[str, Any]) -> str | None:
    """`reasoning` text, else the text of `reasoning_details` (reasoning.text / summary)."""
    text = holder.get("reasoning")
    if isinstance(text, str) and text:
        return text
    details = holder.get("reasoning_details")
    if not isinstance(details, list):
        return None
    pieces = [
        piece
        for item in details
        if isinstance(item, dict)
        for piece in (item.get("text"), item.get("summary"))
        if isinstance(piece, str) and piece
    ]
    return "".join(pieces) or None


def _text(value: Any) -> str | None:
    return fix_surrogates(value) if isinstance(value, str) and value else None


def backoff_base_from_env() -> float:
    """`MOLTBOT_RETRY_BASE_SECONDS` shortens (or lengthens) the waits between tries."""
    value = os.environ.get(RETRY_BASE_ENV, "").strip()
    if not value:
        return BACKOFF_BASE
    try:
        seconds = float(value)
    except ValueError:
        raise UsageError(
            f"{RETRY_BASE_ENV}={value!r} is not a number of seconds",
            hint=f"Unset it, or set it to e.g. {BACKOFF_BASE}.",
        ) from None
    if not 0 <= seconds <= 60:
        raise UsageError(f"{RETRY_BASE_ENV} must be between 0 and 60 seconds (found {value})")
    return seconds


def check_base_url(base_url: str) -> None:
    """Refuse to send the key in clear text: `http://` only to this machine, unless allowed.

    A password in the URL's userinfo is remembered as a secret, so messages mask it.
    """
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(base_url.strip())
        host = parts.hostname or ""
        remember_secret(parts.password)
    except ValueError:
        return  # not a URL at all: sending reports it
    if parts.scheme.lower() != "http" or _is_loopback(host):
        return
    if os.environ.get(INSECURE_HTTP_ENV, "").strip() == "1":
        return
    raise UsageError(
        f"refused to use {scrub(base_url)}: plain http:// would send the API key and your "
        f"prompts unencrypted to {host}",
        hint=f"Use an https:// URL in OPENROUTER_BASE_URL or "
        f"models.providers.openrouter.baseUrl; if the network to {host} is yours and you "
        f"know it is safe, set {INSECURE_HTTP_ENV}=1. Loopback addresses (127.0.0.1, ::1, "
        "localhost) are always allowed.",
    )


def _is_loopback(host: str) -> bool:
    import ipaddress

    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """`Retry-After` as seconds to wait: a number of seconds or an HTTP date."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):  # "nan", "inf": no wait anyone can honour or report
        return None
    return max(0.0, seconds)


class OpenRouterClient:
    """GET /key, GET /models, GET /models/{id}/endpoints, POST /chat/completions."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float | None = None,
        retries: int = DEFAULT_RETRIES,
        trace: Trace | None = None,
        backoff_base: float | None = None,
        base_url_origin: str | None = None,
    ) -> None:
        import httpx

        if timeout is not None and timeout <= 0:
            raise UsageError(f"the timeout must be more than 0 seconds (found {timeout:g})")
        if retries < 0:
            raise UsageError(f"the number of retries cannot be negative (found {retries})")
        check_base_url(base_url)
        remember_secret(api_key)
        if api_key and not _sendable(api_key):
            raise AuthError(
                "the API key contains spaces or characters no OpenRouter key has",
                hint="Store it again with `moltbot onboard`, pasting only the key itself.",
            )
        self.base_url = base_url.rstrip("/")
        self.base_url_origin = base_url_origin  # where it was set, for messages about it
        self.server = server_name(self.base_url)  # what messages call it: OpenRouter, or a host
        self.api_key = api_key or None
        self.retries = retries
        self.read_timeout = READ_TIMEOUT if timeout is None else timeout
        self.connect_timeout = CONNECT_TIMEOUT if timeout is None else min(CONNECT_TIMEOUT, timeout)
        # The whole command's time: --timeout when given (tries, waits and the reply all
        # count), else a generous bound, so that no server can keep a command forever.
        self.timeout_given = timeout is not None
        self.total_time = DEFAULT_TOTAL_SECONDS if timeout is None else timeout
        self._deadline: float | None = None  # set by the first request
        self._read_in_effect = self.read_timeout
        self.backoff_base = backoff_base_from_env() if backoff_base is None else backoff_base
        self._trace = trace
        from moltbot_cli.openrouter.tls import context_for

        self._http = httpx.Client(
            verify=context_for(self.base_url),
            timeout=httpx.Timeout(
                connect=self.connect_timeout,
                read=self.read_timeout,
                write=self.read_timeout,
                pool=self.connect_timeout,
            ),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OpenRouterClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the endpoints ----------------------------------------------------------------

    def get_key(self) -> dict[str, Any]:
        """GET /key: what OpenRouter knows about the key (label, usage, limit, ...)."""
        payload = self._get_json("/key", auth=True)
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict):
            raise errors.unreadable(
                "a key check", json.dumps(payload), output_began=False, server=self.server
            )
        return data

    def list_models(self) -> list[dict[str, Any]]:
        """GET /models: the whole catalogue. OpenRouter needs no key for it, but gateways
        and compatible servers may: the key goes along whenever there is one."""
        payload = self._get_json("/models", auth=True)
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list):
            raise errors.unreadable(
                "a model list", json.dumps(payload)[:200], output_began=False, server=self.server
            )
        return [item for item in data if isinstance(item, dict)]

    def list_presets(self) -> list[dict[str, Any]]:
        """GET /presets: the account's presets (needs the key)."""
        payload = self._get_json("/presets", auth=True)
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list):
            raise errors.unreadable(
                "a preset list", json.dumps(payload)[:200], output_began=False, server=self.server
            )
        return [item for item in data if isinstance(item, dict)]

    def model_endpoints(self, model_id: str, *, name: str | None = None) -> dict[str, Any]:
        """GET /models/{author}/{slug}/endpoints for a wire id such as `anthropic/x`.

        `name` is what errors call the model (the user's ref); the id by default.
        """
        author, slash, slug = model_id.partition("/")
        if not (author and slash and slug):
            raise UsageError(f"{model_id!r} is not a model id of the form <author>/<slug>")
        path = f"/models/{quote(author, safe='')}/{quote(slug, safe=':')}/endpoints"
        payload = self._get_json(path, auth=True, model=name or model_id)
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict):
            raise errors.unreadable(
                "an endpoint list", json.dumps(payload), output_began=False, server=self.server
            )
        return data

    def exchange_code(self, code: str, verifier: str) -> dict[str, Any]:
        """POST /auth/keys: a sign-in code and its PKCE verifier for a new API key.

        Sends no key. Neither what goes out (the verifier) nor what comes back (the new
        key) is traced: -v shows only that the exchange happened.
        """
        body = {"code": code, "code_verifier": verifier, "code_challenge_method": "S256"}
        response = self._send("POST", "/auth/keys", body=body, auth=False, secret=True)
        try:
            payload = self._read_json(response, "a sign-in answer", model=None, secret=True)
        finally:
            response.close()
        if not isinstance(payload, dict):
            raise errors.unreadable(
                "a sign-in answer", "(not shown)", output_began=False, server=self.server
            )
        return payload

    def complete(self, body: dict[str, Any], *, name: str | None = None) -> dict[str, Any]:
        """POST /chat/completions without streaming; the checked response object.

        `name` is what errors call the model (the user's ref); the body's id by default.
        """
        name = name or _text(body.get("model"))
        # stream_options is refused by some servers when not streaming.
        unstreamed = {field: value for field, value in body.items() if field != "stream_options"}
        response = self._send("POST", CHAT_PATH, body={**unstreamed, "stream": False}, model=name)
        try:
            payload = self._read_json(response, "a reply", model=name)
        finally:
            response.close()
        return _checked_completion(payload, name, self.server)

    def stream_chat(
        self, body: dict[str, Any], *, name: str | None = None
    ) -> Iterator[str | Reasoning | ChatResult]:
        """POST /chat/completions streaming: text (and Reasoning) pieces as they arrive,
        then the result.

        `name` is what errors call the model (the user's ref); the body's id by default.
        """
        model = _text(body.get("model"))
        name = name or model
        response = self._send(
            "POST", CHAT_PATH, body={**body, "stream": True}, model=name, stream=True
        )
        try:
            content_type = response.headers.get("content-type", "").lower()
            if "json" in content_type:
                # An answer to a streaming request may still come back whole.
                payload = self._read_json(response, "a reply", model=name)
                result = ChatResult.from_completion(_checked_completion(payload, name, self.server))
                if result.reasoning:
                    yield Reasoning(result.reasoning)
                if result.content:
                    yield result.content
                yield result
                return
            if content_type and "event-stream" not in content_type:
                sample = _read_limited(response, 2000, self.deadline)
                kind = content_type.split(";")[0].strip()
                raise errors.unreadable(
                    f"a {kind} page", sample, output_began=False, server=self.server
                )
            try:
                yield from self._events(response, model, name)
            except _EmptyStream:
                pass
            else:
                return
        finally:
            response.close()
        # A 200 with no event at all: some servers answer a request they refuse this way.
        # Asked again without streaming, they say what is wrong (or simply answer).
        self._note("! the stream was empty; asking once more without streaming")
        result = ChatResult.from_completion(self.complete(body, name=name))
        if result.content:
            yield result.content
        yield result

    def preview(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """What a POST would send, with the key masked: `chat --dry-run` prints it."""
        sent = self._headers(auth=True, stream=bool(body.get("stream")))
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {mask_key(self.api_key)}"
        headers.update((name, value) for name, value in sent.items() if name != "Authorization")
        return {"url": self.base_url + path, "headers": headers, "body": body}

    # -- streaming ----------------------------------------------------------------------

    def _events(
        self, response: httpx.Response, model: str | None, name: str | None
    ) -> Iterator[str | Reasoning | ChatResult]:
        import httpx

        reader = _StreamReader(model, name, self.server)
        parser = SSEParser()
        started = time.monotonic()
        try:
            for chunk in self._body(response, output_began=lambda: reader.began):
                # What one network read brings goes out as one piece: a fast stream then
                # costs one write to stdout per read, not one per token.
                pieces: list[str | Reasoning] = []
                try:
                    for event in parser.feed(chunk):
                        pieces.extend(reader.take(event, last=False))
                        if reader.done:
                            break
                except SSEOverflow as overflow:
                    yield from _coalesced(pieces)
                    raise errors.too_large(
                        overflow.what,
                        overflow.limit,
                        output_began=reader.began,
                        server=self.server,
                    ) from None
                except MoltbotError:
                    # The error counts the text before it as output that began: hand that
                    # text over first, so the caller shows it before the error.
                    yield from _coalesced(pieces)
                    raise
                if len(pieces) == 1:
                    yield pieces[0]  # the usual case: one event per read
                elif pieces:
                    yield from _coalesced(pieces)
                if reader.done:
                    break
            else:
                for event in parser.close():
                    yield from reader.take(event, last=True)
            if tail := reader.flush():
                yield tail
        except (httpx.TransportError, httpx.DecodingError):
            # The connection broke mid-body (e.g. a chunked stream without its end).
            raise errors.cut_off(name, output_began=reader.began) from None
        if reader.events == 0:
            raise _EmptyStream()
        self._note(
            f"< stream ended after {time.monotonic() - started:.2f} s: {reader.events} events, "
            f"finish_reason={reader.finish_reason}, "
            f"{'[DONE]' if reader.done else 'no [DONE]'}"
        )
        yield reader.result()

    # -- the request loop ---------------------------------------------------------------

    def _get_json(self, path: str, *, auth: bool, model: str | None = None) -> Any:
        response = self._send("GET", path, auth=auth, model=model)
        try:
            return self._read_json(response, f"an answer to GET {path}", model=model)
        finally:
            response.close()

    def _headers(self, *, auth: bool, stream: bool = False) -> dict[str, str]:
        headers = {
            "HTTP-Referer": PROJECT_URL,
            "X-OpenRouter-Title": APP_TITLE,
            "X-Title": APP_TITLE,
            "User-Agent": f"moltbot/{__version__}",
            "Accept": "text/event-stream" if stream else "application/json",
        }
        if auth and self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        auth: bool = True,
        model: str | None = None,
        stream: bool = False,
        secret: bool = False,
    ) -> httpx.Response:
        """Send with retries; return a response with a 2xx status, its body not yet read.

        `secret`: the body carries a secret (a sign-in verifier), so the trace leaves it out.
        """
        import httpx

        url = self.base_url + path
        # Only the encodings body.py inflates within bounds.
        headers = {**self._headers(auth=auth, stream=stream), "Accept-Encoding": ACCEPT_ENCODING}
        content = None
        if body is not None:
            content = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        tries = self.retries + 1
        for attempt in range(tries):
            last_try = attempt == tries - 1
            self._note(
                _request_line(method, url, attempt + 1, tries, headers, None if secret else content)
                + (" body: (secret, not shown)" if secret else "")
            )
            started = time.monotonic()
            left = self._left()
            if left <= 0:
                raise self._out_of_time(output_began=False)
            try:
                request = self._http.build_request(
                    method, url, headers=headers, content=content, timeout=self._timeouts(left)
                )
                response = self._http.send(request, stream=True)
            except httpx.ConnectTimeout:
                reason = f"no connection within {min(self.connect_timeout, left):g} s"
                unreached = errors.connection_failed(self.base_url, reason, server=self.server)
                if last_try:
                    raise unreached from None
                self._wait(self._backoff(attempt), f"{reason}; retrying", unreached)
                continue
            except httpx.TimeoutException:
                raise self._timeout(output_began=False) from None
            except (httpx.UnsupportedProtocol, httpx.InvalidURL):
                raise UsageError(
                    f"the OpenRouter base URL {self.base_url!r} is not an http(s) URL",
                    hint="Fix OPENROUTER_BASE_URL or models.providers.openrouter.baseUrl.",
                ) from None
            except httpx.TransportError as error:
                reason = _reason(error)
                refused = errors.connection_failed(self.base_url, reason, server=self.server)
                if last_try:
                    raise refused from None
                self._wait(self._backoff(attempt), f"{reason}; retrying", refused)
                continue
            elapsed = time.monotonic() - started
            status = response.status_code
            if 200 <= status < 300:
                self._note(f"< {status} {response.reason_phrase} in {elapsed:.2f} s")
                return response
            try:
                error_body = _read_limited(response, ERROR_BODY_LIMIT, self.deadline)
            finally:
                response.close()
            self._note(
                f"< {status} {response.reason_phrase} in {elapsed:.2f} s: "
                f"{_clip(error_body.decode('utf-8', errors='replace'))}"
            )
            key_sent = "Authorization" in headers
            if errors.looks_like_no_such_path(status, error_body, model, urlsplit(url).path) and (
                path == "/models" or self._answers_404("/models", headers)
            ):
                raise errors.wrong_base_url(self.base_url, self.base_url_origin, path)
            failure: MoltbotError = errors.error_for_status(
                status,
                error_body,
                model=model,
                retries=attempt,
                key_sent=key_sent,
                server=self.server,
            )
            if status not in RETRIED_STATUSES or last_try:
                raise failure
            asked = retry_after_seconds(response.headers.get("retry-after"))
            left = self._left()
            if asked is not None and asked > min(RETRY_AFTER_CAP, left):
                # A wait longer than the cap, or than the time left, helps no one: say
                # so now, and when to try again.
                raise errors.retry_later(
                    failure,
                    asked,
                    left=left if left < RETRY_AFTER_CAP else None,
                    server=self.server,
                )
            wait = asked if asked is not None else self._backoff(attempt)
            self._wait(wait, f"{status}; retrying", failure)
        raise AssertionError("unreachable: the last try returns or raises")

    def _answers_404(self, path: str, headers: dict[str, str]) -> bool:
        """One try at GET `path`, to tell a wrong base URL from a missing model."""
        import httpx

        url = self.base_url + path
        self._note(f"> GET {url} (does the base URL answer at all?)")
        try:
            request = self._http.build_request(
                "GET", url, headers=headers, timeout=self._timeouts(max(self._left(), 0.1))
            )
            response = self._http.send(request, stream=True)
        except httpx.HTTPError:
            return False
        response.close()
        self._note(f"< {response.status_code} {response.reason_phrase}")
        return response.status_code == 404

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter, so many clients do not retry in step."""
        return min(BACKOFF_CAP, self.backoff_base * 2**attempt) * random.uniform(0.5, 1.5)

    def _wait(self, seconds: float, why: str, failure: MoltbotError) -> None:
        """Sleep before the next try; when that would outlast the deadline, fail now."""
        if seconds >= self._left():
            raise failure
        self._note(f"! {why} in {seconds:.2f} s")
        time.sleep(seconds)

    @property
    def deadline(self) -> float:
        """When the command's time runs out: `total_time` after its first request began."""
        if self._deadline is None:
            self._deadline = time.monotonic() + self.total_time
        return self._deadline

    def _left(self) -> float:
        return self.deadline - time.monotonic()

    def _timeouts(self, left: float) -> httpx.Timeout:
        """No single wait longer than its own limit, nor than the time the command has left."""
        import httpx

        read = min(self.read_timeout, left)
        connect = min(self.connect_timeout, left)
        self._read_in_effect = read
        return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)

    def _out_of_time(self, *, output_began: bool) -> MoltbotError:
        return errors.out_of_time(
            self.total_time, output_began=output_began, given=self.timeout_given
        )

    def _timeout(self, *, output_began: bool) -> MoltbotError:
        """A wait timed out: the command's whole time ran out, or the server fell silent."""
        if self._read_in_effect >= 0.9 * self.read_timeout:
            # The server was silent for (about) the whole limit of one wait: say that.
            return errors.timed_out(self.base_url, self.read_timeout, output_began=output_began)
        return self._out_of_time(output_began=output_began)

    def _body(
        self, response: httpx.Response, *, output_began: Callable[[], bool]
    ) -> Iterator[bytes]:
        """The decoded body, bounded in size and time; failures become the program's errors."""
        import httpx

        try:
            yield from decoded_chunks(response, BODY_LIMIT, self.deadline)
        except BodyTooLarge as error:
            raise errors.too_large(
                "a response", error.limit, output_began=output_began(), server=self.server
            ) from None
        except DeadlinePassed:
            raise self._out_of_time(output_began=output_began()) from None
        except BodyUnreadable as error:
            raise errors.unreadable(
                str(error), b"", output_began=output_began(), server=self.server
            ) from None
        except httpx.TimeoutException:
            raise self._timeout(output_began=output_began()) from None

    def _read_json(
        self, response: httpx.Response, what: str, *, model: str | None, secret: bool = False
    ) -> Any:
        import httpx

        try:
            raw = b"".join(self._body(response, output_began=lambda: False))
        except (httpx.TransportError, httpx.DecodingError):
            raise errors.cut_off(model, output_began=False) from None
        if secret:
            self._note(f"< body: {len(raw)} bytes (secret, not shown)")
        else:
            self._note(f"< body: {_clip(raw.decode('utf-8', errors='replace'))}")
        try:
            return json.loads(raw)
        except ValueError:
            sample = b"(not shown)" if secret else raw[:2000]
            raise errors.unreadable(what, sample, output_began=False, server=self.server) from None

    def _note(self, line: str) -> None:
        if self._trace is None:
            return
        self._trace(scrub(line))


class _EmptyStream(Exception):
    """A 200 stream that ended without a single event."""


class _StreamReader:
    """Turns a chat stream's events into text pieces and, at the end, a ChatResult."""

    def __init__(self, model: str | None, name: str | None, server: str) -> None:
        self.model = model
        self.name = name  # what errors call the model
        self.server = server  # and the server
        self.parts: list[str] = []
        self.began = False
        self.done = False
        self.events = 0
        self.id: str | None = None
        self.served_by: str | None = None
        self.provider: str | None = None
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] | None = None
        self.tool_calls = False
        self.reasoning: list[str] = []
        self.citations: list[dict[str, str]] = []
        self._high = ""  # half of a surrogate pair, held for the next delta
        self._seen: tuple[Any, Any] = (None, None)  # the raw model and provider last read

    def take(self, event: SSEEvent, *, last: bool) -> list[str | Reasoning]:
        """The reasoning and text this event adds; raises on an error event or unreadable data."""
        self.events += 1
        data = event.data.strip()
        if data == "[DONE]":
            self.done = True
            return []
        try:
            chunk = json.loads(data)
        except ValueError:
            if last:  # the final event of a stream that stopped mid-line
                raise errors.cut_off(self.name, output_began=self.began) from None
            raise errors.unreadable(
                "a stream event", data, output_began=self.began, server=self.server
            ) from None
        if not isinstance(chunk, dict):
            raise errors.unreadable(
                "a stream event", data, output_began=self.began, server=self.server
            )
        if chunk.get("error"):
            raise errors.error_for_stream_event(chunk, model=self.name, output_began=self.began)
        # Every event repeats the id, model and provider: read them when they change.
        if self.id is None:
            self.id = _text(chunk.get("id"))
        served_by, provider = chunk.get("model"), chunk.get("provider")
        if served_by != self._seen[0] or provider != self._seen[1]:
            self._seen = (served_by, provider)
            self.served_by = _text(served_by) or self.served_by
            self.provider = _text(provider) or self.provider
        usage = chunk.get("usage")
        if usage is not None and isinstance(usage, dict):
            self.usage = usage
        choices = chunk.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            return []
        choice = choices[0]
        reason = choice.get("finish_reason")
        if reason is not None:
            reason = _text(reason)
            if reason == "error":
                raise errors.error_for_stream_event(
                    {"error": {"message": 'the model stopped with finish_reason "error"'}},
                    model=self.name,
                    output_began=self.began,
                )
            self.finish_reason = reason or self.finish_reason
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            return []
        found: list[str | Reasoning] = []
        if "reasoning" in delta or "reasoning_details" in delta:
            thought = _reasoning_text(delta)
            if thought:
                thought = fix_surrogates(thought)
                self.reasoning.append(thought)
                found.append(Reasoning(thought))
        annotations = delta.get("annotations")
        if annotations is not None:
            add_citations(self.citations, annotations)
        content = delta.get("content")
        if delta.get("tool_calls"):
            self.tool_calls = True
        if isinstance(content, str) and content:
            content = self._whole_characters(content)
            if content:
                self.began = True
                self.parts.append(content)
                found.append(content)
        return found

    def _whole_characters(self, content: str) -> str:
        """Text with surrogate pairs joined, even one split across two deltas, and lone
        surrogates (valid JSON, no character) replaced: it must encode as UTF-8."""
        content = self._high + content
        self._high = ""
        if "\ud800" <= content[-1] <= "\udbff":
            content, self._high = content[:-1], content[-1]  # its other half may come next
        return fix_surrogates(content)

    def flush(self) -> str:
        """A high surrogate still waiting for its other half, now known to be alone."""
        if not self._high:
            return ""
        self._high = ""
        self.began = True
        self.parts.append("\ufffd")
        return "\ufffd"

    def result(self) -> ChatResult:
        if not self.done and self.finish_reason is None:
            raise errors.cut_off(self.name, output_began=self.began)
        return ChatResult(
            id=self.id,
            model=self.served_by or self.model,
            provider=self.provider,
            content="".join(self.parts),
            finish_reason=self.finish_reason,
            usage=self.usage,
            reasoning="".join(self.reasoning) or None,
            citations=self.citations,
            tool_calls=self.tool_calls,
        )


def _coalesced(pieces: list[str | Reasoning]) -> Iterator[str | Reasoning]:
    """Neighbouring pieces of one kind as one: one write per network read, not per token."""
    pending: list[str | Reasoning] = []
    for piece in pieces:
        if pending and type(piece) is not type(pending[0]):
            yield _joined(pending)
            pending = []
        pending.append(piece)
    if pending:
        yield _joined(pending)


def _joined(pieces: list[str | Reasoning]) -> str | Reasoning:
    if isinstance(pieces[0], Reasoning):
        return Reasoning("".join(piece.text for piece in pieces if isinstance(piece, Reasoning)))
    return "".join(piece for piece in pieces if isinstance(piece, str))


def _checked_completion(payload: Any, model: str | None, server: str) -> dict[str, Any]:
    """A non-streaming response that carries a reply, or the error it carries instead."""
    if not isinstance(payload, dict):
        raise errors.unreadable(
            "a reply", json.dumps(payload)[:200], output_began=False, server=server
        )
    if payload.get("error"):
        raise errors.error_for_stream_event(payload, model=model, output_began=False)
    choices = payload.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise errors.unreadable(
            "a reply without choices",
            json.dumps(payload)[:200],
            output_began=False,
            server=server,
        )
    choice = choices[0]
    if choice.get("finish_reason") == "error":
        raise errors.error_for_stream_event(
            {"error": {"message": 'the model stopped with finish_reason "error"'}},
            model=model,
            output_began=False,
        )
    return payload


def _sendable(key: str) -> bool:
    """Whether a key can go in a header as it is: printable ASCII, no spaces."""
    return key.isascii() and key.isprintable() and not any(c.isspace() for c in key)


def _request_line(
    method: str, url: str, attempt: int, tries: int, headers: dict[str, str], content: bytes | None
) -> str:
    line = f"> {method} {url} (try {attempt}/{tries})"
    authorization = headers.get("Authorization")
    if authorization:
        line += f" Authorization: Bearer {mask_key(authorization.removeprefix('Bearer '))}"
    if content is not None:
        line += f" body: {_clip(content.decode('utf-8'))}"
    return line


def _read_limited(response: httpx.Response, limit: int, deadline: float) -> bytes:
    """Up to `limit` bytes of a body that only serves to explain a failure."""
    import httpx

    collected = bytearray()
    try:
        for chunk in decoded_chunks(response, limit, deadline):
            collected += chunk
            if len(collected) >= limit:
                break
    except (httpx.TransportError, httpx.DecodingError, BodyTooLarge, BodyUnreadable):
        pass  # what arrived is explanation enough
    except DeadlinePassed:
        pass  # the retry loop sees that no time is left
    return bytes(collected[:limit])


def _reason(error: Exception) -> str:
    """A connection failure in a few words: `connection refused`, not a repr."""
    text = str(error) or type(error).__name__
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return "unknown host"
    if "reset" in lowered:
        return "connection reset"
    return errors.one_line(text, 160)


def _clip(text: str) -> str:
    text = text.replace("\n", " ")
    if len(text) <= TRACE_BODY_LIMIT:
        return text
    return f"{text[:TRACE_BODY_LIMIT]}… ({len(text)} characters)"
