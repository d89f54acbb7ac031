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

from moltbot_cli import root
from moltbot_cli.app import app, app_for
from moltbot_cli.root import ENTRIES
from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)

HEAVY = ("httpx", "keyring", "rich", "pydantic", "sqlite3", "jsonschema")
# A chat needs httpx, and keyring for a stored key; sqlite3 may come with the call log,
# jsonschema only with --schema. A plain chat line is read without Typer.
CHAT_NEVER = ("rich", "pydantic", "jsonschema", "typer")
# Nor the modules of the other commands: only the named command's module is imported.
OTHER_COMMANDS = tuple(
    f"moltbot_cli.commands.{name}_cmd" for name in ("config", "models", "logs", "onboard", "usage")
)
PROBE = """
import json, sys
heavy = set(json.loads(sys.argv[2]))
sys.argv = ["moltbot", *json.loads(sys.argv[1])]
from moltbot_cli.app import main
try:
    main()
except SystemExit:
    pass
loaded = sorted(
    name for name in sys.modules
    if name.split(".")[0] in heavy or name in heavy
)
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
    return sorted({name if name in libraries else name.split(".")[0] for name in loaded})


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
    loaded = imported(["chat", "hi"], ("httpx", "keyring", *CHAT_NEVER, *OTHER_COMMANDS))
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
    ("args", "built"),
    [
        (["config", "get", "agents"], ["get"]),
        (["--config", "config", "config", "set", "a", "1"], ["set"]),
        (["models", "aliases", "add", "x", "y"], ["aliases", "add"]),
        (["models", "routing", "--help"], ["routing", "clear", "set", "show"]),
        (["models", "list", "--all"], ["list"]),
        (["config", "--help"], None),
        (["models", "nosuch"], None),
    ],
)
def test_a_group_builds_only_the_subcommand_named(
    config_file: Path, args: list[str], built: list[str] | None
) -> None:
    pruned = app_for(args)
    (group,) = pruned.registered_groups
    whole = next(info for info in app.registered_groups if info.name == group.name)
    below = group.typer_instance
    if built is None:  # help, or a word naming nothing: every subcommand, as before
        assert len(below.registered_commands) == len(whole.typer_instance.registered_commands)
    else:
        names = [info.name for info in (*below.registered_commands, *below.registered_groups)]
        assert names == built[:1]
        if len(built) > 1 and below.registered_groups:
            deeper = below.registered_groups[0].typer_instance
            assert sorted(
                info.name for info in (*deeper.registered_commands, *deeper.registered_groups)
            ) == sorted(built[1:])
    runner = CliRunner()
    full, alone = runner.invoke(app, args), runner.invoke(pruned, args)
    assert (alone.exit_code, alone.output) == (full.exit_code, full.output)


def test_config_get_imports_no_other_command() -> None:
    others = tuple(name for name in OTHER_COMMANDS if "config" not in name)
    loaded = imported(["config", "get", "agents"], (*others, "moltbot_cli.commands.chat_cmd"))
    assert loaded == []


@pytest.mark.parametrize(
    "args", [[], ["--help"], ["-h", "chat"], ["chta", "hi"], ["--bogus", "chat"], ["--version"]]
)
def test_help_and_unknown_commands_get_every_entry_of_the_root(args: list[str]) -> None:
    built = app_for(args)
    names = [info.name for info in (*built.registered_commands, *built.registered_groups)]
    whole = [info.name for info in (*app.registered_commands, *app.registered_groups)]
    assert names == whole
    runner = CliRunner()
    shown, full = runner.invoke(built, args), runner.invoke(app, args)
    assert (shown.exit_code, shown.output) == (full.exit_code, full.output)


def test_the_root_help_imports_no_command_module() -> None:
    assert imported(["--help"], (*OTHER_COMMANDS, "moltbot_cli.commands.chat_cmd")) == []


def test_each_entry_is_listed_as_its_command_says() -> None:
    """The root's help shows stand-ins: their lines must be the real commands' own."""
    from moltbot_cli.console import COMMAND_NAMES

    assert tuple(entry.name for entry in ENTRIES) == COMMAND_NAMES
    for entry in ENTRIES:
        target = entry.load()
        if entry.group:
            assert entry.listed == target.info.short_help, entry.name
        else:
            info = next(i for i in app.registered_commands if i.name == entry.name)
            assert entry.listed == info.short_help, entry.name


def test_a_stand_in_asked_to_run_starts_over_with_the_whole_app(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(root, "app_for", lambda args: root.build_app(listed_only=True))
    assert root.run(["config", "path"]) in (None, 0)
    assert capsys.readouterr().out.strip() == str(config_file)


@pytest.mark.parametrize(
    "args",
    [
        ["config", "get", "--help"],
        ["chat", "-h"],
        ["models", "list", "--help"],
        ["--", "models", "--help"],
    ],
)
def test_help_behind_an_option_the_root_reads_only_as_click_does_is_the_commands_own(
    config_file: Path, args: list[str]
) -> None:
    """`-vv` (two -v in one word) makes app_for fall back to stand-ins; their help would be
    a stand-in's ("Usage: moltbot config [OPTIONS]"), so they take none: the run starts over."""
    plain, doubled = run_moltbot(*args), run_moltbot("-vv", *args)
    assert doubled.code == plain.code == 0
    assert "Usage: moltbot " in doubled.stdout
    assert doubled.stdout == plain.stdout
