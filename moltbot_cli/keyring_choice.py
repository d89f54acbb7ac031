"""Which keyring backend to ask, found without keyring's full discovery when it is known.

Left to itself, keyring picks a backend by importing every installed one (entry points)
and asking each whether it works. On Linux that costs every key lookup about 80 ms:
the macOS backend runs `ldconfig`/`gcc` at import (ctypes.util.find_library) only to be
refused, and Secret Service pulls in secretstorage, jeepney and cryptography even when
another backend wins. So, with the same answers as keyring's own choice:

- `PYTHON_KEYRING_BACKEND` and keyring's own `keyringrc.cfg` are keyring's cheap, explicit
  choices: honoured first, as keyring does, and never cached over.
- The backend that last *answered with the key* is remembered in the cache directory,
  with a fingerprint of what could change keyring's choice (installed packages, the
  desktop session). The next lookup loads that backend alone. Anything short of a key
  from it (not viable, failing, empty) falls back to keyring's full discovery, so a stale
  choice can cost time but never change the answer.
- Off macOS, the macOS backend's library lookup is skipped: that backend refuses to run
  anywhere else (its `priority` raises "macOS required" before it looks at the library).

Storing or deleting a key forgets the remembered choice: the next lookup discovers anew.
Everything here runs inside credentials' time-bounded keyring thread.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from moltbot_cli.files import write_atomically
from moltbot_cli.paths import cache_dir

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

CHOICE_FILENAME = "keyring-backend.json"
CHAINER = "keyring.backends.chainer.ChainerBackend"
# What keyring's backends look at when deciding whether they can run, besides the
# packages installed: a new login session or desktop may make another backend win.
SESSION_VARIABLES = ("DBUS_SESSION_BUS_ADDRESS", "XDG_CURRENT_DESKTOP", "KEYCHAIN_PATH")


def choice_file() -> Path:
    return cache_dir() / CHOICE_FILENAME


def _skip_foreign_native_lookups() -> None:
    if sys.platform != "darwin":
        # A None entry makes `from . import api` in keyring.backends.macOS raise ImportError,
        # which that module expects and catches; its backend then says "macOS required", as
        # it would have anyway. What is saved is three find_library calls, each spawning
        # ldconfig and gcc.
        sys.modules.setdefault("keyring.backends.macOS.api", None)  # type: ignore[arg-type]


def configured_backend() -> KeyringBackend | None:
    """The backend the user named for keyring (environment, then keyringrc.cfg), if any."""
    _skip_foreign_native_lookups()
    import keyring.core

    return keyring.core.load_env() or keyring.core.load_config()


def discovered_backend() -> KeyringBackend:
    """keyring's own choice, by its own rules (this is `keyring.get_keyring()`)."""
    _skip_foreign_native_lookups()
    import keyring

    return keyring.get_keyring()


def class_name(backend: KeyringBackend) -> str:
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def fingerprint() -> str:
    """What keyring's choice depends on besides the backends' own checks.

    Installing or removing a package changes its site-packages directory's mtime, so a
    new backend is noticed without listing the entry points (the slow part we skip).
    Other path entries (the current directory under `python -m`) change all the time
    and hold no installed packages, so only their names count.
    """
    parts = [sys.executable, sys.platform, *sys.path]
    parts += [f"{name}={os.environ.get(name, '')}" for name in SESSION_VARIABLES]
    for entry in sys.path:
        if Path(entry).name in ("site-packages", "dist-packages"):
            with contextlib.suppress(OSError):
                parts.append(f"{entry}@{os.stat(entry).st_mtime_ns}")
    return "\n".join(parts)


def remembered_backend() -> KeyringBackend | None:
    """The backend that last answered with the key, loaded alone; None when not known.

    Not viable any more, not importable, or remembered under other circumstances: None,
    and the caller discovers anew.
    """
    try:
        saved = json.loads(choice_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or saved.get("fingerprint") != fingerprint():
        return None
    name = saved.get("backend")
    if not isinstance(name, str) or name == CHAINER:
        return None
    _skip_foreign_native_lookups()
    import keyring.core

    try:
        # load_keyring asks the class for its priority, which raises when it cannot run here.
        return keyring.core.load_keyring(name)
    except Exception:
        return None


def remember(backend: KeyringBackend) -> None:
    """Note the backend that answered with the key; a cache, so failing to write is fine."""
    target = choice_file()
    text = json.dumps({"backend": class_name(backend), "fingerprint": fingerprint()})
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, text + "\n")


def forget() -> None:
    with contextlib.suppress(OSError):
        choice_file().unlink()


def read_through(
    backend: KeyringBackend, service: str, username: str, *, remember_answer: bool
) -> str | None:
    """`backend.get_password`, remembering which backend answered with a secret.

    keyring's chainer asks its members in priority order and returns the first answer;
    the same walk here tells which member that was, so that one can be asked directly.
    A backend the user named (`remember_answer=False`) is keyring's choice only while
    it is named, so it is not remembered.
    """
    from keyring.backends.chainer import ChainerBackend

    members = backend.backends if isinstance(backend, ChainerBackend) else [backend]
    for member in members:
        password = member.get_password(service, username)
        if password is not None:
            if remember_answer and password.strip():
                remember(member)
            return password
    return None
