"""Text from a server made safe to print: no terminal control, no broken Unicode.

A server (or a proxy in between) decides what its error messages, labels and model
names say. Printed raw, an ESC sequence in them can retitle or clear the terminal,
and a lone UTF-16 surrogate (`"\\ud800"` is valid JSON) cannot be encoded at all.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls (0x9b is a one-byte CSI).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Every control, plus the invisible marks that reorder text (bidi overrides), for
# metadata that is meant to be one line of plain text.
_METADATA_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def fix_surrogates(text: str) -> str:
    """Join surrogate pairs into the characters they encode; replace lone ones with U+FFFD."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def has_surrogates(text: str) -> bool:
    return bool(_SURROGATE.search(text))


def visible_controls(text: str) -> str:
    """Control characters other than newline and tab written as `\\x1b`-style escapes."""
    return _CONTROLS.sub(_escaped, fix_surrogates(text))


def metadata(text: str) -> str:
    """Server-supplied metadata (a label, a model name, an error message) safe for one line."""
    return _METADATA_CONTROLS.sub(_escaped, fix_surrogates(text))
