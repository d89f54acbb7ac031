"""What a valid config looks like, and a validator that reports every problem at once.

The schema is declared as a tree of small node types. Validation walks the data and
collects `Issue`s, each with the dotted path, a message, and (when the document is
known) the line and column in the file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal, Protocol

from moltbot_cli.config.pathexpr import Path, format_path
from moltbot_cli.config.settings import MODEL_ROUTING_KEYS
from moltbot_cli.records import Record, field
from moltbot_cli.vocabulary import refs, routing
from moltbot_cli.vocabulary.params import OTHER_FIELDS, PARAM_FIELDS, REASONING_EFFORTS

Severity = Literal["error", "warning"]


class Issue(Record, frozen=True):
    path: str
    message: str
    severity: Severity = "error"
    line: int | None = None
    column: int | None = None

    def describe(self) -> str:
        where = f" (line {self.line}, column {self.column})" if self.line is not None else ""
        return f"{self.path or 'the config'}: {self.message}{where}"

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
        }


class Locator(Protocol):
    def position(self, path: Path) -> tuple[int, int] | None: ...
    def key_position(self, path: Path) -> tuple[int, int] | None: ...


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _has_env_reference(value: str) -> bool:
    return "${" in value


class _Walk(Record):
    locator: Locator | None
    aliases: Mapping[str, str] = field(default_factory=dict)  # casefolded alias → its ref
    issues: list[Issue] = field(default_factory=list)

    def add(
        self, path: Path, message: str, severity: Severity = "error", *, at_key: bool = False
    ) -> None:
        position = None
        if self.locator is not None:
            position = self.locator.key_position(path) if at_key else self.locator.position(path)
        line, column = position if position else (None, None)
        self.issues.append(Issue(format_path(path), message, severity, line, column))


class Node:
    description = "a value"

    def check(self, value: Any, path: Path, walk: _Walk) -> None:
        raise NotImplementedError


class Str(Node):
    def __init__(
        self,
        choices: tuple[str, ...] = (),
        *,
        check: Callable[[str], str | None] | None = None,
        description: str = "a string",
    ) -> None:
        self.choices = choices
        self.extra_check = check
        self.description = description

    def check(self, value: Any, path: Path, walk: _Walk) -> None:
        if not isinstance(value, str):
            walk.add(path, f"expected {self.description}, found {_type_name(value)}")
            return
        if _has_env_reference(value):
            return  # known only once the environment fills it in
        if self.choices and value not in self.choices:
            walk.add(path, f"must be one of {', '.join(self.choices)} (found {value!r})")
        elif self.extra_check and (problem := self.extra_check(value)):
            walk.add(path, problem)


class Num(Node):
    def __init__(
        self,
        minimum: float | None = None,
        maximum: float | None = None,
        *,
        integer: bool = False,
    ) -> None:
        self.minimum, self.maximum, self.integer = minimum, maximum, integer
        self.description = "a whole number" if integer else "a number"

    def check(self, value: Any, path: Path, walk: _Walk) -> None:
        valid_type = isinstance(value, int) if self.integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not valid_type:
            walk.add(path, f"expected {self.description}, found {_type_name(value)}")
            return
        if value != value or value in (float("inf"), float("-inf")):
            walk.add(path, "must be a finite number")
        elif self.minimum is not None and value < self.minimum:
            walk.add(path, f"must be at least {self.minimum:g} (found {value})")
        elif self.maximum is not None and value > self.maximum:
            walk.add(path, f"must be at most {self.maximum:g} (found {value})")


class Bool(Node):
    description = "true or false"

    def check(self, value: Any, path: Path, walk: _Walk) -> None:
        if not isinstance(value, bool):
            walk.add(path, f"expected true or false, found {_type_name(value)}")


class AnyValue(Node):
    """A value moltbot passes on to OpenRouter as written (a JSON schema, tools, plugins)."""

    description = "any JSON value"

    def check(self, value: Any, path: Path, walk: _Walk) -> None:
        return None


class ListOf(Node):
    def __init__(self, item: Node, *, non_empty: bool = False, unique: bool = False) -> None:
        self.item, self.non_empty, self.unique = item, non_empty, unique
        self.description = "a list"

    def check(self, value: Any, path: Path, walk: _Walk) -> None:
        if not isinstance(value, list):
            walk.add(path, f"expected a list, found {_type_name(value)}")
            return
        if self.non_empty and not value:
            walk.add(path, "must not be empty")
        seen: list[Any] = []
        for index, item in enumerate(value):
            self.item.check(item, (*path, index), walk)
            if self.unique and item in seen:
                walk.add((*path, index), f"{item!r} is listed twice")
            seen.append(item)


class OneOf(Node):
    """The first alternative whose type matches the value decides."""

    def __init__(
        self, *alternatives: tuple[type | tuple[type, ...], Node], description: str
    ) -> None:
        self.alternatives = alternatives
        self.description = description

    def check(self, value: Any, path: Path, walk: _Walk) -> None:
        for python_type, node in self.alternatives:
            if isinstance(value, python_type) and not isinstance(value, bool):
                node.check(value, path, walk)
                return
        walk.add(path, f"expected {self.description}, found {_type_name(value)}")


class Obj(Node):
    """An object with known keys; or, with `values`, a map whose keys `key_check` accepts."""

    def __init__(
        self,
        fields: Mapping[str, Node] | None = None,
        *,
        values: Node | None = None,
        key_check: Callable[[str], str | None] | None = None,
        spellings: Mapping[str, str] | None = None,
        check: Callable[[Mapping[str, Any], Path, _Walk], None] | None = None,
    ) -> None:
        self.fields = dict(fields or {})
        self.values = values
        self.key_check = key_check
        # Two spellings of one field (allowFallbacks / allow_fallbacks) must not both appear.
        self.spellings = dict(spellings or {})
        self.extra_check = check
        self.description = "an object"

    def check(self, value: Any, path: Path, walk: _Walk) -> None:
        if not isinstance(value, dict):
            walk.add(path, f"expected an object, found {_type_name(value)}")
            return
        canonical_seen: dict[str, str] = {}
        for key, item in value.items():
            child = (*path, key)
            if key in self.fields:
                canonical = str(self.spellings.get(key, key))
                if canonical in canonical_seen:
                    walk.add(
                        child,
                        f"same setting as {canonical_seen[canonical]!r}; keep one of them",
                        at_key=True,
                    )
                canonical_seen[canonical] = key
                self.fields[key].check(item, child, walk)
            elif self.values is not None:
                problem = self.key_check(key) if self.key_check else None
                if problem:
                    walk.add(child, problem, at_key=True)
                else:
                    self.values.check(item, child, walk)
            else:
                walk.add(child, _unknown_key_message(key, list(self.fields)), at_key=True)
        if self.extra_check:
            self.extra_check(value, path, walk)


def _unknown_key_message(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if not close:
        lowered = {name.lower().replace("_", ""): name for name in known}
        match = lowered.get(key.lower().replace("_", ""))
        close = [match] if match else []
    if close:
        return f'unknown key (did you mean "{close[0]}"?)'
    return f"unknown key (expected one of: {', '.join(known)})" if known else "unknown key"


# -- the moltbot config --------------------------------------------------------------------


def _check_ref(value: str) -> str | None:
    if refs.is_ref(value):
        return None
    return "not a model reference (expected openrouter/<author>/<slug>, e.g. openrouter/anthropic/claude-sonnet-4-5)"


def _check_url(value: str) -> str | None:
    return None if re.match(r"https?://[^\s/]+", value) else "expected an http:// or https:// URL"


def alias_problem(value: str) -> str | None:
    """Why `value` cannot be an alias (None when it can): the one rule, for the schema
    and for `models aliases add` alike."""
    return _check_alias(value)


def _check_alias(value: str) -> str | None:
    if not value.strip():
        return "must not be empty"
    if value != value.strip():
        return "must not start or end with spaces"
    return None


def _check_profile_id(key: str) -> str | None:
    if re.fullmatch(r"[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+", key):
        return None
    return 'profile ids look like "openrouter:default"'


def _check_model_key(key: str) -> str | None:
    return (
        None
        if refs.is_ref(key)
        else ('model keys are model references, e.g. "openrouter/anthropic/claude-sonnet-4-5"')
    )


def _check_unique_aliases(models: Mapping[str, Any], path: Path, walk: _Walk) -> None:
    seen: dict[str, str] = {}
    for ref, entry in models.items():
        alias = entry.get("alias") if isinstance(entry, dict) else None
        if not isinstance(alias, str):
            continue
        folded = alias.casefold()
        if folded in seen:
            walk.add((*path, ref, "alias"), f"alias {alias!r} is already used by {seen[folded]!r}")
        else:
            seen[folded] = ref


def _check_unique_refs(models: Mapping[str, Any], path: Path, walk: _Walk) -> None:
    seen: dict[str, str] = {}
    for key in models:
        if not refs.is_ref(key):
            continue
        normalized = refs.normalize_ref(key)
        if normalized in seen:
            walk.add(
                (*path, key),
                f"same model as {seen[normalized]!r}; merge the two entries",
                at_key=True,
            )
        seen[normalized] = key


def _same_model_key(value: str, aliases: Mapping[str, str]) -> str:
    """One spelling for a model, whether written with or without `openrouter/` or as an alias."""
    value = aliases.get(value.casefold(), value)
    return refs.normalize_ref(value) if refs.is_ref(value) else value.casefold()


def _check_model_choice(model: Mapping[str, Any], path: Path, walk: _Walk) -> None:
    primary, fallbacks = model.get("primary"), model.get("fallbacks")
    if not isinstance(fallbacks, list):
        return
    default = _same_model_key(primary, walk.aliases) if isinstance(primary, str) else None
    seen: dict[str, int] = {}
    for index, item in enumerate(fallbacks):
        if not isinstance(item, str):
            continue
        key = _same_model_key(item, walk.aliases)
        if key == default:
            walk.add(
                (*path, "fallbacks", index), "is the default model; a fallback must be another"
            )
        elif key in seen:
            walk.add((*path, "fallbacks", index), f"same model as fallbacks[{seen[key]}]")
        seen.setdefault(key, index)


def _check_models_map(models: Mapping[str, Any], path: Path, walk: _Walk) -> None:
    _check_unique_refs(models, path, walk)
    _check_unique_aliases(models, path, walk)


_PRICE = Num(minimum=0)
_PERCENTILES = Obj({name: Num(minimum=0) for name in ("p50", "p75", "p90", "p99")})
_PERFORMANCE = OneOf(
    ((int, float), Num(minimum=0)),
    (dict, _PERCENTILES),
    description="a number or {p50, p75, p90, p99}",
)
_SLUGS = ListOf(
    Str(
        check=lambda slug: None if slug.strip() else "must not be empty",
        description="a provider slug",
    ),
    unique=True,
)

_ROUTING_NODES: dict[str, Node] = {
    "order": _SLUGS,
    "only": _SLUGS,
    "ignore": _SLUGS,
    "allow_fallbacks": Bool(),
    "require_parameters": Bool(),
    "data_collection": Str(routing.DATA_COLLECTION),
    "zdr": Bool(),
    "enforce_distillable_text": Bool(),
    "quantizations": ListOf(Str(routing.QUANTIZATIONS), unique=True),
    "sort": OneOf(
        (str, Str(routing.SORTS)),
        (dict, Obj({"by": Str(routing.SORTS), "partition": Str(("model", "none"))})),
        description="price, throughput, latency or {by, partition}",
    ),
    "max_price": Obj({name: _PRICE for name in ("prompt", "completion", "request", "image")}),
    "preferred_min_throughput": _PERFORMANCE,
    "preferred_max_latency": _PERFORMANCE,
}
assert set(_ROUTING_NODES) == set(routing.FIELDS)


def _both_spellings(
    nodes: Mapping[str, Node], camel_for: Mapping[str, str]
) -> tuple[dict[str, Node], dict[str, str]]:
    fields: dict[str, Node] = {}
    spellings: dict[str, str] = {}
    for snake, node in nodes.items():
        camel = camel_for[snake]
        fields[camel] = node
        fields[snake] = node
        spellings[camel] = camel
        spellings[snake] = camel
    return fields, spellings


_PARAM_NODES: dict[str, Node] = {
    "temperature": Num(0, 2),
    "max_tokens": Num(1, integer=True),
    "top_p": Num(0, 1),
    "top_k": Num(0, integer=True),
    "min_p": Num(0, 1),
    "top_a": Num(0, 1),
    "frequency_penalty": Num(-2, 2),
    "presence_penalty": Num(-2, 2),
    "repetition_penalty": Num(0, 2),
    "seed": Num(integer=True),
    "stop": OneOf((str, Str()), (list, ListOf(Str())), description="a string or a list of strings"),
}
_REASONING_NODES: dict[str, Node] = {
    "effort": Str(REASONING_EFFORTS),
    "max_tokens": Num(1, integer=True),
    "exclude": Bool(),
    "enabled": Bool(),
}
_reasoning_fields, _reasoning_spellings = _both_spellings(
    _REASONING_NODES, {name: PARAM_FIELDS.get(name, name) for name in _REASONING_NODES}
)
# Any other request field is passed on as written; OpenRouter judges it.
_OTHER_PARAM_NODES: dict[str, Node] = {name: AnyValue() for name in OTHER_FIELDS} | {
    "max_completion_tokens": Num(1, integer=True),
    "logprobs": Bool(),
    "top_logprobs": Num(0, 20, integer=True),
    "user": Str(),
    "session_id": Str(),
    "include_reasoning": Bool(),
    "parallel_tool_calls": Bool(),
    "reasoning": Obj(_reasoning_fields, spellings=_reasoning_spellings),
    "logit_bias": Obj(values=Num(-100, 100)),
}
_PARAM_NODES.update(_OTHER_PARAM_NODES)
assert set(_PARAM_NODES) == set(PARAM_FIELDS)

_routing_fields, _routing_spellings = _both_spellings(_ROUTING_NODES, routing.FIELDS)
_param_fields, _param_spellings = _both_spellings(_PARAM_NODES, PARAM_FIELDS)

ROUTING = Obj(_routing_fields, spellings=_routing_spellings)


def _check_one_routing(entry: Mapping[str, Any], path: Path, walk: _Walk) -> None:
    """A model's routing lives in one place; two would leave the user guessing which wins."""
    present = [
        keys
        for keys in MODEL_ROUTING_KEYS
        if isinstance(entry.get(str(keys[0])), dict) and keys[1] in entry[str(keys[0])]
    ]
    if len(present) > 1:
        walk.add(
            (*path, *present[1]),
            f"routing is set both here and at {format_path((*path, *present[0]))}; "
            "keep one of the two",
            at_key=True,
        )


MODEL_ENTRY = Obj(
    {
        "alias": Str(check=_check_alias),
        "params": Obj({**_param_fields, "provider": ROUTING}, spellings=_param_spellings),
        "compat": Obj({"openRouterRouting": ROUTING}),
    },
    check=_check_one_routing,
)


class RefOrAlias(Node):
    description = "a model reference or an alias"

    def check(self, value: Any, path: Path, walk: _Walk) -> None:
        if not isinstance(value, str):
            walk.add(path, f"expected a model reference, found {_type_name(value)}")
            return
        known_alias = value.casefold() in walk.aliases
        problem = None if known_alias or _has_env_reference(value) else _check_ref(value)
        if problem:
            walk.add(path, problem)


REF = RefOrAlias()

CONFIG = Obj(
    {
        "env": Obj({"OPENROUTER_API_KEY": Str()}),
        "agents": Obj(
            {
                "defaults": Obj(
                    {
                        "model": Obj(
                            {"primary": REF, "fallbacks": ListOf(REF)}, check=_check_model_choice
                        ),
                        "models": Obj(
                            values=MODEL_ENTRY,
                            key_check=_check_model_key,
                            check=_check_models_map,
                        ),
                    }
                ),
            }
        ),
        "models": Obj(
            {
                "providers": Obj(
                    {
                        "openrouter": Obj(
                            {
                                "baseUrl": Str(check=_check_url, description="a URL"),
                                "params": Obj({"provider": ROUTING}),
                            }
                        )
                    }
                )
            }
        ),
        "auth": Obj(
            {
                "profiles": Obj(
                    values=Obj({"provider": Str(("openrouter",)), "mode": Str(("api_key",))}),
                    key_check=_check_profile_id,
                ),
            }
        ),
        "logs": Obj({"enabled": Bool()}),
    }
)

PLAINTEXT_KEY_WARNING = (
    "an API key in plain text in the config file; move it to the keyring with "
    "`moltbot models auth paste-token --provider openrouter` (key on stdin), "
    "then `moltbot config unset env.OPENROUTER_API_KEY`"
)


def validate(data: Any, locator: Locator | None = None) -> list[Issue]:
    """Every problem in `data`, errors and warnings, in file order."""
    walk = _Walk(locator, _aliases_in(data))
    CONFIG.check(data, (), walk)
    env = data.get("env") if isinstance(data, dict) else None
    key = env.get("OPENROUTER_API_KEY") if isinstance(env, dict) else None
    if isinstance(key, str) and key and not _has_env_reference(key):
        walk.add(("env", "OPENROUTER_API_KEY"), PLAINTEXT_KEY_WARNING, "warning")
    return sorted(walk.issues, key=lambda issue: (issue.line or 0, issue.column or 0))


def _aliases_in(data: Any) -> dict[str, str]:
    models = data
    for key in ("agents", "defaults", "models"):
        models = models.get(key) if isinstance(models, dict) else None
    if not isinstance(models, dict):
        return {}
    return {
        entry["alias"].casefold(): ref
        for ref, entry in models.items()
        if isinstance(entry, dict) and isinstance(entry.get("alias"), str)
    }


def errors_in(issues: list[Issue]) -> list[Issue]:
    return [issue for issue in issues if issue.severity == "error"]
