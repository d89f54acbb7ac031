"""The work behind `moltbot config`: each function takes the app context and an Output."""

from __future__ import annotations

import json as jsonlib
import os
import sys
from typing import TYPE_CHECKING, Any

from moltbot_cli.commands.context import AppContext
from moltbot_cli.config.document import Document, PathError
from moltbot_cli.config.pathexpr import format_path, parse_path
from moltbot_cli.config.store import describe_issues
from moltbot_cli.console import Output, stdin_is_terminal
from moltbot_cli.errors import ExitCode, MoltbotError, UsageError
from moltbot_cli.masking import is_secret_name, mask_secrets

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
        out.json(document.data if reveal else mask_secrets(document.data))
        return
    out.stdout.write(document.text if reveal else _masked_text(document) or "{}\n")


def _masked_text(document: Document) -> str:
    """The file as written, with each secret's string replaced by its masked form."""
    masked = document
    for path in _secret_paths(document.data):
        value = document.get(path)
        masked = masked.set(path, mask_secrets(value, str(path[-1])))
    return masked.text


def _secret_paths(data: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found: list[tuple[str | int, ...]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            child = (*path, key)
            if isinstance(value, str) and is_secret_name(key) and "${" not in value:
                found.append(child)
            else:
                found.extend(_secret_paths(value, child))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(_secret_paths(value, (*path, index)))
    return found


def get(app: AppContext, out: Output, path_text: str, *, reveal: bool) -> None:
    path = parse_path(path_text)
    document, _ = app.store.read()
    if not document.has(path):
        raise UsageError(
            f"no value at {format_path(path)} in {app.config_path}",
            hint=_near_paths_hint(document, path),
        )
    value = document.get(path)
    if not reveal:
        value = mask_secrets(value, str(path[-1]) if path else "")
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
    import json5

    try:
        return json5.loads(text)
    except ValueError as error:
        if strict_json:
            raise UsageError(
                f"not a JSON5 value: {text!r} ({error})",
                hint="Quote strings inside the value, e.g. '\"text\"', or drop --json to store it as a string.",
            ) from None
        return text


def set_value(app: AppContext, out: Output, path_text: str, raw: str, *, strict_json: bool) -> None:
    path = parse_path(path_text)
    if not path:
        raise UsageError(
            "give a path below the top level",
            hint="Use `moltbot config edit` to rewrite the whole file.",
        )
    value = parse_value(raw, strict_json=strict_json)
    app.store.update(lambda document: document.set(path, value))
    shown = mask_secrets(value, str(path[-1]))
    out.note(f"Set {format_path(path)} = {jsonlib.dumps(shown, ensure_ascii=False)}")
    _warn_about(app, out)


def unset(app: AppContext, out: Output, path_text: str) -> None:
    path = parse_path(path_text)
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


def _warn_about(app: AppContext, out: Output) -> None:
    for issue in app.store.inspect().warnings:
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
    with tempfile.TemporaryDirectory(prefix="moltbot-edit-") as scratch:
        draft = Path(scratch) / "moltbot.json5"
        draft.write_text(text, encoding="utf-8")
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
            if not (stdin_is_terminal() and _ask_again()):
                kept = _keep_rejected_edit(app, edited)
                raise UsageError(
                    "discarded the edit; the config file was left as it was.",
                    hint=f"Your edited text is in {kept}.",
                )
            text = edited
        if app.store.read_text() != original:
            kept = _keep_rejected_edit(app, edited)
            raise MoltbotError(
                f"{app.config_path} changed while you were editing; your edit was not applied.",
                hint=f"Your version is in {kept}; run `moltbot config edit` again.",
            )
        app.store.replace(edited)
    out.note(f"Saved {app.config_path}")


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
