"""The sign-in's parts: PKCE, the sign-in URL, pasted codes, the loopback callback server,
and the code exchange against the fake sign-in (real sockets throughout)."""

from __future__ import annotations

import base64
import hashlib
import socket
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moltbot_cli.errors import AuthError, UpstreamError, UsageError
from moltbot_cli.openrouter import signin
from moltbot_cli.openrouter.callback import CallbackServer
from moltbot_cli.openrouter.client import OpenRouterClient
from tests.support.fake_openrouter import (
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)
from tests.support.fake_signin import FakeSignIn, fake_signin_fixture, s256  # noqa: F401

# -- PKCE ----------------------------------------------------------------------------------


def test_the_verifier_is_32_random_bytes_and_the_challenge_its_s256() -> None:
    pkce = signin.PKCE.fresh()
    raw = base64.urlsafe_b64decode(pkce.verifier + "=")
    assert len(raw) == 32 and "=" not in pkce.verifier
    digest = hashlib.sha256(pkce.verifier.encode()).digest()
    assert pkce.challenge == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert pkce.challenge == s256(pkce.verifier)
    assert signin.PKCE.fresh().verifier != pkce.verifier  # fresh per attempt
    assert pkce.verifier not in repr(pkce)


def test_rfc_7636_example() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert signin.challenge_for(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


# -- URLs ------------------------------------------------------------------------------------


def test_sign_in_url_with_a_callback() -> None:
    url = signin.sign_in_url(
        "https://openrouter.ai/auth",
        "CHAL",
        callback_url="http://localhost:4321/callback",
        key_label="moltbot on box",
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "openrouter.ai", "/auth")
    assert parse_qs(parts.query) == {
        "callback_url": ["http://localhost:4321/callback"],
        "code_challenge": ["CHAL"],
        "code_challenge_method": ["S256"],
        "key_label": ["moltbot on box"],
    }


def test_headless_url_has_no_callback() -> None:
    query = parse_qs(urlsplit(signin.sign_in_url("http://x/auth?a=1", "C")).query)
    assert "callback_url" not in query and query["a"] == ["1"]
    assert signin.callback_url(5000) == "http://localhost:5000/callback"


def test_auth_page_default_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENROUTER_AUTH_URL")
    assert signin.auth_page() == "https://openrouter.ai/auth"
    monkeypatch.setenv("OPENROUTER_AUTH_URL", "http://127.0.0.1:5/auth")
    assert signin.auth_page() == "http://127.0.0.1:5/auth"
    monkeypatch.setenv("OPENROUTER_AUTH_URL", "file:///etc/passwd")
    with pytest.raises(UsageError, match="OPENROUTER_AUTH_URL"):
        signin.auth_page()


def test_key_labels_are_cleaned() -> None:
    assert signin.clean_key_label("  my\tlaptop\x1b[31m ") == "my laptop [31m"
    with pytest.raises(UsageError, match="empty"):
        signin.clean_key_label(" \n")
    with pytest.raises(UsageError, match="longer"):
        signin.clean_key_label("x" * 101)


# -- pasted text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pasted", "code"),
    [
        ("abc-123_XY", "abc-123_XY"),
        ("  abc123\n", "abc123"),
        ("http://localhost:5555/callback?code=abc123", "abc123"),
        ("localhost:5555/callback?code=abc123&x=1", "abc123"),
        ("'http://localhost:1/callback?state=1&code=Zz9'", "Zz9"),
        ("?code=Q1", "Q1"),
    ],
)
def test_a_code_or_an_address_is_accepted(pasted: str, code: str) -> None:
    assert signin.code_from_text(pasted) == code


@pytest.mark.parametrize(
    ("pasted", "message"),
    [
        ("", "nothing was pasted"),
        ("http://localhost:5555/callback", "carries no code"),
        ("http://localhost:5555/callback?error=access_denied", "declined"),
        ("two words", "not a sign-in code"),
        ("a<b>c", "not a sign-in code"),
    ],
)
def test_what_is_not_a_code_says_why(pasted: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        signin.code_from_text(pasted)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_code_from_text_never_fails_otherwise(text: str) -> None:
    try:
        code = signin.code_from_text(text)
    except UsageError:
        return
    assert signin.is_code(code) and code.isascii() and code.isprintable()


# -- the callback server ------------------------------------------------------------------------


def _get(port: int, path: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)


def test_one_code_to_the_exact_path_is_taken_and_nothing_else() -> None:
    with CallbackServer() as server:
        assert server.wake_socket.fileno() >= 0
        assert _get(server.port, "/elsewhere?code=abc").status_code == 404
        assert _get(server.port, "/callback").status_code == 400
        assert _get(server.port, "/callback/?code=abc").status_code == 404
        assert _get(server.port, "/callback?code=bad%20code").status_code == 400
        assert not server.finished
        answer = _get(server.port, "/callback?code=good-1")
        assert answer.status_code == 200 and "close this tab" in answer.text
        assert "good-1" not in answer.text
        assert server.finished and server.code == "good-1" and not server.declined
        assert server.wake_socket.recv(1) == b"x"
        assert _get(server.port, "/callback?code=second").status_code == 409
        assert server.code == "good-1" and server.ignored == 5


def test_a_declined_sign_in_is_reported() -> None:
    with CallbackServer() as server:
        assert _get(server.port, "/callback?error=access_denied").status_code == 200
        assert server.finished and server.declined and server.code is None


def test_it_listens_on_loopback_only_and_stops() -> None:
    server = CallbackServer().start()
    port = server.port
    assert server._server is not None and server._server.server_address[0] == "127.0.0.1"
    server.stop()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


# -- the exchange ------------------------------------------------------------------------------


def _client(fake: FakeOpenRouter, trace: list[str] | None = None) -> OpenRouterClient:
    return OpenRouterClient(
        fake.base_url, None, retries=0, trace=trace.append if trace is not None else None
    )


def test_exchange_gets_a_key_and_traces_no_secret(
    fake_openrouter: FakeOpenRouter, fake_signin: FakeSignIn
) -> None:
    pkce = signin.PKCE.fresh()
    code = fake_signin.issue(pkce.challenge)
    trace: list[str] = []
    with _client(fake_openrouter, trace) as client:
        key = signin.exchange_code(client, code, pkce)
    assert key == fake_signin.issued_keys[0] and key in fake_openrouter.keys
    sent = fake_openrouter.requests[-1]
    assert sent.json == {
        "code": code,
        "code_verifier": pkce.verifier,
        "code_challenge_method": "S256",
    }
    assert "authorization" not in sent.headers
    text = "\n".join(trace)
    assert "auth/keys" in text
    for secret in (key, pkce.verifier, code):
        assert secret not in text


@pytest.mark.parametrize("problem", ["wrong verifier", "unknown code", "reused", "expired"])
def test_a_rejected_code_is_exit_4(
    fake_openrouter: FakeOpenRouter, fake_signin: FakeSignIn, problem: str
) -> None:
    pkce = signin.PKCE.fresh()
    code = fake_signin.issue(pkce.challenge)
    if problem == "wrong verifier":
        pkce = signin.PKCE.fresh()
    elif problem == "unknown code":
        code = "not-issued"
    elif problem == "reused":
        with _client(fake_openrouter) as client:
            signin.exchange_code(client, code, pkce)
    else:
        fake_signin.expire_all()
    with _client(fake_openrouter) as client, pytest.raises(signin.SignInRejected) as caught:
        signin.exchange_code(client, code, pkce)
    assert isinstance(caught.value, AuthError) and caught.value.exit_code == 4
    assert "did not accept the sign-in code (403)" in caught.value.message
    assert "expired" in caught.value.message


def test_an_answer_without_a_key_is_unreadable_and_not_quoted(
    fake_openrouter: FakeOpenRouter,
) -> None:
    odd = "sk-or-v1-has a space"
    fake_openrouter.routes[("POST", "/api/v1/auth/keys")] = lambda handler, _b, _u: handler._json(
        200, {"key": odd}
    )
    with _client(fake_openrouter) as client, pytest.raises(UpstreamError) as caught:
        signin.exchange_code(client, "c", signin.PKCE.fresh())
    assert "no usable API key" in caught.value.message and odd not in caught.value.message
