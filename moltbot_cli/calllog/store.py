"""The call log's SQLite database: where it is, its schema and migrations, and its queries.

One file, `logs.db` in the data dir (`MOLTBOT_DATA_DIR`, else the platform's user data
dir), mode 0600 in a 0700 dir. WAL mode and a busy timeout let many processes (a CI
matrix of chats) write at once without losing a row: readers never block the writer,
and writers wait their turn. `schema_version` records each migration applied; a
database from an older release is brought forward on first open, inside one
transaction, so two processes opening it at once cannot both migrate it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from moltbot_cli.calllog.record import CallRecord
from moltbot_cli.errors import MoltbotError, UsageError
from moltbot_cli.records import Record, field

LOG_FILENAME = "logs.db"
BUSY_TIMEOUT_MS = 5000
SCHEMA_VERSION = 1

# Each entry brings the schema from the version before it to its own number. Add new
# ones at the end; never edit one that has shipped.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE calls (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL,
            started REAL NOT NULL,
            model_asked TEXT,
            model_served TEXT,
            provider TEXT,
            routing TEXT,
            params TEXT,
            system TEXT,
            prompt TEXT NOT NULL DEFAULT '',
            attachments TEXT,
            reply TEXT NOT NULL DEFAULT '',
            reasoning TEXT,
            error TEXT,
            exit_code INTEGER NOT NULL DEFAULT 0,
            finish_reason TEXT,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            reasoning_tokens INTEGER,
            cached_tokens INTEGER,
            cost REAL,
            generation_id TEXT,
            first_token_seconds REAL,
            duration_seconds REAL
        )""",
        "CREATE INDEX calls_conversation ON calls (conversation_id, id)",
        # Covers `usage`: totals come from the index alone, never from the rows' text.
        """CREATE INDEX calls_usage ON calls (started, model_asked, model_served, provider,
            prompt_tokens, completion_tokens, reasoning_tokens, cached_tokens, cost, exit_code)""",
    ),
}

COLUMNS = (
    "id",
    "conversation_id",
    "started",
    "model_asked",
    "model_served",
    "provider",
    "routing",
    "params",
    "system",
    "prompt",
    "attachments",
    "reply",
    "reasoning",
    "error",
    "exit_code",
    "finish_reason",
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "cached_tokens",
    "cost",
    "generation_id",
    "first_token_seconds",
    "duration_seconds",
)
JSON_COLUMNS = ("routing", "params", "attachments")
GroupBy = Literal["day", "model", "provider"]
GROUP_EXPRESSIONS: dict[str, str] = {
    "day": "date(started, 'unixepoch', 'localtime')",
    # The model that served, as the server names it (`anthropic/claude-sonnet-4-5`); a
    # call that failed before any model served counts under the ref it asked, in the
    # same form, so a model's failures and answers share one row.
    "model": "coalesce(model_served, CASE WHEN model_asked LIKE 'openrouter/%' "
    "THEN substr(model_asked, 12) ELSE model_asked END, '?')",
    "provider": "coalesce(provider, 'unknown')",
}


def log_path() -> Path:
    from moltbot_cli.paths import data_dir

    return data_dir() / LOG_FILENAME


class LogError(MoltbotError):
    """The log cannot be opened, read or written."""


class Totals(Record):
    calls: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    cost: float = 0.0
    uncosted: int = 0  # calls whose reply carried no cost

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_json(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "failed": self.failed,
            "tokens": self.tokens,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "cached_tokens": self.cached_tokens,
            "cost": round(self.cost, 9),
            "uncosted_calls": self.uncosted,
        }


class Usage(Record):
    total: Totals
    rows: list[tuple[str, Totals]] = field(default_factory=list)


class CallLog:
    """An open log. Use as a context manager; every method is one short transaction."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path

    # -- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | None = None, *, create: bool = True) -> CallLog | None:
        """The log at `path`, brought up to date; None when it does not exist and
        `create` is false (a reading command has nothing to read)."""
        path = log_path() if path is None else path
        if not create and not path.exists():
            return None
        try:
            if create:
                _make_private_file(path)
            connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise _log_error(path, error, "open") from None
        log = cls(connection, path)
        try:
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # In WAL mode NORMAL never corrupts the log; a power cut may lose the newest calls.
            # It spares every chat an fsync.
            connection.execute("PRAGMA synchronous = NORMAL")
            _keep_wal_on_close(connection)
            log._prepare()
        except sqlite3.Error as error:
            connection.close()
            raise _log_error(path, error, "open") from None
        return log

    def _prepare(self) -> None:
        version = self.version()
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise LogError(
                f"the call log {self.path} was made by a newer moltbot (schema {version})",
                hint="Upgrade moltbot, or move the file aside to start a new log.",
            )
        # WAL is a property of the file: set once, when the file is new or from an old
        # release. It lets readers and one writer work at once.
        self.connection.execute("PRAGMA journal_mode = WAL")
        self._migrate()

    def _migrate(self) -> None:
        connection = self.connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER PRIMARY KEY, applied REAL NOT NULL)"
            )
            current = self._version_in_transaction()
            for number in range(current + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[number]:
                    connection.execute(statement)
                connection.execute(
                    "INSERT INTO schema_version (version, applied) VALUES (?, ?)",
                    (number, time.time()),
                )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def version(self) -> int:
        try:
            return self._version_in_transaction()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return 0
            raise

    def _version_in_transaction(self) -> int:
        row = self.connection.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> CallLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------

    def add(self, record: CallRecord) -> int:
        values = _row_values(record)
        names = [name for name in COLUMNS if name != "id"]
        cursor = self.connection.execute(
            f"INSERT INTO calls ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [values[name] for name in names],
        )
        record.id = int(cursor.lastrowid or 0)
        return record.id

    def add_many(self, records: Iterable[CallRecord]) -> None:
        """For benchmarks and imports: many rows in one transaction."""
        names = [name for name in COLUMNS if name != "id"]
        self.connection.execute("BEGIN")
        try:
            self.connection.executemany(
                f"INSERT INTO calls ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                ([_row_values(record)[name] for name in names] for record in records),
            )
            self.connection.execute("COMMIT")
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise

    def prune(self, before: float) -> int:
        cursor = self.connection.execute("DELETE FROM calls WHERE started < ?", (before,))
        return cursor.rowcount

    # -- reading ------------------------------------------------------------------------

    def recent(
        self,
        limit: int,
        *,
        conversation: str | None = None,
        models: Sequence[str] = (),
        search: str | None = None,
    ) -> list[CallRecord]:
        """The newest calls first, narrowed by conversation, model and text."""
        where: list[str] = []
        args: list[Any] = []
        if conversation is not None:
            where.append("conversation_id = ?")
            args.append(conversation)
        if models:
            marks = ", ".join("?" * len(models))
            where.append(f"(model_asked IN ({marks}) OR model_served IN ({marks}))")
            args += [*models, *models]
        if search:
            pattern = (
                "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            where.append(
                "(prompt LIKE ? ESCAPE '\\' OR reply LIKE ? ESCAPE '\\' "
                "OR coalesce(system, '') LIKE ? ESCAPE '\\')"
            )
            args += [pattern, pattern, pattern]
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self.connection.execute(
            f"SELECT {', '.join(COLUMNS)} FROM calls {clause} ORDER BY id DESC LIMIT ?",
            [*args, limit],
        ).fetchall()
        return [_record(row) for row in rows]

    def get(self, call_id: int) -> CallRecord | None:
        row = self.connection.execute(
            f"SELECT {', '.join(COLUMNS)} FROM calls WHERE id = ?", (call_id,)
        ).fetchone()
        return _record(row) if row else None

    def conversation(self, conversation_id: str) -> list[CallRecord]:
        """A conversation's calls, oldest first."""
        rows = self.connection.execute(
            f"SELECT {', '.join(COLUMNS)} FROM calls WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        ).fetchall()
        return [_record(row) for row in rows]

    def last_conversation_id(self) -> str | None:
        row = self.connection.execute(
            "SELECT conversation_id FROM calls ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return str(row[0]) if row else None

    def find_conversation(self, text: str) -> str | None:
        """A conversation id, given whole or as a prefix only one conversation has."""
        text = text.strip()
        if not text:
            return None
        exact = self.connection.execute(
            "SELECT 1 FROM calls WHERE conversation_id = ? LIMIT 1", (text,)
        ).fetchone()
        if exact:
            return text
        matches = self.connection.execute(
            "SELECT DISTINCT conversation_id FROM calls "
            "WHERE conversation_id >= ? AND conversation_id < ? LIMIT 2",
            (text, text + "\U0010ffff"),
        ).fetchall()
        if len(matches) > 1:
            raise UsageError(
                f"{text!r} starts more than one conversation id",
                hint="Give more of it (`moltbot logs list` shows them).",
            )
        return str(matches[0][0]) if matches else None

    def count(self) -> int:
        row = self.connection.execute("SELECT count(*) FROM calls").fetchone()
        return int(row[0])

    def usage(self, since: float | None, by: GroupBy | None) -> Usage:
        where, args = ("WHERE started >= ?", [since]) if since is not None else ("", [])
        sums = (
            "count(*), sum(exit_code != 0), coalesce(sum(prompt_tokens), 0), "
            "coalesce(sum(completion_tokens), 0), coalesce(sum(reasoning_tokens), 0), "
            "coalesce(sum(cached_tokens), 0), coalesce(sum(cost), 0), sum(cost IS NULL)"
        )
        total = _totals(
            self.connection.execute(f"SELECT {sums} FROM calls {where}", args).fetchone()
        )
        result = Usage(total)
        if by is not None:
            group = GROUP_EXPRESSIONS[by]
            order = "key" if by == "day" else "8 DESC, 2 DESC, key"
            rows = self.connection.execute(
                f"SELECT {group} AS key, {sums} FROM calls {where} GROUP BY key ORDER BY {order}",
                args,
            ).fetchall()
            result.rows = [(str(row[0]), _totals(row[1:])) for row in rows]
        return result


def _totals(row: Sequence[Any]) -> Totals:
    return Totals(
        calls=int(row[0] or 0),
        failed=int(row[1] or 0),
        prompt_tokens=int(row[2] or 0),
        completion_tokens=int(row[3] or 0),
        reasoning_tokens=int(row[4] or 0),
        cached_tokens=int(row[5] or 0),
        cost=float(row[6] or 0.0),
        uncosted=int(row[7] or 0),
    )


def _keep_wal_on_close(connection: sqlite3.Connection) -> None:
    """Where Python offers it (3.12+), skip the checkpoint a closing connection makes.

    Otherwise the last connection to close checkpoints the WAL into the database, syncs
    it and deletes the WAL, so every chat creates and removes the WAL again: most of what
    logging a call costs. SQLite still checkpoints as the WAL grows (every 1000 pages).
    """
    option = getattr(sqlite3, "SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE", None)
    setconfig = getattr(connection, "setconfig", None)
    if option is not None and setconfig is not None:
        setconfig(option, True)


def _row_values(record: CallRecord) -> dict[str, Any]:
    values = {name: getattr(record, name) for name in COLUMNS}
    for name in JSON_COLUMNS:
        value = values[name]
        values[name] = json.dumps(value, ensure_ascii=False) if value else None
    return values


def _record(row: Sequence[Any]) -> CallRecord:
    values = dict(zip(COLUMNS, row, strict=True))
    for name in JSON_COLUMNS:
        text = values[name]
        try:
            values[name] = json.loads(text) if text else None
        except ValueError:
            values[name] = None
    values["attachments"] = values["attachments"] or []
    values["prompt"] = values["prompt"] or ""
    values["reply"] = values["reply"] or ""
    return CallRecord(**values)


def _make_private_file(path: Path) -> None:
    """The dir 0700 and the file 0600 before SQLite opens it: no moment when others can read.

    SQLite gives its -wal and -shm files the database file's mode.
    """
    directory = path.parent
    if not directory.exists():
        directory.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(directory, 0o700)  # mkdir's mode is filtered by the umask
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(descriptor)


def _log_error(path: Path, error: BaseException, doing: str) -> LogError:
    reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
    if isinstance(error, sqlite3.DatabaseError) and "not a database" in reason:
        return LogError(
            f"the call log {path} is damaged ({reason})",
            hint=f"Move it aside (mv {path} {path}.broken); a new log starts with the next chat.",
        )
    return LogError(f"cannot {doing} the call log {path}: {reason}")


def describe_failure(path: Path, error: BaseException) -> str:
    """One line for a log that could not be written: what and where, never a traceback."""
    if isinstance(error, LogError):
        return error.message
    return _log_error(path, error, "write to").message
