"""Where the OpenRouter API key lives: the environment, the OS keyring, a 0600 file, the config.

Lookup order, first hit wins: `OPENROUTER_API_KEY`, the keyring (service `moltbot`, user
`openrouter`), `credentials.json` beside the config file, the config's
`env.OPENROUTER_API_KEY`. Storing goes to the keyring when a usable backend answers and
to the file otherwise (`auto`), or to the one the user named.

Every keyring call runs in a daemon thread and is abandoned after a few seconds: a locked
or hanging Secret Service must not hang the command. `keyring` itself is imported inside
that thread, never when the program starts.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from moltbot_cli import keyring_choice
from moltbot_cli.errors import AuthError, MoltbotError, UsageError
from moltbot_cli.files import write_atomically
from moltbot_cli.masking import mask_key
from moltbot_cli.paths import credentials_path
from moltbot_cli.records import Record

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

    from moltbot_cli.config.settings import Settings

SERVICE = "moltbot"
USERNAME = "openrouter"
ENV_VAR = "OPENROUTER_API_KEY"
TIMEOUT_ENV = "MOLTBOT_KEYRING_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 5.0
KEY_PREFIX = "sk-or-"
NO_BACKEND = "no keyring backend is available"
LOCKED = "the keyring is locked"
SKIP_KEYRING = "PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring"
FILE_PROVIDER = "openrouter"
FILE_FIELD = "apiKey"

Stored = Literal["keyring", "file"]
STORES: tuple[str, ...] = ("auto", "keyring", "file")
Warn = Callable[[str], None]

T = TypeVar("T")


class FoundKey(Record, frozen=True):
    key: str | None
    source: str  # "env" | "keyring" | "file" | "config" | "none"

    @property
    def masked(self) -> str | None:
        return mask_key(self.key) if self.key else None


class KeyLookup(Record, frozen=True):
    """A lookup's result, plus why the keyring could not be asked, when it could not."""

    found: FoundKey
    keyring_problem: str | None


# -- the key itself -------------------------------------------------------------------------


def clean_key(raw: str) -> str:
    """The key as pasted, minus surrounding whitespace; refused if it cannot be a key at all."""
    key = raw.strip()
    if not key:
        raise UsageError(
            "the API key is empty", hint="Paste the key from https://openrouter.ai/settings/keys."
        )
    if not sendable(key):
        raise UsageError(
            "the API key contains spaces or characters a key never has",
            hint="Copy the key again from https://openrouter.ai/settings/keys, on its own.",
        )
    return key


def sendable(key: str) -> bool:
    """Printable ASCII without spaces: anything else cannot travel in an HTTP header."""
    return all(33 <= ord(char) <= 126 for char in key)


def shape_warning(key: str) -> str | None:
    """A soft check: OpenRouter keys start with `sk-or-`; the key check is the real test."""
    if key.startswith(KEY_PREFIX):
        return None
    return (
        f"the key {mask_key(key)} does not look like an OpenRouter key (they start with "
        f"{KEY_PREFIX}); using it anyway"
    )


# -- the keyring, bounded in time -----------------------------------------------------------


class KeyringUnavailable(Exception):
    """The keyring could not be used; `reason` says why in a few words.

    `absent` means there is no keyring at all (so it holds nothing), as opposed to one that
    exists but is locked, hanging or failing (and may still hold a key). `locked` means it
    exists but is locked or did not answer: the user can unlock it.
    """

    def __init__(self, reason: str, *, absent: bool = False, locked: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.absent = absent
        self.locked = locked

    def advice(self) -> str:
        """What the user can do about the keyring, said for this cause."""
        if self.absent:
            return "Install a keyring backend"
        if self.locked:
            return "Unlock the keyring"
        return "Repair the keyring"


# Once a call has hung, later calls in this process give up at once instead of waiting again.
_hung_reason: str | None = None


def keyring_timeout() -> float:
    value = os.environ.get(TIMEOUT_ENV, "").strip()
    if not value:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 600:
        raise UsageError(
            f"{TIMEOUT_ENV}={value!r} is not a number of seconds between 0 and 600",
            hint=f"Unset it, or set it to e.g. {DEFAULT_TIMEOUT_SECONDS:g}.",
        )
    return seconds


def _usable_backend(backend: KeyringBackend | None = None) -> KeyringBackend:
    """`backend`, or keyring's own choice; KeyringUnavailable when it is no real keyring."""
    from keyring.backends import fail, null

    if backend is None:
        backend = keyring_choice.discovered_backend()
    if isinstance(backend, fail.Keyring):
        raise KeyringUnavailable(NO_BACKEND, absent=True)
    if isinstance(backend, null.Keyring):
        raise KeyringUnavailable("the keyring is disabled (null backend)", absent=True)
    return backend


def _describe_failure(error: BaseException) -> str:
    from keyring.errors import KeyringError, KeyringLocked, NoKeyringError

    if isinstance(error, KeyringUnavailable):
        return error.reason
    if isinstance(error, NoKeyringError):
        return NO_BACKEND
    if isinstance(error, KeyringLocked):
        return LOCKED
    text = " ".join(str(error).split())[:160]
    if isinstance(error, KeyringError):
        return f"the keyring failed: {text or type(error).__name__}"
    if isinstance(error, (ImportError, AttributeError)) and os.environ.get(
        "PYTHON_KEYRING_BACKEND"
    ):
        return f"cannot load the keyring backend {os.environ['PYTHON_KEYRING_BACKEND']!r}"
    return f"the keyring failed: {type(error).__name__}" + (f": {text}" if text else "")


def _bounded(operation: Callable[[KeyringBackend], T]) -> T:
    """Run `operation` on the keyring in a daemon thread; give up after the time limit."""
    return _bounded_call(lambda: operation(_usable_backend()))


def _bounded_call(operation: Callable[[], T]) -> T:
    """Run `operation` (which uses the keyring) in a daemon thread; give up after the limit."""
    global _hung_reason
    if _hung_reason is not None:
        raise KeyringUnavailable(_hung_reason, locked=True)
    seconds = keyring_timeout()
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = operation()
        except BaseException as error:  # anything a backend raises means "not usable"
            try:
                outcome["problem"] = _describe_failure(error)
            except BaseException:
                outcome["problem"] = f"the keyring failed: {type(error).__name__}"
            outcome["absent"] = getattr(error, "absent", False) or outcome["problem"] == NO_BACKEND
        finally:
            done.set()

    threading.Thread(target=run, name="moltbot-keyring", daemon=True).start()
    if not done.wait(seconds):
        _hung_reason = f"the keyring did not answer within {seconds:g} s"
        raise KeyringUnavailable(_hung_reason, locked=True)
    if "problem" in outcome:
        raise KeyringUnavailable(
            outcome["problem"], absent=outcome["absent"], locked=outcome["problem"] == LOCKED
        )
    value: T = outcome["value"]
    return value


def require_keyring(config_path: Path) -> None:
    """Fail now, before anything goes online, when `--key-store keyring` cannot be kept."""
    try:
        _bounded(lambda backend: None)
    except KeyringUnavailable as error:
        raise UsageError(
            f"cannot store the key in the keyring: {error.reason}; nothing was stored",
            hint="Use --key-store file to keep it in "
            f"{credentials_path(config_path)} (mode 600) instead.",
        ) from None


def keyring_get() -> str | None:
    value = _bounded_call(_read_keyring)
    return value.strip() or None if isinstance(value, str) else None


def _read_keyring() -> str | None:
    """The stored key, asking the backend that last held it first (see keyring_choice).

    Only a key found there is taken; anything else asks keyring's own choice, so the
    answer is always the one keyring itself would give.
    """
    configured = keyring_choice.configured_backend()
    if configured is None:
        remembered = keyring_choice.remembered_backend()
        if remembered is not None:
            try:
                value = remembered.get_password(SERVICE, USERNAME)
            except Exception:
                value = None  # the full lookup below meets the same trouble and explains it
            if isinstance(value, str) and value.strip():
                return value
    backend = _usable_backend(configured)
    return keyring_choice.read_through(
        backend, SERVICE, USERNAME, remember_answer=configured is None
    )


def keyring_set(key: str) -> None:
    def store(backend: KeyringBackend) -> None:
        keyring_choice.forget()  # the next lookup finds where keyring puts it
        backend.set_password(SERVICE, USERNAME, key)
        # Some backends accept a secret and keep nothing; only a read-back proves it is there.
        if backend.get_password(SERVICE, USERNAME) != key:
            raise KeyringUnavailable("the keyring did not keep the key")

    _bounded(store)


def keyring_delete() -> bool:
    """Remove the key from the keyring; False when it held none."""

    def delete(backend: KeyringBackend) -> bool:
        if backend.get_password(SERVICE, USERNAME) is None:
            return False
        keyring_choice.forget()
        backend.delete_password(SERVICE, USERNAME)
        return True

    return _bounded(delete)


# -- the fallback file ----------------------------------------------------------------------


def _unreadable(path: Path, why: str) -> AuthError:
    return AuthError(
        f"cannot read the key file {path}: {why}",
        hint="Remove it with `moltbot models auth logout --provider openrouter`, then store the "
        "key again with `moltbot models auth paste-token --provider openrouter`.",
    )


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except PermissionError:
        raise _unreadable(path, "permission denied") from None
    except (OSError, UnicodeDecodeError) as error:
        raise _unreadable(path, getattr(error, "strerror", None) or "not UTF-8 text") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise _unreadable(path, "not valid JSON") from None
    if not isinstance(data, dict):
        raise _unreadable(path, "expected a JSON object")
    return data


def file_get(path: Path) -> str | None:
    entry = _read_file(path).get(FILE_PROVIDER)
    value = entry.get(FILE_FIELD) if isinstance(entry, dict) else None
    return value.strip() or None if isinstance(value, str) else None


def _write_file(path: Path, data: dict[str, Any]) -> None:
    """Atomically (temp file + rename), mode 0600, in a directory made 0700 when we make it."""
    target = Path(os.path.realpath(path))
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomically(target, json.dumps(data, indent=2) + "\n")
    except PermissionError:
        raise MoltbotError(
            f"cannot write the key file {target}: permission denied",
            hint="Check that the config directory is writable by you.",
        ) from None
    except OSError as error:
        raise MoltbotError(
            f"cannot write the key file {target}: {error.strerror or error}"
        ) from None


def file_set(path: Path, key: str) -> None:
    try:
        data = _read_file(path)
    except AuthError:
        data = {}  # an unreadable file holds nothing worth keeping: it only ever holds keys
    data[FILE_PROVIDER] = {FILE_FIELD: key}
    _write_file(path, data)


def file_delete(path: Path) -> bool:
    """Remove the key from the file (the file too, once it holds nothing); False if absent."""
    try:
        data = _read_file(path)
    except AuthError:
        data = {}  # unreadable: nothing in it can be kept, so the whole file goes
    else:
        if FILE_PROVIDER not in data:
            return False
        del data[FILE_PROVIDER]
    if data:
        _write_file(path, data)
        return True
    try:
        path.unlink()
    except OSError as error:
        raise MoltbotError(
            f"cannot remove the key file {path}: {error.strerror or error}"
        ) from None
    return True


# -- what commands use ----------------------------------------------------------------------


# Whether this run has already said that its keyring is there but unusable.
_keyring_noted = False


def lookup_key(config_path: Path, settings: Settings) -> KeyLookup:
    """The key that would be used, where it comes from, and any keyring trouble on the way.

    Every command that looks up a key comes through here, so this is where a keyring that
    exists but is locked, hanging or failing is said out loud, once a run, on stderr: it
    may hold the key, and a hanging one costs every command the whole time limit.
    """
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return KeyLookup(FoundKey(from_env, "env"), None)
    trouble = None
    try:
        from_keyring = keyring_get()
    except KeyringUnavailable as error:
        from_keyring, trouble = None, error
    if from_keyring:
        return KeyLookup(FoundKey(from_keyring, "keyring"), None)
    found = FoundKey(None, "none")
    from_file = file_get(credentials_path(config_path))
    from_config = (settings.env_api_key or "").strip()
    if from_file:
        found = FoundKey(from_file, "file")
    elif from_config:
        found = FoundKey(from_config, "config")
    if trouble is None:
        return KeyLookup(found, None)
    if not trouble.absent:
        _note_keyring_once(trouble, found, config_path)
    return KeyLookup(found, trouble.reason)


def _note_keyring_once(trouble: KeyringUnavailable, found: FoundKey, config_path: Path) -> None:
    global _keyring_noted
    if _keyring_noted:
        return
    _keyring_noted = True
    if found.key is None:
        text = (
            f"Note: {trouble.reason}, so a key kept there could not be read. "
            f"{trouble.advice()}, or store the key with --key-store file."
        )
    else:
        # The keyring is asked before the file on every run: only unlocking or skipping it
        # saves the wait, so storing the key in the file again would not help.
        text = (
            f"Note: {trouble.reason}; using the key from {describe_source(found, config_path)}. "
            f"{trouble.advice()}, or skip it with {SKIP_KEYRING}."
        )
    from moltbot_cli.console import Output

    Output().note(text)


def find_key(config_path: Path, settings: Settings) -> FoundKey:
    return lookup_key(config_path, settings).found


def require_key(config_path: Path, settings: Settings) -> FoundKey:
    """The key to use; an AuthError when there is none or it cannot be sent as it is."""
    found = find_key(config_path, settings)
    if found.key is None:
        raise AuthError(
            "no OpenRouter API key found",
            hint="Run `moltbot onboard`, or set OPENROUTER_API_KEY.",
        )
    check_sendable(found, config_path)
    return found


def check_sendable(found: FoundKey, config_path: Path) -> None:
    """Refuse a key that cannot go in a header, naming the place to fix it.

    The client refuses such a key too, but it cannot know where the key came from: an
    environment variable or the config's `env` block wins over a stored key, so "store it
    again" would not help there.
    """
    if found.key is not None and not sendable(found.key):
        raise AuthError(
            "the API key contains spaces or characters no OpenRouter key has",
            hint=fix_key_hint(found, config_path, "It", paste_advice=True),
        )


def fix_key_hint(
    found: FoundKey, config_path: Path, subject: str, *, paste_advice: bool = False
) -> str:
    """`<subject> comes from <where>: <how to replace it there>`, one sentence."""
    if found.source == "env":
        return (
            f"{subject} comes from {ENV_VAR} in the environment, which wins over any stored "
            "key: fix it, or unset it."
        )
    if found.source == "config":
        return (
            f"{subject} comes from env.{ENV_VAR} in {config_path}: fix it with "
            f"`moltbot config set env.{ENV_VAR} …`, or remove it with "
            f"`moltbot config unset env.{ENV_VAR}`."
        )
    how = ", pasting only the key itself" if paste_advice else ""
    return (
        f"{subject} comes from {describe_source(found, config_path)}: store a new one with "
        f"`moltbot onboard`{how}."
    )


def describe_store(stored: str, config_path: Path) -> str:
    """Where a stored key went, in words: `the keyring` or the file's path."""
    if stored == "keyring":
        return f"the keyring (service {SERVICE!r}, user {USERNAME!r})"
    return str(credentials_path(config_path))


def describe_source(found: FoundKey, config_path: Path) -> str:
    """Where a found key comes from, in words."""
    if found.source == "env":
        return f"{ENV_VAR} in the environment"
    if found.source == "keyring":
        return describe_store("keyring", config_path)
    if found.source == "file":
        return describe_store("file", config_path)
    if found.source == "config":
        return f"env.OPENROUTER_API_KEY in {config_path}"
    return "none"


def _ignore(_: str) -> None:
    return None


def store_key(key: str, config_path: Path, store: str = "auto", warn: Warn | None = None) -> Stored:
    """Store the key where `store` says and return where it went: "keyring" or "file".

    The other place is cleared, so an older key there cannot shadow or outlive this one.
    """
    warn = warn or _ignore
    key = clean_key(key)
    if store not in STORES:
        raise UsageError(f"unknown key store {store!r}", hint=f"Use one of: {', '.join(STORES)}.")
    path = credentials_path(config_path)
    if store in ("auto", "keyring"):
        try:
            keyring_set(key)
        except KeyringUnavailable as error:
            if store == "keyring":
                raise UsageError(
                    f"cannot store the key in the keyring: {error.reason}; nothing was stored",
                    hint=f"Use --key-store file to keep it in {path} (mode 600) instead.",
                ) from None
            warn(
                f"no usable keyring ({error.reason}); keeping the key in {path} (mode 600) "
                f"instead. {error.advice()} to use it, or pass --key-store file to skip the "
                "keyring."
            )
        else:
            try:
                file_delete(path)
            except MoltbotError as problem:
                warn(f"an older key is still in {path}: {problem.message}")
            return "keyring"
    file_set(path, key)
    try:
        left = keyring_get()
    except KeyringUnavailable:
        left = None  # no keyring, or one that does not answer: nothing there can shadow the file
    if left is not None:
        try:
            keyring_delete()
        except KeyringUnavailable as error:
            warn(
                f"the keyring still holds an older key, which is used before {path} "
                f"({error.reason}); remove it with your keyring tool"
            )
    return "file"


def delete_key(config_path: Path, warn: Warn | None = None) -> list[Stored]:
    """Remove the stored key from the keyring and the file; the places it was removed from."""
    warn = warn or _ignore
    removed: list[Stored] = []
    try:
        if keyring_delete():
            removed.append("keyring")
    except KeyringUnavailable as error:
        if not error.absent:  # a keyring that exists but did not answer may still hold one
            warn(f"could not check the keyring ({error.reason}); any key kept there is still there")
    if file_delete(credentials_path(config_path)):
        removed.append("file")
    return removed
