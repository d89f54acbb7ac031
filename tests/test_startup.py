"""Start-up stays light: the commands people run most never load the heavy libraries.

Speed itself is measured in benchmarks/, not here; this guards what makes it fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moltbot_cli.app import app, app_for
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)

HEAVY = ("httpx", "keyring", "rich", "pydantic", "sqlite3", "jsonschema")
# A chat needs httpx, and keyring for a stored key; sqlite3 may come with the call log,
# jsonschema only with --schema.
CHAT_NEVER = ("rich", "pydantic", "jsonschema")
PROBE = """
import json, sys
heavy = set(json.loads(sys.argv[2]))
sys.argv = ["moltbot", *json.loads(sys.argv[1])]
from moltbot_cli.app import main
try:
    main()
except SystemExit:
    pass
loaded = sorted({name.split(".")[0] for name in sys.modules} & heavy)
print("LOADED:" + json.dumps(loaded), file=sys.__stderr__)
"""


def imported(args: list[str], libraries: tuple[str, ...]) -> list[str]:
    """Which of `libraries` `moltbot ARGS` imports, run in one process with stdout a pipe."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(libraries)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    (report,) = [line for line in result.stderr.splitlines() if line.startswith("LOADED:")]
    loaded: list[str] = json.loads(report.removeprefix("LOADED:"))
    return loaded


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["config", "path"],
        ["config", "get", "agents.defaults.model.primary"],
        ["config", "show"],
        ["config", "validate"],
        ["models", "--help"],
        ["chat", "--help"],
        ["logs", "--help"],
        ["usage", "--help"],
    ],
)
def test_light_commands_import_no_heavy_library(config_file: Path, args: list[str]) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text('{ agents: { defaults: { model: { primary: "openai/gpt-5.2" } } } }\n')
    loaded = imported(args, HEAVY)
    assert loaded == [], f"moltbot {' '.join(args)} imported {loaded}"


def test_a_chat_imports_only_what_a_chat_needs(
    fake_openrouter: FakeOpenRouter, keyring_file: Path
) -> None:
    keyring_file.write_text(json.dumps({"moltbot/openrouter": TEST_KEY}))
    loaded = imported(["chat", "hi"], ("httpx", "keyring", *CHAT_NEVER))
    assert loaded == ["httpx", "keyring"]
    assert len(fake_openrouter.chat_bodies()) == 1  # it did chat


@pytest.mark.parametrize(
    "args",
    [
        ["chat", "--help"],
        ["chat", "--no-such-flag"],
        ["--verbose", "config", "--help"],
        ["--config", "elsewhere.json", "config", "path"],
        ["config", "get"],
        ["models", "list", "--help"],
        ["models", "aliases", "--help"],
        ["onboard", "--help"],
    ],
)
def test_a_run_builds_only_its_command_and_answers_the_same(
    config_file: Path, args: list[str]
) -> None:
    word = next(arg for arg in args if arg in ("chat", "config", "models", "onboard"))
    pruned = app_for(args)
    assert [info.name for info in (*pruned.registered_commands, *pruned.registered_groups)] == [
        word
    ]
    runner = CliRunner()
    whole, alone = runner.invoke(app, args), runner.invoke(pruned, args)
    assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output)


@pytest.mark.parametrize(
    "args",
    [[], ["--help"], ["-h", "chat"], ["chta", "hi"], ["--", "chat"], ["--bogus", "chat"]],
)
def test_help_and_unknown_commands_get_the_whole_app(args: list[str]) -> None:
    assert app_for(args) is app
