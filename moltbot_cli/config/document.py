"""A JSON5 config file that is edited as text, so everything a user wrote survives.

`Document.parse` reads JSON5 exactly as the `json5` package does (its `data` equals
`json5.loads(text)`) and keeps the source span of every key and value. `set` and `unset`
splice the text and re-parse it: comments, blank lines, indentation, key order, quoting and
`${VAR}` strings outside the edited value stay byte for byte, and new text copies the
file's own style.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from moltbot_cli.config.pathexpr import Path, format_path
from moltbot_cli.errors import UsageError
from moltbot_cli.gc_pause import cyclic_gc_paused
from moltbot_cli.records import Record

# JSON5 whitespace as the json5 package reads it: ASCII blanks, NBSP, BOM and the Zs category.
_INLINE_WS = r" \t\v\f\xa0\ufeff\u1680\u2000-\u200a\u202f\u205f\u3000"
_EOL = r"\r\n\u2028\u2029"
_WS = _INLINE_WS + _EOL
_SKIP = re.compile(rf"(?:[{_WS}]+|//[^{_EOL}]*|/\*.*?\*/)*", re.DOTALL)
_COMMENT = re.compile(rf"//[^{_EOL}]*|/\*.*?\*/", re.DOTALL)
_INLINE_BLANK = re.compile(rf"[{_INLINE_WS}]*")
_BLANK = re.compile(rf"[{_WS}]*")
_INDENT = re.compile(r"[ \t]*")
# Mirrors the json5 grammar's greedy choices, so the first match is the literal it reads.
_NUMBER = re.compile(
    r"[+-]?(?:0[xX][0-9a-fA-F]+|Infinity|NaN"
    r"|(?:(?:0(?![0-9])|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]*)(?:[eE][+-]?[0-9]*)?)"
)
_LEADING_ZERO = re.compile(r"[+-]?0[0-9]")
_NUMBER_WORD = re.compile(r"[+-]?(?:[\w$.]|(?<=[eE])[+-])*")
_ASCII_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_HEX2 = re.compile(r"[0-9a-fA-F]{2}")
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_PLAIN_CHARS = {'"': re.compile(r'[^"\\\r\n]*'), "'": re.compile(r"[^'\\\r\n]*")}
_WORD = re.compile(r"[\w$]{1,20}")
_ID_START_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nl"})
_ID_CONTINUE_CATEGORIES = _ID_START_CATEGORIES | {"Mn", "Mc", "Nd", "Pc"}
_SIMPLE_ESCAPES = {
    "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
    "'": "'", '"': '"', "\\": "\\",
}  # fmt: skip
_CONSTANTS: tuple[tuple[str, Any], ...] = (("null", None), ("true", True), ("false", False))
_NUMBER_START = frozenset("+-.0123456789IN")
# json5 itself overflows Python's stack well before this; the limit keeps ours from doing so.
_MAX_DEPTH = 200
_WRITE_ESCAPES = {
    "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
    "\v": "\\v", '"': '\\"', "'": "\\'",
}  # fmt: skip
# Surrogates cannot be written to a UTF-8 file; U+2028/9 end lines in some readers.
# Compiled when first written (re caches it): reading a config never needs it.
_NEEDS_ESCAPE = {quote: rf"[\\{quote}\x00-\x1f\u2028\u2029\ud800-\udfff]" for quote in "\"'"}

Edit = tuple[int, int, str]


class Json5SyntaxError(Exception):
    """The text is not JSON5; `line` and `column` (1-based) point at the offending character."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.message = message
        self.line = line
        self.column = column


class PathError(UsageError):
    """A path that cannot be read, set or unset in this document."""


class _Entry:
    """An object member or an array item; for items `key` is None and the key span is empty."""

    __slots__ = ("comma", "key", "key_end", "key_start", "value")

    def __init__(
        self, key: str | None, key_start: int, key_end: int, value: _Value, comma: int
    ) -> None:
        self.key = key
        self.key_start = key_start
        self.key_end = key_end
        self.value = value
        self.comma = comma  # offset of the ',' after the entry, -1 when there is none


class _Value:
    __slots__ = ("data", "end", "entries", "keys", "start")

    def __init__(
        self,
        start: int,
        end: int,
        data: Any,
        entries: Sequence[_Entry] = (),
        keys: dict[str, int] | None = None,
    ) -> None:
        self.start = start
        self.end = end
        self.data = data
        self.entries = entries
        self.keys = keys  # for objects: key -> index of its last entry, the one that counts


def _match_end(pattern: re.Pattern[str], text: str, pos: int) -> int:
    match = pattern.match(text, pos)
    return match.end() if match else pos


def _line_column(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def _is_id_start(char: str) -> bool:
    if char < "\x80":
        return char.isalpha() or char in "$_"
    return unicodedata.category(char) in _ID_START_CATEGORIES


def _is_id_continue(char: str) -> bool:
    if char < "\x80":
        return char.isalnum() or char in "$_"
    return char in "\u200c\u200d" or unicodedata.category(char) in _ID_CONTINUE_CATEGORIES


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.path: list[str | int] = []
        self.duplicates: list[tuple[Path, int]] = []

    def fail(self, message: str, offset: int) -> Json5SyntaxError:
        line, column = _line_column(self.text, offset)
        return Json5SyntaxError(message, line, column)

    def found(self, pos: int) -> str:
        text = self.text
        if pos >= len(text):
            return "the end of the file"
        char = text[pos]
        if char in "\r\n\u2028\u2029":
            return "the end of the line"
        word = _WORD.match(text, pos)
        if word:
            return f"'{word.group()}'"
        if char == "'":
            return '"\'"'
        return f"'{char}'" if char.isprintable() else f"U+{ord(char):04X}"

    def unclosed(self, kind: str, open_: int, pos: int) -> str:
        if pos < len(self.text):
            return ""
        line, column = _line_column(self.text, open_)
        return f" (the {kind} opened at line {line}, column {column} is never closed)"

    def skip(self, pos: int) -> int:
        pos = _match_end(_SKIP, self.text, pos)
        if self.text.startswith("/*", pos):
            raise self.fail("unterminated comment: '/*' is never closed by '*/'", pos)
        return pos

    def document(self) -> _Value | None:
        pos = self.skip(0)
        if pos == len(self.text):
            return None
        root = self.value(pos, 0)
        pos = self.skip(root.end)
        if pos < len(self.text):
            raise self.fail(f"expected the end of the file, found {self.found(pos)}", pos)
        return root

    def value(self, pos: int, depth: int) -> _Value:
        text = self.text
        char = text[pos : pos + 1]
        if char == "{":
            return self.object(pos, depth)
        if char == "[":
            return self.array(pos, depth)
        if char in ('"', "'"):
            data, end = self.string(pos)
            return _Value(pos, end, data)
        for word, constant in _CONSTANTS:
            if text.startswith(word, pos):
                return _Value(pos, pos + len(word), constant)
        if char and char in _NUMBER_START:
            return self.number(pos)
        found = self.found(pos)
        hint = " (strings need quotes)" if char.isalpha() else ""
        raise self.fail(f"expected a value, found {found}{hint}", pos)

    def object(self, open_: int, depth: int) -> _Value:
        if depth >= _MAX_DEPTH:
            raise self.fail(f"more than {_MAX_DEPTH} nested objects and arrays", open_)
        text = self.text
        data: dict[str, Any] = {}
        entries: list[_Entry] = []
        keys: dict[str, int] = {}
        pos = self.skip(open_ + 1)
        while text[pos : pos + 1] != "}":
            key_start = pos
            key, pos = self.key(pos, open_)
            key_end = pos
            pos = self.skip(pos)
            if text[pos : pos + 1] != ":":
                raise self.fail(f"expected ':' after the key {key!r}, found {self.found(pos)}", pos)
            if key in keys:
                self.duplicates.append(((*self.path, key), key_start))
            self.path.append(key)
            value = self.value(self.skip(pos + 1), depth + 1)
            self.path.pop()
            pos = self.skip(value.end)
            comma = -1
            if text[pos : pos + 1] == ",":
                comma = pos
                pos = self.skip(pos + 1)
            keys[key] = len(entries)
            entries.append(_Entry(key, key_start, key_end, value, comma))
            data[key] = value.data
            if comma < 0 and text[pos : pos + 1] != "}":
                raise self.fail(
                    f"expected ',' or '}}' after an object member, found {self.found(pos)}"
                    + self.unclosed("object", open_, pos),
                    pos,
                )
        return _Value(open_, pos + 1, data, entries, keys)

    def array(self, open_: int, depth: int) -> _Value:
        if depth >= _MAX_DEPTH:
            raise self.fail(f"more than {_MAX_DEPTH} nested objects and arrays", open_)
        text = self.text
        data: list[Any] = []
        entries: list[_Entry] = []
        pos = self.skip(open_ + 1)
        while text[pos : pos + 1] != "]":
            if pos >= len(text):
                raise self.fail(
                    "expected a value or ']', found the end of the file"
                    + self.unclosed("array", open_, pos),
                    pos,
                )
            self.path.append(len(entries))
            value = self.value(pos, depth + 1)
            self.path.pop()
            pos = self.skip(value.end)
            comma = -1
            if text[pos : pos + 1] == ",":
                comma = pos
                pos = self.skip(pos + 1)
            entries.append(_Entry(None, value.start, value.start, value, comma))
            data.append(value.data)
            if comma < 0 and text[pos : pos + 1] != "]":
                raise self.fail(
                    f"expected ',' or ']' after an array item, found {self.found(pos)}"
                    + self.unclosed("array", open_, pos),
                    pos,
                )
        return _Value(open_, pos + 1, data, entries)

    def key(self, pos: int, open_: int) -> tuple[str, int]:
        if self.text[pos : pos + 1] in ('"', "'"):
            return self.string(pos)
        identifier = self.identifier(pos)
        if identifier is None:
            quotes = self.text[pos : pos + 1].isalnum()
            hint = " (keys that are not identifiers need quotes)" if quotes else ""
            raise self.fail(
                f"expected a key or '}}', found {self.found(pos)}{hint}"
                + self.unclosed("object", open_, pos),
                pos,
            )
        return identifier

    def identifier(self, pos: int) -> tuple[str, int] | None:
        text = self.text
        ascii_run = _ASCII_IDENTIFIER.match(text, pos)
        if ascii_run:
            end = ascii_run.end()
            if end == len(text) or (text[end] < "\x80" and text[end] != "\\"):
                return ascii_run.group(), end
        chars: list[str] = []
        while pos < len(text):
            char = text[pos]
            if char == "\\":
                # json5 takes any \uXXXX here without checking it names an identifier char.
                escape = _UNICODE_ESCAPE.match(text, pos)
                if not escape:
                    break
                chars.append(chr(int(escape.group(1), 16)))
                pos = escape.end()
            elif _is_id_continue(char) if chars else _is_id_start(char):
                chars.append(char)
                pos += 1
            else:
                break
        return ("".join(chars), pos) if chars else None

    def string(self, start: int) -> tuple[str, int]:
        text = self.text
        quote = text[start]
        plain = _PLAIN_CHARS[quote]
        parts: list[str] = []
        pos = start + 1
        while True:
            end = _match_end(plain, text, pos)
            parts.append(text[pos:end])
            pos = end
            char = text[pos : pos + 1]
            if char == quote:
                return "".join(parts), pos + 1
            if char == "\\":
                pos = self.escape(pos, start, parts)
                continue
            where = "the end of the line" if char else "the end of the file"
            raise self.fail(
                f"unterminated string: no closing {quote!r} before {where}"
                " (a line break inside a string must be escaped as \\n)",
                start,
            )

    def escape(self, pos: int, start: int, parts: list[str]) -> int:
        """Decode the escape at `pos` (a backslash) into `parts`; return the offset after it."""
        text = self.text
        char = text[pos + 1 : pos + 2]
        if char in _SIMPLE_ESCAPES:
            parts.append(_SIMPLE_ESCAPES[char])
            return pos + 2
        if char == "\r":
            return pos + 3 if text.startswith("\n", pos + 2) else pos + 2
        if char in ("\n", "\u2028", "\u2029"):
            return pos + 2
        if char == "x" or char == "u":
            digits = (_HEX2 if char == "x" else _HEX4).match(text, pos + 2)
            if not digits:
                count = "two" if char == "x" else "four"
                raise self.fail(
                    f"invalid escape: \\{char} must be followed by {count} hex digits", pos
                )
            parts.append(chr(int(digits.group(), 16)))
            return digits.end()
        if char == "0" and not "0" <= text[pos + 2 : pos + 3] <= "9":
            parts.append("\0")
            return pos + 2
        if not char:
            raise self.fail(
                f"unterminated string: no closing {text[start]!r} before the end of the file",
                start,
            )
        if "0" <= char <= "9":
            raise self.fail(f"invalid escape '\\{char}' (JSON5 has no octal escapes)", pos)
        parts.append(char)
        return pos + 2

    def number(self, start: int) -> _Value:
        text = self.text
        match = _NUMBER.match(text, start)
        if not match:
            if _LEADING_ZERO.match(text, start):
                raise self.fail(
                    f"invalid number {self.word(start)!r}: leading zeros are not allowed", start
                )
            if text[start] in "+-":
                found = self.found(start + 1)
                raise self.fail(
                    f"expected a number after '{text[start]}', found {found}", start + 1
                )
            found = self.found(start)
            raise self.fail(f"expected a value, found {found} (strings need quotes)", start)
        literal = match.group()
        end = match.end()
        data: int | float
        try:
            if "x" in literal or "X" in literal:
                data = int(literal, 16)
            elif literal[-1] in "yN":
                data = float(literal.replace("Infinity", "inf").replace("NaN", "nan"))
            elif end < len(text) and (_is_id_start(text[end]) or _UNICODE_ESCAPE.match(text, end)):
                raise ValueError(literal)
            elif "." in literal or "e" in literal or "E" in literal:
                data = float(literal)
            else:
                data = int(literal)
        except ValueError:
            raise self.fail(f"invalid number {self.word(start)!r}", start) from None
        return _Value(start, end, data)

    def word(self, start: int) -> str:
        """The number-like run at `start`, to quote in a message."""
        return self.text[start : _match_end(_NUMBER_WORD, self.text, start)][:30]


class _Style(Record, frozen=True):
    """How the file already writes things, so that new text blends in."""

    indent: str
    quote: str
    bare_keys: bool
    trailing_comma: bool
    newline: str

    def key(self, key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError(f"config keys must be strings, not {type(key).__name__}")
        if self.bare_keys and _ASCII_IDENTIFIER.fullmatch(key):
            return key
        return _quote(key, self.quote)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _WRITE_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _quote(text: str, quote: str) -> str:
    return quote + re.sub(_NEEDS_ESCAPE[quote], _escape, text) + quote


def _scalar(value: Any, quote: str) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(float(value))
    if isinstance(value, str):
        return _quote(str(value), quote)
    raise TypeError(f"cannot write a {type(value).__name__} to a config file")


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list, tuple))


def _renders_inline(value: Any) -> bool:
    if isinstance(value, dict):
        return not value
    if isinstance(value, (list, tuple)):
        return all(_is_scalar(item) for item in value)
    return True


def _render(value: Any, style: _Style, indent: str, inline: bool) -> str:
    """`value` as JSON5 whose first line goes where a value starts on a line indented `indent`."""
    child = indent + style.indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        members = [f"{style.key(k)}: {_render(v, style, child, inline)}" for k, v in value.items()]
        if inline:
            return "{ " + ", ".join(members) + " }"
        return _block("{", members, "}", style, indent)
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        if inline or all(_is_scalar(item) for item in value):
            return "[" + ", ".join(_render(item, style, indent, True) for item in value) + "]"
        items = [_render(item, style, child, False) for item in value]
        return _block("[", items, "]", style, indent)
    return _scalar(value, style.quote)


def _block(opener: str, items: list[str], closer: str, style: _Style, indent: str) -> str:
    lines = [f"{indent}{style.indent}{item}," for item in items]
    if not style.trailing_comma:
        lines[-1] = lines[-1][:-1]
    newline = style.newline
    return opener + newline + newline.join(lines) + newline + indent + closer


def _describe(data: Any) -> str:
    if isinstance(data, dict):
        return "an object"
    if isinstance(data, list):
        return "a list"
    if isinstance(data, str):
        return "a string"
    if isinstance(data, bool):
        return "a boolean"
    return "null" if data is None else "a number"


def _nested(path: Path, start: int, value: Any) -> Any:
    """`value` wrapped in the objects and lists that `path[start:]` walks through."""
    for depth in range(len(path) - 1, start - 1, -1):
        segment = path[depth]
        if isinstance(segment, str):
            value = {segment: value}
        elif segment == 0:
            value = [value]
        else:
            raise PathError(
                f"cannot set {format_path(path)}: there is no list at "
                f"{format_path(path[:depth])}, and a new list starts at index 0"
            )
    return value


class Document:
    """A parsed JSON5 text; edits return a new Document and leave this one as it was."""

    text: str
    data: Any
    duplicate_keys: list[tuple[Path, int, int]]

    def __init__(self, text: str, root: _Value | None, duplicates: list[tuple[Path, int]]) -> None:
        self.text = text
        self._root = root
        self.data = root.data if root else {}
        self._line_starts: list[int] | None = None
        self.duplicate_keys = [(path, *self._line_column(offset)) for path, offset in duplicates]

    @classmethod
    def parse(cls, text: str) -> Document:
        """Parse JSON5; a text with no value at all (empty, blank or only comments) is `{}`."""
        parser = _Parser(text)
        with cyclic_gc_paused():  # linear in the size of the file (see gc_pause)
            root = parser.document()
        return cls(text, root, parser.duplicates)

    @classmethod
    def parse_value(cls, text: str) -> Any:
        """One JSON5 value (`config set`'s VALUE): like `parse`, but blank text is no value."""
        root = _Parser(text).document()
        if root is None:
            raise Json5SyntaxError("expected a value, found the end of the text", 1, 1)
        return root.data

    def get(self, path: Path) -> Any:
        trace = self._trace(path)
        if len(trace) <= len(path):
            raise self._failure(path, trace)
        return trace[-1][0].data

    def has(self, path: Path) -> bool:
        return len(self._trace(path)) > len(path)

    def position(self, path: Path) -> tuple[int, int] | None:
        trace = self._trace(path)
        if self._root is None or len(trace) <= len(path):
            return None
        return self._line_column(trace[-1][0].start)

    def key_position(self, path: Path) -> tuple[int, int] | None:
        trace = self._trace(path)
        if self._root is None or len(trace) <= len(path):
            return None
        if not path:
            return self._line_column(self._root.start)
        parent, index = trace[-2][0], trace[-1][1]
        return self._line_column(parent.entries[index].key_start)

    def set(self, path: Path, value: Any) -> Document:
        trace = self._trace(path)
        node = trace[-1][0]
        depth = len(trace) - 1
        if depth == len(path):
            if self._root is None:
                return self._with_root(value)
            inline = bool(node.entries) and not self._spans_lines(node)
            if path:
                inline = inline or not self._spans_lines(trace[-2][0])
            rendered = _render(value, self._style(), self._line_indent(node.start), inline)
            return self._edited([(node.start, node.end, rendered)])
        segment = path[depth]
        if isinstance(node.data, dict) and isinstance(segment, str):
            new = _nested(path, depth + 1, value)
            if self._root is None:
                return self._with_root({segment: new})
            return self._edited(self._insertion(node, segment, new))
        if isinstance(node.data, list) and isinstance(segment, int) and segment == len(node.data):
            return self._edited(self._insertion(node, None, _nested(path, depth + 1, value)))
        raise self._failure(path, trace, setting=True)

    def unset(self, path: Path) -> Document:
        if not path:
            raise PathError("cannot unset the whole config; set it to {} to empty it")
        trace = self._trace(path)
        if len(trace) <= len(path):
            raise self._failure(path, trace)
        parent, index = trace[-2][0], trace[-1][1]
        document = self._edited(self._removal(parent, index))
        # With a repeated key an earlier copy now shows through; unset means gone.
        if isinstance(parent.data, dict) and document.has(path):
            return document.unset(path)
        return document

    @cyclic_gc_paused()  # a tuple for each of every string: linear (see gc_pause)
    def strings(self) -> list[tuple[Path, int, int, str]]:
        """Every string value as written, shadowed duplicate keys included.

        Each is `(path, start, end, value)`, `start:end` being its span in the text,
        quotes included: what masking needs to hide every copy of a secret.
        """
        found: list[tuple[Path, int, int, str]] = []
        stack: list[tuple[Path, _Value]] = [((), self._root)] if self._root else []
        while stack:
            path, node = stack.pop()
            if isinstance(node.data, str):
                found.append((path, node.start, node.end, node.data))
            for index, entry in enumerate(node.entries):
                stack.append(((*path, index if entry.key is None else entry.key), entry.value))
        return sorted(found, key=lambda item: item[1])

    def _trace(self, path: Path) -> list[tuple[_Value, int]]:
        """The values `path` reaches from the root, each with its index in its container.

        It is one longer than `path` when the whole path exists.
        """
        node = self._root or _Value(len(self.text), len(self.text), self.data, (), {})
        trace = [(node, -1)]
        for segment in path:
            index: int | None = None
            if isinstance(segment, str) and node.keys is not None:
                index = node.keys.get(segment)
            elif isinstance(segment, int) and isinstance(node.data, list):
                index = segment if 0 <= segment < len(node.entries) else None
            if index is None:
                break
            node = node.entries[index].value
            trace.append((node, index))
        return trace

    def _failure(
        self, path: Path, trace: list[tuple[_Value, int]], setting: bool = False
    ) -> PathError:
        depth = len(trace) - 1
        data = trace[-1][0].data
        segment = path[depth]
        where = format_path(path[:depth]) or "the top level"
        if isinstance(data, dict) and isinstance(segment, str):
            return PathError(f"no value at {format_path(path)}")
        if isinstance(data, list) and isinstance(segment, int):
            items = f"{len(data)} item" + ("" if len(data) == 1 else "s")
            if setting:
                return PathError(
                    f"cannot set {format_path(path)}: index {segment} is out of range, "
                    f"{where} has {items} (index {len(data)} appends)"
                )
            return PathError(f"no value at {format_path(path)}: {where} has {items}")
        wanted = "a list" if isinstance(segment, int) else "an object"
        return PathError(f"{where} is {_describe(data)}, not {wanted}")

    def _line_column(self, offset: int) -> tuple[int, int]:
        if self._line_starts is None:
            self._line_starts = [0, *(m.end() for m in re.finditer("\n", self.text))]
        line = bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def _line_indent(self, pos: int) -> str:
        line_start = self.text.rfind("\n", 0, pos) + 1
        return self.text[line_start : _match_end(_INDENT, self.text, line_start)]

    def _spans_lines(self, node: _Value) -> bool:
        return self.text.find("\n", node.start, node.end) >= 0

    def _newline(self) -> str:
        return "\r\n" if "\r\n" in self.text else "\n"

    def _edited(self, edits: list[Edit]) -> Document:
        pieces: list[str] = []
        done = 0
        # Stable on `start`, so insertions at one offset keep the order they were listed in.
        for start, end, replacement in sorted(edits, key=lambda edit: edit[0]):
            pieces += (self.text[done:start], replacement)
            done = end
        pieces.append(self.text[done:])
        return Document.parse("".join(pieces))

    def _with_root(self, value: Any) -> Document:
        style = self._style()
        rendered = _render(value, style, "", False) + style.newline
        text = self.text
        if _BLANK.fullmatch(text):
            return Document.parse(rendered)
        if text[-1] not in "\r\n\u2028\u2029":
            text += style.newline  # a // comment on the last line would swallow the value
        return Document.parse(text + rendered)

    def _style(self) -> _Style:
        text = self.text
        quotes: Counter[str] = Counter()
        indents: Counter[str] = Counter()
        trailing: Counter[bool] = Counter()
        bare = quoted = 0
        stack = [self._root] if self._root else []
        while stack:
            node = stack.pop()
            if isinstance(node.data, str):
                quotes[text[node.start]] += 1
            entries = node.entries
            for entry in entries:
                stack.append(entry.value)
                if entry.key is None:
                    continue
                opener = text[entry.key_start]
                if opener not in "\"'":
                    bare += 1
                else:
                    quotes[opener] += 1
                    quoted += _ASCII_IDENTIFIER.fullmatch(entry.key) is not None
            # Inline containers say nothing about indentation or the trailing-comma habit.
            if not entries or not self._spans_lines(node):
                continue
            trailing[entries[-1].comma >= 0] += 1
            first = entries[0].key_start
            if text.find("\n", node.start, first) >= 0:
                outer, inner = self._line_indent(node.start), self._line_indent(first)
                if len(inner) > len(outer) and inner.startswith(outer):
                    indents[inner[len(outer) :]] += 1
        return _Style(
            indent=indents.most_common(1)[0][0] if indents else "  ",
            quote="'" if quotes["'"] > quotes['"'] else '"',
            bare_keys=bare >= quoted,
            trailing_comma=trailing[True] >= trailing[False],
            newline=self._newline(),
        )

    def _insertion(self, container: _Value, key: str | None, value: Any) -> list[Edit]:
        text = self.text
        style = self._style()
        newline = style.newline

        def entry(indent: str, inline: bool) -> str:
            rendered = _render(value, style, indent, inline)
            return rendered if key is None else f"{style.key(key)}: {rendered}"

        opener, closer = container.start, container.end - 1
        if container.entries:
            last = container.entries[-1]
            has_comma = last.comma >= 0
            after = last.comma + 1 if has_comma else last.value.end
            if not self._spans_lines(container):
                return (
                    [(after, after, f" {entry('', True)},")]
                    if has_comma
                    else [(after, after, f", {entry('', True)}")]
                )
            indent = self._line_indent(last.key_start)
            if text.find("\n", opener, last.key_start) < 0:
                indent = self._line_indent(opener) + style.indent
            at = self._after_same_line_comments(after)
            member = newline + indent + entry(indent, False) + ("," if has_comma else "")
            return ([] if has_comma else [(after, after, ",")]) + [(at, at, member)]
        if key is None and _renders_inline(value) and _BLANK.fullmatch(text, opener + 1, closer):
            return [(opener + 1, closer, entry("", True))]
        outer = self._line_indent(opener)
        indent = outer + style.indent
        member = indent + entry(indent, False) + ("," if style.trailing_comma else "")
        line_start = text.rfind("\n", opener, closer) + 1
        if line_start > opener and _INLINE_BLANK.fullmatch(text, line_start, closer):
            return [(line_start, line_start, member + newline)]
        blank_start = closer
        while blank_start > opener + 1 and text[blank_start - 1] in " \t":
            blank_start -= 1
        return [(blank_start, closer, newline + member + newline + outer)]

    def _after_same_line_comments(self, pos: int) -> int:
        while True:
            comment = _COMMENT.match(self.text, _match_end(_INLINE_BLANK, self.text, pos))
            if not comment:
                return pos
            pos = comment.end()

    def _removal(self, container: _Value, index: int) -> list[Edit]:
        text = self.text
        entries = container.entries
        entry = entries[index]
        value = entry.value
        start = entry.key_start
        end = entry.comma + 1 if entry.comma >= 0 else value.end
        closer = container.end - 1
        gaps = ((container.start + 1, start), (entry.key_end, value.start), (value.end, closer))
        if len(entries) == 1 and all(text.find("/", a, b) < 0 for a, b in gaps):
            return [(container.start + 1, closer, "")]
        edits: list[Edit] = []
        if index == len(entries) - 1 and entry.comma < 0 and index > 0:
            # Keep the container's trailing-comma habit: `a, b` minus b is `a`, not `a,`.
            comma = entries[index - 1].comma
            edits.append((comma, comma + 1, ""))
        kept = [
            comment.group()
            for a, b in ((entry.key_end, value.start), (value.end, end))
            for comment in _COMMENT.finditer(text, a, b)
        ]
        if kept:
            edits.append((start, end, self._comments_alone(kept, start, end)))
        else:
            edits.append(self._deletion(start, end, closer))
        return edits

    def _comments_alone(self, comments: list[str], start: int, end: int) -> str:
        """The comments of a removed member, laid out so that none swallows what follows."""
        line_break = self._newline() + self._line_indent(start)
        joined = comments[0]
        for previous, comment in pairwise(comments):
            joined += (line_break if previous.startswith("//") else " ") + comment
        rest_at = _match_end(_INLINE_BLANK, self.text, end)
        rest = self.text[rest_at : rest_at + 1]
        if comments[-1].startswith("//") and rest not in ("", "\r", "\n", "\u2028", "\u2029"):
            joined += line_break
        return joined

    def _deletion(self, start: int, end: int, closer: int) -> Edit:
        text = self.text
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        blank_before = _BLANK.fullmatch(text, line_start, start) is not None
        if blank_before and _BLANK.fullmatch(text, end, line_end):
            return (line_start, min(line_end + 1, len(text)), "")
        after = _match_end(_INLINE_BLANK, text, end)
        if blank_before or (after < len(text) and after != closer and text[after] not in "\r\n"):
            return (start, after, "")
        before = start
        while before > 0 and text[before - 1] in " \t":
            before -= 1
        return (before, end, "")
