"""One logged call: what was asked, what came back, what it cost, how long it took.

A record never holds the API key or a header: it is built from the request body
and the reply, and `scrub` masks the key should a prompt or an error carry it.
Attachments are named (a file name, a URL, `image/png 12 KB`), never embedded.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from moltbot_cli.records import Record, field, fields

# Request fields that are the conversation itself, not the settings it was sent with.
NOT_PARAMS = frozenset({"model", "messages", "stream", "stream_options", "provider", "session_id"})


class CallRecord(Record):
    conversation_id: str
    started: float  # seconds since the epoch
    model_asked: str | None = None
    model_served: str | None = None
    provider: str | None = None
    routing: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    system: str | None = None
    prompt: str = ""
    attachments: list[str] = field(default_factory=list)
    reply: str = ""
    reasoning: str | None = None
    error: str | None = None
    exit_code: int = 0
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    cached_tokens: int | None = None
    cost: float | None = None
    generation_id: str | None = None
    first_token_seconds: float | None = None
    duration_seconds: float | None = None
    id: int | None = None

    @property
    def total_tokens(self) -> int | None:
        if self.prompt_tokens is None and self.completion_tokens is None:
            return None
        return (self.prompt_tokens or 0) + (self.completion_tokens or 0)

    @property
    def time(self) -> str:
        return iso_time(self.started)

    def as_json(self) -> dict[str, Any]:
        """The record for `logs list --json` / `logs show --json`: snake_case throughout."""
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "time": self.time,
            "model_asked": self.model_asked,
            "model_served": self.model_served,
            "provider": self.provider,
            "routing": self.routing,
            "params": self.params,
            "system": self.system,
            "prompt": self.prompt,
            "attachments": self.attachments,
            "reply": self.reply,
            "reasoning": self.reasoning,
            "error": self.error,
            "exit_code": self.exit_code,
            "finish_reason": self.finish_reason,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "cached_tokens": self.cached_tokens,
            "total_tokens": self.total_tokens,
            "cost": self.cost,
            "generation_id": self.generation_id,
            "first_token_seconds": self.first_token_seconds,
            "duration_seconds": self.duration_seconds,
        }

    def take_request(self, body: dict[str, Any]) -> None:
        """System prompt, this turn's prompt and attachments, routing and params, from a body."""
        raw = body.get("messages")
        messages: list[Any] = raw if isinstance(raw, list) else []
        systems = [m for m in messages if isinstance(m, dict) and m.get("role") == "system"]
        users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
        if systems:
            self.system = split_content(systems[0].get("content"))[0]
        if users:
            self.prompt, self.attachments = split_content(users[-1].get("content"))
        provider = body.get("provider")
        self.routing = dict(provider) if isinstance(provider, dict) and provider else None
        params = {key: value for key, value in body.items() if key not in NOT_PARAMS}
        self.params = params or None

    def take_usage(self, usage: Any) -> None:
        """Tokens and cost from a reply's `usage`, whatever of it is there and well formed."""
        if not isinstance(usage, dict):
            return
        self.prompt_tokens = _count(usage.get("prompt_tokens"))
        self.completion_tokens = _count(usage.get("completion_tokens"))
        prompt_details = usage.get("prompt_tokens_details")
        if isinstance(prompt_details, dict):
            self.cached_tokens = _count(prompt_details.get("cached_tokens"))
        completion_details = usage.get("completion_tokens_details")
        if isinstance(completion_details, dict):
            self.reasoning_tokens = _count(completion_details.get("reasoning_tokens"))
        cost = usage.get("cost")
        if isinstance(cost, (int, float)) and not isinstance(cost, bool) and cost == cost:
            self.cost = float(cost)

    def scrub(self, secret: str | None) -> None:
        """Mask `secret` wherever a person or a server put it into a text field."""
        if not secret:
            return
        from moltbot_cli.masking import mask_key

        masked = mask_key(secret)
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, str) and secret in value:
                setattr(self, spec.name, value.replace(secret, masked))
        self.attachments = [name.replace(secret, masked) for name in self.attachments]
        for name in ("routing", "params"):
            value = getattr(self, name)
            if value is not None:
                import json

                text = json.dumps(value, ensure_ascii=False)
                if secret in text:
                    setattr(self, name, json.loads(text.replace(secret, masked)))


def iso_time(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return int(value)


def split_content(content: Any) -> tuple[str, list[str]]:
    """A message's text, and its attachments by name: images and files are not kept."""
    if isinstance(content, str):
        return content, []
    if not isinstance(content, list):
        return "", []
    texts: list[str] = []
    names: list[str] = []
    for part in content:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            names.append(describe_url(url, "image"))
        elif kind == "file":
            given = part.get("file")
            file: dict[str, Any] = given if isinstance(given, dict) else {}
            name = file.get("filename")
            names.append(
                name
                if isinstance(name, str) and name
                else describe_url(file.get("file_data"), "file")
            )
        elif isinstance(kind, str):
            names.append(kind)
    return "\n\n".join(texts), names


def describe_url(url: Any, what: str) -> str:
    """A URL as it is; a `data:` URL as its type and size, so no file lands in the log."""
    if not isinstance(url, str) or not url:
        return what
    if not url.startswith("data:"):
        return url[:2000]
    header, _, payload = url.partition(",")
    media = header[5:].split(";")[0] or what
    # Base64 carries three bytes in four characters: near enough to tell a size.
    size = len(payload) * 3 // 4 - payload[-2:].count("=") if ";base64" in header else len(payload)
    return f"{media} {format_size(size)}"


def format_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"
