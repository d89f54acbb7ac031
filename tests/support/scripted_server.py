"""A server that answers with exactly the bytes a test scripts: for replies the fake
OpenRouter cannot shape (several events in one network write, a stream without usage,
a server whose paths all 404, a gateway that wants a key for its catalogue).

    from tests.support.scripted_server import Canned, ScriptedServer, scripted_server_fixture

    def test_x(scripted_server: ScriptedServer) -> None:
        scripted_server.answer("POST", "/chat/completions", Canned(200, sse(...), SSE))

The fixture listens on 127.0.0.1 and points OPENROUTER_BASE_URL at `<server>/v1`.
Each Canned body goes out in ONE write, delimited by closing the connection (no
Content-Length), unless `pieces` splits it. Unscripted requests get a 404 with a JSON
error body, as a server without that route answers. Every request is recorded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.support.loopback import pointed_at

SSE = "text/event-stream"
API_PREFIX = "/v1"


def sse(*events: Any) -> bytes:
    """SSE bytes for events: dicts go out as JSON, strings as they are (`[DONE]`)."""
    return b"".join(
        b"data: " + (event if isinstance(event, str) else json.dumps(event)).encode() + b"\n\n"
        for event in events
    )


def text_chunk(text: str, finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "gen-scripted",
        "model": "scripted/model",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish_reason}],
    }


@dataclass
class Canned:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    json: Any


@dataclass
class _Route:
    method: str
    path: str
    canned: Canned
    streamed: bool | None


class ScriptedServer:
    def __init__(self) -> None:
        self.routes: list[_Route] = []
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def answer(
        self, method: str, path: str, canned: Canned, *, streamed: bool | None = None
    ) -> None:
        """Answer `method path` (under /v1) with `canned`; `streamed` narrows it to chat
        requests whose body says "stream": true (or false)."""
        self.routes.append(_Route(method, path, canned, streamed))

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{API_PREFIX}"

    def start(self) -> ScriptedServer:
        owner = self

        class Handler(_Handler):
            server_owner = owner

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _route(self, method: str, path: str, body: Any) -> Canned | None:
        streamed = bool(body.get("stream")) if isinstance(body, dict) else None
        for route in self.routes:
            if (route.method, route.path) == (method, path) and route.streamed in (None, streamed):
                return route.canned
        return None


class _Handler(BaseHTTPRequestHandler):
    server_owner: ScriptedServer
    protocol_version = "HTTP/1.0"  # the body ends where the connection closes

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        owner = self.server_owner
        path = self.path.split("?")[0]
        with owner._lock:
            owner.requests.append(
                Recorded(self.command, path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
        canned = owner._route(self.command, path.removeprefix(API_PREFIX), body)
        if canned is None:
            canned = Canned(404, json.dumps({"error": {"message": "Not Found"}}).encode())
        try:
            self.send_response(canned.status)
            self.send_header("Content-Type", canned.content_type)
            for name, value in canned.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(canned.body)  # one write: the events arrive together
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture(name="scripted_server")
def scripted_server_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedServer]:
    yield from pointed_at(ScriptedServer().start(), monkeypatch)
