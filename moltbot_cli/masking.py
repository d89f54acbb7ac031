"""Showing secrets without showing them: `sk-or-v1-ab…9f3`.

Besides masking config values by name, this module remembers the secrets the program
holds in this run (the API key a client was made with, a password in a base URL), so
that `scrub()` can mask them wherever server text echoes them back: error messages,
stream error events, proxy pages, labels. Every message on its way out passes through it.
"""

from __future__ import annotations

import re
from typing import Any

_KNOWN_PREFIXES = ("sk-or-v1-", "sk-or-", "sk-")
# What every OpenRouter key starts with: such a string is a secret wherever it is.
KEY_PREFIX = "sk-or-"
_KEY_SHAPE = re.compile(r"sk-or-[A-Za-z0-9_-]{8,}")
_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD)", re.IGNORECASE)
# `scheme://user:password@host`: the userinfo, which may hold a credential.
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<info>[^/?#@\s]+)@")
# Shorter strings are too likely to occur in ordinary words to be replaced everywhere.
_MIN_REMEMBERED = 8
_remembered: set[str] = set()


def mask_key(key: str) -> str:
    """Enough of a key to tell keys apart, never enough to use one."""
    key = key.strip()
    if not key:
        return ""
    prefix = next((p for p in _KNOWN_PREFIXES if key.startswith(p)), "")
    secret = key[len(prefix) :]
    if len(secret) < 12:
        return f"{prefix}…"
    return f"{prefix}{secret[:2]}…{secret[-3:]}"


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def mask_secrets(value: Any, name: str = "", *, secret: bool = False) -> Any:
    """A copy of config data with every secret-looking string value masked.

    Everything under a secret-looking name is secret, whatever its shape: a list of
    keys or an object of them is masked string by string. `${VAR}` references name a
    secret without holding one, so they stay readable.
    """
    secret = secret or is_secret_name(name)
    if isinstance(value, dict):
        return {key: mask_secrets(item, str(key), secret=secret) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_secrets(item, name, secret=secret) for item in value]
    if isinstance(value, str) and secret and "${" not in value:
        return mask_key(value)
    return value


def mask_key_shapes(text: str) -> str:
    """Every OpenRouter-key-shaped word in `text` masked (say, a key pasted into a comment)."""
    return _KEY_SHAPE.sub(lambda match: mask_key(match.group()), text)


def remember_secret(value: str | None) -> None:
    """From now on, `scrub()` masks `value` wherever it appears."""
    if value and len(value.strip()) >= _MIN_REMEMBERED:
        _remembered.add(value.strip())


def forget_secrets() -> None:
    _remembered.clear()


def mask_userinfo(text: str) -> str:
    """`https://user:pass@host` → `https://user:***@host`; `https://token@host` → `https://***@host`."""

    def masked(match: re.Match[str]) -> str:
        user, colon, _ = match.group("info").partition(":")
        return f"{match.group('scheme')}{user + ':***' if colon else '***'}@"

    return _USERINFO.sub(masked, text)


def scrub(text: str) -> str:
    """`text` with every remembered secret masked, and credentials in URLs hidden."""
    for secret in sorted(_remembered, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, mask_key(secret))
    return mask_userinfo(text) if "@" in text else text


def scrub_data(value: Any) -> Any:
    """`scrub()` applied to every string (keys too) in JSON-like data."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {scrub_data(key): scrub_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_data(item) for item in value]
    return value


def key_label_shown(label: str, key: str) -> str:
    """A key's label as shown: OpenRouter labels a key with its own masked form of it
    (`sk-or-v1-abc...xyz`), or with the key itself; either way it is shown as moltbot
    masks keys everywhere, so one key always looks the same."""
    import re

    if not key:
        return label
    if key in label:
        return mask_key(key) if label.strip() == key else label.replace(key, mask_key(key))
    masked = re.fullmatch(r"(\S{4,})(?:\.\.\.|…)(\S{2,})", label.strip())
    if masked and key.startswith(masked[1]) and key.endswith(masked[2]):
        return mask_key(key)
    return label
