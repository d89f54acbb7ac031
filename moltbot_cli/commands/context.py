"""What every command gets from the root: the config location, verbosity, and an Output."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from moltbot_cli.console import Output, choose_format
from moltbot_cli.records import Record

if TYPE_CHECKING:
    import typer

    from moltbot_cli.config.store import ConfigStore
    from moltbot_cli.openrouter.client import OpenRouterClient


class AppContext(Record):
    config_override: str | None = None
    verbose: bool = False

    @cached_property
    def config_path(self) -> Path:
        from moltbot_cli.paths import config_path

        return config_path(self.config_override)

    @cached_property
    def store(self) -> ConfigStore:
        from moltbot_cli.config.store import ConfigStore

        return ConfigStore(self.config_path)

    def output(self, json: bool = False, plain: bool = False) -> Output:
        return Output(choose_format(json, plain))

    def client(
        self,
        api_key: str | None,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> OpenRouterClient:
        """The OpenRouter client every command uses; --verbose traces it on stderr.

        `base_url` defaults to the configured one (which needs a valid config); pass it
        when the config may not load yet. Use it as a context manager to close it.
        """
        from moltbot_cli.openrouter.client import DEFAULT_RETRIES, OpenRouterClient

        url = self.store.settings().base_url if base_url is None else base_url
        return OpenRouterClient(
            url,
            api_key,
            timeout=timeout,
            retries=DEFAULT_RETRIES if retries is None else retries,
            trace=self.output().note if self.verbose else None,
            base_url_origin=self.base_url_origin(url),
        )

    def base_url_origin(self, url: str) -> str:
        """Where the base URL in use was set, for messages that ask to check it."""
        from moltbot_cli.config.settings import DEFAULT_BASE_URL

        if os.environ.get("OPENROUTER_BASE_URL", "").strip():
            return "OPENROUTER_BASE_URL in the environment"
        if url.rstrip("/") != DEFAULT_BASE_URL:
            return f"models.providers.openrouter.baseUrl in {self.config_path}"
        return "the default"


def app_context(ctx: typer.Context) -> AppContext:
    root = ctx.find_root()
    if not isinstance(root.obj, AppContext):
        root.obj = AppContext()
    return root.obj
