"""A conversation: the calls that share a conversation id, as messages to send again.

Continuing one (`chat -c`, `chat --cid ID`, the interactive chat) sends its earlier
turns as messages, keeps its system prompt and its model, and names it to OpenRouter
as `session_id`, so the provider that served it serves it again and its prompt cache
is hit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moltbot_cli.calllog.record import CallRecord, split_content
from moltbot_cli.calllog.recorder import new_conversation_id
from moltbot_cli.errors import UsageError
from moltbot_cli.records import Record, field

if TYPE_CHECKING:
    from moltbot_cli.calllog.store import CallLog

# A rough count for text no server has counted yet: about four characters a token.
CHARS_PER_TOKEN = 4


class Conversation(Record):
    id: str
    system: str | None = None
    model: str | None = None  # the ref its last call asked for
    turns: list[dict[str, str]] = field(default_factory=list)  # user/assistant, oldest first
    calls: int = 0
    cost: float = 0.0
    costed: bool = False  # whether any call reported a cost
    counted_tokens: int | None = None  # the last call's prompt + completion, as counted
    counted_turns: int = 0  # how many of `turns` that count covers

    @classmethod
    def new(cls, system: str | None = None) -> Conversation:
        return cls(new_conversation_id(), system=system)

    @property
    def continued(self) -> bool:
        return bool(self.turns) or self.calls > 0

    def messages(self, prompt: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The system prompt, the earlier turns, then this prompt."""
        head: list[dict[str, Any]] = (
            [{"role": "system", "content": self.system}] if self.system else []
        )
        return [*head, *self.turns, {"role": "user", "content": prompt}]

    def add(self, record: CallRecord) -> None:
        """A finished call joins the conversation (a failed one only if part of a reply came)."""
        self.calls += 1
        if record.cost is not None:
            self.cost += record.cost
            self.costed = True
        if record.model_asked:
            self.model = record.model_asked
        if record.exit_code and not record.reply:
            return  # nothing was said: the next prompt stands on its own
        self.turns += [
            {"role": "user", "content": record.prompt},
            {"role": "assistant", "content": record.reply},
        ]
        if record.total_tokens is not None:
            self.counted_tokens = record.total_tokens
            self.counted_turns = len(self.turns)

    def estimated_tokens(self, prompt: str | list[dict[str, Any]]) -> int:
        """About how many tokens the next request holds: counted where a server counted."""
        uncounted = self.turns[self.counted_turns :]
        text = len(split_content(prompt)[0]) + sum(len(turn["content"]) for turn in uncounted)
        if self.counted_tokens is None:
            text += len(self.system or "") + sum(
                len(turn["content"]) for turn in self.turns[: self.counted_turns]
            )
        return (self.counted_tokens or 0) + text // CHARS_PER_TOKEN

    @classmethod
    def from_records(cls, conversation_id: str, records: list[CallRecord]) -> Conversation:
        conversation = cls(conversation_id)
        for record in records:
            if conversation.system is None and record.system:
                conversation.system = record.system
            conversation.add(record)
        return conversation


def load(which: str | None) -> Conversation:
    """The conversation `which` names (an id or its start), or the latest with None."""
    import sqlite3

    from moltbot_cli.calllog.store import CallLog, LogError, log_path

    log = CallLog.open(create=False)
    if log is None:
        raise UsageError(
            "there is no conversation to continue: nothing is logged yet",
            hint=f"Start one without -c/--cid; calls are kept in {log_path()}.",
        )
    try:
        with log:
            return _load(log, which)
    except sqlite3.Error as error:
        raise LogError(f"cannot read the call log {log.path}: {error}") from None


def _load(log: CallLog, which: str | None) -> Conversation:
    if which is None:
        found = log.last_conversation_id()
        if found is None:
            raise UsageError(
                "there is no conversation to continue: the log is empty",
                hint="Start one without -c/--cid.",
            )
    else:
        found = log.find_conversation(which)
        if found is None:
            raise UsageError(
                f"no conversation {which!r} in the call log",
                hint="`moltbot logs list` shows the conversation ids.",
            )
    return Conversation.from_records(found, log.conversation(found))
