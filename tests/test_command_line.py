"""The command line as people type it: global options anywhere, help that reads the way
it is typed, examples that fit, and `models list --author`.

Through the installed CLI as a subprocess.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from moltbot_cli.app import app, hoist_global_options
from tests.support.catalogue_data import run_in_process, serve
from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)

KEY_ENV = {"OPENROUTER_API_KEY": TEST_KEY}


# -- global options anywhere ----------------------------------------------------------------


def test_verbose_after_the_command(fake_openrouter: FakeOpenRouter) -> None:
    result = run_moltbot("chat", "-v", "hi", env=KEY_ENV)
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("Hello from ")
    assert "> POST " in result.stderr  # the trace


def test_config_after_the_command(tmp_path: Path) -> None:
    config = tmp_path / "x.json5"
    config.write_text('{ agents: { defaults: { model: { primary: "openai/gpt-5.2" } } } }')
    for args in (
        ["models", "list", "--config", str(config), "--plain"],
        ["models", "list", "--plain", f"--config={config}"],
        ["--config", str(config), "models", "list", "--plain"],
    ):
        result = run_moltbot(*args)
        assert result.code == 0, result.stderr
        assert result.stdout == "openrouter/openai/gpt-5.2\n"


def test_after_a_double_dash_nothing_is_moved(fake_openrouter: FakeOpenRouter) -> None:
    result = run_moltbot("chat", "--", "-v", "--config", "x", env=KEY_ENV)
    assert result.code == 0, result.stderr
    assert fake_openrouter.chat_bodies()[0]["messages"][-1]["content"] == "-v --config x"


@pytest.mark.parametrize("args", [["chat", "hi", "--config"], ["models", "list", "--config"]])
def test_config_without_its_value_after_the_command_says_so(args: list[str]) -> None:
    # Not "No such option: --config ... put it before the command": it works after it.
    result = run_moltbot(*args)
    assert result.code == 2
    assert result.stderr.splitlines()[0] == "Error: Option '--config' requires an argument."
    assert "global option" not in result.stderr


def test_hoisting_keeps_everything_else_in_order() -> None:
    assert hoist_global_options(["models", "list", "--config", "c", "-v", "--all"]) == [
        "--config",
        "c",
        "-v",
        "models",
        "list",
        "--all",
    ]
    assert hoist_global_options(["chat", "--", "-v"]) == ["chat", "--", "-v"]


# -- help ----------------------------------------------------------------------------------------


def every_command_path() -> list[list[str]]:
    import typer

    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


def test_no_help_page_writes_a_metavar_in_braces() -> None:
    for path in every_command_path():
        result = run_in_process(*path, "--help")
        assert result.code == 0, (path, result.stderr)
        assert not re.search(r"\{[A-Z][A-Z_|.]*\}", result.stdout), (path, result.stdout)


def test_chat_takes_prompt_words() -> None:
    usage = run_moltbot("chat", "--help").stdout.splitlines()[0]
    assert usage == "Usage: moltbot chat [OPTIONS] [PROMPT...]"
    assert "config set [OPTIONS] PATH VALUE" in run_moltbot("config", "set", "--help").stdout


@pytest.mark.parametrize("columns", ["40", "80"])
def test_examples_are_never_wrapped_mid_command(
    columns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every example line, at any width, is one whole command a reader can copy."""
    monkeypatch.setenv("COLUMNS", columns)
    for path in every_command_path():
        lines = run_in_process(*path, "--help").stdout.splitlines()
        for index, line in enumerate(lines):
            # An example inline after "Example:" is a paragraph, and paragraphs get wrapped.
            assert not re.match(r"\s*Examples?:\s*\S", line), (path, line)
            if line.strip() in ("Example:", "Examples:"):
                block = []
                for following in lines[index + 2 :]:
                    if not following.strip():
                        break
                    block.append(following)
                assert block, (path, lines)
                for example in block:
                    words = example.split()
                    # A whole command: it starts with a program, and its quotes are closed.
                    assert words[0] in ("moltbot", "echo", "printf"), (path, example)
                    assert example.count('"') % 2 == 0 and example.count("'") % 2 == 0, example


# -- models list --author ----------------------------------------------------------------------


@pytest.fixture
def fake(fake_openrouter: FakeOpenRouter) -> FakeOpenRouter:
    return serve(fake_openrouter)


def test_author_filters_by_the_models_author(fake: FakeOpenRouter) -> None:
    by_author = run_moltbot("models", "list", "--all", "--author", "x-ai", "--json")
    by_provider = run_moltbot("models", "list", "--all", "--provider", "x-ai", "--json")
    assert by_author.code == 0, by_author.stderr
    keys = [model["key"] for model in json.loads(by_author.stdout)["models"]]
    assert keys == ["openrouter/x-ai/grok-4", "openrouter/x-ai/grok-4-fast"]
    assert by_provider.stdout == by_author.stdout


def test_author_and_provider_that_differ_are_refused(fake: FakeOpenRouter) -> None:
    result = run_moltbot("models", "list", "--all", "--author", "x-ai", "--provider", "openai")
    assert result.code == 2
    assert "--author and --provider both name the author" in result.stderr


def test_the_help_says_what_provider_matches() -> None:
    help_text = " ".join(run_moltbot("models", "list", "--help").stdout.split())
    assert "--author SLUG Only models by this author" in help_text
    assert "The same as --author: it matches the model's author, not who serves it" in help_text
