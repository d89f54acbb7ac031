"""Reading and writing the config file safely.

Reads never replace a broken file with defaults. Writes re-read the file under a lock,
apply one edit to the text, validate the result, keep backups, and swap the new text
in atomically, so concurrent writers all land and a crash leaves the old file whole.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from moltbot_cli.config.document import Document, Json5SyntaxError
from moltbot_cli.errors import ConfigInvalidError, MoltbotError, UsageError
from moltbot_cli.files import write_atomically

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
LOCK_TIMEOUT_SECONDS = 30.0


@dataclass
class LoadedConfig:
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
        lines.append(f"... and {len(issues) - limit} more (moltbot config validate lists them all)")
    return "\n".join(lines)


class ConfigStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    # -- reading ---------------------------------------------------------------------

    def read_text(self) -> str | None:
        """The file's text, or None when there is no file yet."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise ConfigInvalidError(
                f"{self.path} is a directory, not a config file",
                hint="Point --config or MOLTBOT_CONFIG_PATH at a file.",
            ) from None
        except PermissionError:
            raise ConfigInvalidError(
                f"cannot read {self.path}: permission denied",
                hint="Check the file's owner and mode (it should be yours, mode 600).",
            ) from None
        except OSError as error:
            raise ConfigInvalidError(f"cannot read {self.path}: {error.strerror}") from None
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
            return Document.parse(text)
        except Json5SyntaxError as error:
            raise ConfigInvalidError(
                f"{self.path}:{error.line}:{error.column}: {error.message}",
                hint="Fix it with `moltbot config edit`; nothing was changed.",
            ) from None

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
                    "key appears more than once; the last one wins",
                    "error",
                    line,
                    column,
                )
            )
        return sorted(issues, key=lambda issue: (issue.line or 0, issue.column or 0))

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

    def update(self, edit: Callable[[Document], Document]) -> Document:
        """Apply `edit` to the current text and save the result if it is valid."""
        with self._locked():
            before_text = self.read_text()
            before = self.parse(before_text if before_text is not None else "")
            after = edit(before)
            if before_text is not None and after.text == before_text:
                return after
            self._refuse_if_invalid(before, after)
            self._write(after.text, before_text)
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
            self._write(text, current)
        return document

    def _refuse_if_invalid(self, before: Document, after: Document) -> None:
        """An edit may fix a broken file; it may not break a good one or leave one broken."""
        from moltbot_cli.config.schema import errors_in

        problems = errors_in(self.check(after))
        if not problems:
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

    def _write(self, text: str, previous: str | None) -> None:
        target = Path(os.path.realpath(self.path))
        directory = target.parent
        try:
            if not directory.exists():
                directory.mkdir(mode=0o700, parents=True)
            if previous is not None:
                self._rotate_backups(target)
            write_atomically(target, text)
        except PermissionError as error:
            raise MoltbotError(
                f"cannot write {error.filename or target}: permission denied",
                hint="Check that the config directory is writable by you; nothing was changed.",
            ) from None
        except OSError as error:
            raise MoltbotError(
                f"cannot write {target}: {error.strerror}; nothing was changed."
            ) from None

    def _rotate_backups(self, target: Path) -> None:
        backups = [target.with_name(f"{target.name}.bak")] + [
            target.with_name(f"{target.name}.bak.{number}") for number in range(1, BACKUPS_KEPT)
        ]
        for older, newer in zip(reversed(backups), list(reversed(backups))[1:], strict=False):
            if newer.exists():
                os.replace(newer, older)
        with open(target, "rb") as source:
            content = source.read()
        descriptor = os.open(backups[0], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        os.chmod(backups[0], 0o600)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """An exclusive lock on a file beside the config, held for read-modify-write."""
        target = Path(os.path.realpath(self.path))
        try:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(
                target.with_name(f".{target.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600
            )
        except OSError as error:
            raise MoltbotError(
                f"cannot write in {target.parent}: {error.strerror}",
                hint="Check that the config directory is a directory writable by you; nothing was changed.",
            ) from None
        try:
            _lock(descriptor)
            yield
        finally:
            os.close(descriptor)


def _lock(descriptor: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt
        import time

        deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
        while True:
            try:
                msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise MoltbotError(
                        "the config file is locked by another moltbot process"
                    ) from None
                time.sleep(0.05)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
