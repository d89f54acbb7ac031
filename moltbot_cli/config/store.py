"""Reading and writing the config file safely.

Reads never replace a broken file with defaults. Writes re-read the file under a lock,
apply one edit to the text, validate the result, keep backups, and swap the new text
in atomically, so concurrent writers all land and a crash leaves the old file whole.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from moltbot_cli.config.document import Document, Json5SyntaxError
from moltbot_cli.errors import ConfigInvalidError, MoltbotError, UsageError
from moltbot_cli.files import temp_name_pattern, write_temp
from moltbot_cli.gc_pause import cyclic_gc_paused
from moltbot_cli.records import Record

# The schema and settings load only when a command validates or uses the config, so
# `config get` and `config show` start without them.
if TYPE_CHECKING:
    from moltbot_cli.config.schema import Issue
    from moltbot_cli.config.settings import Settings

BACKUPS_KEPT = 3
FIX_HINT = (
    "`moltbot config validate` lists every issue; fix them with `moltbot config edit`. "
    "Nothing was changed."
)
LONE_SURROGATE = (
    "a string holds half of a UTF-16 surrogate pair (a \\uD800 to \\uDFFF escape without "
    "its other half), which is not a character"
)
LOCK_TIMEOUT_SECONDS = 30.0
LOCK_TIMEOUT_ENV = "MOLTBOT_LOCK_TIMEOUT"
LOCK_NOTICE_SECONDS = 1.0


class LoadedConfig(Record):
    path: Path
    document: Document
    issues: list[Issue]
    exists: bool

    @property
    def errors(self) -> list[Issue]:
        from moltbot_cli.config.schema import errors_in

        return errors_in(self.issues)

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "warning"]


def summarize_issues(issues: list[Issue]) -> str:
    """One line for an error message: the first issue, and how many more there are."""
    more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
    return issues[0].describe() + more


def describe_issues(issues: list[Issue], limit: int = 20) -> str:
    lines = [issue.describe() for issue in issues[:limit]]
    if len(issues) > limit:
        lines.append(
            f"... and {len(issues) - limit} more (`moltbot config validate` lists them all)"
        )
    return "\n".join(lines)


def lone_surrogate(document: Document) -> tuple[int, int] | None:
    """Where a key or string holds half of a UTF-16 surrogate pair (`"\\ud800"` is valid
    JSON5, but no character): such text cannot be printed or written as UTF-8."""
    from moltbot_cli.sanitize import REPLACEMENT, fix_surrogates, has_surrogates

    def lone(text: str) -> bool:
        return has_surrogates(text) and (
            fix_surrogates(text).count(REPLACEMENT) > text.count(REPLACEMENT)
        )

    for path, _, _, value in document.strings():
        if lone(value) or any(isinstance(key, str) and lone(key) for key in path):
            return document.position(path) or (1, 1)
    stack = [document.data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if any(lone(key) for key in node):
                return (1, 1)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


class ConfigStore:
    def __init__(self, path: Path, notify: Callable[[str], None] | None = None) -> None:
        self.path = path
        # How many backups the last write had to scrub of a secret it removed.
        self.scrubbed_backups = 0
        self._notify = notify or _to_stderr
        self._bom = False  # the file began with a UTF-8 byte-order mark: keep it

    @property
    def real_path(self) -> Path:
        """The file itself, through any symbolic links: where it and its backups live."""
        return Path(os.path.realpath(self.path))

    # -- reading ---------------------------------------------------------------------

    def refuse_odd_file(self) -> bool:
        """Whether a regular file is there; refuse (exit 2) anything that is not one.

        A FIFO would hang every command, a device could be replaced by a write, and a
        dangling symbolic link is a mistake, not a reason to create directories.
        """
        try:
            status = os.lstat(self.path)
        except (FileNotFoundError, NotADirectoryError):
            return False  # no file yet; a write says what stands in its way
        except OSError as error:
            raise UsageError(f"cannot look at {self.path}: {error.strerror}") from None
        if stat.S_ISLNK(status.st_mode):
            try:
                status = os.stat(self.path)
            except FileNotFoundError:
                raise UsageError(
                    f"{self.path} is a symbolic link to {os.readlink(self.path)}, which does "
                    "not exist",
                    hint="Create the file it points to, fix the link, or point --config or "
                    "MOLTBOT_CONFIG_PATH at a file.",
                ) from None
            except OSError as error:
                raise UsageError(
                    f"{self.path} is a symbolic link that cannot be followed: {error.strerror}"
                ) from None
        if not stat.S_ISREG(status.st_mode):
            raise UsageError(
                f"{self.path} is {_kind(status.st_mode)}, not a config file; it was not "
                "read or changed",
                hint="Point --config or MOLTBOT_CONFIG_PATH at a regular file (or at a path "
                "where none exists yet).",
            )
        return True

    def read_text(self) -> str | None:
        """The file's text, or None when there is no file yet."""
        if not self.refuse_odd_file():
            return None
        try:
            # Non-blocking, and checked again once open: a FIFO swapped in meanwhile
            # must not hang the command.
            flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
            descriptor = os.open(self.path, flags)
        except FileNotFoundError:
            return None
        except PermissionError:
            raise ConfigInvalidError(
                f"cannot read {self.path}: permission denied",
                hint="Check the file's owner and mode (it should be yours, mode 600).",
            ) from None
        except OSError as error:
            raise ConfigInvalidError(f"cannot read {self.path}: {error.strerror}") from None
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise UsageError(f"{self.path} is not a regular file; it was not read")
            try:
                raw = handle.read()
            except OSError as error:
                raise ConfigInvalidError(f"cannot read {self.path}: {error.strerror}") from None
        self._bom = raw.startswith(codecs.BOM_UTF8)
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
            raise ConfigInvalidError(
                f"{self.path}:{line}:{column}: the file is not UTF-8 text",
                hint="Save it as UTF-8, or fix it with `moltbot config edit`.",
            ) from None

    def parse(self, text: str) -> Document:
        try:
            document = Document.parse(text)
        except Json5SyntaxError as error:
            raise ConfigInvalidError(
                f"{self.path}:{error.line}:{error.column}: {error.message}",
                hint="Fix it with `moltbot config edit`; nothing was changed.",
            ) from None
        broken = lone_surrogate(document)
        if broken is not None:
            line, column = broken
            raise ConfigInvalidError(
                f"{self.path}:{line}:{column}: {LONE_SURROGATE}",
                hint="Fix it with `moltbot config edit`; nothing was changed.",
            )
        return document

    def read(self) -> tuple[Document, bool]:
        """The file parsed but not validated, and whether it exists: enough to look at it."""
        text = self.read_text()
        return self.parse(text if text is not None else ""), text is not None

    def check(self, document: Document) -> list[Issue]:
        from moltbot_cli.config.schema import Issue, validate

        if not isinstance(document.data, dict):
            return [Issue("", "the config must be an object ({ ... })", "error", 1, 1)]
        issues = validate(document.data, document)
        for path, line, column in document.duplicate_keys:
            from moltbot_cli.config.pathexpr import format_path

            issues.append(
                Issue(
                    format_path(path),
                    "key appears more than once; keep only one of them",
                    "error",
                    line,
                    column,
                )
            )
        return sorted(issues, key=lambda issue: (issue.line or 0, issue.column or 0))

    @cyclic_gc_paused()  # parse and checks walk the whole config: linear (see gc_pause)
    def inspect(self) -> LoadedConfig:
        """The file as it is, with every issue; raises only when it cannot be parsed."""
        text = self.read_text()
        document = self.parse(text if text is not None else "")
        return LoadedConfig(self.path, document, self.check(document), text is not None)

    def load(self) -> LoadedConfig:
        """The file, which must be valid: an invalid one stops the command (exit 3)."""
        loaded = self.inspect()
        if loaded.errors:
            raise ConfigInvalidError(
                f"{self.path} is not a valid config: {summarize_issues(loaded.errors)}",
                hint=FIX_HINT,
            )
        return loaded

    def settings(self) -> Settings:
        """The valid config with `${VAR}` references filled in, which must still be valid."""
        from moltbot_cli.config.schema import errors_in, validate
        from moltbot_cli.config.settings import Settings, substitute_env

        written = self.load().document.data
        filled = substitute_env(written)
        if filled != written and (problems := errors_in(validate(filled))):
            raise ConfigInvalidError(
                f"{self.path}, with its ${{VAR}} references filled in from the environment, "
                f"is not a valid config: {summarize_issues(problems)}",
                hint="Check the environment variables the config refers to.",
            )
        return Settings(filled)

    # -- writing ---------------------------------------------------------------------

    @cyclic_gc_paused()  # parses, checks, scrubs backups: linear in the config (see gc_pause)
    def update(self, edit: Callable[[Document], Document]) -> Document:
        """Apply `edit` to the current text and save the result if it is valid."""
        with self._locked():
            before_text = self.read_text()
            before = self.parse(before_text if before_text is not None else "")
            try:
                after = edit(before)
            except Json5SyntaxError as error:
                # The edit itself produced text that does not read back (say, a value
                # holding half of a surrogate pair): refuse it before anything is written.
                raise UsageError(f"refused: {error.message}; nothing was changed") from None
            if before_text is not None and after.text == before_text:
                return after
            if lone_surrogate(after) is not None:
                raise UsageError(f"refused: {LONE_SURROGATE}; nothing was changed")
            self._refuse_if_invalid(before, after)
            self._write(after.text, before_text, before)
            return after

    def replace(self, text: str, *, allow_invalid: bool = False) -> Document:
        """Write new text wholesale (`config edit`, `onboard --reset`), keeping a backup."""
        document = self.parse(text)
        with self._locked():
            current = self.read_text()
            if not allow_invalid:
                from moltbot_cli.config.schema import errors_in

                problems = errors_in(self.check(document))
                if problems:
                    raise UsageError(
                        f"refused: the new config is not valid: {summarize_issues(problems)}"
                    )
            try:
                before = self.parse(current) if current is not None else None
            except ConfigInvalidError:
                before = None
            self._write(text, current, before)
        return document

    def _refuse_if_invalid(self, before: Document, after: Document) -> None:
        """An edit may fix a broken file; it may not break a good one or leave one broken."""
        from moltbot_cli.config.schema import errors_in

        problems = errors_in(self.check(after))
        if not problems:
            self._refuse_if_broken_once_filled(before, after)
            return
        if errors_in(self.check(before)):
            raise ConfigInvalidError(
                f"{self.path} is not a valid config: {summarize_issues(problems)}",
                hint=FIX_HINT,
            )
        raise UsageError(
            f"refused: {summarize_issues(problems)}",
            hint=f"That would make the config invalid; {self.path} was left as it was.",
        )

    def _refuse_if_broken_once_filled(self, before: Document, after: Document) -> None:
        """`baseUrl: "${HOME}"` is a valid string, and an invalid URL once filled in: every
        command would then stop. Check what each `${VAR}` stands for now, at write time."""
        new = {issue.describe() for issue in _filled_problems(after)} - {
            issue.describe() for issue in _filled_problems(before)
        }
        if new:
            raise UsageError(
                f"refused: with its ${{VAR}} references filled in from the environment, "
                f"{sorted(new)[0]}",
                hint=f"Every command would stop on that (exit 3); {self.path} was left as it was.",
            )

    def _write(self, text: str, previous: str | None, before: Document | None = None) -> None:
        """Swap `text` in, keeping backups; on any failure nothing, backups included, changes.

        Both new files (the config and the backup of the current one) are written and
        flushed first; only then are backups rotated and the new files renamed into
        place, with the usual signals held off, so a full disk or a Ctrl-C leaves
        everything as it was, and the newest backup is never missing.
        """
        target = self.real_path
        self.scrubbed_backups = 0
        temps: list[Path] = []
        try:
            if not target.parent.exists():
                target.parent.mkdir(mode=0o700, parents=True)
            self._remove_stale_temps(target)
            mode = self._mode_to_keep(target)
            data = (codecs.BOM_UTF8 if self._bom else b"") + text.encode("utf-8")
            temps.append(write_temp(target, data, mode=mode))
            if previous is not None:
                temps.append(write_temp(target, target.read_bytes(), kind="bak"))
            with _signals_held():
                if previous is not None:
                    self._rotate_backups(target, temps[1])
                os.replace(temps[0], target)
        except PermissionError as error:
            raise MoltbotError(
                f"cannot write {error.filename or target}: permission denied",
                hint="Check that the config directory is writable by you; nothing was changed.",
            ) from None
        except OSError as error:
            raise MoltbotError(
                f"cannot write {target}: {error.strerror}; nothing was changed."
            ) from None
        finally:
            for temp in [*temps, _link_name(target)]:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp)
        if before is not None:
            self._scrub_backups(target, before, Document.parse(text))

    def _mode_to_keep(self, target: Path) -> int:
        """0600 for a new file; an existing one keeps its owner's bits but is never left
        readable by others (it may hold a key). A read-only file (no `u+w`) is refused:
        whoever made it read-only did not want moltbot to change it."""
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode) & 0o700
        except FileNotFoundError:
            return 0o600
        if not mode & stat.S_IWUSR:
            raise MoltbotError(
                f"{target} is read-only (mode {mode:04o}); nothing was changed.",
                hint=f"Make it writable (chmod u+w {target}) to let moltbot change it.",
            )
        return mode

    def _remove_stale_temps(self, target: Path) -> None:
        """Temp files of writers that died mid-write. Every writer holds the lock while
        its temp files exist, and we hold it now, so any left are dead writers'."""
        pattern = temp_name_pattern(target)
        for entry in os.scandir(target.parent):
            if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)

    def _backups(self, target: Path) -> list[Path]:
        return [target.with_name(f"{target.name}.bak")] + [
            target.with_name(f"{target.name}.bak.{number}") for number in range(1, BACKUPS_KEPT)
        ]

    def _rotate_backups(self, target: Path, newest: Path) -> None:
        """`.bak.1` → `.bak.2`, `.bak` → `.bak.1`, `newest` → `.bak`, each by an atomic
        rename over a copy, so every backup exists at every moment."""
        backups = self._backups(target)
        for older, newer in zip(reversed(backups), list(reversed(backups))[1:], strict=False):
            if newer.exists():
                os.replace(_duplicate(newer, target), older)
        os.replace(newest, backups[0])

    def _scrub_backups(self, target: Path, before: Document, after: Document) -> None:
        """A secret the write removed must not live on in the backups."""
        from moltbot_cli.config.secrets import secret_values, without_secrets

        removed = secret_values(before) - secret_values(after)
        if not removed:
            return
        for backup in self._backups(target):
            try:
                text = backup.read_bytes().decode("utf-8-sig")
            except (OSError, UnicodeDecodeError):
                continue
            scrubbed = without_secrets(text, removed)
            if scrubbed == text:
                continue
            try:
                if scrubbed is None:
                    backup.unlink()
                else:
                    os.replace(write_temp(target, scrubbed.encode("utf-8"), kind="bak"), backup)
            except OSError:
                with contextlib.suppress(OSError):
                    backup.unlink()
            self.scrubbed_backups += 1

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """An exclusive lock on a file beside the config, held for read-modify-write."""
        self.refuse_odd_file()
        target = self.real_path
        lock_path = target.with_name(f".{target.name}.lock")
        try:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise MoltbotError(
                f"cannot write in {target.parent}: {error.strerror}",
                hint="Check that the config directory is a directory writable by you; nothing was changed.",
            ) from None
        try:
            _lock(descriptor, lock_path, self._notify)
            yield
        finally:
            os.close(descriptor)


def _filled_problems(document: Document) -> list[Issue]:
    """The schema's errors in `document` with `${VAR}`s filled in (unset ones left alone)."""
    from moltbot_cli.config.schema import errors_in, validate
    from moltbot_cli.config.settings import substitute_env

    if not isinstance(document.data, dict):
        return []
    try:
        filled = substitute_env(document.data)
    except ConfigInvalidError:
        return []  # a reference to an unset variable: `config validate` reports it
    return errors_in(validate(filled)) if filled != document.data else []


def _to_stderr(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _link_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.link-rotating.tmp")


def _duplicate(source: Path, target: Path) -> Path:
    """A temp copy of `source` beside `target`: a hard link where the file system has them."""
    link = _link_name(target)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(link)
    try:
        os.link(source, link)
    except OSError:
        return write_temp(target, source.read_bytes(), kind="bak")
    return link


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold off Ctrl-C, SIGTERM and SIGHUP for the few renames that must all happen."""
    import signal

    held = {signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", signal.SIGTERM)}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):  # Windows, or not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def lock_timeout() -> float:
    value = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    try:
        seconds = float(value) if value else LOCK_TIMEOUT_SECONDS
    except ValueError:
        raise UsageError(
            f"{LOCK_TIMEOUT_ENV}={value!r} is not a number of seconds",
            hint=f"Unset it, or set it to e.g. {LOCK_TIMEOUT_SECONDS:g}.",
        ) from None
    return max(0.0, seconds)


def _lock(descriptor: int, lock_path: Path, notify: Callable[[str], None]) -> None:
    """Take the lock; say so after a second of waiting, give up after `lock_timeout()`."""
    try:
        import fcntl

        def attempt() -> bool:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True
    except ImportError:  # Windows
        import msvcrt

        def attempt() -> bool:
            try:
                msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            except OSError:
                return False
            return True

    if attempt():
        return
    limit = lock_timeout()
    started = time.monotonic()
    told = False
    pause = 0.005
    while not attempt():
        waited = time.monotonic() - started
        if waited >= limit:
            raise MoltbotError(
                f"gave up after {waited:.0f} s waiting for the config lock {lock_path}: "
                "another process holds it; nothing was changed.",
                hint="Another moltbot is writing the config, or one was stopped (Ctrl-Z) while "
                "writing: let it finish, resume it (fg) or end it, then try again.",
            )
        if not told and waited >= LOCK_NOTICE_SECONDS:
            notify(f"Waiting for {lock_path}: another moltbot is changing the config…")
            told = True
        time.sleep(pause)
        pause = min(pause * 2, 0.1)
