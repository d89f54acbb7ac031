"""The work behind `moltbot config`: each function takes the app context and an Output."""

from __future__ import annotations

import contextlib
import json as jsonlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from moltbot_cli.commands.context import AppContext
from moltbot_cli.config.document import Document, PathError
from moltbot_cli.config.pathexpr import format_path, parse_path
from moltbot_cli.config.secrets import secret_values
from moltbot_cli.config.store import describe_issues
from moltbot_cli.console import Output, stdin_is_terminal
from moltbot_cli.errors import ExitCode, MoltbotError, UsageError
from moltbot_cli.masking import (
    is_secret_name,
    mask_key,
    mask_key_shapes,
    mask_secrets,
)

# Objects and lists within each other, path included: far more than any real setting
# needs, far less than would strain the parser or Python's stack.
MAX_NESTING = 32

if TYPE_CHECKING:
    from pathlib import Path

    from moltbot_cli.config.schema import Issue


def show_path(app: AppContext) -> None:
    print(app.config_path)


def show(app: AppContext, out: Output, *, reveal: bool) -> None:
    document, exists = app.store.read()
    if not exists:
        out.note(f"No config file yet at {app.config_path}; showing the empty config.")
    if out.is_json:
        out.json(document.data if reveal else _masked_data(document.data, document))
        return
    out.stdout.write(document.text if reveal else _masked_text(document) or "{}\n")


def _masked_text(document: Document) -> str:
    """The file as written, with every copy of every secret replaced by its masked form.

    Copies under a repeated key, items of a list of keys, strings nested under a
    secret's name, and any string that is (or contains) one of those secrets or looks
    like an OpenRouter key are all masked; so is a secret repeated in a comment.
    """
    secrets = secret_values(document)
    text = document.text
    pieces: list[str] = []
    done = 0
    for _, start, end, value in document.strings():
        if any(secret in value for secret in secrets):
            pieces += (
                text[done:start],
                jsonlib.dumps(_mask_within(value, secrets), ensure_ascii=False),
            )
            done = end
    pieces.append(text[done:])
    return _mask_within("".join(pieces), secrets)


def _mask_within(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, mask_key(secret))
    return mask_key_shapes(text)


def _masked_data(value: Any, document: Document, *, secret: bool = False) -> Any:
    """Config data with secrets masked by name, and every other copy of them too."""
    secrets = secret_values(document)

    def masked(item: Any) -> Any:
        if isinstance(item, str):
            return _mask_within(item, secrets)
        if isinstance(item, dict):
            return {key: masked(child) for key, child in item.items()}
        if isinstance(item, list):
            return [masked(child) for child in item]
        return item

    return masked(mask_secrets(value, secret=secret))


def _under_secret(path: tuple[str | int, ...]) -> bool:
    return any(isinstance(segment, str) and is_secret_name(segment) for segment in path)


def get(app: AppContext, out: Output, path_text: str, *, reveal: bool) -> None:
    path = _parse_path(path_text)
    document, _ = app.store.read()
    if not document.has(path):
        raise UsageError(
            f"no value at {format_path(path)} in {app.config_path}",
            hint=_near_paths_hint(document, path),
        )
    value = document.get(path)
    if not reveal:
        value = _masked_data(value, document, secret=_under_secret(path))
    if out.is_json or not isinstance(value, (str, int, float, bool)) or value is None:
        out.json(value)
    elif isinstance(value, bool):
        out.line("true" if value else "false")
    else:
        out.line(str(value))


def _near_paths_hint(document: Document, path: tuple[str | int, ...]) -> str | None:
    """Name the keys that do exist where the path stopped matching."""
    for depth in range(len(path) - 1, -1, -1):
        parent = path[:depth]
        if document.has(parent):
            node = document.get(parent)
            if isinstance(node, dict) and node:
                keys = ", ".join(format_path((key,)) for key in list(node)[:12])
                where = format_path(parent) or "the top level"
                return f"Keys at {where}: {keys}"
            return None
    return None


def parse_value(text: str, *, strict_json: bool) -> Any:
    from moltbot_cli.config.document import Json5SyntaxError

    try:
        # The document's own parser: json5's recursive one overflows Python's stack on a
        # value nested a few dozen deep.
        return Document.parse_value(text)
    except Json5SyntaxError as error:
        if strict_json:
            raise UsageError(
                f"not a JSON5 value: {text!r} ({error})",
                hint="Quote strings inside the value, e.g. '\"text\"', or leave out --strict (--json) "
                "to store it as a string.",
            ) from None
        if text.lstrip()[:1] in ("{", "[", '"', "'"):
            # Meant as JSON5, surely: a typo must not be stored as a string.
            raise UsageError(
                f"{text!r} looks like JSON5 but does not parse ({error}); nothing was changed",
                hint="Fix the value (strings inside it need quotes, e.g. "
                "'{only: [\"anthropic\"]}'); to store it as text, quote it whole: "
                "'\"[not a list]\"'.",
            ) from None
        return text


def set_value(app: AppContext, out: Output, path_text: str, raw: str, *, strict_json: bool) -> None:
    path = _parse_path(path_text)
    if not path:
        raise UsageError(
            "give a path below the top level",
            hint="Use `moltbot config edit` to rewrite the whole file.",
        )
    value = parse_value(raw, strict_json=strict_json)
    _refuse_deep(path, value)
    written = app.store.update(lambda document: document.set(path, value))
    shown = mask_secrets(value, secret=_under_secret(path))
    out.note(f"Set {format_path(path)} = {jsonlib.dumps(shown, ensure_ascii=False)}")
    _note_scrubbed(app, out)
    _warn_about(app, out, written)


def _parse_path(text: str) -> tuple[str | int, ...]:
    path = parse_path(text)
    if len(path) > MAX_NESTING:
        raise UsageError(
            f"the path has {len(path)} segments; no setting is more than {MAX_NESTING} deep",
            hint="Check the path (`moltbot config show` prints the whole config).",
        )
    return path


def _nesting(value: Any) -> int:
    """How many objects and lists deep `value` goes (0 for a plain value); no recursion."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return deepest


def _refuse_deep(path: tuple[str | int, ...], value: Any) -> None:
    depth = len(path) + _nesting(value)
    if depth > MAX_NESTING:
        raise UsageError(
            f"refused: that would nest the config {depth} levels deep; at most {MAX_NESTING} "
            "are allowed (the deepest real setting is under ten)",
            hint="Check the path and the value; nothing was changed.",
        )


def unset(app: AppContext, out: Output, path_text: str) -> None:
    path = _parse_path(path_text)
    if not path:
        raise UsageError(
            "give a path below the top level", hint="To start over, use `moltbot onboard --reset`."
        )

    def remove(document: Document) -> Document:
        if not document.has(path):
            raise PathError(f"no value at {format_path(path)}; nothing was changed")
        return document.unset(path)

    app.store.update(remove)
    out.note(f"Removed {format_path(path)}")
    _note_scrubbed(app, out)


def _note_scrubbed(app: AppContext, out: Output) -> None:
    count = app.store.scrubbed_backups
    if count:
        backups = "backup" if count == 1 else "backups"
        out.note(
            f"The secret it held was also removed from {count} {backups} of the config "
            f"({app.store.real_path.name}.bak*), so no copy of it is left behind there."
        )


def _warn_about(app: AppContext, out: Output, written: Document) -> None:
    # Checks the document just written rather than reading and parsing the file again:
    # on a big config the parse is most of what `config set` costs.
    for issue in app.store.check(written):
        if issue.severity == "warning":
            out.warn(issue.describe())


def validate(app: AppContext, out: Output) -> int:
    from moltbot_cli.config.schema import errors_in

    try:
        loaded = app.store.inspect()
        issues, exists = loaded.issues, loaded.exists
    except MoltbotError as error:
        if error.exit_code != ExitCode.CONFIG_INVALID:
            raise
        issues, exists = [_issue_from_syntax_error(error)], True
    else:
        if not errors_in(issues):
            issues += _environment_issues(loaded.document)
    valid = not errors_in(issues)
    if out.is_json:
        out.json({"valid": valid, "issues": [issue.as_json() for issue in issues]})
    else:
        for issue in issues:
            label = "error" if issue.severity == "error" else "warning"
            out.line(f"{label}: {issue.describe()}")
        if valid:
            state = "is valid" if exists else "does not exist yet (an empty config is valid)"
            out.line(f"{app.config_path} {state}")
        else:
            count = len(errors_in(issues))
            out.note(
                f"{app.config_path} has {count} error{'s' if count != 1 else ''}; fix with `moltbot config edit`."
            )
    return ExitCode.OK if valid else ExitCode.CONFIG_INVALID


def _environment_issues(document: Document) -> list[Issue]:
    """What every other command would stop on: unset `${VAR}`s, or values they fill in badly."""
    from moltbot_cli.config.schema import Issue, errors_in
    from moltbot_cli.config.schema import validate as validate_data
    from moltbot_cli.config.settings import substitute_env, unset_references

    missing = unset_references(document.data)
    if missing:
        return [
            Issue(
                format_path(path),
                f"refers to ${{{name}}}, which is not set; commands that use the config "
                "stop until it is",
                "error",
                *(document.position(path) or (None, None)),
            )
            for path, name in missing
        ]
    filled = substitute_env(document.data)
    if filled == document.data:
        return []
    return [
        Issue(
            issue.path,
            f"{issue.message} (with ${{VAR}} references filled in)",
            "error",
            issue.line,
            issue.column,
        )
        for issue in errors_in(validate_data(filled, document))
    ]


def _issue_from_syntax_error(error: MoltbotError) -> Issue:
    from moltbot_cli.config.schema import Issue

    """`store` words syntax errors as `file:line:column: message`; split them back out."""
    location, _, message = error.message.rpartition(": ")
    parts = location.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return Issue("", message, "error", int(parts[1]), int(parts[2]))
    return Issue("", error.message, "error")


def _editor_command() -> list[str]:
    import shlex

    for variable in ("VISUAL", "EDITOR"):
        value = os.environ.get(variable, "").strip()
        if value:
            return shlex.split(value)
    return ["notepad"] if sys.platform == "win32" else ["vi"]


def edit(app: AppContext, out: Output) -> None:
    import subprocess
    import tempfile
    from pathlib import Path

    original = app.store.read_text()
    text = original if original is not None else "{\n}\n"
    # The draft may hold a key: private (0600 in a 0700 directory), and removed on every
    # way out, SIGTERM and SIGHUP included.
    with _cleanup_on_signals(), tempfile.TemporaryDirectory(prefix="moltbot-edit-") as scratch:
        draft = Path(scratch) / "moltbot.json5"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        while True:
            command = [*_editor_command(), str(draft)]
            try:
                status = subprocess.call(command)
            except FileNotFoundError:
                raise UsageError(
                    f"cannot start the editor {command[0]!r}",
                    hint="Set $EDITOR to an editor you have, e.g. `export EDITOR=nano`.",
                ) from None
            if status != 0:
                raise MoltbotError(f"the editor exited with status {status}; nothing was changed.")
            edited = draft.read_text(encoding="utf-8")
            if edited == text:
                out.note("No changes.")
                return
            problems = _problems_in(app, edited)
            if not problems:
                break
            out.note(f"The edited config is not valid:\n{describe_issues(problems)}")
            if not stdin_is_terminal():
                kept = _keep_rejected_edit(app, edited)
                raise UsageError(
                    "discarded the edit; the config file was left as it was.",
                    hint=f"Your edited text is in {kept}.",
                )
            if not _ask_again():
                # A deliberate "no" is a choice, not a failure.
                kept = _keep_rejected_edit(app, edited)
                out.note(
                    f"Discarded the edit; the config was left as it was (your text is in {kept})."
                )
                return
            text = edited
        if app.store.read_text() != original:
            kept = _keep_rejected_edit(app, edited)
            raise MoltbotError(
                f"{app.config_path} changed while you were editing; your edit was not applied.",
                hint=f"Your version is in {kept}; run `moltbot config edit` again.",
            )
        app.store.replace(edited)
    out.note(f"Saved {app.config_path}")
    _note_scrubbed(app, out)


@contextlib.contextmanager
def _cleanup_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP end the command through the normal way out (so `with` blocks
    clean up) instead of killing it where it stands."""
    import signal

    def leave(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    caught = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {number: signal.signal(number, leave) for number in caught}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _keep_rejected_edit(app: AppContext, edited: str) -> Path:
    """The user's work is never thrown away: a refused edit is kept beside the config."""
    from moltbot_cli.files import write_atomically

    kept = app.config_path.with_name(f"{app.config_path.name}.rejected-edit")
    write_atomically(kept, edited)
    return kept


def _problems_in(app: AppContext, text: str) -> list[Issue]:
    from moltbot_cli.config.schema import errors_in

    try:
        document = app.store.parse(text)
    except MoltbotError as error:
        return [_issue_from_syntax_error(error)]
    return errors_in(app.store.check(document))


def _ask_again() -> bool:
    import typer

    return bool(typer.confirm("Edit again? (no discards your changes)", default=True, err=True))
