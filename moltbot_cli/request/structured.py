"""Structured output: `--schema FILE|JSON|FIELDS` → `response_format`, and the reply checked.

A schema is a JSON Schema given inline, or a file holding one, or a short list of
fields people can type: `'name, age int, tags list'` (types: str, int, float, bool,
list; `name: what it is` adds a description). The reply must parse as JSON and fit the
schema; `jsonschema` is imported only here, only when a schema is used.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from moltbot_cli.errors import UpstreamError, UsageError
from moltbot_cli.records import Record

SHORT_TYPES: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "string": {"type": "string"},
    "text": {"type": "string"},
    "int": {"type": "integer"},
    "integer": {"type": "integer"},
    "float": {"type": "number"},
    "number": {"type": "number"},
    "num": {"type": "number"},
    "bool": {"type": "boolean"},
    "boolean": {"type": "boolean"},
    "list": {"type": "array", "items": {"type": "string"}},
    "array": {"type": "array", "items": {"type": "string"}},
}
_FIELD = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+([A-Za-z]+))?\s*(?::\s*(.*?))?\s*")
_NAME = re.compile(r"[^A-Za-z0-9_-]+")
MAX_SCHEMA_BYTES = 256 * 1024
SHOWN_PROBLEMS = 3


class StructuredOutput(Record, frozen=True):
    name: str
    schema: dict[str, Any]

    def response_format(self) -> dict[str, Any]:
        return {
            "type": "json_schema",
            "json_schema": {"name": self.name, "strict": True, "schema": self.schema},
        }


def load_schema(text: str) -> StructuredOutput:
    """The schema `--schema` names: inline JSON, a file, or a short list of fields."""
    given = text.strip()
    if not given:
        raise UsageError("--schema is empty", hint=_SCHEMA_HINT)
    if given.startswith("{"):
        return _checked("reply", _parse_json(given, "--schema"))
    path = Path(given).expanduser()
    if path.is_file() or given.endswith(".json"):
        return _checked(_NAME.sub("_", path.stem)[:64] or "reply", _read_file(path))
    return StructuredOutput("reply", short_schema(given))


_SCHEMA_HINT = (
    'Give a JSON Schema (\'{"type": "object", ...}\'), a file holding one, '
    "or fields such as 'name, age int, tags list'."
)


def short_schema(text: str) -> dict[str, Any]:
    """`'name, age int, tags list'` → an object schema with every field required."""
    properties: dict[str, Any] = {}
    for piece in re.split(r"[,\n]", text):
        if not piece.strip():
            continue
        match = _FIELD.fullmatch(piece)
        if not match:
            raise UsageError(
                f"--schema: cannot read the field {piece.strip()!r}", hint=_SCHEMA_HINT
            )
        name, kind, description = match.groups()
        if kind is not None and kind.lower() not in SHORT_TYPES:
            raise UsageError(
                f"--schema: unknown type {kind!r} for {name!r}",
                hint="Types: str, int, float, bool, list (str is the default).",
            )
        if name in properties:
            raise UsageError(f"--schema: the field {name!r} is listed twice")
        prop = dict(SHORT_TYPES[(kind or "str").lower()])
        if description:
            prop["description"] = description
        properties[name] = prop
    if not properties:
        raise UsageError("--schema names no fields", hint=_SCHEMA_HINT)
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _read_file(path: Path) -> Any:
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_SCHEMA_BYTES + 1)
    except FileNotFoundError:
        raise UsageError(f"--schema: no such file: {path}", hint=_SCHEMA_HINT) from None
    except OSError as error:
        raise UsageError(f"--schema: cannot read {path}: {error.strerror or error}") from None
    if len(raw) > MAX_SCHEMA_BYTES:
        raise UsageError(f"--schema: {path} is over {MAX_SCHEMA_BYTES // 1024} KiB")
    return _parse_json(raw.decode("utf-8", errors="replace"), str(path))


def _parse_json(text: str, where: str) -> Any:
    import json5

    try:
        return json5.loads(text)
    except ValueError as error:
        raise UsageError(f"{where} is not valid JSON: {error}", hint=_SCHEMA_HINT) from None


def _checked(name: str, value: Any) -> StructuredOutput:
    # The OpenAI-style wrapper {"name", "schema"} is accepted too.
    if isinstance(value, dict) and isinstance(value.get("schema"), dict) and "type" not in value:
        name = _NAME.sub("_", str(value.get("name") or name))[:64] or "reply"
        value = value["schema"]
    if not isinstance(value, dict):
        raise UsageError("--schema must be a JSON object (a JSON Schema)", hint=_SCHEMA_HINT)
    from jsonschema import exceptions, validators

    try:
        validators.validator_for(value).check_schema(value)
    except exceptions.SchemaError as error:
        where = _where(error.absolute_path)
        raise UsageError(f"--schema is not a valid JSON Schema: {where}{error.message}") from None
    return StructuredOutput(name, value)


def check_reply(structured: StructuredOutput, content: str) -> Any:
    """The reply as JSON when it fits the schema; exit 7 saying what is wrong otherwise."""
    try:
        data = json.loads(content)
    except ValueError as error:
        raise UpstreamError(
            f"the reply is not JSON ({error})",
            hint="The model ignored the schema; try another model, or --strict to refuse "
            "models that do not list structured output.",
        ) from None
    from jsonschema import validators

    validator = validators.validator_for(structured.schema)(structured.schema)
    problems = sorted(validator.iter_errors(data), key=lambda error: list(error.absolute_path))
    if problems:
        shown = "; ".join(
            f"{_where(error.absolute_path)}{error.message}" for error in problems[:SHOWN_PROBLEMS]
        )
        more = len(problems) - SHOWN_PROBLEMS
        raise UpstreamError(
            f"the reply does not fit the schema: {shown}"
            + (f" (and {more} more)" if more > 0 else ""),
            hint="The reply is on stdout as it came; try another model.",
        )
    return data


def _where(path: Any) -> str:
    parts = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)
    return f"at ${parts}: " if parts else ""
