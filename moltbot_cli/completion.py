"""Shell completion of model refs, aliases and config paths.

Completion runs on every Tab press, so it reads only local files (the config and the
catalogue cache's id list), never the network, and tolerates a broken config.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moltbot_cli.config.pathexpr import Path as ConfigPath

MAX_CANDIDATES = 200
PREFIX = "openrouter/"


def _config_data() -> dict[str, Any]:
    from moltbot_cli.config.store import ConfigStore
    from moltbot_cli.errors import MoltbotError
    from moltbot_cli.paths import config_path

    try:
        data = ConfigStore(config_path(_config_override())).inspect().document.data
    except MoltbotError:
        return {}
    return data if isinstance(data, dict) else {}


def _config_override() -> str | None:
    """`--config PATH` typed earlier on the command line being completed."""
    words = os.environ.get("_TYPER_COMPLETE_ARGS", "").split()
    for index, word in enumerate(words[:-1]):
        if word == "--config":
            return words[index + 1]
        if word.startswith("--config="):
            return word.split("=", 1)[1]
    return None


def model_refs(incomplete: str) -> list[tuple[str, str]]:
    """Aliases, configured refs and cached catalogue ids that start with what was typed."""
    from moltbot_cli.config.settings import Settings
    from moltbot_cli.openrouter import catalogue
    from moltbot_cli.vocabulary import refs

    settings = Settings(_config_data())
    typed = incomplete.casefold()
    candidates: dict[str, str] = {}
    for alias, ref in settings.aliases.items():
        if " " not in alias:  # a space would split the shell's word in two
            candidates.setdefault(alias, f"alias for {ref}")
    configured = [r for r in (settings.primary, *settings.fallbacks) if r] + list(
        settings.model_entries
    )
    # Refs without the prefix name the same model: offer whichever form the user started.
    with_prefix = incomplete.startswith(PREFIX) or PREFIX.startswith(typed)
    for ref in configured:
        candidates.setdefault(ref if with_prefix else refs.wire_id(ref), "configured")
    for model_id in catalogue.cached_model_ids():
        candidates.setdefault(refs.ref_for_id(model_id) if with_prefix else model_id, "")
    matches = [
        (value, hint) for value, hint in candidates.items() if value.casefold().startswith(typed)
    ]
    return matches[:MAX_CANDIDATES]


def aliases(incomplete: str) -> list[tuple[str, str]]:
    from moltbot_cli.config.settings import Settings

    typed = incomplete.casefold()
    return [
        (alias, ref)
        for alias, ref in Settings(_config_data()).aliases.items()
        if alias.casefold().startswith(typed)
    ]


def _starting_with(incomplete: str, values: dict[str, str]) -> list[tuple[str, str]]:
    typed = incomplete.casefold()
    return [(value, hint) for value, hint in values.items() if value.casefold().startswith(typed)]


def auth_choices(incomplete: str) -> list[tuple[str, str]]:
    """`onboard --auth-choice` values."""
    return _starting_with(
        incomplete,
        {
            "oauth": "sign in with OpenRouter in a browser",
            "openrouter-oauth": "same as oauth",
            "apiKey": "use an API key you have",
            "openrouter-api-key": "same as apiKey",
            "skip": "set up no key",
        },
    )


def login_methods(incomplete: str) -> list[tuple[str, str]]:
    """`models auth login --method` values."""
    return _starting_with(
        incomplete, {"oauth": "sign in with OpenRouter in a browser", "api-key": "type a key"}
    )


def reasoning_efforts(incomplete: str) -> list[tuple[str, str]]:
    """`chat --reasoning-effort` values."""
    return _starting_with(
        incomplete,
        {
            "xhigh": "the most thinking",
            "high": "think hard",
            "medium": "think some",
            "low": "think briefly",
            "minimal": "barely think",
            "none": "do not think (refused by models that always do)",
        },
    )


def pdf_engines(incomplete: str) -> list[tuple[str, str]]:
    """`chat --pdf-engine` values."""
    return _starting_with(
        incomplete,
        {
            "pdf-text": "extract the text (free)",
            "mistral-ocr": "OCR scanned pages (paid)",
            "native": "the model reads the PDF itself",
        },
    )


def config_paths(incomplete: str) -> list[str]:
    """Paths one level below what was typed, from the schema and the config itself.

    A complete container path (`agents.defaults.models`) also offers its children, since
    keys that need brackets cannot be reached by typing a dot.
    """
    from moltbot_cli.config.pathexpr import PathSyntaxError, format_path, parse_path

    stripped = re.sub(r"(\.[^.\[]*|\[[^\]]*)$", "", incomplete)
    parents = [stripped if stripped != incomplete else "", incomplete]
    data = _config_data()
    found: list[str] = []
    for parent_text in dict.fromkeys(parents):
        try:
            parent = parse_path(parent_text)
        except PathSyntaxError:
            continue
        for key in _child_keys(parent, data):
            path = format_path((*parent, key))
            if path.startswith(incomplete) and path not in found:
                found.append(path)
    return found[:MAX_CANDIDATES]


def _child_keys(parent: ConfigPath, data: dict[str, Any]) -> list[str | int]:
    from moltbot_cli.config.schema import CONFIG, Obj
    from moltbot_cli.config.settings import dig

    keys: list[str | int] = []
    node: Any = CONFIG
    for segment in parent:
        if not isinstance(node, Obj):
            node = None
            break
        node = node.fields.get(str(segment), node.values)
    if isinstance(node, Obj):
        keys.extend(node.fields)
    existing = dig(data, parent)
    if isinstance(existing, dict):
        keys.extend(key for key in existing if key not in keys)
    elif isinstance(existing, list):
        keys.extend(range(len(existing)))
    return keys


# -- the scripts in completions/ ------------------------------------------------------------

SCRIPT_FILES = {"bash": "moltbot.bash", "zsh": "_moltbot", "fish": "moltbot.fish"}


def completion_script(shell: str) -> str:
    """The script a shell sources; it calls back into `moltbot` for the candidates."""
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name="moltbot", complete_var="_MOLTBOT_COMPLETE", shell=shell)


def write_scripts(directory: os.PathLike[str] | str) -> None:
    """Regenerate completions/ (`python -m moltbot_cli.completion completions`)."""
    from pathlib import Path

    for shell, name in SCRIPT_FILES.items():
        (Path(directory) / name).write_text(completion_script(shell))


if __name__ == "__main__":
    import sys

    write_scripts(sys.argv[1] if len(sys.argv) > 1 else "completions")
