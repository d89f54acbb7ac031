"""Text for a person at a terminal, wrapped to its width: the onboarding wizard's prose,
its questions and its lists.

A terminal wraps a long line wherever the width ends, in the middle of a word, a URL
or a command; here lines break between words instead, under their own indent. What
must be copied whole is never split: a URL or path (no spaces), and a `command` in
backticks (its spaces are held together). When such a piece is wider than the
terminal it gets a line of its own and runs over, rather than being cut.
"""

from __future__ import annotations

import os
import re
import textwrap
from typing import IO

ELLIPSIS = "…"
# Holds the spaces of a `command` together while the line is wrapped.
_HELD_SPACE = "\ue000"
_BACKTICKED = re.compile(r"`[^`\n]*`")
# `  12. ` or `  - `: a list item continues under its text, not under its number.
_LIST_ITEM = re.compile(r"^\s*(?:\d+\.|[-*•])\s+")
# `  Label      value`: a row of label and value continues under the value.
_LABELLED = re.compile(r"^\s*\S(?:\S| (?! ))*\s{2,}(?=\S)")
NAME_MIN = 8  # a name elided shorter than this says nothing: it is left out
FIGURES_INDENT = 6  # where a row's figures go when they need a line of their own


def terminal_columns(stream: IO[str]) -> int | None:
    """The width of the terminal `stream` shows on; None when it is not one.

    The terminal's own size comes first: the text appears there, whatever COLUMNS
    (often stale, or set for another program) says.
    """
    try:
        if not stream.isatty():
            return None
        return os.get_terminal_size(stream.fileno()).columns or None
    except (OSError, ValueError, AttributeError):
        pass
    try:
        return int(os.environ.get("COLUMNS", "")) or None
    except ValueError:
        return None


def wrap_text(text: str, width: int) -> str:
    """Each line of `text` wrapped to `width`, its continuation under its own indent."""
    return "\n".join(
        wrapped for line in text.split("\n") for wrapped in _wrap_line(line, max(width, 20))
    )


def _wrap_line(line: str, width: int) -> list[str]:
    if len(line) <= width:
        return [line]
    indent = len(line) - len(line.lstrip(" "))
    item = _LIST_ITEM.match(line) or _LABELLED.match(line)
    if item and item.end() <= width // 2:
        indent = item.end()
    held = _BACKTICKED.sub(lambda match: match.group().replace(" ", _HELD_SPACE), line)
    wrapped = textwrap.wrap(
        held,
        width,
        subsequent_indent=" " * indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [part.replace(_HELD_SPACE, " ") for part in wrapped] or [line]


def elide(text: str, width: int) -> str:
    """`text` cut to `width` characters, the cut marked with `…`."""
    return text if len(text) <= width else text[: max(width - 1, 0)].rstrip() + ELLIPSIS


def _elide_name(name: str, width: int) -> str:
    """A `(name)` keeps its closing bracket when elided."""
    if len(name) > width and name.startswith("(") and name.endswith(")"):
        return f"({elide(name[1:-1], width - 2)})"
    return elide(name, width)


def fit_row(head: str, name: str, figures: str, width: int | None) -> list[str]:
    """A list row (`  1. ref`, a name, its figures) in lines no wider than `width`.

    The head (number and ref) and each figure are never cut: the name gives way first,
    elided and then left out; when head and figures still do not fit side by side, the
    figures go on the lines below, under the ref, broken only between figures
    (`figures` separates them with two spaces).
    """
    return [line.rstrip() for line in _fitted(head, name, figures, width)]


def _fitted(head: str, name: str, figures: str, width: int | None) -> list[str]:
    row = "  ".join(part for part in (head, name, figures) if part)
    if width is None or len(row) <= width:
        return [row]
    beside = len(figures) + 2 if figures else 0
    room = width - len(head) - 2 - beside
    if name and room >= NAME_MIN:
        return ["  ".join(part for part in (head, _elide_name(name, room), figures) if part)]
    if len(head) + beside <= width:
        return ["  ".join(part for part in (head, figures) if part)]
    first = head
    if name and width - len(head) - 2 >= NAME_MIN:
        first = f"{head}  {_elide_name(name, width - len(head) - 2)}"
    if not figures:
        return [first]
    lines = [first]
    indent = " " * FIGURES_INDENT
    for figure in figures.split("  "):
        if len(lines) > 1 and len(lines[-1]) + 2 + len(figure) <= width:
            lines[-1] += f"  {figure}"
        else:
            lines.append(indent + figure)
    return lines


def fit_table(rows: list[tuple[str, str, str]], width: int | None) -> list[str]:
    """Rows of (head, name, figures) with their names in one column, so the figures line
    up: the column is as wide as the longest name, or as the terminal leaves (names
    elided). When even a short name leaves no room, each row is fitted on its own."""
    if not rows:
        return []
    head_width = max(len(head) for head, _, _ in rows)
    name_width = max(len(name) for _, name, _ in rows)
    figures_width = max(len(figures) for _, _, figures in rows)
    if width is not None:
        name_width = min(name_width, width - head_width - figures_width - 4)
    if name_width < NAME_MIN:
        return [line for row in rows for line in fit_row(*row, width)]
    return [
        "  ".join(
            (head.ljust(head_width), _elide_name(name, name_width).ljust(name_width), figures)
        ).rstrip()
        for head, name, figures in rows
    ]
