"""Config paths as users type them: `agents.defaults.models["openrouter/openai/gpt-5.2"].alias`.

A path is a tuple of segments: a `str` is an object key, an `int` an array index.
Bare segments are split on dots; keys with dots, slashes or other punctuation go in
brackets and quotes (single or double, JSON escapes inside); `[N]` is an index.
"""

from __future__ import annotations

import json
import re

from moltbot_cli.errors import UsageError

Segment = str | int
Path = tuple[Segment, ...]

_BARE_CHARS = re.compile(r"[^.\[\]\"'\s]+")
_INDEX = re.compile(r"[0-9]+")
_BRACKET_KEY = re.compile(r"[^\[\]\"']+")
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")
_SIMPLE_ESCAPES = {
    '"': '"',
    "'": "'",
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}


class PathSyntaxError(UsageError):
    def __init__(self, text: str, position: int, expected: str) -> None:
        super().__init__(
            f"bad config path {text!r} at character {position + 1}: expected {expected}",
            hint="Separate keys with dots, put keys holding '/' or '.' in brackets, and quote "
            "the whole path for your shell, e.g. "
            "'agents.defaults.models[\"openrouter/openai/gpt-5.2\"].alias'",
        )
        self.position = position


def parse_path(text: str) -> Path:
    """Parse a user's path. The empty string is the whole document."""
    segments: list[Segment] = []
    position = 0
    length = len(text)
    expect_segment = True
    while position < length:
        char = text[position]
        if char == "[":
            position, segment = _parse_bracket(text, position)
            segments.append(segment)
            expect_segment = False
        elif char == ".":
            if expect_segment:
                raise PathSyntaxError(text, position, "a key before '.'")
            position += 1
            expect_segment = True
            if position == length:
                raise PathSyntaxError(text, position, "a key after '.'")
        else:
            if not expect_segment:
                raise PathSyntaxError(text, position, "'.' or '['")
            match = _BARE_CHARS.match(text, position)
            if not match:
                raise PathSyntaxError(text, position, "a key")
            segments.append(match.group())
            position = match.end()
            expect_segment = False
    return tuple(segments)


def _parse_bracket(text: str, start: int) -> tuple[int, Segment]:
    position = start + 1
    if position >= len(text):
        raise PathSyntaxError(text, position, "an index or a quoted key after '['")
    char = text[position]
    segment: Segment
    if char in "\"'":
        position, segment = _parse_quoted(text, position)
    else:
        match = _BRACKET_KEY.match(text, position)
        if not match:
            raise PathSyntaxError(text, position, "an index or a key after '['")
        content = match.group()
        # ASCII digits only make an index: `\d` would also take other scripts' digits.
        if _INDEX.fullmatch(content):
            try:
                segment = int(content)
            except ValueError:  # past int()'s digit limit, thousands of digits long
                raise PathSyntaxError(text, position, "a shorter index") from None
        else:
            # A shell strips the quotes from ["openrouter/x"]; the key is still unambiguous.
            segment = content
        position = match.end()
    if position >= len(text) or text[position] != "]":
        raise PathSyntaxError(text, position, "']'")
    return position + 1, segment


def _parse_quoted(text: str, start: int) -> tuple[int, str]:
    quote = text[start]
    position = start + 1
    chars: list[str] = []
    while position < len(text):
        char = text[position]
        if char == quote:
            return position + 1, "".join(chars)
        if char == "\\":
            position += 1
            if position >= len(text):
                break
            escape = text[position]
            if escape == "u" and re.compile(r"[0-9a-fA-F]{4}").match(text, position + 1):
                chars.append(chr(int(text[position + 1 : position + 5], 16)))
                position += 5
                continue
            if escape not in _SIMPLE_ESCAPES:
                raise PathSyntaxError(text, position, "a valid escape after '\\'")
            chars.append(_SIMPLE_ESCAPES[escape])
        else:
            chars.append(char)
        position += 1
    raise PathSyntaxError(text, len(text), f"a closing {quote}")


def format_path(path: Path) -> str:
    """The canonical spelling of a path; `parse_path(format_path(p)) == p`."""
    parts: list[str] = []
    for segment in path:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
        elif _IDENTIFIER.match(segment):
            parts.append(f".{segment}" if parts else segment)
        else:
            parts.append(f"[{json.dumps(segment, ensure_ascii=False)}]")
    return "".join(parts)
