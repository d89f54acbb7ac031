"""The fake OpenRouter's side of the request features: attachments, schemas, web search,
reasoning, presets — and a catalogue whose models differ in what they take.

`fake_openrouter.py` calls these; tests use `features_catalogue()` and the constants.
"""

from __future__ import annotations

import base64
import binascii
import copy
from typing import Any

MAGIC = {
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
    "image/gif": b"GIF8",
    "image/webp": b"RIFF",
    "application/pdf": b"%PDF-",
}
SAMPLE_CITATIONS = [
    {
        "type": "url_citation",
        "url_citation": {
            "url": "https://example.org/sky",
            "title": "Why the sky is blue",
            "content": "Rayleigh scattering...",
            "start_index": 0,
            "end_index": 10,
        },
    },
    {
        "type": "url_citation",
        "url_citation": {"url": "https://example.com/news", "title": "Today's news"},
    },
]
SAMPLE_PRESETS = [
    {
        "id": "6b1f0c1e-0000-4000-8000-000000000001",
        "slug": "fast-cheap",
        "name": "Fast and cheap",
        "description": "Haiku, throughput first",
        "status": "active",
        "created_at": "2026-10-01T12:00:00Z",
        "updated_at": "2026-11-02T08:30:00Z",
        "creator_user_id": None,
        "designated_version_id": None,
        "status_updated_at": None,
        "workspace_id": None,
    },
    {
        "id": "6b1f0c1e-0000-4000-8000-000000000002",
        "slug": "careful",
        "name": "Careful thinker",
        "description": None,
        "status": "active",
        "created_at": "2026-09-01T12:00:00Z",
        "updated_at": "2026-09-01T12:00:00Z",
        "creator_user_id": None,
        "designated_version_id": None,
        "status_updated_at": None,
        "workspace_id": None,
    },
]


def features_catalogue() -> list[dict[str, Any]]:
    """The suite's catalogue with differences that matter to the checks before sending:
    - openai/gpt-5.2 always reasons (efforts high, medium, low), takes PDFs natively;
    - anthropic/claude-sonnet-4-5 reasons optionally (xhigh..minimal, none), takes PDFs;
    - deepseek/deepseek-chat-v3.1 is text only, without structured output or top_k;
    - the rest as the suite's CATALOGUE has them (text and images, no reasoning).
    """
    from tests.support.fake_openrouter import CATALOGUE

    models = copy.deepcopy(CATALOGUE)
    by_id = {model["id"]: model for model in models}
    gpt = by_id["openai/gpt-5.2"]
    gpt["reasoning"] = {
        "supported_efforts": ["high", "medium", "low"],
        "default_effort": "medium",
        "mandatory": True,
        "supports_max_tokens": False,
    }
    gpt["supported_parameters"] += ["reasoning", "include_reasoning", "structured_outputs"]
    gpt["architecture"]["input_modalities"] = ["text", "image", "file"]
    sonnet = by_id["anthropic/claude-sonnet-4-5"]
    sonnet["reasoning"] = {
        "supported_efforts": ["xhigh", "high", "medium", "low", "minimal", "none"],
        "default_effort": None,
        "mandatory": False,
        "supports_max_tokens": True,
    }
    sonnet["supported_parameters"] += ["reasoning", "include_reasoning", "top_k"]
    sonnet["architecture"]["input_modalities"] = ["text", "image", "file"]
    deepseek = by_id["deepseek/deepseek-chat-v3.1"]
    deepseek["architecture"]["input_modalities"] = ["text"]
    deepseek["supported_parameters"] = ["max_tokens", "temperature", "top_p", "stop", "seed"]
    by_id["openai/gpt-4o-mini"]["context_length"] = 1000  # small, for the context check
    return models


def decode_data_url(url: str) -> tuple[str, bytes] | str:
    """(media type, bytes) of a base64 data URL, or what is wrong with it."""
    if not url.startswith("data:") or ";base64," not in url:
        return f"not a base64 data URL: {url[:40]!r}"
    media, _, data = url[len("data:") :].partition(";base64,")
    try:
        return media, base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return "the data URL's base64 does not decode"


def check_parts(body: dict[str, Any], seen: list[dict[str, Any]]) -> str | None:
    """Check every image/file part as OpenRouter would; record each; say what is wrong."""
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        for part in content:
            if not isinstance(part, dict):
                return "a content part is not an object"
            kind = part.get("type")
            if kind == "text":
                if not isinstance(part.get("text"), str):
                    return "a text part has no text"
                continue
            if kind == "image_url":
                url = (part.get("image_url") or {}).get("url")
                name = None
            elif kind == "file":
                file = part.get("file") or {}
                url, name = file.get("file_data"), file.get("filename")
                if not isinstance(name, str) or not name:
                    return "a file part has no filename"
            else:
                return f"unknown content part type {kind!r}"
            if not isinstance(url, str):
                return f"a {kind} part has no URL"
            if url.startswith("https://"):
                seen.append({"type": kind, "url": url, "filename": name})
                continue
            decoded = decode_data_url(url)
            if isinstance(decoded, str):
                return decoded
            media, data = decoded
            if not data.startswith(MAGIC.get(media, b"\x00never")):
                return f"the {kind} part says {media} but its bytes are not"
            if kind == "file" and media != "application/pdf":
                return "file parts must be PDFs"
            seen.append({"type": kind, "media": media, "size": len(data), "filename": name})
    return None


def wants_web(body: dict[str, Any]) -> bool:
    tools = body.get("tools")
    return isinstance(tools, list) and any(
        isinstance(tool, dict) and tool.get("type") == "openrouter:web_search" for tool in tools
    )


def reasoning_wanted(body: dict[str, Any]) -> bool:
    reasoning = body.get("reasoning")
    if not isinstance(reasoning, dict):
        return True
    return reasoning.get("effort") != "none" and not reasoning.get("exclude")


def schema_of(body: dict[str, Any]) -> dict[str, Any] | None:
    response_format = body.get("response_format")
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return None
    schema = (response_format.get("json_schema") or {}).get("schema")
    return schema if isinstance(schema, dict) else None


def instance_of(schema: dict[str, Any]) -> Any:
    """A small value that fits a (simple) JSON Schema."""
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        return {name: instance_of(sub) for name, sub in (schema.get("properties") or {}).items()}
    if kind == "array":
        return [instance_of(schema.get("items") or {"type": "string"})]
    if kind == "integer":
        return 42
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return "text"
