"""Where moltbot keeps its files."""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_FILENAME = "moltbot.json"
CREDENTIALS_FILENAME = "credentials.json"


def config_path(override: str | os.PathLike[str] | None = None) -> Path:
    """`--config`, then `MOLTBOT_CONFIG_PATH`, then the platform's user config dir."""
    if override:
        return Path(override).expanduser()
    from_env = os.environ.get("MOLTBOT_CONFIG_PATH")
    if from_env:
        return Path(from_env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("moltbot")) / CONFIG_FILENAME


def cache_dir() -> Path:
    from_env = os.environ.get("MOLTBOT_CACHE_DIR")
    if from_env:
        return Path(from_env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("moltbot"))


def credentials_path(config_file: Path) -> Path:
    """The key fallback file lives beside the config file and follows it."""
    return config_file.with_name(CREDENTIALS_FILENAME)


def data_dir() -> Path:
    """Where the call log lives: `MOLTBOT_DATA_DIR`, else the platform's user data dir."""
    from_env = os.environ.get("MOLTBOT_DATA_DIR")
    if from_env:
        return Path(from_env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("moltbot"))
