"""Signing in end to end: the installed `moltbot` against the fake sign-in page and
/auth/keys on loopback, with the BROWSER double playing the person at the browser, or a
pseudo-terminal playing the person at the keyboard.

After every run: the message, the exit code, and what is on disk; the new key is nowhere
but the key store (not on stdout, stderr, in -v traces or in any other file).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import json5
import pytest

from tests.support.cli import Result, run_moltbot
from tests.support.fake_openrouter import (
    fake_openrouter_fixture,  # noqa: F401
)
from tests.support.fake_signin import FakeSignIn, fake_signin_fixture  # noqa: F401
from tests.support.keyring_backend import keyring_of
from tests.support.terminal import Terminal as BaseTerminal

DISPLAY = {"DISPLAY": ":0"}
SIGN_IN_URL = re.compile(r"http://127\.0\.0\.1:\d+/auth\?\S+")
CODE_PROMPT = "Code: "
PASTE_PROMPT = "Paste the code (or the address the browser shows): "
SEARCH_PROMPT = "Search models: "
ROUTING_PROMPT = "(optional) [y/N]: "
TEST_CHAT_PROMPT = "once saved? (one short reply, a tiny cost) [Y/n]: "


def sandbox_files(home: Path) -> dict[str, bytes]:
    """Every file in the sandbox but the browser double's own log."""
    return {
        str(path.relative_to(home)): path.read_bytes()
        for path in sorted(home.rglob("*"))
        if path.is_file() and path.name != "browser.log"
    }


def assert_key_only_in_store(home: Path, key: str, *outputs: str) -> None:
    for output in outputs:
        assert key not in output
    for name, data in sandbox_files(home).items():
        if name != "test-keyring.json":
            assert key.encode() not in data, name


def browser_log(home: Path) -> list[dict[str, object]]:
    path = home / "browser.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


class Terminal(BaseTerminal):
    """A moltbot command in a pseudo-terminal, wide enough for a sign-in URL on one line."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        super().__init__(*args, env=env, columns=400)

    def sign_in_url(self) -> str:
        self.child.expect(SIGN_IN_URL)
        return str(self.child.after)


def headless_code(url: str) -> str:
    """What the person reads off OpenRouter's page in headless mode."""
    page = httpx.get(url, timeout=10)
    found = re.search(r"<code id='code'>([^<]+)</code>", page.text)
    assert found, page.text
    return found.group(1)


def finish_wizard(terminal: Terminal) -> None:
    """After the key: keep the default model, no routing, no test chat."""
    terminal.answer(SEARCH_PROMPT, "")
    terminal.answer(ROUTING_PROMPT, "n")
    terminal.answer(TEST_CHAT_PROMPT, "n")


# -- (1) a browser on this machine -------------------------------------------------------------


def test_the_browser_approves_and_the_callback_brings_the_key(
    fake_signin: FakeSignIn, isolated_environment: Path, config_file: Path, keyring_file: Path
) -> None:
    result = run_moltbot(
        "-v",
        "onboard",
        "--auth-choice",
        "oauth",
        env={**DISPLAY, "MOLTBOT_TEST_BROWSER": "approve"},
    )
    assert result.code == 0, result.stderr
    assert "Opening your browser to sign in with OpenRouter" in result.stderr
    assert "The browser came back with a sign-in code." in result.stderr
    assert f"Signed in: {fake_signin.openrouter.host} issued a new key" in result.stderr
    assert "moltbot is set up:" in result.stdout
    [key] = fake_signin.issued_keys
    assert keyring_of(keyring_file) == {"moltbot/openrouter": key}
    config = json5.loads(config_file.read_text())
    assert config["agents"]["defaults"]["model"]["primary"].startswith("openrouter/")
    assert config["auth"]["profiles"]["openrouter:default"]["provider"] == "openrouter"
    # What the page was sent: a loopback callback, the S256 challenge, the default label.
    [visit] = fake_signin.page_visits
    assert re.fullmatch(r"http://localhost:\d+/callback", visit["callback_url"][0])
    assert visit["code_challenge_method"] == ["S256"]
    assert visit["key_label"][0].startswith("moltbot on ")
    # The browser saw the "you can close this tab" page; the key was checked with GET /key.
    approve = [entry for entry in browser_log(isolated_environment) if "action" in entry]
    assert approve[0]["status"] == 200 and "close this tab" in str(approve[0]["body"])
    assert fake_signin.openrouter.requests[-1].path == "/api/v1/key"
    assert_key_only_in_store(isolated_environment, key, result.stdout, result.stderr)


def test_auth_login_signs_in_and_stores_the_key(
    fake_signin: FakeSignIn, isolated_environment: Path, keyring_file: Path, config_file: Path
) -> None:
    result = run_moltbot(
        "models",
        "auth",
        "login",
        "--provider",
        "openrouter",
        "--key-label",
        "ci box",
        env={**DISPLAY, "MOLTBOT_TEST_BROWSER": "approve"},
    )
    assert result.code == 0, result.stderr
    [key] = fake_signin.issued_keys
    assert keyring_of(keyring_file) == {"moltbot/openrouter": key}
    assert "Stored the OpenRouter key" in result.stderr
    assert fake_signin.page_visits[0]["key_label"] == ["ci box"]
    assert not config_file.exists()  # login stores the key, as paste-token does
    assert_key_only_in_store(isolated_environment, key, result.stdout, result.stderr)


def test_requests_to_other_paths_or_without_a_code_are_ignored(
    fake_signin: FakeSignIn, isolated_environment: Path, keyring_file: Path
) -> None:
    result = run_moltbot(
        "onboard",
        "--auth-choice",
        "oauth",
        "--key-store",
        "file",
        env={**DISPLAY, "MOLTBOT_TEST_BROWSER": "wrong-path,no-code,approve"},
    )
    assert result.code == 0, result.stderr
    actions = {
        entry["action"]: entry for entry in browser_log(isolated_environment) if "action" in entry
    }
    assert actions["wrong-path"]["status"] == 404
    assert actions["no-code"]["status"] == 400
    assert actions["approve"]["status"] == 200
    # Only the real code was exchanged, once.
    assert [status for status, _ in fake_signin.exchanges] == [200]
    assert fake_signin.exchanges[0][1]["code"] != "planted"  # type: ignore[index]


# -- (2) headless: a pseudo-terminal typing the code --------------------------------------------


def test_headless_wizard_types_the_code(
    fake_signin: FakeSignIn, isolated_environment: Path, config_file: Path, keyring_file: Path
) -> None:
    terminal = Terminal("-v", "onboard")  # no DISPLAY: headless
    terminal.expect("1. Sign in with OpenRouter (opens your browser)")
    terminal.answer("Choose 1 or 2 [1]: ", "")  # Enter signs in
    terminal.expect("so no browser is opened here")
    url = terminal.sign_in_url()
    assert "callback_url" not in url and "code_challenge_method=S256" in url
    terminal.answer(CODE_PROMPT, headless_code(url))
    terminal.expect("Key OK")
    finish_wizard(terminal)
    assert terminal.finish() == 0
    [key] = fake_signin.issued_keys
    assert keyring_of(keyring_file) == {"moltbot/openrouter": key}
    assert config_file.exists()
    assert not browser_log(isolated_environment)  # no browser was opened
    assert_key_only_in_store(isolated_environment, key, terminal.output)


def test_over_ssh_the_sign_in_is_headless_even_with_a_display(
    fake_signin: FakeSignIn, isolated_environment: Path, keyring_file: Path
) -> None:
    terminal = Terminal(
        "models",
        "auth",
        "login",
        "--provider",
        "openrouter",
        env={**DISPLAY, "SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22"},
    )
    terminal.expect("this is an SSH session")
    terminal.answer(CODE_PROMPT, headless_code(terminal.sign_in_url()))
    terminal.expect("Stored the OpenRouter key")
    assert terminal.finish() == 0
    assert keyring_of(keyring_file) == {"moltbot/openrouter": fake_signin.issued_keys[0]}


# -- (3) the browser is elsewhere: paste the whole redirected address ----------------------------


def test_pasting_the_redirected_address_wins_over_the_callback(
    fake_signin: FakeSignIn, isolated_environment: Path, keyring_file: Path
) -> None:
    terminal = Terminal(
        "onboard", "--auth-choice", "oauth", env={**DISPLAY, "MOLTBOT_TEST_BROWSER": "visit"}
    )
    terminal.expect(PASTE_PROMPT)
    fake_signin.wait_for_code()
    assert fake_signin.last_redirect is not None
    terminal.child.sendline(fake_signin.last_redirect)
    terminal.expect("Key OK")
    finish_wizard(terminal)
    assert terminal.finish() == 0
    [key] = fake_signin.issued_keys
    assert keyring_of(keyring_file) == {"moltbot/openrouter": key}
    assert_key_only_in_store(isolated_environment, key, terminal.output)


def test_pasted_junk_is_asked_again(fake_signin: FakeSignIn, isolated_environment: Path) -> None:
    terminal = Terminal("onboard", "--auth-choice", "oauth", "--no-browser")
    url = terminal.sign_in_url()
    terminal.answer(CODE_PROMPT, "http://localhost:1/callback?state=x")
    terminal.expect("That address carries no code (look for `?code=` in it); paste it again.")
    terminal.answer(CODE_PROMPT, headless_code(url))
    terminal.expect("Key OK")
    finish_wizard(terminal)
    assert terminal.finish() == 0


# -- (4) what goes wrong ---------------------------------------------------------------------------


def assert_nothing_written(home: Path) -> None:
    assert sandbox_files(home) == {}


def test_a_wrong_code_at_the_callback_is_exit_4(
    fake_signin: FakeSignIn, isolated_environment: Path
) -> None:
    # A code planted at the right path (say, by another local program) is taken, and fails:
    # it was not issued for this sign-in's verifier.
    result = run_moltbot(
        "onboard",
        "--auth-choice",
        "oauth",
        env={**DISPLAY, "MOLTBOT_TEST_BROWSER": "plant"},
    )
    assert result.code == 4
    assert (
        f"Error: {fake_signin.openrouter.host} did not accept the sign-in code (403): it is "
        "mistyped, expired (codes last 10 minutes) or already used" in result.stderr
    )
    assert "nothing was written" in result.stderr
    assert_nothing_written(isolated_environment)


def test_an_expired_code_is_exit_4(fake_signin: FakeSignIn, isolated_environment: Path) -> None:
    fake_signin.code_ttl = 0.0
    result = run_moltbot(
        "onboard", "--auth-choice", "oauth", env={**DISPLAY, "MOLTBOT_TEST_BROWSER": "approve"}
    )
    assert result.code == 4, result.stderr
    assert "did not accept the sign-in code (403)" in result.stderr
    assert [status for status, _ in fake_signin.exchanges] == [403]
    assert_nothing_written(isolated_environment)


def test_a_reused_code_is_refused_and_the_wizard_offers_another_try(
    fake_signin: FakeSignIn, isolated_environment: Path, keyring_file: Path
) -> None:
    first = run_moltbot(
        "onboard", "--auth-choice", "oauth", env={**DISPLAY, "MOLTBOT_TEST_BROWSER": "approve"}
    )
    assert first.code == 0, first.stderr
    before = sandbox_files(isolated_environment)
    used = fake_signin.last_redirect
    assert used is not None
    terminal = Terminal("onboard", "--auth-choice", "oauth", "--no-browser")
    terminal.answer(CODE_PROMPT, used)
    terminal.expect("did not accept the sign-in code (403)")
    terminal.answer("Try signing in again? [Y/n]: ", "y")
    url = terminal.sign_in_url()
    terminal.answer(CODE_PROMPT, "wrong-code")
    terminal.expect("did not accept the sign-in code (403)")
    terminal.answer("Try signing in again? [Y/n]: ", "n")
    terminal.expect(f"Error: {fake_signin.openrouter.host} did not accept the sign-in code")
    assert terminal.finish() == 4
    assert url
    assert sandbox_files(isolated_environment) == before  # the first key is untouched


def test_a_declined_sign_in_is_exit_4(fake_signin: FakeSignIn, isolated_environment: Path) -> None:
    result = run_moltbot(
        "onboard", "--auth-choice", "oauth", env={**DISPLAY, "MOLTBOT_TEST_BROWSER": "deny"}
    )
    assert result.code == 4
    assert "Error: the sign-in was declined on OpenRouter's page; nothing was written" in (
        result.stderr
    )
    assert fake_signin.exchanges == []
    assert_nothing_written(isolated_environment)


def test_no_code_in_time_is_exit_4(fake_signin: FakeSignIn, isolated_environment: Path) -> None:
    result = run_moltbot(
        "onboard",
        "--auth-choice",
        "oauth",
        "--sign-in-timeout",
        "1",
        env={**DISPLAY, "MOLTBOT_TEST_BROWSER": "wrong-path,no-code"},
    )
    assert result.code == 4
    assert "Error: no sign-in within 1 seconds; nothing was written" in result.stderr
    assert "--sign-in-timeout SECONDS (or MOLTBOT_SIGNIN_TIMEOUT)" in result.stderr
    assert fake_signin.exchanges == []
    assert_nothing_written(isolated_environment)


def test_the_timeout_comes_from_the_environment_too(isolated_environment: Path) -> None:
    # OPENROUTER_AUTH_URL points at a dead address by default: the browser double opens it
    # and nothing comes back.
    result = run_moltbot(
        "models", "auth", "login", env={**DISPLAY, "MOLTBOT_SIGNIN_TIMEOUT": "0.5"}
    )
    assert result.code == 4
    assert "no sign-in within 0.5 seconds" in result.stderr
    [opened] = browser_log(isolated_environment)
    assert str(opened["opened"]).startswith("http://127.0.0.1:9/auth?callback_url=")


@pytest.mark.parametrize("mode", ["headless", "browser"])
def test_ctrl_c_while_waiting_is_130_and_writes_nothing(
    fake_signin: FakeSignIn, isolated_environment: Path, mode: str
) -> None:
    env = DISPLAY if mode == "browser" else {}
    terminal = Terminal("onboard", "--auth-choice", "oauth", env=env)
    terminal.expect(PASTE_PROMPT if mode == "browser" else CODE_PROMPT)
    if mode == "browser":
        # The browser opens off the main thread; interrupt once it has, so that no browser
        # started after the Ctrl-C keeps the terminal open (and the test waiting) on a slow
        # machine.
        wait_for(lambda: browser_log(isolated_environment))
    terminal.child.sendintr()
    assert terminal.finish() == 130
    assert_nothing_written(isolated_environment)


def wait_for(condition: Callable[[], object], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("args", "env", "message", "hint"),
    [
        (
            ("onboard", "--auth-choice", "oauth", "--non-interactive", "--no-browser"),
            {},
            "Error: signing in without a browser (--no-browser) needs you to paste a code, but "
            "--non-interactive was given; nothing was written",
            "Supply a key instead with --token KEY (or --token-stdin), with --auth-choice apiKey.",
        ),
        (
            ("models", "auth", "login"),
            {"SSH_TTY": "/dev/pts/1"},
            "Error: signing in without a browser (this is an SSH session) needs you to paste a "
            "code, but stdin is not a terminal; nothing was written",
            "Supply a key instead with `moltbot models auth paste-token --provider openrouter` "
            "(the key on stdin).",
        ),
        (
            ("models", "auth", "login", "--method", "password"),
            {},
            "Error: unknown --method 'password'",
            "Accepted: oauth, api-key.",
        ),
        (
            ("onboard", "--auth-choice", "oauth", "--key-label", " "),
            DISPLAY,
            "Error: --key-label is empty",
            "Give the new key a name, or leave it out.",
        ),
        (
            ("onboard", "--auth-choice", "oauth", "--sign-in-timeout", "0"),
            DISPLAY,
            "Error: --sign-in-timeout must be more than 0 and at most a day, in seconds",
            None,
        ),
        (
            ("onboard", "--key-label", "x", "--token", "sk-or-v1-abc"),
            {},
            "Error: --key-label applies to signing in, but a key was given; nothing was written",
            "Drop the key and use --auth-choice oauth to sign in, or drop --key-label.",
        ),
    ],
    ids=[
        "non-interactive",
        "ssh-no-terminal",
        "bad-method",
        "empty-label",
        "zero-timeout",
        "label-with-key",
    ],
)
def test_usage_errors_are_exit_2_and_write_nothing(
    isolated_environment: Path,
    args: tuple[str, ...],
    env: dict[str, str],
    message: str,
    hint: str | None,
) -> None:
    result: Result = run_moltbot(*args, env=env)
    assert result.code == 2, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == message
    if hint:
        assert lines[1] == hint
    assert not browser_log(isolated_environment)  # refused before any browser opened
    assert_nothing_written(isolated_environment)


# -- completion ------------------------------------------------------------------------------------


def _complete(words: str) -> list[str]:
    result = run_moltbot(
        env={
            "_MOLTBOT_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        }
    )
    assert result.code == 0, result.stderr
    return result.stdout.split()


def test_tab_completes_the_sign_in_commands_flags_and_values() -> None:
    assert _complete("moltbot models auth l") == ["login", "logout"]
    assert {"--no-browser", "--key-label", "--sign-in-timeout"} <= set(
        _complete("moltbot onboard --")
    )
    assert _complete("moltbot onboard --auth-choice o") == [
        "oauth",
        "openrouter-oauth",
        "openrouter-api-key",
    ]
    assert _complete("moltbot models auth login --method a") == ["api-key"]


# -- the other ways in ------------------------------------------------------------------------------


def test_non_interactive_with_a_browser_waits_for_the_callback_only(
    fake_signin: FakeSignIn, keyring_file: Path
) -> None:
    terminal = Terminal(
        "onboard",
        "--auth-choice",
        "oauth",
        "--non-interactive",
        env={**DISPLAY, "MOLTBOT_TEST_BROWSER": "approve"},
    )
    terminal.expect("moltbot is set up:")
    assert terminal.finish() == 0
    assert PASTE_PROMPT not in terminal.output  # --non-interactive: the terminal is not read
    assert keyring_of(keyring_file) == {"moltbot/openrouter": fake_signin.issued_keys[0]}


def test_auth_login_with_a_typed_key(
    fake_signin: FakeSignIn, isolated_environment: Path, keyring_file: Path
) -> None:
    terminal = Terminal("models", "auth", "login", "--method", "api-key")
    terminal.answer("OpenRouter API key (input hidden): ", "sk-or-v1-test-" + "x" * 20)
    terminal.expect("Stored the OpenRouter key")
    assert terminal.finish() == 0
    assert fake_signin.page_visits == []
    assert keyring_of(keyring_file) == {"moltbot/openrouter": "sk-or-v1-test-" + "x" * 20}
