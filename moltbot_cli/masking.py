"""Showing secrets without showing them: `sk-or-v1-ab…9f3`."""

from __future__ import annotations

import re
from typing import Any

_KNOWN_PREFIXES = ("sk-or-v1-", "sk-or-", "sk-")
_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD)", re.IGNORECASE)


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


def mask_secrets(value: Any, name: str = "") -> Any:
    """A copy of config data with every secret-looking string value masked.

    `${VAR}` references name a secret without holding one, so they stay readable.
    """
    if isinstance(value, dict):
        return {key: mask_secrets(item, str(key)) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_secrets(item, name) for item in value]
    if isinstance(value, str) and is_secret_name(name) and "${" not in value:
        return mask_key(value)
    return value
