"""Finding the secrets a config holds, and taking them out of a copy of it.

A secret is any string under a secret-looking name (`...KEY`, `...TOKEN`, ...), at any
depth and in any shape (a list of keys, an object of them, a repeated member), and any
string that looks like an OpenRouter key wherever it is. `${VAR}` references hold none.
"""

from __future__ import annotations

from moltbot_cli.config.document import Document, Json5SyntaxError
from moltbot_cli.masking import KEY_PREFIX, is_secret_name, mask_key


def secret_values(document: Document) -> set[str]:
    found: set[str] = set()
    for path, _, _, value in document.strings():
        value = value.strip()
        if "${" in value or not value:
            continue
        named = any(isinstance(segment, str) and is_secret_name(segment) for segment in path)
        if named or value.startswith(KEY_PREFIX):
            found.add(value)
    return found


def without_secrets(text: str, secrets: set[str]) -> str | None:
    """`text` with every member holding one of `secrets` removed, and any copy left in a
    comment masked; None when that cannot be done (the text does not parse)."""
    try:
        document = Document.parse(text)
        for _ in range(len(document.strings()) + 1):
            holding = next(
                (path for path, _, _, value in document.strings() if _holds(value, secrets)),
                None,
            )
            if holding is None:
                break
            if not holding:  # the whole file is that one string
                return None
            document = document.unset(holding)
    except (Json5SyntaxError, ValueError):
        return None
    scrubbed = document.text
    for secret in sorted(secrets, key=len, reverse=True):
        scrubbed = scrubbed.replace(secret, mask_key(secret))
    return scrubbed


def _holds(value: str, secrets: set[str]) -> bool:
    return any(secret in value for secret in secrets)
