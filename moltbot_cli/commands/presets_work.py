"""`moltbot models presets`: the account's presets, each usable as the ref `@preset/<slug>`."""

from __future__ import annotations

import re
from typing import Any

from moltbot_cli.commands.context import AppContext
from moltbot_cli.console import Output
from moltbot_cli.credentials import require_key
from moltbot_cli.vocabulary.refs import PRESET_PREFIX

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
FIELD_LIMIT = 200
HEADERS = ("ref", "name", "description", "updated")


def _text(value: Any) -> str:
    """A server's string, made safe to print: no control characters, bounded."""
    return _CONTROL.sub(" ", value)[:FIELD_LIMIT].strip() if isinstance(value, str) else ""


def list_presets(app: AppContext, out: Output) -> None:
    settings = app.store.settings()
    key = require_key(app.config_path, settings).key
    with (
        app.client(key, base_url=settings.base_url) as client,
        out.spinner(f"Asking {client.server} for your presets…"),
    ):
        found = client.list_presets()
    presets = [
        {
            "ref": PRESET_PREFIX + slug,
            "slug": slug,
            "name": _text(item.get("name")),
            "description": _text(item.get("description")),
            "status": _text(item.get("status")),
            "updatedAt": _text(item.get("updated_at")),
        }
        for item in found
        if (slug := _text(item.get("slug"))) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", slug)
    ]
    if out.is_json:
        out.json({"count": len(presets), "presets": presets})
        return
    if out.is_plain:
        for preset in presets:
            out.line(preset["ref"])
        return
    if not presets:
        out.note("No presets in this account: make one at https://openrouter.ai/settings/presets.")
        return
    rows = [
        (preset["ref"], preset["name"], preset["description"], preset["updatedAt"][:10])
        for preset in presets
    ]
    out.table(HEADERS, rows, no_wrap=("ref",))
    out.note('Use one as a model: moltbot chat -m @preset/SLUG "hi"')
