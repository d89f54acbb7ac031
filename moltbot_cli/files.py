"""Writing files so that a crash or a concurrent reader never sees half of one."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

# mkstemp's names: the prefix, eight characters from this set, the suffix.
_TEMP_CHARS = "[a-z0-9_]{8}"


def write_temp(target: Path, data: bytes, *, mode: int = 0o600, kind: str = "") -> Path:
    """`data` in a new temp file beside `target`, flushed to disk, mode `mode`.

    The file has its final mode before it holds anything, so there is no moment at
    which another user could read a config or a key. A failed write (a full disk)
    removes the temp file and raises.
    """
    import tempfile  # only where a file is written

    descriptor, temp_name = tempfile.mkstemp(
        prefix=f".{target.name}.{kind + '-' if kind else ''}", suffix=".tmp", dir=target.parent
    )
    try:
        os.fchmod(descriptor, mode) if hasattr(os, "fchmod") else os.chmod(temp_name, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    return Path(temp_name)


def temp_name_pattern(target: Path) -> re.Pattern[str]:
    """The names `write_temp` gives temp files for `target`, of every kind."""
    return re.compile(rf"\.{re.escape(target.name)}\.(?:[a-z]+-)?{_TEMP_CHARS}\.tmp")


def write_atomically(target: Path, text: str, *, mode: int = 0o600) -> None:
    """Write `text` to a temp file beside `target`, flush it to disk, then rename it over."""
    temp = write_temp(target, text.encode("utf-8"), mode=mode)
    try:
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
