"""`moltbot models list --all` on a terminal: aligned at every width, at 3,000+ rows.

In a pseudo-terminal of each width (pexpect), and with COLUMNS set as a shell sets it.
"""

from __future__ import annotations

import os
import sys

import pexpect
import pytest

from tests.support.catalogue_data import serve
from tests.support.fake_openrouter import (
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)

HEADERS = ["ref / name", "context", "$/M in", "$/M out", "tags"]


@pytest.fixture
def big(fake_openrouter: FakeOpenRouter) -> FakeOpenRouter:
    return serve(fake_openrouter, 3200)


def list_at_a_terminal(width: int, *, columns_env: bool) -> list[str]:
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    if columns_env:
        env["COLUMNS"] = str(width)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "moltbot_cli", "models", "list", "--all"],
        env={**env, "TERM": "xterm", "NO_COLOR": "1"},
        encoding="utf-8",
        timeout=60,
        dimensions=(50, width if not columns_env else 200),
        maxread=65536,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    text = (child.before or "").replace("\r\n", "\n")
    # Anything before the table (a spinner on stderr) ends with the cursor shown again.
    text = text.rsplit("\x1b[?25h", 1)[-1]
    return [line for line in text.split("\n") if line.strip()]


@pytest.mark.parametrize(
    ("width", "columns_env"), [(40, False), (60, False), (80, True), (132, True)]
)
def test_every_row_is_aligned_and_fits(big: FakeOpenRouter, width: int, columns_env: bool) -> None:
    lines = list_at_a_terminal(width, columns_env=columns_env)
    header = lines[0]
    assert header.startswith("ref")
    starts = [header.index(name) for name in HEADERS[1:4]]
    assert header.rstrip().endswith(("tags", "t…"))  # the header is one line, not wrapped
    rows = [line for line in lines[1:] if not line.startswith(" ")]
    assert len(rows) == 3200
    for line in lines:
        assert len(line) <= width, line
    for row in rows:
        for start in starts:
            assert row[start - 2 : start] == "  " and row[start] != " ", (row, start)
    # The name goes under its ref, indented, and never into another column.
    names = [line for line in lines[1:] if line.startswith("  ")]
    assert names and all(len(name.rstrip()) <= starts[0] - 2 for name in names)
