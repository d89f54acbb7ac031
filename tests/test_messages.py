"""Messages that point the right way: what was sent, which server, which config, no circles.

Through the installed CLI, against the fake OpenRouter or a scripted server.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pexpect
import pytest

from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    CATALOGUE,
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)
from tests.support.keyring_backend import keyring_of
from tests.support.scripted_server import (
    Canned,
    ScriptedServer,
    scripted_server_fixture,  # noqa: F401
)

KEY_ENV = {"OPENROUTER_API_KEY": TEST_KEY}
MODELS = Canned(200, json.dumps({"data": CATALOGUE}).encode())
# What a wrong base URL's message says was tried: the failing path, then the catalogue.
FOR_PATHS = {
    "/chat/completions": "/chat/completions and for /models",
    "/key": "/key and for /models",
    "/models": "/models",  # the catalogue itself: named once
}
UNAUTHORIZED = Canned(401, json.dumps({"error": {"message": "Missing Authentication"}}).encode())


# -- the catalogue carries the key; a key-less 401 says what was sent ------------------------


def test_the_catalogue_request_carries_the_key_when_there_is_one(
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.answer("GET", "/models", MODELS)
    assert run_moltbot("models", "list", "--all", "--plain", env=KEY_ENV).code == 0
    assert run_moltbot("models", "list", "--all", "--plain", "--refresh").code == 0
    with_key, without = scripted_server.requests
    assert with_key.headers["authorization"] == f"Bearer {TEST_KEY}"
    assert "authorization" not in without.headers


def test_a_401_to_a_request_without_a_key_says_none_was_sent(
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.answer("GET", "/models", UNAUTHORIZED)
    result = run_moltbot("models", "list", "--all")
    assert result.code == 4
    assert "rejected" not in result.stderr
    host = urlsplit(scripted_server.base_url).netloc
    assert result.stderr.splitlines() == [
        f"Error: {host} wants an API key (401), and this request was sent without one: "
        "Missing Authentication",
        "Set one up with `moltbot onboard` (or set OPENROUTER_API_KEY).",
    ]


# -- 404s: no key-check endpoint, or a base URL that answers nothing -------------------------


def test_a_404_from_get_key_means_no_key_check_endpoint(scripted_server: ScriptedServer) -> None:
    scripted_server.answer("GET", "/models", MODELS)
    result = run_moltbot("onboard", "--token", TEST_KEY, "--non-interactive")
    assert result.code == 7
    assert "not available" not in result.stderr
    assert result.stderr.splitlines() == [
        "Error: could not check the key: this server has no key-check endpoint "
        f"({scripted_server.base_url}/key answers 404)",
        "Pass --skip-validate to use the key without checking it.",
    ]
    # ... and --skip-validate gets past it.
    assert run_moltbot("onboard", "--token", TEST_KEY, "--skip-validate").code == 0


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (["chat", "hi"], "/chat/completions"),
        (["models", "list", "--all"], "/models"),
        (["onboard", "--token", TEST_KEY, "--non-interactive"], "/key"),
    ],
)
def test_every_path_404s_names_the_base_url_and_where_it_came_from(
    scripted_server: ScriptedServer, args: list[str], path: str
) -> None:
    result = run_moltbot(*args, env=KEY_ENV)
    assert result.code == 2
    assert result.stderr.splitlines() == [
        f"Error: the server at {scripted_server.base_url} (from OPENROUTER_BASE_URL in the "
        f"environment) answers 404 for {FOR_PATHS[path]}: it is not an "
        "OpenRouter-compatible API at that address",
        "Check the base URL: OpenRouter's is https://openrouter.ai/api/v1, and a compatible "
        "server's usually ends in /v1.",
    ]
    assert "models list --all" not in result.stderr  # no circle back to the failing command


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (["chat", "hi"], "/chat/completions"),
        (["models", "list", "--all"], "/models"),
        (["models", "endpoints", "anthropic/claude-sonnet-4-5"], "/models"),  # catalogue first
    ],
)
def test_a_404_quoting_its_own_path_is_still_a_wrong_base_url(
    fake_openrouter: FakeOpenRouter,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    path: str,
) -> None:
    # Many servers answer an unknown path with its name ("Not Found: /api/models", Express's
    # "Cannot GET /api/models"): "models" in that text is the path, not a model's fault.
    url = fake_openrouter.base_url.removesuffix("/v1")
    monkeypatch.setenv("OPENROUTER_BASE_URL", url)
    result = run_moltbot(*args, env=KEY_ENV)
    assert result.code == 2, result.stderr
    assert result.stderr.splitlines()[0] == (
        f"Error: the server at {url} (from OPENROUTER_BASE_URL in the environment) answers "
        f"404 for {FOR_PATHS[path]}: it is not an OpenRouter-compatible API at that address"
    )
    assert "not available" not in result.stderr
    assert " models list --all" not in result.stderr  # no circle back to a failing command
    assert " models endpoints" not in result.stderr


def test_a_base_url_from_the_config_is_named_with_the_file(
    scripted_server: ScriptedServer, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENROUTER_BASE_URL")
    config_file.parent.mkdir(parents=True, exist_ok=True)
    url = scripted_server.base_url.removesuffix("/v1")  # the classic mistake: no /v1
    config_file.write_text(
        f'{{ models: {{ providers: {{ openrouter: {{ baseUrl: "{url}" }} }} }} }}'
    )
    result = run_moltbot("chat", "hi", env=KEY_ENV)
    assert result.code == 2
    assert result.stderr.splitlines()[0].startswith(
        f"Error: the server at {url} (from models.providers.openrouter.baseUrl in {config_file})"
    )


def test_a_model_404_is_still_about_the_model(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.fail("404")
    result = run_moltbot("chat", "hi", env=KEY_ENV)
    assert result.code == 7
    assert "is not available (404)" in result.stderr
    assert [r.path for r in fake_openrouter.requests] == ["/api/v1/chat/completions"]


# -- an empty 200 stream: asked again unstreamed, the real error reported --------------------


def test_an_empty_stream_reports_the_unstreamed_error(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.fail(
        "empty", body={"error": {"code": 400, "message": "max_tokens is too large"}}
    )
    result = run_moltbot("chat", "hi", env=KEY_ENV)
    assert result.code == 2
    assert result.stderr.splitlines()[0] == (
        f"Error: {fake_openrouter.host} could not accept the request (400): max_tokens is too large"
    )
    assert [body["stream"] for body in fake_openrouter.chat_bodies()] == [True, False]


# -- onboard --skip-validate still checks the model ----------------------------------------------


def test_skip_validate_still_checks_the_model_against_the_catalogue(
    fake_openrouter: FakeOpenRouter, config_file: Path, keyring_file: Path
) -> None:
    result = run_moltbot(
        "onboard", "--token", TEST_KEY, "--skip-validate", "--model", "openai/gpt-9-nope"
    )
    assert result.code == 2
    assert (
        f"openrouter/openai/gpt-9-nope is not in the model catalogue of {fake_openrouter.host}"
        in result.stderr
    )
    assert not config_file.exists()
    assert [r.path for r in fake_openrouter.requests] == ["/api/v1/models"]  # no GET /key


# -- hints name the config in use ------------------------------------------------------------------


@pytest.mark.parametrize("spelling", [["--config", "{F}"], ["--config={F}"]])
def test_hints_name_the_config_given_with_the_flag(tmp_path: Path, spelling: list[str]) -> None:
    broken = tmp_path / "my config.json5"
    broken.write_text("{ agents: { defaults: { modle: {} } } }")
    args = [part.replace("{F}", str(broken)) for part in spelling]
    result = run_moltbot(*args, "models", "list")
    assert result.code == 3
    assert f"`moltbot --config '{broken}' config edit`" in result.stderr
    assert "`moltbot config" not in result.stderr


def test_the_model_ref_hint_lists_the_aliases_of_the_config_given(tmp_path: Path) -> None:
    config = tmp_path / "x.json5"
    config.write_text("{}")
    result = run_moltbot("--config", str(config), "models", "aliases", "add", "x", "a/b c")
    assert result.code == 2
    assert f"(`moltbot --config {config} models aliases list`)" in result.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_notes_name_the_config_given_with_the_flag(tmp_path: Path, where: str) -> None:
    config = tmp_path / "my config.json5"
    quoted = f"'{config}'"

    def moltbot(*args: str, **options: Any) -> Any:
        flag = ("--config", str(config))
        return run_moltbot(*(flag + args if where == "before" else args + flag), **options)

    # The warning about a key in plain text suggests two commands: both act on F.
    stored = moltbot("config", "set", "env.OPENROUTER_API_KEY", TEST_KEY)
    assert stored.code == 0, stored.stderr
    assert f"`moltbot --config {quoted} models auth paste-token --provider openrouter`" in (
        stored.stderr
    )
    assert f"`moltbot --config {quoted} config unset env.OPENROUTER_API_KEY`" in stored.stderr
    # `config validate` ends with a note, not an error, suggesting `config edit`.
    config.write_text("{ agents: { defaults: { modle: {} } } }")
    result = moltbot("config", "validate")
    assert result.code == 3
    assert result.stderr == (
        f"{config} has 1 error; fix with `moltbot --config {quoted} config edit`.\n"
    )
    for run in (stored, result):
        assert "`moltbot config" not in run.stderr and "`moltbot models" not in run.stderr
    # Without the flag, the suggestions stay as they were.
    plain = run_moltbot("config", "validate", env={"MOLTBOT_CONFIG_PATH": str(config)})
    assert plain.stderr == f"{config} has 1 error; fix with `moltbot config edit`.\n"


@pytest.mark.parametrize("where", ["before", "after"])
def test_onboards_next_step_names_the_config_given_with_the_flag(
    tmp_path: Path, fake_openrouter: FakeOpenRouter, where: str
) -> None:
    # `moltbot chat "hello"` would read another config (the default one): not set up.
    config = tmp_path / "my config.json5"
    flag = ("--config", str(config))
    args = ("onboard", "--token", TEST_KEY, "--non-interactive")
    result = run_moltbot(*(flag + args if where == "before" else args + flag))
    assert result.code == 0, result.stderr
    assert (
        result.stdout.splitlines()[-1] == f"Next, try: moltbot --config '{config}' chat \"hello\""
    )
    plain = run_moltbot(*args)
    assert plain.stdout.splitlines()[-1] == 'Next, try: moltbot chat "hello"'


# -- messages that said the wrong thing ------------------------------------------------------------


def test_a_duplicate_key_is_not_said_to_win(config_file: Path) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text("{ agents: {}, agents: {} }")
    result = run_moltbot("config", "validate")
    assert result.code == 3
    assert "the last one wins" not in result.output
    assert "key appears more than once; keep only one of them" in result.output


def test_an_endless_retry_after_is_not_inf_seconds(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.fail("429", retry_after="inf")
    result = run_moltbot("chat", "--retries", "1", "hi", env=KEY_ENV)
    assert result.code == 6
    assert "inf" not in result.stderr


def test_no_at_the_re_edit_prompt_is_a_choice_not_an_error(
    config_file: Path, tmp_path: Path
) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text("{}\n")
    editor = tmp_path / "editor.py"
    editor.write_text("import sys, pathlib\npathlib.Path(sys.argv[-1]).write_text('{ nope: 1 }')\n")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "moltbot_cli", "config", "edit"],
        env={**os.environ, "EDITOR": f"{sys.executable} {editor}"},
        encoding="utf-8",
        timeout=20,
    )
    child.expect_exact("Edit again? (no discards your changes) [Y/n]: ")
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    output = child.before or ""
    assert child.exitstatus == 0
    assert "Error:" not in output
    assert "Discarded the edit; the config was left as it was" in output
    assert config_file.read_text() == "{}\n"


# -- onboard summaries about the key ----------------------------------------------------------------


def test_skip_reports_the_key_in_use(fake_openrouter: FakeOpenRouter) -> None:
    result = run_moltbot("onboard", "--auth-choice", "skip", env=KEY_ENV)
    assert result.code == 0, result.stderr
    assert (
        "API key        sk-or-v1-te…xxx from OPENROUTER_API_KEY in the environment "
        "(left as it is: --auth-choice skip)"
    ) in result.stdout


def test_the_wizard_offers_to_store_a_key_from_the_environment(
    fake_openrouter: FakeOpenRouter, keyring_file: Path
) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "moltbot_cli", "onboard", "--model", "openai/gpt-5.2"],
        env={**os.environ, **KEY_ENV, "TERM": "xterm"},
        encoding="utf-8",
        timeout=20,
        dimensions=(50, 200),
    )
    child.expect_exact("Use it? [Y/n]: ")
    child.sendline("")
    child.expect_exact("Store it too, so moltbot works without OPENROUTER_API_KEY set? [Y/n]: ")
    child.sendline("")
    child.expect_exact("(optional) [y/N]: ")
    child.sendline("n")
    child.expect_exact("[Y/n]: ")  # the test chat
    child.sendline("n")
    child.expect_exact("stored in the keyring")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert keyring_of(keyring_file) == {"moltbot/openrouter": TEST_KEY}


@pytest.mark.parametrize(
    "args", [["models", "status", "--probe"], ["usage", "--probe"]], ids=["status", "usage"]
)
def test_a_probe_without_a_key_check_endpoint_suggests_no_flag_it_lacks(
    scripted_server: ScriptedServer, args: list[str]
) -> None:
    # --skip-validate belongs to onboard and auth; these commands have no such flag.
    scripted_server.answer("GET", "/models", MODELS)
    result = run_moltbot(*args, env=KEY_ENV)
    assert result.code == 7
    assert result.stderr.splitlines()[-2:] == [
        "Error: this server has no key-check endpoint "
        f"({scripted_server.base_url}/key answers 404)",
        "It cannot report on keys; leave out --probe.",
    ]


def test_an_unexpected_failure_is_one_clean_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The last-resort line quotes the exception as any message is quoted: a key in it
    masked, an escape sequence shown rather than obeyed, on one line."""
    from moltbot_cli import app
    from moltbot_cli.commands import chat_args
    from moltbot_cli.masking import remember_secret

    key = "sk-or-v1-" + "f" * 64
    remember_secret(key)  # as when the key in use is loaded

    def broken(args: object) -> None:
        raise RuntimeError(f"bad\x1b[2J state\nwith {key}")

    monkeypatch.setattr(chat_args, "parse", broken)
    with pytest.raises(SystemExit) as ended:
        app.main(["chat", "hi"])
    assert ended.value.code == 1
    err = capsys.readouterr().err
    first, second = err.splitlines()
    assert first.startswith(
        "Error: unexpected failure: RuntimeError: bad\\x1b[2J state with sk-or-"
    )
    assert key not in err and "\x1b" not in err
    assert second == "This is a bug in moltbot; run again with --verbose for details."


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_suggested_command_outside_backticks_names_the_config_too(
    tmp_path: Path, where: str
) -> None:
    config = tmp_path / "my config.json5"
    flag = ["--config", str(config)]
    args = ["chat", "-n"]
    result = run_moltbot(*(flag + args if where == "before" else args + flag))
    assert result.code == 2
    assert result.stderr.splitlines() == [
        "Error: no prompt given, and -n/--no-stdin leaves stdin unread",
        f"Give the prompt as arguments: moltbot --config '{config}' chat -n \"hello\".",
    ]
