"""Signing in with OpenRouter at the terminal: browser or headless, whichever fits.

With a display, a one-shot loopback server waits for the browser while the terminal
accepts a pasted code (or the whole address the browser ended up at, for a browser on
another machine): whichever comes first wins. Without one (`--no-browser`, SSH, no
DISPLAY/WAYLAND_DISPLAY on Linux) OpenRouter's headless mode shows the code to paste.

Nothing here writes anything: the caller stores the key it returns, as it would a pasted one.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Any

from moltbot_cli.console import Output, stdin_is_terminal
from moltbot_cli.errors import AuthError, UsageError
from moltbot_cli.openrouter.server import opening
from moltbot_cli.records import Record

if TYPE_CHECKING:
    from moltbot_cli.commands.context import AppContext
    from moltbot_cli.openrouter.callback import CallbackServer

TIMEOUT_ENV = "MOLTBOT_SIGNIN_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 300.0
TIMEOUT_FLAG = "--sign-in-timeout"
PROMPT = "Paste the code (or the address the browser shows): "
HEADLESS_PROMPT = "Code: "


class SignInOptions(Record):
    no_browser: bool = False
    key_label: str | None = None
    timeout: float | None = None  # seconds; None: MOLTBOT_SIGNIN_TIMEOUT, else 5 minutes
    may_ask: bool = True  # False with --non-interactive: never read the terminal


def default_key_label() -> str:
    import socket

    host = socket.gethostname().split(".")[0].strip()
    return f"moltbot on {host or 'this computer'}"


def timeout_seconds(flag: float | None) -> float:
    """--sign-in-timeout, then MOLTBOT_SIGNIN_TIMEOUT, then 5 minutes."""
    if flag is not None:
        value, source = flag, TIMEOUT_FLAG
    else:
        raw = os.environ.get(TIMEOUT_ENV, "").strip()
        if not raw:
            return DEFAULT_TIMEOUT_SECONDS
        try:
            value, source = float(raw), TIMEOUT_ENV
        except ValueError:
            raise UsageError(
                f"{TIMEOUT_ENV}={raw!r} is not a number of seconds",
                hint="Unset it to wait the usual 5 minutes.",
            ) from None
    if not 0 < value <= 24 * 3600:
        raise UsageError(f"{source} must be more than 0 and at most a day, in seconds")
    return value


def headless_reason(no_browser: bool) -> str | None:
    """Why no browser can be opened here, or None when one can."""
    if no_browser:
        return "--no-browser"
    if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        return "this is an SSH session"
    if (
        sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    ):
        return "no display: DISPLAY and WAYLAND_DISPLAY are unset"
    return None


def check_possible(options: SignInOptions, key_flags: str) -> None:
    """Refuse early (before anything else happens) a headless sign-in with no one to paste."""
    reason = headless_reason(options.no_browser)
    if reason is None:
        return
    if options.may_ask and stdin_is_terminal():
        return
    why = "--non-interactive was given" if not options.may_ask else "stdin is not a terminal"
    raise UsageError(
        f"signing in without a browser ({reason}) needs you to paste a code, but {why}; "
        "nothing was written",
        hint=f"Supply a key instead with {key_flags}.",
    )


def sign_in(app: AppContext, out: Output, base_url: str, options: SignInOptions) -> str:
    """One sign-in attempt, from a fresh verifier to the new key. Writes nothing."""
    from moltbot_cli.openrouter import signin

    seconds = timeout_seconds(options.timeout)
    label = signin.clean_key_label(options.key_label or default_key_label())
    pkce = signin.PKCE.fresh()  # fresh for every attempt; it lives in memory only
    page = signin.auth_page()
    reason = headless_reason(options.no_browser)
    if reason is not None:
        url = signin.sign_in_url(page, pkce.challenge, key_label=label)
        out.note(
            f"Sign in with OpenRouter ({reason}, so no browser is opened here):\n"
            f"  1. Open this address in a browser on any device:\n     {url}\n"
            "  2. Approve moltbot, then paste the code the page shows."
        )
        code = _wait(out, None, read_terminal=True, seconds=seconds, prompt=HEADLESS_PROMPT)
    else:
        from moltbot_cli.openrouter.callback import CallbackServer

        read_terminal = options.may_ask and stdin_is_terminal()
        with CallbackServer() as server:
            url = signin.sign_in_url(
                page,
                pkce.challenge,
                callback_url=signin.callback_url(server.port),
                key_label=label,
            )
            out.note(
                "Opening your browser to sign in with OpenRouter…\n"
                f"If it does not open, visit:\n  {url}"
            )
            if read_terminal:
                out.note(
                    "Approve moltbot there. If that browser is on another computer, paste the "
                    "code, or the whole address it ends up at, here."
                )
            _open_browser(url)
            code = _wait(out, server, read_terminal=read_terminal, seconds=seconds, prompt=PROMPT)
    # No retries: a code is single-use, so a retried POST after a lost answer would only be
    # refused as "already used", hiding the real failure.
    with (
        app.client(None, base_url=base_url, retries=0) as client,
        out.spinner(f"Getting your new key from {client.server}…"),
    ):
        key = signin.exchange_code(client, code, pkce)
    out.note(f"Signed in: {opening(client.server)} issued a new key, labelled {label!r}.")
    return key


def _open_browser(url: str) -> None:
    """webbrowser (which honours BROWSER), off the main thread: a slow one must not block."""
    import contextlib
    import threading

    def run() -> None:
        import webbrowser

        with contextlib.suppress(Exception):  # the printed URL is the way around any failure
            webbrowser.open(url, new=2)

    threading.Thread(target=run, name="open-browser", daemon=True).start()


def _describe(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} seconds"


def _timed_out(seconds: float) -> AuthError:
    return AuthError(
        f"no sign-in within {_describe(seconds)}; nothing was written",
        hint=f"Run it again, or allow longer with {TIMEOUT_FLAG} SECONDS (or {TIMEOUT_ENV}).",
    )


def _wait(
    out: Output,
    server: CallbackServer | None,
    *,
    read_terminal: bool,
    seconds: float,
    prompt: str,
) -> str:
    """The first code to arrive, from the browser or the terminal, within `seconds`."""
    from moltbot_cli.openrouter.signin import code_from_text

    if os.name == "nt":  # select() cannot wait on a Windows console
        return _wait_windows(out, server, seconds=seconds, prompt=prompt)
    import select

    deadline = time.monotonic() + seconds
    stdin_fd = sys.stdin.fileno() if read_terminal else None
    sources: list[Any] = [server.wake_socket] if server is not None else []
    if stdin_fd is not None:
        sources.append(stdin_fd)
        _prompt(out, prompt)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not sources:
            if stdin_fd is not None:
                out.note("")
            raise _timed_out(seconds)
        ready, _, _ = select.select(sources, [], [], remaining)
        if server is not None and server.finished:
            if stdin_fd is not None:
                out.note("")  # end the unanswered prompt's line
            if server.declined or server.code is None:
                raise AuthError(
                    "the sign-in was declined on OpenRouter's page; nothing was written",
                    hint="Run it again and approve moltbot, or paste a key instead.",
                )
            out.note("The browser came back with a sign-in code.")
            return server.code
        if stdin_fd is None or stdin_fd not in ready:
            continue
        raw = os.read(stdin_fd, 4096)
        if not raw:  # Ctrl-D: stop reading the terminal; the browser may still come back
            sources.remove(stdin_fd)
            stdin_fd = None
            if server is None:
                raise AuthError("no code was pasted; nothing was written")
            out.note("")
            continue
        text = raw.decode("utf-8", errors="replace").strip()
        if not text:
            _prompt(out, prompt)
            continue
        try:
            return code_from_text(text)
        except UsageError as error:
            out.note(f"{error.message[0].upper()}{error.message[1:]}; paste it again.")
            _prompt(out, prompt)


def _wait_windows(
    out: Output, server: CallbackServer | None, *, seconds: float, prompt: str
) -> str:
    from moltbot_cli.openrouter.signin import code_from_text

    if server is not None:
        if not server.wait(seconds):
            raise _timed_out(seconds)
        if server.code is None:
            raise AuthError("the sign-in was declined on OpenRouter's page; nothing was written")
        return server.code
    while True:
        _prompt(out, prompt)
        text = sys.stdin.readline()
        if not text:
            raise AuthError("no code was pasted; nothing was written")
        try:
            return code_from_text(text)
        except UsageError as error:
            out.note(f"{error.message}; paste it again.")


def _prompt(out: Output, text: str) -> None:
    out.stderr.write(text)
    out.stderr.flush()
