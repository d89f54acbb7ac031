"""The onboard wizard fits a narrow terminal: prose wrapped between words, lists fitted.

The installed CLI runs in a pseudo-terminal 60 columns wide (COLUMNS says 120, as in
every test: the terminal's own size wins). Every line it shows must fit, except a
single piece that cannot be broken (a long path); and nothing that matters may be
lost: refs, provider slugs, prices, the key page's URL, the `command` to type.
"""

from __future__ import annotations

import re
from pathlib import Path

import json5

from moltbot_cli.wrapping import fit_row, fit_table, wrap_text
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)
from tests.support.terminal import Terminal

WIDTH = 60
DEFAULT = "openrouter/anthropic/claude-sonnet-4-5"
HAIKU = "openrouter/anthropic/claude-haiku-4-5"
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def shown_lines(output: str) -> list[str]:
    """The lines as the terminal leaves them: escapes gone, a spinner's `\\r` overwritten."""
    lines = []
    for raw in _ESCAPES.sub("", output).split("\n"):
        lines.append(raw.rstrip("\r").split("\r")[-1])
    return lines


def test_the_wizard_fits_a_60_column_terminal(
    fake_openrouter: FakeOpenRouter, config_file: Path, keyring_file: Path
) -> None:
    session = Terminal("onboard", columns=WIDTH)
    session.answer("Choose 1 or 2 [1]: ", "2")
    session.answer("API key (input hidden): ", TEST_KEY)
    session.expect("Key OK")
    session.answer("Search models: ", "claude")
    session.answer("Search, or pick a number: ", "sonnet 4.5")
    session.answer("Search, or pick a number: ", "1")
    session.answer("(optional) [y/N]: ", "y")
    session.answer("any): ", "anthropic, 3")
    session.answer("OpenRouter): ", "3 1")
    session.answer("[Y/n]: ", "n")
    session.expect("moltbot is set up:")
    assert session.finish() == 0

    lines = shown_lines(session.output)
    too_long = [line for line in lines if len(line) > WIDTH and " " in line.strip()]
    assert too_long == [], session.output
    text = "\n".join(lines)
    # Wrapped, not lost: the welcome is one sentence over two lines.
    assert "Welcome to moltbot! Let's connect your OpenRouter account\nand pick" in text
    # What must be copied or compared whole is whole.
    assert "https://openrouter.ai/settings/keys" in text
    assert "`claude sonnet`" in text
    for ref in (DEFAULT, HAIKU):
        assert re.search(rf"\d\. {re.escape(ref)}(\s|$)", text), ref
    assert "$3.00/$15.00 per M tokens in/out" in text and "1M context" in text
    for slug in ("anthropic", "amazon-bedrock", "google-vertex"):
        assert re.search(rf"\d\. {slug}\s", text), slug
    # The summary's long values continue under the value column.
    assert re.search(r"\n {17}\S", text), text
    config = json5.loads(config_file.read_text())
    assert config["agents"]["defaults"]["model"] == {"primary": DEFAULT}


def test_at_a_wide_terminal_rows_stay_on_one_line(
    fake_openrouter: FakeOpenRouter, config_file: Path, keyring_file: Path
) -> None:
    session = Terminal("onboard", columns=200)
    session.answer("Choose 1 or 2 [1]: ", "2")
    session.answer("API key (input hidden): ", TEST_KEY)
    session.answer("Search models: ", "sonnet 4.5")
    session.expect(
        f" 1. {DEFAULT}  (Anthropic: Claude Sonnet 4.5)  $3.00/$15.00 per M tokens in/out  "
        "1M context\r\n"
    )
    session.answer("Search, or pick a number: ", "1")
    session.answer("(optional) [y/N]: ", "")
    session.answer("[Y/n]: ", "n")
    assert session.finish() == 0


# -- the pieces, in process ------------------------------------------------------------------


def test_prose_breaks_between_words_and_keeps_commands_and_urls_whole() -> None:
    text = (
        "Search with `moltbot models list --all --search WORDS` or visit "
        "https://openrouter.ai/settings/keys/and/a/very/long/path/beyond/the/width today."
    )
    lines = wrap_text(text, 30).split("\n")
    assert "`moltbot models list --all --search WORDS`" in lines  # wider than 30: alone
    assert "https://openrouter.ai/settings/keys/and/a/very/long/path/beyond/the/width" in lines
    assert all(len(line) <= 30 for line in lines if " " in line and "`" not in line)
    assert " ".join(lines) == text  # nothing lost, nothing added


def test_continuations_go_under_the_item_or_the_value() -> None:
    assert wrap_text("  1. Sign in with OpenRouter (opens your browser)", 30).split("\n") == [
        "  1. Sign in with OpenRouter",
        "     (opens your browser)",
    ]
    assert wrap_text("  API key        sk-or-v1-ab…xyz stored in the keyring", 40).split("\n") == [
        "  API key        sk-or-v1-ab…xyz stored",
        "                 in the keyring",
    ]
    assert wrap_text("short\n\nlines stay", 30) == "short\n\nlines stay"


def test_a_row_gives_up_its_name_first_and_never_cuts_ref_or_figures() -> None:
    head, name, figures = (
        "   1. openrouter/x/model",
        "(A Long Model Name)",
        "$1.00/$2.00  8k context",
    )
    assert fit_row(head, name, figures, None) == [f"{head}  {name}  {figures}"]
    assert fit_row(head, name, figures, 70) == [f"{head}  {name}  {figures}"]
    assert fit_row(head, name, figures, 62) == [f"{head}  (A Long M…)  {figures}"]
    assert fit_row(head, name, figures, 52) == [f"{head}  {figures}"]  # no room for a name
    assert fit_row(head, name, figures, 40) == [
        f"{head}  (A Long Mode…)",
        "      $1.00/$2.00  8k context",
    ]
    assert fit_row(head, name, figures, 30) == [head, "      $1.00/$2.00  8k context"]
    assert fit_row(head, name, figures, 25) == [head, "      $1.00/$2.00", "      8k context"]
    assert fit_row("   1. " + "r" * 40, "", "", 20) == ["   1. " + "r" * 40]  # runs over


def test_a_table_lines_up_its_figures_and_elides_names_to_one_width() -> None:
    rows = [("  1. a", "Short", "$1"), ("  2. bbb", "A Longer Name", "$22")]
    assert fit_table(rows, None) == [
        "  1. a    Short          $1",
        "  2. bbb  A Longer Name  $22",
    ]
    assert fit_table(rows, 24) == [
        "  1. a    Short      $1",
        "  2. bbb  A Longer…  $22",
    ]
    assert fit_table(rows, 16) == [line for row in rows for line in fit_row(*row, 16)]
