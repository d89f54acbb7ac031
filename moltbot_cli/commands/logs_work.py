"""The work behind `moltbot logs`: read the call log back, switch it, prune it."""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

from moltbot_cli.calllog.record import CallRecord
from moltbot_cli.calllog.store import CallLog, LogError, log_path
from moltbot_cli.commands.context import AppContext
from moltbot_cli.config.settings import LOGS_ENABLED_PATH
from moltbot_cli.console import Output
from moltbot_cli.errors import MoltbotError, UsageError

FIRST_WORDS = 60


@contextmanager
def reading(create: bool = False) -> Iterator[CallLog | None]:
    """The log for reading, or None when nothing was ever logged; its failures in one line."""
    path = log_path()
    log = CallLog.open(path, create=create)
    if log is None:
        yield None
        return
    try:
        with log:
            yield log
    except sqlite3.DatabaseError as error:
        raise LogError(
            f"cannot read the call log {path}: {error}",
            hint=f"If it is damaged, move it aside (mv {path} {path}.broken); "
            "a new log starts with the next chat.",
        ) from None


# -- logs list -----------------------------------------------------------------------------


def list_calls(
    app: AppContext,
    out: Output,
    *,
    limit: int,
    conversation: str | None,
    model: str | None,
    search: str | None,
) -> None:
    models = model_names(app, model) if model is not None else []
    with reading() as log:
        if log is None:
            records: list[CallRecord] = []
        else:
            cid = find_conversation(log, conversation) if conversation is not None else None
            records = log.recent(limit, conversation=cid, models=models, search=search)
    if out.is_json:
        out.json([record.as_json() for record in records])
        return
    if not records:
        out.note(_nothing_found(conversation, model, search))
        return
    lines = [call_line(record) for record in records]
    if out.stdout_is_terminal:
        for text in terminal_lines(records, lines, shutil.get_terminal_size((120, 24)).columns):
            out.line(text)
    else:
        for line in lines:
            out.line("\t".join(line))


def terminal_lines(
    records: list[CallRecord], lines: Sequence[tuple[str, ...]], width: int
) -> list[str]:
    """Aligned columns, the prompt's first words in what is left of the width.

    A narrow terminal loses the conversation column first: `--json` and pipes keep it.
    """
    columns = [list(column) for column in zip(*(line[:6] for line in lines), strict=True)]
    columns[3] = [name[:40] for name in columns[3]]
    widths = [max(len(cell) for cell in column) for column in columns]
    shown = [0, 1, 2, 3, 4, 5]
    if sum(widths) + 2 * len(widths) + 24 > width:
        shown.remove(2)
    right = {0, 4, 5}
    result = []
    for index, (record, line) in enumerate(zip(records, lines, strict=True)):
        cells = [
            columns[c][index].rjust(widths[c]) if c in right else columns[c][index].ljust(widths[c])
            for c in shown
        ]
        head = "  ".join(cells) + "  "
        mark = f"[exit {record.exit_code}] " if record.exit_code else ""
        room = max(width - 1 - len(head), 12)
        words = mark + line[6]
        result.append(head + (words if len(words) <= room else words[: room - 1] + "…"))
    return result


def call_line(record: CallRecord) -> tuple[str, str, str, str, str, str, str]:
    """id, local time, conversation, model, tokens, cost, the prompt's first words."""
    when = datetime.fromtimestamp(record.started).strftime("%Y-%m-%d %H:%M")
    total = record.total_tokens
    tokens = f"{total:,} tok" if total is not None else "- tok"
    return (
        str(record.id),
        when,
        record.conversation_id,
        display_model(record),
        tokens,
        format_cost(record.cost),
        first_words(record.prompt),
    )


def display_model(record: CallRecord) -> str:
    if record.model_served:
        return record.model_served
    asked = record.model_asked or "?"
    # The wire id reads better; OpenRouter's own models keep their prefix.
    stripped = asked.removeprefix("openrouter/")
    return stripped if "/" in stripped else asked


def first_words(text: str, limit: int = FIRST_WORDS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def format_cost(cost: float | None) -> str:
    if cost is None:
        return "$-"
    if cost == 0:
        return "$0"
    if cost < 0.01:
        return f"${cost:.6f}"
    return f"${cost:.4f}"


def model_names(app: AppContext, text: str) -> list[str]:
    """The ways the log may spell a model the user names: its ref and its wire id."""
    from moltbot_cli.vocabulary import refs

    cleaned = text.strip()
    if not cleaned:
        raise UsageError("--model is empty", hint="Give a model ref or an alias.")
    try:
        ref = app.store.settings().resolve(cleaned)
    except MoltbotError:
        try:
            ref = refs.normalize_ref(cleaned)
        except UsageError:
            return [cleaned]
    return sorted({ref, refs.wire_id(ref), cleaned})


def find_conversation(log: CallLog, text: str) -> str:
    found = log.find_conversation(text)
    if found is None:
        raise UsageError(
            f"no conversation {text!r} in the call log",
            hint="`moltbot logs list` shows the conversation ids.",
        )
    return found


def _nothing_found(conversation: str | None, model: str | None, search: str | None) -> str:
    if conversation or model or search:
        return "No logged call matches."
    return f"No calls logged yet. They will be kept in {log_path()}."


# -- logs show -----------------------------------------------------------------------------


def show(app: AppContext, out: Output, *, call_id: str | None, conversation: str | None) -> None:
    if call_id is not None and conversation is not None:
        raise UsageError("give a call ID or --cid, not both")
    with reading() as log:
        if log is None:
            raise UsageError(
                "nothing is logged yet", hint=f"Calls are kept in {log_path()} once you chat."
            )
        if conversation is not None:
            records = log.conversation(find_conversation(log, conversation))
        else:
            record = _one_call(log, call_id)
            records = [record]
    if out.is_json:
        out.json([record.as_json() for record in records] if conversation else records[0].as_json())
        return
    if conversation is not None:
        show_conversation(out, records)
    else:
        show_call(out, records[0])


def _one_call(log: CallLog, call_id: str | None) -> CallRecord:
    if call_id is None:
        latest = log.recent(1)
        if not latest:
            raise UsageError("nothing is logged yet")
        return latest[0]
    cleaned = call_id.strip().lstrip("#")
    if not cleaned.isdigit():
        raise UsageError(
            f"{call_id!r} is not a call id (a number from `moltbot logs list`)",
            hint="For a whole conversation use `moltbot logs show --cid ID`.",
        )
    record = log.get(int(cleaned))
    if record is None:
        raise UsageError(
            f"no call {cleaned} in the call log",
            hint="`moltbot logs list` shows the calls kept (pruned ones are gone).",
        )
    return record


def show_call(out: Output, record: CallRecord) -> None:
    when = datetime.fromtimestamp(record.started).strftime("%Y-%m-%d %H:%M:%S")
    out.line(f"Call {record.id} · conversation {record.conversation_id} · {when}")
    served = record.model_served or "-"
    if record.provider:
        served += f" via {record.provider}"
    out.line(f"Model: {record.model_asked or '-'} (served: {served})")
    if record.routing:
        out.line(f"Routing: {_compact(record.routing)}")
    if record.params:
        out.line(f"Params: {_compact(record.params)}")
    out.line(f"Tokens: {tokens_detail(record)}")
    timing = []
    if record.first_token_seconds is not None:
        timing.append(f"first token after {record.first_token_seconds:.2f} s")
    if record.duration_seconds is not None:
        timing.append(f"{record.duration_seconds:.2f} s in all")
    out.line(f"Cost: {format_cost(record.cost)}" + (f" · {', '.join(timing)}" if timing else ""))
    if record.generation_id:
        out.line(f"Generation: {record.generation_id}")
    out.line(f"Finish: {record.finish_reason or '-'}")
    if record.error or record.exit_code:
        out.line(f"Error: {record.error or '-'} (exit {record.exit_code})")
    if record.system:
        out.line("\nSystem:\n" + record.system)
    out.line("\nPrompt:\n" + record.prompt)
    if record.attachments:
        out.line("Attachments: " + ", ".join(record.attachments))
    if record.reasoning:
        out.line("\nReasoning:\n" + record.reasoning)
    label = "Reply (partial)" if record.exit_code and record.reply else "Reply"
    out.line(f"\n{label}:\n{record.reply}")


def tokens_detail(record: CallRecord) -> str:
    if record.total_tokens is None:
        return "not reported"
    text = f"{record.prompt_tokens or 0:,} in + {record.completion_tokens or 0:,} out"
    extras = []
    if record.reasoning_tokens:
        extras.append(f"{record.reasoning_tokens:,} reasoning")
    if record.cached_tokens:
        extras.append(f"{record.cached_tokens:,} cached")
    return text + (f" ({', '.join(extras)})" if extras else "")


def show_conversation(out: Output, records: list[CallRecord]) -> None:
    first = records[0]
    costs = [record.cost for record in records if record.cost is not None]
    out.line(
        f"Conversation {first.conversation_id} · {len(records)} "
        f"call{'s' if len(records) != 1 else ''} · {format_cost(sum(costs) if costs else None)}"
    )
    if first.system:
        out.line(f"System: {first.system}")
    for record in records:
        when = datetime.fromtimestamp(record.started).strftime("%Y-%m-%d %H:%M")
        status = f" · exit {record.exit_code}" if record.exit_code else ""
        out.line(
            f"\n#{record.id} · {when} · {display_model(record)} · "
            f"{format_cost(record.cost)}{status}"
        )
        out.line("> " + record.prompt.replace("\n", "\n> "))
        if record.attachments:
            out.line("> [attached: " + ", ".join(record.attachments) + "]")
        out.line(record.reply)
        if record.error:
            out.line(f"[{record.error}]")


def _compact(value: object) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


# -- path, on/off/status, prune ---------------------------------------------------------


def show_path(out: Output) -> None:
    out.line(str(log_path()))


def set_enabled(app: AppContext, out: Output, enabled: bool) -> None:
    app.store.update(lambda document: document.set(LOGS_ENABLED_PATH, enabled))
    if enabled:
        out.note(f"Logging is on: every chat is kept in {log_path()}.")
    else:
        out.note(
            "Logging is off: chats are no longer recorded (what is logged stays; "
            "`moltbot logs prune --older-than 0d` removes it)."
        )


def status(app: AppContext, out: Output) -> None:
    enabled = app.store.settings().logs_enabled
    path = log_path()
    with reading() as log:
        calls = log.count() if log is not None else 0
        newest = log.recent(1) if log is not None else []
    size = _size(path)
    if out.is_json:
        out.json(
            {
                "enabled": enabled,
                "path": str(path),
                "calls": calls,
                "bytes": size,
                "newest": newest[0].time if newest else None,
            }
        )
        return
    out.line(f"Logging is {'on' if enabled else 'off'} (config logs.enabled).")
    out.line(f"Log: {path}")
    if calls:
        when = datetime.fromtimestamp(newest[0].started).strftime("%Y-%m-%d %H:%M")
        out.line(f"{calls:,} calls, {_human_size(size)}; the newest at {when}.")
    else:
        out.line("No calls logged yet.")


def _size(path: Path) -> int:
    total = 0
    for suffix in ("", "-wal", "-shm"):
        with suppress(OSError):
            total += path.with_name(path.name + suffix).stat().st_size
    return total


def _human_size(size: int) -> str:
    from moltbot_cli.calllog.record import format_size

    return format_size(size)


def prune(app: AppContext, out: Output, older_than: str) -> None:
    from moltbot_cli.calllog.when import parse_since

    cutoff = parse_since(older_than, "--older-than")
    if cutoff > time.time():
        raise UsageError(f"--older-than {older_than!r} is in the future")
    with reading() as log:
        removed = log.prune(cutoff) if log is not None else 0
    when = datetime.fromtimestamp(cutoff).strftime("%Y-%m-%d %H:%M")
    if out.is_json:
        out.json(
            {"removed": removed, "before": datetime.fromtimestamp(cutoff).astimezone().isoformat()}
        )
        return
    out.note(f"Removed {removed:,} call{'s' if removed != 1 else ''} logged before {when}.")
