"""OpenRouter's sign-in (OAuth PKCE), faked on the fake OpenRouter's own loopback server.

Two routes are added to a running FakeOpenRouter:

    GET  /auth?callback_url=&code_challenge=&code_challenge_method=S256&key_label=
         The sign-in page. It "approves" at once: it issues a single-use code bound to the
         challenge and, with a callback_url (which must be http://localhost or 127.0.0.1),
         redirects there with `?code=`; without one (headless) it shows the code in the page.
         `decision = "deny"` redirects with `?error=access_denied` instead.
    POST /api/v1/auth/keys  {"code", "code_verifier", "code_challenge_method": "S256"}
         400 for a malformed body; 403 for an unknown, used or expired code, or a verifier
         whose S256 challenge is not the one the code was issued for; else a new key
         (which the fake OpenRouter then accepts) as {"key", "user_id"}.

Use the fixture `fake_signin` (import `fake_signin_fixture`, and `fake_openrouter_fixture`,
into the test module). It points OPENROUTER_AUTH_URL at the page.

The BROWSER test double, tests/support/fake_browser.py, plays the person at the browser.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.support.fake_openrouter import API_PREFIX, FakeOpenRouter

AUTH_PATH = "/auth"
KEYS_PATH = f"{API_PREFIX}/auth/keys"
CODE_TTL_SECONDS = 600.0


def s256(verifier: str) -> str:
    """OpenRouter's check, written independently of moltbot's own."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@dataclass
class Issued:
    challenge: str
    label: str | None
    callback_url: str | None
    issued_at: float
    used: bool = False


class FakeSignIn:
    def __init__(self, openrouter: FakeOpenRouter) -> None:
        self.openrouter = openrouter
        self.codes: dict[str, Issued] = {}
        self.code_ttl = CODE_TTL_SECONDS
        self.decision = "approve"
        self.page_visits: list[dict[str, list[str]]] = []
        self.exchanges: list[tuple[int, dict[str, Any] | None]] = []  # (status, body sent)
        self.issued_keys: list[str] = []
        self.last_redirect: str | None = None
        self.code_issued = threading.Event()
        self._lock = threading.Lock()
        openrouter.routes[("GET", AUTH_PATH)] = self._page
        openrouter.routes[("POST", KEYS_PATH)] = self._exchange

    @property
    def auth_url(self) -> str:
        return f"http://127.0.0.1:{self.openrouter.port}{AUTH_PATH}"

    # -- test API ----------------------------------------------------------------------

    def issue(self, challenge: str, label: str | None = None) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.codes[code] = Issued(challenge, label, None, time.monotonic())
        self.code_issued.set()
        return code

    def expire_all(self) -> None:
        with self._lock:
            for issued in self.codes.values():
                issued.issued_at -= self.code_ttl + 1

    def wait_for_code(self, seconds: float = 20) -> str:
        assert self.code_issued.wait(seconds), "no sign-in code was issued"
        with self._lock:
            return list(self.codes)[-1]

    # -- routes ------------------------------------------------------------------------

    def _page(self, handler: Any, _body: Any, url: Any) -> None:
        params = parse_qs(url.query)
        with self._lock:
            self.page_visits.append(params)
        challenge = params.get("code_challenge", [""])[0]
        method = params.get("code_challenge_method", [""])[0]
        callback = params.get("callback_url", [None])[0]
        if not challenge or method != "S256":
            handler._send(400, "text/html", b"<p>code_challenge and S256 are required</p>")
            return
        if callback is not None:
            parts = urlsplit(callback)
            if parts.scheme != "http" or parts.hostname not in ("localhost", "127.0.0.1"):
                handler._send(400, "text/html", b"<p>callback_url must be on localhost</p>")
                return
        if self.decision == "deny":
            target = f"{callback}?{urlencode({'error': 'access_denied'})}" if callback else None
            if target is None:
                handler._send(200, "text/html", b"<p>You declined.</p>")
            else:
                handler._send(302, "text/plain", b"", {"Location": target})
            return
        code = secrets.token_urlsafe(24)
        label = params.get("key_label", [None])[0]
        with self._lock:
            self.codes[code] = Issued(challenge, label, callback, time.monotonic())
        if callback is None:
            page = (
                f"<p>Paste this code into your terminal: <code id='code'>{escape(code)}</code></p>"
            )
            self.code_issued.set()
            handler._send(200, "text/html; charset=utf-8", page.encode())
            return
        target = f"{callback}?{urlencode({'code': code})}"
        self.last_redirect = target
        self.code_issued.set()
        handler._send(302, "text/plain", b"", {"Location": target})

    def _exchange(self, handler: Any, body: Any, _url: Any) -> None:
        status, answer = self._decide(body)
        with self._lock:
            self.exchanges.append((status, body if isinstance(body, dict) else None))
        handler._json(status, answer)

    def _decide(self, body: Any) -> tuple[int, dict[str, Any]]:
        def refusal(status: int, message: str) -> tuple[int, dict[str, Any]]:
            return status, {"error": {"code": status, "message": message}}

        if not isinstance(body, dict):
            return refusal(400, "Invalid JSON body")
        code, verifier = body.get("code"), body.get("code_verifier")
        if not isinstance(code, str) or not isinstance(verifier, str):
            return refusal(400, "code and code_verifier are required")
        if body.get("code_challenge_method", "S256") != "S256":
            return refusal(400, "unsupported code_challenge_method")
        with self._lock:
            issued = self.codes.get(code)
            if issued is None:
                return refusal(403, "Invalid code")
            if issued.used:
                return refusal(403, "Code already used")
            issued.used = True  # any attempt spends a code, as a careful server does
            if time.monotonic() - issued.issued_at > self.code_ttl:
                return refusal(403, "Code expired")
        if s256(verifier) != issued.challenge:
            return refusal(403, "Invalid code_verifier")
        key = "sk-or-v1-" + secrets.token_hex(32)
        self.openrouter.keys[key] = {}
        self.issued_keys.append(key)
        return 200, {"key": key, "user_id": "user_fake123"}


@pytest.fixture(name="fake_signin")
def fake_signin_fixture(
    fake_openrouter: FakeOpenRouter, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeSignIn]:
    fake = FakeSignIn(fake_openrouter)
    monkeypatch.setenv("OPENROUTER_AUTH_URL", fake.auth_url)
    yield fake


def main() -> None:
    """Serve the fake OpenRouter with the sign-in by hand, for trying moltbot against it."""
    import argparse

    parser = argparse.ArgumentParser(description="fake OpenRouter with OAuth PKCE sign-in")
    parser.add_argument("--port", type=int, default=8765)
    options = parser.parse_args()
    fake = FakeOpenRouter().start(options.port)
    signin = FakeSignIn(fake)
    print(f"OPENROUTER_BASE_URL={fake.base_url} OPENROUTER_AUTH_URL={signin.auth_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
