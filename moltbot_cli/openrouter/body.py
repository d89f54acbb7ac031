"""Reading a response body within bounds: its size after decompression, and a deadline.

httpx would inflate a gzip body in whatever pieces the network delivers, so a 1 MB
gzip bomb could become a gigabyte in memory. Bodies are read raw here and inflated at
most `PIECE` bytes at a time, counting as they go: a body that grows past its limit
stops being read at once, and memory stays bounded whatever the server sends.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

MIB = 1024 * 1024
# Generous: the whole model catalogue is a few MB, and no reply is anywhere near this.
BODY_LIMIT = 32 * MIB
PIECE = 256 * 1024
ACCEPT_ENCODING = "gzip, deflate"


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


class BodyUnreadable(Exception):
    """The body's encoding is unknown, or its compressed data is broken."""


class DeadlinePassed(Exception):
    """The command's total time ran out while the body was still arriving."""


def decoded_chunks(response: httpx.Response, limit: int, deadline: float) -> Iterator[bytes]:
    """The body's bytes, decompressed, in pieces; at most `limit` of them, until `deadline`."""
    inflate = _inflater(response.headers.get("content-encoding", ""))
    plain = inflate.decoder is None  # as streams are: each piece as it came
    total = 0
    for raw in response.iter_raw():
        # A one-piece tuple for a plain body: no generator made per network read.
        for piece in ((raw,) if raw else ()) if plain else inflate(raw):
            total += len(piece)
            if total > limit:
                raise BodyTooLarge(limit)
            yield piece
        if time.monotonic() > deadline:
            raise DeadlinePassed


def _inflater(header: str) -> _Inflate:
    encodings = [part.strip().lower() for part in header.split(",") if part.strip()]
    encodings = [name for name in encodings if name != "identity"]
    if not encodings:
        return _Inflate(None)
    if len(encodings) == 1 and encodings[0] in ("gzip", "x-gzip", "deflate"):
        return _Inflate(encodings[0])
    raise BodyUnreadable(f"a body in an encoding moltbot does not read ({header.strip()})")


class _Inflate:
    """Undoes one layer of gzip or deflate, `PIECE` bytes of output at a time."""

    def __init__(self, encoding: str | None) -> None:
        self.encoding = encoding
        self.decoder: zlib._Decompress | None = None
        if encoding in ("gzip", "x-gzip"):
            self.decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self.decoder = zlib.decompressobj()  # zlib-wrapped, as the standard says
        self.started = False

    def __call__(self, data: bytes) -> Iterator[bytes]:
        if self.decoder is None:
            if data:
                yield data
            return
        if not self.started and self.encoding == "deflate" and data:
            self.started = True
            try:
                zlib.decompressobj().decompress(data[:2])
            except zlib.error:
                # Many servers send raw deflate without the zlib wrapper.
                self.decoder = zlib.decompressobj(-zlib.MAX_WBITS)
        while data and not self.decoder.eof:
            try:
                out = self.decoder.decompress(data, PIECE)
            except zlib.error as error:
                raise BodyUnreadable(f"broken {self.encoding} data ({error})") from None
            data = self.decoder.unconsumed_tail
            if out:
                yield out
