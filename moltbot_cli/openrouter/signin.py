"""Sign-in with OpenRouter (OAuth PKCE), at the wire level: no prompts, no files.

The flow, as OpenRouter documents it:
1. a fresh verifier (32 random bytes, base64url) and its S256 challenge;
2. the person opens the sign-in page with the challenge (and, when a browser on this machine
   can reach us, a loopback `callback_url`; without one the page shows the code instead);
3. OpenRouter hands back a single-use code (to the callback, or on screen to paste);
4. `POST <base>/auth/keys` with the code and the verifier answers with a new API key.

The verifier never leaves memory and never goes anywhere but that one POST: a code that
someone else intercepts or plants is worthless without it. This module is imported only on
the sign-in path (it pulls in hashlib and secrets).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit

from moltbot_cli.errors import AuthError, MoltbotError, UpstreamError, UsageError
from moltbot_cli.masking import remember_secret
from moltbot_cli.openrouter.server import belonging_to, opening
from moltbot_cli.records import Record

if TYPE_CHECKING:
    from moltbot_cli.openrouter.client import OpenRouterClient

AUTH_URL = "https://openrouter.ai/auth"
AUTH_URL_ENV = "OPENROUTER_AUTH_URL"
CALLBACK_PATH = "/callback"
CODE_LIFETIME_MINUTES = 10
# Codes are opaque to us; this only keeps pasted junk (and hostile callbacks) out.
_CODE = re.compile(r"[A-Za-z0-9._~+/=-]{1,512}")
KEY_LABEL_LIMIT = 100


class PKCE(Record, frozen=True):
    """One sign-in attempt's secret and its public half."""

    verifier: str
    challenge: str

    @classmethod
    def fresh(cls) -> PKCE:
        verifier = _b64url(secrets.token_bytes(32))
        return cls(verifier, challenge_for(verifier))

    def __repr__(self) -> str:  # a stray trace must not print the verifier
        return f"PKCE(challenge={self.challenge!r})"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def challenge_for(verifier: str) -> str:
    """The S256 challenge: base64url (no padding) of the verifier's SHA-256."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def auth_page() -> str:
    """The sign-in page: OpenRouter's, unless OPENROUTER_AUTH_URL points elsewhere (tests)."""
    value = os.environ.get(AUTH_URL_ENV, "").strip()
    if not value:
        return AUTH_URL
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(
            f"{AUTH_URL_ENV}={value!r} is not an http(s) URL",
            hint=f"Unset it to use {AUTH_URL}.",
        )
    return value


def sign_in_url(
    page: str, challenge: str, *, callback_url: str | None = None, key_label: str | None = None
) -> str:
    """The address to send the person to; without `callback_url` it is headless mode."""
    params: dict[str, str] = {}
    if callback_url is not None:
        params["callback_url"] = callback_url
    params["code_challenge"] = challenge
    params["code_challenge_method"] = "S256"
    if key_label:
        params["key_label"] = key_label
    separator = "&" if urlsplit(page).query else "?"
    return f"{page}{separator}{urlencode(params)}"


def callback_url(port: int) -> str:
    """Where the browser comes back to; OpenRouter allows localhost on any port."""
    return f"http://localhost:{port}{CALLBACK_PATH}"


def clean_key_label(text: str) -> str:
    """A key label as OpenRouter will show it: printable, one line, not too long."""
    label = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    if not label:
        raise UsageError("--key-label is empty", hint="Give the new key a name, or leave it out.")
    if len(label) > KEY_LABEL_LIMIT:
        raise UsageError(f"--key-label is longer than {KEY_LABEL_LIMIT} characters")
    return label


def is_code(text: str) -> bool:
    return bool(_CODE.fullmatch(text))


def code_from_text(text: str) -> str:
    """A pasted code, or the code inside a pasted redirect URL (`...callback?code=...`).

    Raises UsageError saying what is wrong with the text, for the person to paste again.
    """
    text = text.strip().strip("\"'<>")
    if not text:
        raise UsageError("nothing was pasted")
    looks_like_url = "://" in text or text.startswith(("localhost", "127.0.0.1", "/", "?"))
    if looks_like_url or ("code=" in text and ("?" in text or "&" in text)):
        query = urlsplit(text if "://" in text else f"http://{text.lstrip('/')}").query
        if not query and text.startswith("?"):
            query = text[1:]
        params = parse_qs(query)
        if "error" in params:
            raise UsageError("that address says the sign-in was declined or failed")
        codes = params.get("code", [])
        if not codes:
            raise UsageError("that address carries no code (look for `?code=` in it)")
        text = codes[0].strip()
    if not is_code(text):
        raise UsageError("that is not a sign-in code (letters, digits and - _ . ~ only)")
    return text


class SignInRejected(AuthError):
    """OpenRouter did not take the code: wrong, expired, already used, or not ours."""


def exchange_code(client: OpenRouterClient, code: str, pkce: PKCE) -> str:
    """POST /auth/keys: the new API key for a code. Errors keep OpenRouter's text out."""
    remember_secret(pkce.verifier)
    try:
        payload = client.exchange_code(code, pkce.verifier)
    except MoltbotError as error:
        if error.status in (400, 401, 403):
            raise SignInRejected(
                f"{opening(client.server)} did not accept the sign-in code ({error.status}): "
                "it is mistyped, "
                f"expired (codes last {CODE_LIFETIME_MINUTES} minutes) or already used",
                hint="Sign in again for a fresh code; nothing was written.",
            ) from None
        raise
    key = payload.get("key") if isinstance(payload, dict) else None
    if not isinstance(key, str) or not key.strip() or not _sendable(key.strip()):
        # The payload may hold a key in an odd shape: describe it, never quote it.
        raise UpstreamError(
            f"{belonging_to(client.server, 'answer')} to the sign-in carried no usable API key",
            hint="Try signing in again, or paste a key from https://openrouter.ai/settings/keys.",
        )
    # From here on, any trace or error that echoes the new key shows it masked.
    remember_secret(key.strip())
    return key.strip()


def _sendable(key: str) -> bool:
    return len(key) <= 1024 and all(33 <= ord(char) <= 126 for char in key)
