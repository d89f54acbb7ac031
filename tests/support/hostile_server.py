"""A hostile (or broken) OpenRouter on 127.0.0.1: it answers whatever a test scripts.

The fake in fake_openrouter.py behaves like OpenRouter and misbehaves politely; this
one plays attacks at the byte level: a gzip bomb, a keep-alive comment trickle, a line
that never ends, an error that echoes the key, escape sequences in metadata, lone
surrogates in deltas. Each answer is a function of the request:

    def test_x(hostile_server: HostileServer) -> None:
        hostile_server.answer = lambda request: request.sse([chunk("hi"), "[DONE]"])

The fixture points OPENROUTER_BASE_URL at the server and stops it after the test;
`stop()` also ends every answer still trickling, so no test leaves a thread behind.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.support.loopback import pointed_at

API_PREFIX = "/api/v1"
TRICKLE_LIMIT_SECONDS = 30.0  # an endless answer ends by itself, so a test cannot hang


def chunk(content: str | None = None, *, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    """A chat.completion.chunk carrying `content` (or nothing) in its delta."""
    delta = {} if content is None else {"content": content}
    return {
        "id": "gen-hostile",
        "object": "chat.completion.chunk",
        "model": "anthropic/claude-sonnet-4-5",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }


def gzip_bomb(inflated: int, piece: bytes = b"\0") -> bytes:
    """gzip data that inflates to `inflated` bytes of `piece`, about a thousandth the size."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = piece * max(1, (1 << 20) // len(piece))
    parts = []
    for _ in range(inflated // len(block)):
        parts.append(compressor.compress(block))
    rest = inflated % len(block)  # bytes, not pieces: a long piece must not multiply it
    parts.append(compressor.compress((piece * (rest // len(piece) + 1))[:rest]))
    parts.append(compressor.flush())
    return b"".join(parts)


class Request:
    """One request, and the ways to answer it: `send` whole, or `start` then `chunk`s."""

    def __init__(self, handler: _Handler, server: HostileServer) -> None:
        self._handler = handler
        self.server = server
        self.method = handler.command
        self.path = handler.path
        self.headers = {name.lower(): value for name, value in handler.headers.items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        self.body: Any = json.loads(raw) if raw else None

    @property
    def key(self) -> str:
        return self.headers.get("authorization", "").removeprefix("Bearer ")

    def send(
        self,
        status: int,
        data: bytes | str,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        payload = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
        self.start(status, content_type, {**(headers or {}), "Content-Length": str(len(payload))})
        self._handler.wfile.write(payload)
        self._handler.wfile.flush()

    def json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(payload), headers=headers)

    def start(self, status: int, content_type: str, headers: dict[str, str] | None = None) -> None:
        handler = self._handler
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        headers = dict(headers or {})
        if "Content-Length" not in headers:
            headers.setdefault("Transfer-Encoding", "chunked")
        headers.setdefault("Connection", "close")
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()

    def chunk(self, data: bytes) -> None:
        """One HTTP chunk (an empty one ends the body)."""
        self._handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self._handler.wfile.flush()

    def sse(self, events: Iterable[Any], *, every: float = 0.0) -> None:
        """200 text/event-stream with these events (dicts as JSON, str as they are)."""
        self.start(200, "text/event-stream")
        for event in events:
            data = event if isinstance(event, str) else json.dumps(event)
            self.chunk(f"data: {data}\n\n".encode("utf-8", "surrogatepass"))
            if every and self.server.stopping.wait(every):
                return
        self.chunk(b"")

    def trickle(self, pieces: Iterator[bytes], every: float) -> None:
        """Send one piece every `every` seconds until the pieces, or the time limit, run out."""
        self.start(200, "text/event-stream")
        ends = time.monotonic() + TRICKLE_LIMIT_SECONDS
        for piece in pieces:
            if time.monotonic() > ends or self.server.stopping.wait(every):
                return
            self.chunk(piece)
        self.chunk(b"")

    def gzipped(self, status: int, data: bytes, content_type: str = "application/json") -> None:
        """`data` as it is, declared gzip-encoded (pass gzip_bomb(...) or gzip.compress(...))."""
        self.send(status, data, content_type, {"Content-Encoding": "gzip"})


Answer = Callable[[Request], None]


class HostileServer:
    def __init__(self) -> None:
        self.answer: Answer = lambda request: request.json(404, {"error": "not scripted"})
        self.requests: list[Request] = []
        self.stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> HostileServer:
        hostile = self

        class Handler(_Handler):
            server_owner = hostile

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{API_PREFIX}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_owner: HostileServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        request = Request(self, self.server_owner)
        self.server_owner.requests.append(request)
        # The client giving up mid-answer is what it should do.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.server_owner.answer(request)
        self.close_connection = True


@pytest.fixture(name="hostile_server")
def hostile_server_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    yield from pointed_at(HostileServer().start(), monkeypatch)


__all__ = ["HostileServer", "Request", "chunk", "gzip", "gzip_bomb", "hostile_server_fixture"]
