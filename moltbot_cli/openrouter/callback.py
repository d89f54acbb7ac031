"""The one-shot loopback server the browser comes back to after signing in.

It listens on 127.0.0.1 only (never on a public interface), on a free port the system
picks, and takes exactly one request: a GET to `/callback` carrying a well-formed `code`.
Every other request (another path, no code, a second code) gets a short refusal and
changes nothing. A `/callback?error=...` means the person declined on OpenRouter's page.

What it hands over is only a code; the code is useless without the PKCE verifier, which
never leaves this process, so a local program that races the browser can at worst make
the sign-in fail, never make it succeed with a key of its own choosing.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from moltbot_cli.openrouter.signin import CALLBACK_PATH, is_code

DONE_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>moltbot: signed in</title></head>"
    "<body style='font-family:sans-serif;margin:3em'><h1>moltbot is signed in</h1>"
    "<p>You can close this tab and return to the terminal.</p></body></html>"
)
DECLINED_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>moltbot: not signed in</title>"
    "</head><body style='font-family:sans-serif;margin:3em'><h1>Sign-in cancelled</h1>"
    "<p>You can close this tab; the terminal says what to do next.</p></body></html>"
)
REQUEST_TIMEOUT = 10.0  # a client that connects and says nothing cannot hold a thread long


class CallbackServer:
    """Start it, send the browser to `port`, then wait on `ready` (or `wake_socket`)."""

    def __init__(self) -> None:
        self.code: str | None = None
        self.declined: bool = False
        self.ignored = 0  # requests turned away: another path, no code, too late
        self._lock = threading.Lock()
        self._done = threading.Event()
        # A socket pair, so a caller can wait on the terminal and the browser with one select().
        self._wake_read, self._wake_write = socket.socketpair()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> CallbackServer:
        owner = self

        class Handler(_Handler):
            server_owner = owner

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        for sock in (self._wake_read, self._wake_write):
            sock.close()

    def __enter__(self) -> CallbackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the server first"
        return int(self._server.server_address[1])

    @property
    def wake_socket(self) -> socket.socket:
        """Readable once the browser has come back (with a code, or declining)."""
        return self._wake_read

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    def wait(self, seconds: float) -> bool:
        """Block until the browser comes back, or `seconds` pass (False)."""
        return self._done.wait(seconds)

    # -- called from the handler's thread --------------------------------------------------

    def _take(self, code: str | None, declined: bool) -> bool:
        """Record the first answer; False when one was already taken."""
        with self._lock:
            if self._done.is_set():
                return False
            self.code, self.declined = code, declined
            self._done.set()
        with contextlib.suppress(OSError):  # the waiter may have left already
            self._wake_write.send(b"x")
        return True

    def _ignore(self) -> None:
        with self._lock:
            self.ignored += 1


class _Handler(BaseHTTPRequestHandler):
    server_owner: CallbackServer
    timeout = REQUEST_TIMEOUT
    server_version = "moltbot"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal is showing the person what to do."""

    def do_GET(self) -> None:
        owner = self.server_owner
        url = urlsplit(self.path)
        if url.path != CALLBACK_PATH:
            owner._ignore()
            self._answer(404, "Not found.")
            return
        params = parse_qs(url.query)
        codes = params.get("code", [])
        if codes and is_code(codes[0]):
            if owner._take(codes[0], declined=False):
                self._answer(200, DONE_PAGE, html=True)
            else:
                owner._ignore()
                self._answer(409, "This sign-in is already complete.")
            return
        if "error" in params and not codes and owner._take(None, declined=True):
            self._answer(200, DECLINED_PAGE, html=True)
            return
        owner._ignore()
        self._answer(400, "This address expects a sign-in code from OpenRouter.")

    def _answer(self, status: int, text: str, *, html: bool = False) -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8" if html else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Connection", "close")
        self.end_headers()
        with contextlib.suppress(OSError):  # the browser went away; the code is taken
            self.wfile.write(data)
