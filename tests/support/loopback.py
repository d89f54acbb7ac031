"""What every loopback test server shares: moltbot pointed at it for one test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, TypeVar

import pytest


class Server(Protocol):
    @property
    def base_url(self) -> str: ...

    def stop(self) -> None: ...


S = TypeVar("S", bound=Server)


def pointed_at(server: S, monkeypatch: pytest.MonkeyPatch) -> Iterator[S]:
    """`server` (started) as OPENROUTER_BASE_URL, retries without waiting; stopped after."""
    monkeypatch.setenv("OPENROUTER_BASE_URL", server.base_url)
    monkeypatch.setenv("MOLTBOT_RETRY_BASE_SECONDS", "0.01")
    try:
        yield server
    finally:
        server.stop()
