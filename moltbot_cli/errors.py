"""Every failure the program knows, each with the exit code the contract gives it.

Commands raise these; `report()` turns one into the one or two plain lines a user sees.
"""

from __future__ import annotations

import sys
from enum import IntEnum
from typing import TextIO


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1
    USAGE = 2
    CONFIG_INVALID = 3
    AUTH = 4
    CREDITS = 5
    RATE_LIMITED = 6
    UPSTREAM = 7
    NETWORK = 8
    INTERRUPTED = 130


class MoltbotError(Exception):
    """A failure with a message for the user and, optionally, what to do about it."""

    exit_code: ExitCode = ExitCode.FAILURE
    # For failures OpenRouter answered: its HTTP status and its own words, so callers
    # can tell failures apart without parsing our message.
    status: int | None = None
    detail: str | None = None

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(MoltbotError):
    """Bad input: an unknown flag value, a bad path, a refused value."""

    exit_code = ExitCode.USAGE


class ConfigInvalidError(MoltbotError):
    """The config file cannot be read or does not satisfy the schema."""

    exit_code = ExitCode.CONFIG_INVALID


class AuthError(MoltbotError):
    """No usable API key, or the key was rejected."""

    exit_code = ExitCode.AUTH


class CreditsError(MoltbotError):
    exit_code = ExitCode.CREDITS


class RateLimitedError(MoltbotError):
    exit_code = ExitCode.RATE_LIMITED


class UpstreamError(MoltbotError):
    """The model or provider refused or failed, or answered something unreadable."""

    exit_code = ExitCode.UPSTREAM


class NetworkError(MoltbotError):
    exit_code = ExitCode.NETWORK


def safe_text(text: str) -> str:
    """A message as it may reach the terminal: secrets masked, controls made visible.

    Messages quote servers, files and environment variables; whatever they quote, the
    key stays masked and an ESC or NUL byte in it is shown, not obeyed.
    """
    from moltbot_cli.masking import scrub
    from moltbot_cli.sanitize import visible_controls

    return visible_controls(scrub(text))


def report(error: MoltbotError, stream: TextIO | None = None) -> int:
    """Print `error` as at most two lines and return its exit code."""
    stream = stream or sys.stderr
    print(safe_text(f"Error: {error.message}"), file=stream)
    if error.hint:
        print(safe_text(error.hint), file=stream)
    return int(error.exit_code)
