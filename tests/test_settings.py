"""Settings: the validated config as the program reads it."""

from __future__ import annotations

from moltbot_cli.config.settings import Settings


def test_the_model_index_is_built_once_per_settings() -> None:
    """Every alias lookup and entry read goes through these: rebuilt on each call, listing
    N configured models cost N² (2,000 models took 11 s)."""
    models = {f"openrouter/v/m{index}": {"alias": f"a{index}"} for index in range(50)}
    settings = Settings({"agents": {"defaults": {"models": models}}})
    assert settings.model_entries is settings.model_entries
    assert settings.aliases is settings.aliases
    assert settings.resolve("a7") == "openrouter/v/m7"
    assert settings.model_entry("v/m9") == {"alias": "a9"}
