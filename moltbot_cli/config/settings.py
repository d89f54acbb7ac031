"""Typed, read-only access to a loaded config, with `${VAR}` references filled in.

Commands and the request layer ask questions of `Settings` ("which model is the
default?", "what routing does this ref have?") instead of walking raw dicts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from moltbot_cli.config.pathexpr import Path, format_path
from moltbot_cli.errors import ConfigInvalidError
from moltbot_cli.records import Record, field
from moltbot_cli.vocabulary import refs, routing

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
ENV_REFERENCE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")

PRIMARY_PATH: Path = ("agents", "defaults", "model", "primary")
FALLBACKS_PATH: Path = ("agents", "defaults", "model", "fallbacks")
MODELS_PATH: Path = ("agents", "defaults", "models")
BASE_URL_PATH: Path = ("models", "providers", "openrouter", "baseUrl")
# Routing for every OpenRouter model (today's Moltbot/OpenClaw spelling).
GLOBAL_ROUTING_PATH: Path = ("models", "providers", "openrouter", "params", "provider")
# Where a model's own routing may live, inside its entry: the seed's spelling first (what a
# new entry gets), then today's Moltbot/OpenClaw's. The schema lets a model carry only one.
MODEL_ROUTING_KEYS: tuple[Path, ...] = (("compat", "openRouterRouting"), ("params", "provider"))
ENV_KEY_PATH: Path = ("env", "OPENROUTER_API_KEY")
AUTH_PROFILE_PATH: Path = ("auth", "profiles", "openrouter:default")
LOGS_ENABLED_PATH: Path = ("logs", "enabled")


def unset_references(value: Any, path: Path = ()) -> list[tuple[Path, str]]:
    """Every `${VAR}` in the config whose variable the environment does not set."""
    if isinstance(value, str):
        return [(path, name) for name in ENV_REFERENCE.findall(value) if name not in os.environ]
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    return [found for key, item in items for found in unset_references(item, (*path, key))]


def substitute_env(value: Any, path: Path = ()) -> Any:
    """Fill `${UPPER_CASE}` references from the environment; an unset one is an error."""
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigInvalidError(
                    f"{format_path(path)} refers to ${{{name}}}, which is not set",
                    hint=f"Export {name} in the environment, or change the value with "
                    f"`moltbot config set {format_path(path)} VALUE`.",
                )
            return os.environ[name]

        return ENV_REFERENCE.sub(replace, value)
    if isinstance(value, dict):
        return {key: substitute_env(item, (*path, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute_env(item, (*path, index)) for index, item in enumerate(value)]
    return value


def dig(data: Any, path: Path) -> Any:
    """The value at `path`, or None where the path does not lead anywhere."""
    for segment in path:
        if isinstance(data, dict) and isinstance(segment, str):
            data = data.get(segment)
        elif isinstance(data, list) and isinstance(segment, int) and segment < len(data):
            data = data[segment]
        else:
            return None
    return data


class RoutingLayer(Record, frozen=True):
    """One configured routing object: for every model ("global") or for one ("model")."""

    source: str
    path: Path
    routing: dict[str, Any]


class EffectiveRouting(Record, frozen=True):
    """The `provider` object a call sends, and where each of its fields came from."""

    provider: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # wire field → config path or flag

    def with_flags(
        self, *, only: list[str] | None = None, order: list[str] | None = None
    ) -> EffectiveRouting:
        """`--only` / `--order` win over the config for one call."""
        provider, sources = dict(self.provider), dict(self.sources)
        for name, value in (("only", only), ("order", order)):
            if value is not None:
                provider[name] = value
                sources[name] = f"--{name}"
        return EffectiveRouting(provider, sources)


class Settings:
    """A validated config's data, as the rest of the program wants to see it."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = dict(data)

    @property
    def primary(self) -> str | None:
        value = dig(self.data, PRIMARY_PATH)
        return self.resolve(value) if isinstance(value, str) else None

    @property
    def fallbacks(self) -> list[str]:
        value = dig(self.data, FALLBACKS_PATH)
        return [self.resolve(item) for item in value] if isinstance(value, list) else []

    # Cached: every alias lookup and entry read goes through these two, and rebuilding
    # them each time made listing N configured models cost N². A Settings is read-only.
    @cached_property
    def model_entries(self) -> dict[str, dict[str, Any]]:
        """Configured models by normalized ref."""
        value = dig(self.data, MODELS_PATH)
        if not isinstance(value, dict):
            return {}
        return {refs.normalize_ref(key): entry for key, entry in value.items() if refs.is_ref(key)}

    def entry_key(self, ref: str) -> str | None:
        """The key as written in the file for a ref, which may lack the prefix."""
        value = dig(self.data, MODELS_PATH)
        if isinstance(value, dict):
            for key in value:
                if refs.same_model(key, ref):
                    return str(key)
        return None

    def model_entry(self, ref: str) -> dict[str, Any]:
        return self.model_entries.get(refs.normalize_ref(ref), {})

    @cached_property
    def aliases(self) -> dict[str, str]:
        """Alias → ref, in file order."""
        return {
            entry["alias"]: ref
            for ref, entry in self.model_entries.items()
            if isinstance(entry, dict) and isinstance(entry.get("alias"), str)
        }

    def resolve(self, ref_or_alias: str) -> str:
        return refs.resolve(ref_or_alias, self.aliases)

    def routing_key(self, ref: str) -> Path | None:
        """Where, inside the model's entry, its own routing is written; None when nowhere."""
        entry = self.model_entry(ref)
        for keys in MODEL_ROUTING_KEYS:
            if isinstance(dig(entry, keys), dict):
                return keys
        return None

    def routing(self, ref: str) -> dict[str, Any]:
        """The model's own routing as written (either spelling of either place)."""
        keys = self.routing_key(ref)
        value = dig(self.model_entry(ref), keys) if keys else None
        return dict(value) if isinstance(value, dict) else {}

    @property
    def global_routing(self) -> dict[str, Any]:
        """Routing for every OpenRouter model, as written."""
        value = dig(self.data, GLOBAL_ROUTING_PATH)
        return dict(value) if isinstance(value, dict) else {}

    def routing_layers(self, ref: str) -> list[RoutingLayer]:
        """The global routing, then the model's own: later layers win field by field."""
        layers = []
        if self.global_routing:
            layers.append(RoutingLayer("global", GLOBAL_ROUTING_PATH, self.global_routing))
        keys = self.routing_key(ref)
        if keys is not None and self.routing(ref):
            entry = (*MODELS_PATH, self.entry_key(ref) or refs.normalize_ref(ref))
            layers.append(RoutingLayer("model", (*entry, *keys), self.routing(ref)))
        return layers

    def effective_routing(self, ref: str) -> EffectiveRouting:
        """The model's routing over the global one, field by field (a field is replaced
        whole: a model's `maxPrice` replaces the global `maxPrice`, not part of it)."""
        provider: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for layer in self.routing_layers(ref):
            for name, value in routing.provider_object(layer.routing).items():
                provider[name] = value
                sources[name] = format_path(layer.path)
        return EffectiveRouting(provider, sources)

    def params(self, ref: str) -> dict[str, Any]:
        """The model's request params; `provider` is routing, not a param of its own."""
        value = self.model_entry(ref).get("params")
        if not isinstance(value, dict):
            return {}
        return {key: item for key, item in value.items() if key != "provider"}

    @property
    def base_url(self) -> str:
        from_env = os.environ.get("OPENROUTER_BASE_URL")
        if from_env:
            return from_env.rstrip("/")
        value = dig(self.data, BASE_URL_PATH)
        return (value if isinstance(value, str) and value else DEFAULT_BASE_URL).rstrip("/")

    @property
    def env_api_key(self) -> str | None:
        value = dig(self.data, ENV_KEY_PATH)
        return value if isinstance(value, str) and value else None

    @property
    def logs_enabled(self) -> bool:
        """Whether chats are logged: `logs.enabled`, true unless set to false."""
        return dig(self.data, LOGS_ENABLED_PATH) is not False
