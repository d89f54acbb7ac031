"""The awkward corners a real user hits: Ctrl-C anywhere, odd files, huge input, stray spaces."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)

KEY_ENV = {"OPENROUTER_API_KEY": TEST_KEY}


def interrupt_once(
    args: list[str], ready: Callable[[], bool], env: dict[str, str]
) -> tuple[int, str]:
    """Start moltbot, wait until `ready()`, press Ctrl-C; return the exit code and stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "moltbot_cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 20
        while not ready():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the command never got going"
            time.sleep(0.02)
        time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert "Traceback" not in stderr, stderr
    return process.returncode, stderr


def tree(directory: Path) -> dict[str, bytes]:
    """Every file a user would care about: config, key file, keyring (not the model cache,
    nor the call log, which records even an interrupted chat: see test_conversations)."""
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.relative_to(directory).parts[0] not in ("cache", "data")
    }


@pytest.mark.parametrize(
    ("args", "route"),
    [
        (["models", "list", "--all", "--refresh"], "models"),
        (["models", "endpoints", "openai/gpt-5.2"], "endpoints"),
        (["models", "set", "openai/gpt-5.2"], "models"),
        (
            [
                "onboard",
                "--auth-choice",
                "apiKey",
                "--token-provider",
                "openrouter",
                "--token",
                TEST_KEY,
            ],
            "key",
        ),
        (["chat", "hello"], "chat"),
    ],
    ids=["models-list", "endpoints", "models-set", "onboard", "chat-before-output"],
)
def test_ctrl_c_while_waiting_on_openrouter_exits_130_and_writes_nothing(
    fake_openrouter: FakeOpenRouter, isolated_environment: Path, args: list[str], route: str
) -> None:
    fake_openrouter.fail("hang", route=route)
    before = tree(isolated_environment)
    env = {} if args[0] == "onboard" else KEY_ENV

    def waiting() -> bool:
        paths = [request.path for request in fake_openrouter.requests]
        return any(route in path for path in paths)

    code, stderr = interrupt_once(args, waiting, env)
    assert code == 130, stderr
    assert tree(isolated_environment) == before


def test_ctrl_c_in_the_editor_leaves_the_config_as_it_was(
    config_file: Path, tmp_path: Path
) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text("// mine\n{}\n")
    started = tmp_path / "editor-started"
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import pathlib, sys, time\n"
        f"pathlib.Path({str(started)!r}).touch()\n"
        "pathlib.Path(sys.argv[-1]).write_text('{ broken')\n"
        "time.sleep(30)\n"
    )
    code, _ = interrupt_once(
        ["config", "edit"], started.exists, {"EDITOR": f"{sys.executable} {editor}"}
    )
    assert code == 130
    assert config_file.read_text() == "// mine\n{}\n"
    assert sorted(p.name for p in config_file.parent.iterdir()) == ["moltbot.json"]


def test_an_enormous_prompt_from_stdin_goes_out_whole(fake_openrouter: FakeOpenRouter) -> None:
    context = "line of context\n" * 200_000  # about 3 MB
    result = run_moltbot("chat", "summarize", input=context, env=KEY_ENV)
    assert result.code == 0, result.stderr
    (body,) = fake_openrouter.chat_bodies()
    sent = body["messages"][-1]["content"]
    assert sent.startswith("summarize") and sent.count("line of context") == 200_000


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through file modes")
def test_a_read_only_config_dir_is_a_clear_error(config_file: Path) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text("{}\n")
    config_file.parent.chmod(0o500)
    try:
        result = run_moltbot("config", "set", "agents.defaults.model.primary", "a/b")
    finally:
        config_file.parent.chmod(0o700)
    assert result.code == 1 and "cannot write" in result.stderr
    assert config_file.read_text() == "{}\n"


def test_a_pasted_key_with_spaces_and_newlines_is_stored_clean(
    fake_openrouter: FakeOpenRouter, isolated_environment: Path
) -> None:
    result = run_moltbot(
        "onboard",
        "--auth-choice",
        "apiKey",
        "--token-provider",
        "openrouter",
        "--token",
        f"  {TEST_KEY}\n",
        "--json",
    )
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["validated"] is True
    stored = json.loads((isolated_environment / "test-keyring.json").read_text())
    assert stored == {"moltbot/openrouter": TEST_KEY}
    (check,) = [r for r in fake_openrouter.requests if r.path.endswith("/key")]
    assert check.headers["authorization"] == f"Bearer {TEST_KEY}"


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["onboard"],
        ["chat"],
        ["config"],
        ["config", "get"],
        ["config", "set"],
        ["config", "edit"],
        ["models"],
        ["models", "list"],
        ["models", "set"],
        ["models", "status"],
        ["models", "endpoints"],
        ["models", "aliases"],
        ["models", "aliases", "add"],
        ["models", "fallbacks"],
        ["models", "fallbacks", "add"],
        ["models", "routing"],
        ["models", "routing", "set"],
        ["models", "auth"],
        ["models", "auth", "paste-token"],
        ["models", "auth", "logout"],
        ["logs"],
        ["logs", "list"],
        ["logs", "show"],
        ["logs", "prune"],
        ["usage"],
    ],
)
def test_every_help_page_works_and_says_what_the_command_does(command: list[str]) -> None:
    result = run_moltbot(*command, "--help")
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("Usage: moltbot")
    description = result.stdout.split("\n\n")[1].strip()
    assert description and not description.startswith("Options")
    listed = result.stdout.partition("Commands:")[2].splitlines()
    assert not [line for line in listed if line.endswith("...")], "a summary was cut short"


def test_the_installed_console_script_is_the_same_program() -> None:
    script = Path(sys.executable).with_name("moltbot")
    assert script.exists(), "pip install -e '.[test]' installs the `moltbot` command"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert result.stdout == run_moltbot("--version").stdout


def test_a_global_option_after_the_command_works_there_too(tmp_path: Path) -> None:
    config = tmp_path / "x.json"
    config.write_text('{ agents: { defaults: { model: { primary: "openai/gpt-5.2" } } } }')
    after = run_moltbot("models", "list", "--plain", "--config", str(config))
    assert after.code == 0, after.stderr
    assert after.stdout == run_moltbot("--config", str(config), "models", "list", "--plain").stdout


def test_version_after_the_command_says_where_it_goes() -> None:
    result = run_moltbot("models", "list", "--version")
    assert result.code == 2
    assert result.stderr.splitlines() == [
        "Error: No such option: --version (Possible options: --json)",
        "--version is a global option: put it before the command, "
        "e.g. moltbot --version models list ...",
    ]


@pytest.mark.parametrize(
    "args",
    [
        [
            "onboard",
            "--auth-choice",
            "apiKey",
            "--token-provider",
            "openrouter",
            "--non-interactive",
        ],
        ["models", "status", "--probe"],
        ["chat", "hi"],
    ],
)
def test_a_broken_env_key_is_blamed_on_the_environment(
    fake_openrouter: FakeOpenRouter, args: list[str]
) -> None:
    result = run_moltbot(*args, env={"OPENROUTER_API_KEY": "sk-or-v1-has space inside"})
    assert result.code == 4, result.stderr
    assert "OPENROUTER_API_KEY in the environment" in result.stderr
    assert "has space" not in result.output
    # Nothing but the model list (status checks the configured models; it takes no key).
    assert [r.path for r in fake_openrouter.requests if r.path != "/api/v1/models"] == []
    assert all("authorization" not in r.headers for r in fake_openrouter.requests)


def test_endpoints_still_list_with_a_broken_env_key(fake_openrouter: FakeOpenRouter) -> None:
    result = run_moltbot(
        "models",
        "endpoints",
        "openai/gpt-5.2",
        "--json",
        env={"OPENROUTER_API_KEY": "sk-or-v1-has space inside"},
    )
    assert result.code == 0, result.stderr
    assert all("authorization" not in r.headers for r in fake_openrouter.requests)
