"""Model references as users write them, and model ids as OpenRouter wants them.

A ref is `openrouter/<author>/<slug>`; the same model may be written without the
`openrouter/` prefix. On the wire the prefix goes, except for OpenRouter's own
meta-models (`openrouter/auto`), whose id carries it.

A preset, `@preset/<slug>` (or `openrouter/@preset/<slug>`), is a ref too: the
account's saved bundle of model, routing and params, sent as `@preset/<slug>`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from moltbot_cli.errors import UsageError

PREFIX = "openrouter/"
DEFAULT_MODEL = "openrouter/anthropic/claude-sonnet-4-5"

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]*/[A-Za-z0-9][A-Za-z0-9._~:+-]*\Z")
PRESET_PREFIX = "@preset/"
_PRESET = re.compile(r"@preset/[A-Za-z0-9][A-Za-z0-9._-]*\Z")


def is_preset(text: str) -> bool:
    """`@preset/<slug>` or `openrouter/@preset/<slug>`."""
    return bool(_PRESET.match(_strip_prefix(text.strip())))


def is_model_id(text: str) -> bool:
    """True for an OpenRouter model id: `<author>/<slug>`, optionally with a `:variant`."""
    return bool(_ID.match(text))


def is_ref(text: str) -> bool:
    return is_model_id(_strip_prefix(text)) or is_preset(text)


def _strip_prefix(text: str) -> str:
    rest = text[len(PREFIX) :] if text.startswith(PREFIX) else text
    # `openrouter/auto` is a meta-model id on its own, not `<author>=auto` missing a slug.
    return text if "/" not in rest else rest


def normalize_ref(text: str) -> str:
    """`anthropic/x` and `openrouter/anthropic/x` → `openrouter/anthropic/x`.

    `openrouter/auto` stays as it is.
    """
    candidate = text.strip()
    model_id = _strip_prefix(candidate)
    if not is_model_id(model_id) and not _PRESET.match(model_id):
        raise UsageError(
            f"{text!r} is not a model reference",
            hint="Write it as openrouter/<author>/<slug>, e.g. "
            "openrouter/anthropic/claude-sonnet-4-5, or use an alias "
            "(`moltbot models aliases list`).",
        )
    return ref_for_id(model_id)


def ref_for_id(model_id: str) -> str:
    """The ref for a catalogue id: OpenRouter's own ids already carry the prefix."""
    return model_id if model_id.startswith(PREFIX) else PREFIX + model_id


def wire_id(ref: str) -> str:
    """The `model` field OpenRouter expects for a ref."""
    return _strip_prefix(normalize_ref(ref))


def same_model(a: str, b: str) -> bool:
    try:
        return normalize_ref(a) == normalize_ref(b)
    except UsageError:
        return False


def resolve(text: str, aliases: Mapping[str, str]) -> str:
    """An alias (any case) or a ref, as a normalized ref. `aliases` maps alias → ref."""
    wanted = text.strip().casefold()
    for alias, ref in aliases.items():
        if alias.casefold() == wanted:
            return normalize_ref(ref)
    try:
        return normalize_ref(text)
    except UsageError as error:
        if "/" not in text:
            known = ", ".join(sorted(aliases)) or "none configured"
            raise UsageError(
                f"{text!r} is neither an alias nor a model reference",
                hint=f"Aliases: {known}. A reference looks like openrouter/<author>/<slug>.",
            ) from error
        raise
