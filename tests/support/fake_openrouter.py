"""A fake OpenRouter of the suite's own: a real threaded HTTP server on 127.0.0.1.

It answers the routes moltbot uses the way OpenRouter does (real SSE over chunked
HTTP/1.1, OpenRouter's error bodies), records every request, and misbehaves on demand.

Use it as the fixture `fake_openrouter` (import `fake_openrouter_fixture` into the test
module; pytest finds it there under its fixture name):

    from tests.support.fake_openrouter import (
        TEST_KEY,
        FakeOpenRouter,
        fake_openrouter_fixture,  # noqa: F401
    )

    def test_something(fake_openrouter: FakeOpenRouter) -> None:
        fake_openrouter.fail("503", model="anthropic/claude-sonnet-4-5")
        result = run_moltbot("chat", "hi", env={"OPENROUTER_API_KEY": TEST_KEY})
        assert fake_openrouter.chat_bodies()[0]["model"] == "anthropic/claude-sonnet-4-5"

The fixture starts a server, points OPENROUTER_BASE_URL at it (`http://127.0.0.1:PORT/api/v1`),
sets MOLTBOT_RETRY_BASE_SECONDS=0.01 so retries cost the suite no time, and stops the
server after the test. By hand: `python -m tests.support.fake_openrouter --port 8765`.

Routes, all under /api/v1:
    GET  /key (and /auth/key)  200 {"data": {label, usage, limit, limit_remaining,
                               is_free_tier, ...}} for a key in `keys`, else 401
    GET  /models               200 {"data": models}; no key needed
    GET  /models/{author}/{slug}/endpoints
                               200 {"data": {id, name, endpoints: [...]}} from `endpoints`
                               (generated for any model in `models`), else 404
    POST /chat/completions     401 unless the key is in `keys`; then a reply: SSE when the
                               body has "stream": true, else one JSON object

Knobs (plain attributes; change them before the request):
    keys: dict[str, dict]        good key -> fields merged into its /key data (TEST_KEY is good)
    models: list[dict]           the catalogue (CATALOGUE; make_catalogue(5000) for a big one)
    endpoints: dict[str, list]   wire model id -> endpoint objects
    replies: dict[str, str]      wire model id -> reply text (default "Hello from <id>!")
    chunk_size: int              characters per streamed text chunk (default 4)
    tool_callers: set[str]       wire model ids that answer a request with `tools` by calling
                                 its first tool (non-streaming); others answer in text
    image_blind: set[str]        wire model ids that answer a request with an image part
                                 with 404 "No endpoints found that support image input"
    finish_reason: str           what a finished reply says (default "stop")
    reasoning: dict[str, str]    wire model id -> reasoning text it streams before its reply
                                 (delta.reasoning; unstreamed: message.reasoning and
                                 reasoning_details), unless the body says effort none/exclude
    citations: list[dict]        annotations a reply carries when the body asks for the web
                                 search tool (default SAMPLE_CITATIONS)
    presets: list[dict]          what GET /presets lists (needs the key)
    parts: list[dict]            every image/file part received, checked and decoded: a part
                                 whose data URL does not decode or whose bytes are not what
                                 it claims is a 400 (see tests/support/fake_features.py)
A body with response_format json_schema is answered with JSON that fits the schema, unless
`replies` says otherwise for that model.

Extra routes: `routes[(method, full path)] = handler(request_handler, parsed_json, url)`
answers a path the fake does not know itself (tests/support/fake_signin.py adds the sign-in
page and POST /auth/keys this way).

Misbehaviour: `fail(kind, *, route="chat", model=None, times=None, retry_after=None,
body=None, delay=0.2)` adds a rule; the first rule that matches a request (its route:
"chat", "key", "models", "endpoints", "presets" or "any"; and the wire model id, from the chat body or
the endpoints path, when `model` is given) and has tries left decides the answer.
`times=None` means every time; `times=1` means once. Statuses, "hang" and "garbage" work on
every route; the other kinds shape a chat reply. Kinds:
    "400" "401" "402" "403" "404" "408" "429" "500" "502" "503" "504"
                       that status with OpenRouter's error body for it (or `body`: a dict
                       goes out as JSON, a str/bytes as text/plain); `retry_after` adds a
                       Retry-After header (a number or an HTTP date string)
    "error_mid_stream" 200, the first chunk of text, then an event with a top-level error
                       and finish_reason "error", and the stream ends (no [DONE])
    "error_first"      200, the error event before any text (non-streaming: a 200 JSON
                       body carrying the error)
    "cut_off"          200, the first chunk of text, then the connection closes without
                       [DONE] and without the chunked terminator
    "no_done"          a whole reply with finish_reason and usage, but no [DONE]
    "empty"            200 text/event-stream with no events at all (non-streaming: a 400
                       with OpenRouter's error body, or `body`: the real refusal)
    "garbage"          200 text/html, a proxy's error page
    "garbage_sse"      200 SSE whose data line is not JSON (non-streaming: JSON cut short)
    "hang"             never answers (until the client gives up or the server stops)
    "stall"            200, the first chunk of text, then silence
    "slow_drip"        a normal reply, one chunk every `delay` seconds
`refused_base_url()` gives a base URL where nothing listens (connection refused).

Records: `requests` lists every request (method, path, query, headers with lower-case
names, raw body, parsed JSON body or None, and `arrived`: time.monotonic() when it came);
`chat_bodies()` the JSON bodies of the chat calls; `rule.hits` how often a rule fired.
"""

from __future__ import annotations

import argparse
import json
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from tests.support import fake_features
from tests.support.loopback import pointed_at

TEST_KEY = "sk-or-v1-test-" + "x" * 20
API_PREFIX = "/api/v1"
HANG_LIMIT_SECONDS = 30.0  # a hung answer ends by itself, so a forgetful test cannot hang

PROVIDER_NAMES = {
    "anthropic": "Anthropic",
    "amazon-bedrock": "Amazon Bedrock",
    "google-vertex": "Google Vertex",
    "openai": "OpenAI",
    "azure": "Azure",
    "google-ai-studio": "Google AI Studio",
    "deepinfra": "DeepInfra",
    "together": "Together",
    "deepseek": "DeepSeek",
    "openrouter": "OpenRouter",
}
PROVIDERS_BY_AUTHOR = {
    "anthropic": ["anthropic", "amazon-bedrock", "google-vertex"],
    "openai": ["openai", "azure"],
    "google": ["google-vertex", "google-ai-studio"],
    "deepseek": ["deepseek", "deepinfra", "together"],
}


def _model(
    model_id: str,
    name: str,
    context: int,
    prompt: str,
    completion: str,
    *,
    max_completion: int | None = None,
    moderated: bool = False,
    description: str = "",
) -> dict[str, Any]:
    return {
        "id": model_id,
        "canonical_slug": model_id,
        "hugging_face_id": "",
        "name": name,
        "created": 1758000000,
        "description": description or f"{name}, as served through OpenRouter.",
        "context_length": context,
        "architecture": {
            "modality": "text+image->text",
            "input_modalities": ["text", "image"],
            "output_modalities": ["text"],
            "tokenizer": model_id.split("/")[0].title(),
            "instruct_type": None,
        },
        "pricing": {
            "prompt": prompt,
            "completion": completion,
            "request": "0",
            "image": "0",
            "web_search": "0",
            "internal_reasoning": "0",
        },
        "top_provider": {
            "context_length": context,
            "max_completion_tokens": max_completion,
            "is_moderated": moderated,
        },
        "per_request_limits": None,
        "supported_parameters": [
            "max_tokens",
            "temperature",
            "top_p",
            "stop",
            "seed",
            "tools",
            "tool_choice",
            "response_format",
        ],
    }


CATALOGUE: list[dict[str, Any]] = [
    _model(
        "anthropic/claude-sonnet-4-5",
        "Anthropic: Claude Sonnet 4.5",
        1000000,
        "0.000003",
        "0.000015",
        max_completion=64000,
        moderated=True,
    ),
    _model(
        "anthropic/claude-haiku-4-5",
        "Anthropic: Claude Haiku 4.5",
        200000,
        "0.000001",
        "0.000005",
        max_completion=64000,
        moderated=True,
    ),
    _model(
        "openai/gpt-5.2", "OpenAI: GPT-5.2", 400000, "0.00000175", "0.000014", max_completion=128000
    ),
    _model("openai/gpt-4o-mini", "OpenAI: GPT-4o-mini", 128000, "0.00000015", "0.0000006"),
    _model(
        "google/gemini-2.5-flash", "Google: Gemini 2.5 Flash", 1048576, "0.0000003", "0.0000025"
    ),
    _model(
        "deepseek/deepseek-chat-v3.1", "DeepSeek: DeepSeek V3.1", 163840, "0.0000002", "0.0000008"
    ),
    _model(
        "meta-llama/llama-3.3-70b-instruct:free",
        "Meta: Llama 3.3 70B Instruct (free)",
        131072,
        "0",
        "0",
    ),
    _model("openrouter/auto", "Auto Router", 2000000, "-1", "-1"),
]


def make_catalogue(count: int) -> list[dict[str, Any]]:
    """CATALOGUE plus generated models, `count` in all: for tests of big catalogues."""
    generated = [
        _model(
            f"vendor{index % 97}/model-{index}",
            f"Vendor {index % 97}: Model {index}",
            8192 * (1 + index % 16),
            f"{(index % 50 + 1) / 1e7:.7f}",
            f"{(index % 50 + 1) / 2.5e6:.7f}",
        )
        for index in range(max(0, count - len(CATALOGUE)))
    ]
    return [*CATALOGUE, *generated]


def host_of(base_url: str) -> str:
    """What moltbot's messages call the server at a loopback base URL: `127.0.0.1:PORT`."""
    return urlsplit(base_url).netloc


def refused_base_url() -> str:
    """A base URL on a loopback port nothing listens on: connecting is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{API_PREFIX}"


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    json: Any
    # When it arrived (time.monotonic()): the gap between two tries shows how long the
    # client waited between them, with the client's start-up left out.
    arrived: float = field(default_factory=time.monotonic)


@dataclass
class Rule:
    kind: str
    route: str = "chat"
    model: str | None = None
    times: int | None = None
    retry_after: str | None = None
    body: Any = None
    delay: float = 0.2
    hits: int = 0

    def matches(self, route: str, model: str | None) -> bool:
        if self.route not in ("any", route):
            return False
        if self.model is not None and self.model != model:
            return False
        return self.times is None or self.hits < self.times


ERROR_STATUSES = {400, 401, 402, 403, 404, 408, 429, 500, 502, 503, 504}
STREAM_KINDS = {
    "error_mid_stream",
    "error_first",
    "cut_off",
    "no_done",
    "empty",
    "garbage",
    "garbage_sse",
    "hang",
    "stall",
    "slow_drip",
}


def error_body(status: int, model: str | None) -> dict[str, Any]:
    """OpenRouter's error body for a status, worded the way OpenRouter words it."""
    model = model or "the model"
    metadata: dict[str, Any] | None = None
    if status == 400:
        message = f"{model} is not a valid model ID"
    elif status == 401:
        message = "User not found."
    elif status == 402:
        message = "Insufficient credits. Add more using https://openrouter.ai/settings/credits"
    elif status == 403:
        message = (
            f'{model} requires moderation on Anthropic. Your input was flagged for "violence".'
        )
        metadata = {
            "reasons": ["violence"],
            "flagged_input": "...",
            "provider_name": "Anthropic",
            "model_slug": model,
        }
    elif status == 404:
        message = f"No endpoints found for {model}."
    elif status == 408:
        message = "Request timed out"
    elif status == 429:
        message = "Rate limit exceeded: free-models-per-min."
    elif status == 502:
        message = "Provider returned error"
        metadata = {
            "provider_name": "Anthropic",
            "raw": '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
        }
    elif status == 503:
        message = "No allowed providers are available for the selected model."
    else:
        message = "Internal Server Error"
    error: dict[str, Any] = {"code": status, "message": message}
    if metadata:
        error["metadata"] = metadata
    return {"error": error}


class FakeOpenRouter:
    def __init__(self) -> None:
        self.keys: dict[str, dict[str, Any]] = {TEST_KEY: {}}
        self.models: list[dict[str, Any]] = list(CATALOGUE)
        self.endpoints: dict[str, list[dict[str, Any]]] = {}
        self.replies: dict[str, str] = {}
        self.chunk_size = 4
        self.finish_reason = "stop"
        self.tool_callers: set[str] = set()
        self.image_blind: set[str] = set()
        self.reasoning: dict[str, str] = {}
        self.citations: list[dict[str, Any]] = list(fake_features.SAMPLE_CITATIONS)
        self.presets: list[dict[str, Any]] = []
        self.parts: list[dict[str, Any]] = []
        self.requests: list[Recorded] = []
        self.rules: list[Rule] = []
        self.routes: dict[tuple[str, str], Callable[[_Handler, Any, Any], None]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._tls = False

    # -- life cycle ------------------------------------------------------------------

    def start(self, port: int = 0, *, tls: ssl.SSLContext | None = None) -> FakeOpenRouter:
        """Serve on 127.0.0.1; over TLS with `tls` (a server context), as https://."""
        fake = self

        class Handler(_Handler):
            owner = fake

        server = _Server(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        self._tls = tls is not None
        self._server = server
        # A short poll interval makes stop() quick: the suite starts and stops many fakes.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def host(self) -> str:
        """What moltbot's messages call this server: not "OpenRouter", its host and port."""
        return host_of(self.base_url)

    # -- test API ----------------------------------------------------------------------

    def fail(
        self,
        kind: str,
        *,
        route: str = "chat",
        model: str | None = None,
        times: int | None = None,
        retry_after: float | str | None = None,
        body: Any = None,
        delay: float = 0.2,
    ) -> Rule:
        if not (kind.isdigit() and int(kind) in ERROR_STATUSES) and kind not in STREAM_KINDS:
            raise ValueError(f"unknown misbehaviour {kind!r}")
        if route not in ("chat", "key", "models", "endpoints", "presets", "any"):
            raise ValueError(f"unknown route {route!r}")
        if kind in STREAM_KINDS - {"hang", "garbage"} and route != "chat":
            raise ValueError(f"{kind!r} shapes a chat reply; use it with route='chat'")
        rule = Rule(
            kind,
            route,
            model,
            times,
            None if retry_after is None else str(retry_after),
            body,
            delay,
        )
        with self._lock:
            self.rules.append(rule)
        return rule

    def chat_bodies(self) -> list[Any]:
        return [r.json for r in self.requests if r.path == f"{API_PREFIX}/chat/completions"]

    def reply_for(self, model: str) -> str:
        return self.replies.get(model, f"Hello from {model}!")

    # -- serving -----------------------------------------------------------------------

    def _rule_for(self, route: str, model: str | None) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.matches(route, model):
                    rule.hits += 1
                    return rule
        return None

    def _record(self, request: Recorded) -> None:
        with self._lock:
            self.requests.append(request)

    def _hang(self, seconds: float = HANG_LIMIT_SECONDS) -> None:
        self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    # Room for a CI matrix of chats connecting at once (the default backlog is 5).
    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    owner: FakeOpenRouter
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a test's output is not the place for an access log."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    # -- dispatch ----------------------------------------------------------------------

    def _serve(self) -> None:
        self.close_connection = True
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        fake = self.owner
        fake._record(
            Recorded(
                self.command,
                url.path,
                url.query,
                {name.lower(): value for name, value in self.headers.items()},
                raw,
                parsed,
            )
        )
        path = url.path.removeprefix(API_PREFIX)
        extra = fake.routes.get((self.command, url.path))
        try:
            if extra is not None:
                extra(self, parsed, url)
            elif self.command == "GET" and path in ("/key", "/auth/key"):
                self._key()
            elif self.command == "GET" and path == "/presets":
                self._presets()
            elif self.command == "GET" and path == "/models":
                self._answer_or_fail("models", None, lambda: self._json(200, {"data": fake.models}))
            elif (
                self.command == "GET"
                and path.startswith("/models/")
                and path.endswith("/endpoints")
            ):
                self._endpoints(unquote(path[len("/models/") : -len("/endpoints")]))
            elif self.command == "POST" and path == "/chat/completions":
                self._chat(parsed if isinstance(parsed, dict) else {})
            else:
                self._json(404, {"error": {"code": 404, "message": f"Not Found: {url.path}"}})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout, Ctrl-C): nothing left to say to it

    def _answer_or_fail(
        self,
        route: str,
        model: str | None,
        answer: Callable[[], None],
        misbehave: Callable[[Rule], None] | None = None,
    ) -> None:
        rule = self.owner._rule_for(route, model)
        if rule is None:
            answer()
        elif rule.kind.isdigit():
            self._error(int(rule.kind), model, rule)
        elif rule.kind == "hang":
            self.owner._hang()
        elif rule.kind == "garbage":
            self._send(
                200,
                "text/html; charset=utf-8",
                b"<html><title>502 Bad Gateway</title><body>nginx</body></html>",
            )
        else:
            assert misbehave is not None, "fail() keeps chat-only kinds on the chat route"
            misbehave(rule)

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        return header.startswith("Bearer ") and header[len("Bearer ") :] in self.owner.keys

    # -- routes ------------------------------------------------------------------------

    def _key(self) -> None:
        def answer() -> None:
            if not self._authorized():
                self._error(401, None, None)
                return
            key = self.headers["Authorization"][len("Bearer ") :]
            data = {
                "label": f"{key[:12]}...{key[-3:]}",
                "limit": None,
                "limit_remaining": None,
                "limit_reset": None,
                "usage": 0.25,
                "usage_daily": 0.0,
                "usage_weekly": 0.0,
                "usage_monthly": 0.25,
                "is_free_tier": False,
                "is_provisioning_key": False,
                **self.owner.keys[key],
            }
            self._json(200, {"data": data})

        self._answer_or_fail("key", None, answer)

    def _endpoints(self, model_id: str) -> None:
        def answer() -> None:
            fake = self.owner
            known = next((m for m in fake.models if m.get("id") == model_id), None)
            endpoints = fake.endpoints.get(model_id)
            if endpoints is None and known is not None:
                endpoints = default_endpoints(known)
            if endpoints is None:
                self._json(404, {"error": {"code": 404, "message": f"Model {model_id} not found"}})
                return
            name = known["name"] if known else model_id
            self._json(
                200,
                {
                    "data": {
                        "id": model_id,
                        "name": name,
                        "created": 1758000000,
                        "description": "",
                        "architecture": (known or {}).get("architecture"),
                        "endpoints": endpoints,
                    }
                },
            )

        self._answer_or_fail("endpoints", model_id, answer)

    def _presets(self) -> None:
        if not self._authorized():
            self._error(401, None, None)
            return
        self._answer_or_fail("presets", None, lambda: self._json(200, {"data": self.owner.presets}))

    def _chat(self, body: dict[str, Any]) -> None:
        model = body.get("model") if isinstance(body.get("model"), str) else None
        if not self._authorized():
            self._error(401, model, None)
            return
        self._answer_or_fail(
            "chat",
            model,
            lambda: self._reply(body, model or "?", None),
            lambda rule: self._reply(body, model or "?", rule),
        )

    # -- replies -----------------------------------------------------------------------

    def _reply(self, body: dict[str, Any], model: str, rule: Rule | None) -> None:
        fake = self.owner
        problem = fake_features.check_parts(body, fake.parts)
        if problem is not None:
            self._json(400, {"error": {"code": 400, "message": problem}})
            return
        schema = fake_features.schema_of(body)
        if schema is not None and model not in fake.replies:
            text = json.dumps(fake_features.instance_of(schema))
        else:
            text = fake.reply_for(model)
        thought = fake.reasoning.get(model, "") if fake_features.reasoning_wanted(body) else ""
        annotations = fake.citations if fake_features.wants_web(body) else []
        pieces = [text[i : i + fake.chunk_size] for i in range(0, len(text), fake.chunk_size)]
        provider = _provider_for(body, model)
        generation = f"gen-{uuid.uuid4().hex[:20]}"
        usage = _usage(body, text)
        usage["completion_tokens_details"]["reasoning_tokens"] = len(thought.split())
        kind = rule.kind if rule else None

        def chunk(delta: dict[str, Any], finish: str | None, **extra: Any) -> dict[str, Any]:
            return {
                "id": generation,
                "provider": provider,
                "model": model,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "choices": [
                    {
                        "index": 0,
                        "delta": delta,
                        "finish_reason": finish,
                        "native_finish_reason": finish,
                        "logprobs": None,
                    }
                ],
                **extra,
            }

        mid_error = {"code": "server_error", "message": "Provider disconnected unexpectedly"}
        if model in fake.image_blind and _has_image(body):
            message = "No endpoints found that support image input"
            self._json(404, {"error": {"code": 404, "message": message}})
            return
        if not body.get("stream"):
            if kind == "empty" and rule is not None:
                self._error(400, model, rule)
                return
            if kind in ("error_first", "error_mid_stream"):
                self._json(200, {**chunk({"content": ""}, "error"), "error": mid_error})
                return
            if kind == "garbage_sse":
                self._send(200, "application/json", b'{"id": "gen-1", "choices": [')
                return
            self._json(
                200,
                {
                    "id": generation,
                    "provider": provider,
                    "model": model,
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "choices": [
                        {
                            "index": 0,
                            "logprobs": None,
                            "finish_reason": fake.finish_reason,
                            "native_finish_reason": fake.finish_reason,
                            "message": {
                                **_message(body, model, text, fake.tool_callers),
                                **(
                                    {
                                        "reasoning": thought,
                                        "reasoning_details": [
                                            {"type": "reasoning.text", "text": thought}
                                        ],
                                    }
                                    if thought
                                    else {}
                                ),
                                **({"annotations": annotations} if annotations else {}),
                            },
                        }
                    ],
                    "usage": usage,
                },
            )
            return

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()

        def event(payload: Any) -> None:
            data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
            self._chunk(f"data: {data}\n\n".encode())

        if kind == "empty":
            self._chunk(b"")
            return
        self._chunk(b": OPENROUTER PROCESSING\n\n")
        if kind == "garbage_sse":
            event("{this is not json")
            event("[DONE]")
            self._chunk(b"")
            return
        if kind == "error_first":
            event({**chunk({"content": ""}, "error"), "error": mid_error})
            self._chunk(b"")
            return
        for start in range(0, len(thought), fake.chunk_size):
            piece = thought[start : start + fake.chunk_size]
            event(chunk({"role": "assistant", "content": "", "reasoning": piece}, None))
        for index, piece in enumerate(pieces):
            event(chunk({"role": "assistant", "content": piece}, None))
            if index == 0 and kind == "error_mid_stream":
                event({**chunk({"content": ""}, "error"), "error": mid_error})
                self._chunk(b"")
                return
            if index == 0 and kind == "cut_off":
                return  # the connection closes with no terminating chunk
            if index == 0 and kind == "stall":
                fake._hang()
                return
            if kind == "slow_drip" and rule is not None:
                time.sleep(rule.delay)
        if annotations:
            event(chunk({"content": "", "annotations": annotations}, None))
        event(chunk({"content": ""}, fake.finish_reason))
        event({**chunk({}, None), "choices": [], "usage": usage})
        if kind != "no_done":
            event("[DONE]")
        self._chunk(b"")

    # -- writing -----------------------------------------------------------------------

    def _error(self, status: int, model: str | None, rule: Rule | None) -> None:
        headers = {}
        if rule is not None and rule.retry_after is not None:
            headers["Retry-After"] = rule.retry_after
        payload = (
            rule.body if rule is not None and rule.body is not None else error_body(status, model)
        )
        if isinstance(payload, (str, bytes)):
            data = payload.encode() if isinstance(payload, str) else payload
            self._send(status, "text/plain; charset=utf-8", data, headers)
        else:
            self._json(status, payload, headers)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self._send(status, "application/json", data, headers)

    def _send(
        self, status: int, content_type: str, data: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _chunk(self, data: bytes) -> None:
        """One HTTP chunk; an empty one ends the body."""
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


def _has_image(body: dict[str, Any]) -> bool:
    messages = body.get("messages")
    return isinstance(messages, list) and any(
        isinstance(part, dict) and part.get("type") == "image_url"
        for message in messages
        if isinstance(message, dict) and isinstance(message.get("content"), list)
        for part in message["content"]
    )


def _message(body: dict[str, Any], model: str, text: str, tool_callers: set[str]) -> Any:
    tools = body.get("tools")
    if model in tool_callers and isinstance(tools, list) and tools:
        name = tools[0].get("function", {}).get("name", "tool")
        call = {"name": name, "arguments": '{"timezone": "UTC"}'}
        return {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": "call_1", "type": "function", "function": call}],
        }
    return {"role": "assistant", "content": text, "refusal": None}


def _provider_for(body: dict[str, Any], model: str) -> str:
    """The provider that "served": the first allowed by routing, else the author's first."""
    routing = body.get("provider") if isinstance(body.get("provider"), dict) else {}
    for field_name in ("only", "order"):
        slugs = routing.get(field_name)
        if isinstance(slugs, list) and slugs:
            return PROVIDER_NAMES.get(str(slugs[0]), str(slugs[0]))
    author = model.split("/")[0]
    slug = PROVIDERS_BY_AUTHOR.get(author, ["deepinfra"])[0]
    return PROVIDER_NAMES.get(slug, slug)


def _usage(body: dict[str, Any], reply: str) -> dict[str, Any]:
    messages = body.get("messages") if isinstance(body.get("messages"), list) else []
    prompt_tokens = sum(
        len(str(m.get("content", "")).split()) + 4 for m in messages if isinstance(m, dict)
    )
    completion_tokens = len(reply.split())
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "cost": round(prompt_tokens * 3e-6 + completion_tokens * 15e-6, 9),
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def default_endpoints(model: dict[str, Any]) -> list[dict[str, Any]]:
    """The providers that serve a catalogue model, as the endpoints route lists them."""
    author = str(model["id"]).split("/")[0]
    slugs = PROVIDERS_BY_AUTHOR.get(author, ["deepinfra", "together"])
    return [
        {
            "name": f"{PROVIDER_NAMES.get(slug, slug)} | {model['id']}",
            "model_name": model["name"],
            "context_length": model["context_length"],
            "pricing": dict(model["pricing"]),
            "provider_name": PROVIDER_NAMES.get(slug, slug),
            "tag": slug,
            "quantization": "fp8" if slug in ("deepinfra", "together") else "unknown",
            "max_completion_tokens": model["top_provider"]["max_completion_tokens"],
            "max_prompt_tokens": None,
            "supported_parameters": model["supported_parameters"],
            "status": 0,
            "uptime_last_30m": 99.9 - index * 0.7,
            "supports_implicit_caching": slug == "anthropic",
            "latency_last_30m": {"p50": 0.6 + index * 0.2, "p75": 0.9, "p90": 1.4, "p99": 3.1},
            "throughput_last_30m": {"p50": 60.0 - index * 5, "p75": 50.0, "p90": 40.0, "p99": 20.0},
        }
        for index, slug in enumerate(slugs)
    ]


def serve(
    monkeypatch: pytest.MonkeyPatch, *, tls: ssl.SSLContext | None = None
) -> Iterator[FakeOpenRouter]:
    """A started fake that moltbot is pointed at, stopped when the test ends."""
    yield from pointed_at(FakeOpenRouter().start(tls=tls), monkeypatch)


@pytest.fixture(name="fake_openrouter")
def fake_openrouter_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenRouter]:
    yield from serve(monkeypatch)


def main() -> None:
    """Serve by hand, to try moltbot against it: OPENROUTER_BASE_URL=<printed URL>."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--fail", action="append", default=[], metavar="KIND", help="a misbehaviour, every time"
    )
    options = parser.parse_args()
    fake = FakeOpenRouter().start(options.port)
    for kind in options.fail:
        fake.fail(kind)
    print(f"fake OpenRouter at {fake.base_url}; good key: {TEST_KEY}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
