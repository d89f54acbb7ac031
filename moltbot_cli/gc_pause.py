"""Pausing Python's cyclic garbage collector while a big, cycle-free structure is built.

Parsing a large config or model catalogue creates hundreds of thousands of dicts and
lists that all stay alive. With the collector on, every full collection walks all of
them again, so the work grows faster than the input: a config of 8,000 models took
2-3x longer per model than one of 500, and half of `models list --all` at 30,000
models was the collector. These structures hold no reference cycles, so there is
nothing for it to find; it resumes (and catches up) as soon as the work is done.
Reference counting still frees everything as usual in the meantime.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Use as a `with` block or a decorator; nests, and restores the collector's state."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
