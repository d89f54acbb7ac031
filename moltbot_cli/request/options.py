"""`-o/--option NAME VALUE`: any request field for one call.

VALUE is JSON5 when it parses (`0.9`, `true`, `["END"]`, `{"50256": -100}`), else the
string as given. NAME is a wire name or its camelCase spelling; the fields moltbot
fills in itself (model, messages, stream) are refused with the flag that sets them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from moltbot_cli.errors import UsageError
from moltbot_cli.vocabulary.params import OWNED_FIELDS, wire_name


def parse_value(text: str) -> Any:
    import json5

    try:
        return json5.loads(text)
    except ValueError:
        return text


def parse_options(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Later options win over earlier ones of the same name."""
    found: dict[str, Any] = {}
    for name, value in pairs:
        if not name.strip() or not all(c.isalnum() or c == "_" for c in name.strip()):
            raise UsageError(
                f"-o {name!r}: not a request field name",
                hint="For example -o top_p 0.9 or -o stop '[\"END\"]'.",
            )
        wire = wire_name(name.strip())
        if wire in OWNED_FIELDS:
            raise UsageError(
                f"-o {name}: moltbot sets this field itself", hint=f"Use {OWNED_FIELDS[wire]}."
            )
        found[wire] = parse_value(value)
    return found
