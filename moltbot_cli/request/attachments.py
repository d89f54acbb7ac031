"""Files and URLs for `chat -a/--attach`: what they are, and how they go on the wire.

The kind comes from the bytes, not the name: png, jpeg, webp and gif are images
(`image_url` parts, local files as data URLs), `%PDF` is a PDF (a `file` part), and
UTF-8 text without NUL bytes is text, added to the prompt with its name. A URL is sent
as it is, its kind told by its extension. Everything is read, sized and refused
(exit 2) before a single byte goes to OpenRouter.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from moltbot_cli.errors import UsageError
from moltbot_cli.records import Record

Kind = Literal["image", "pdf", "text"]
MiB = 1024 * 1024
LIMITS: dict[Kind, int] = {"image": 20 * MiB, "pdf": 50 * MiB, "text": 2 * MiB}
TOTAL_LIMIT = 64 * MiB
IMAGE_EXTENSIONS = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                    ".webp": "image/webp", ".gif": "image/gif"}  # fmt: skip
KINDS_HINT = "Attach images (png, jpeg, webp, gif), PDFs or text files."


class Attachment(Record, frozen=True):
    name: str
    kind: Kind
    mime: str
    url: str | None = None  # a remote file, sent as its URL
    data: bytes = b""

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def text(self) -> str:
        return self.data.decode("utf-8") if self.kind == "text" else ""

    def wire_url(self) -> str:
        if self.url is not None:
            return self.url
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"

    def part(self) -> dict[str, Any]:
        if self.kind == "image":
            return {"type": "image_url", "image_url": {"url": self.wire_url()}}
        return {"type": "file", "file": {"filename": self.name, "file_data": self.wire_url()}}


def sniff(data: bytes) -> tuple[Kind, str] | None:
    """The kind and media type the bytes say, or None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image", "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image", "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image", "image/webp"
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf", "application/pdf"
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text", "text/plain"


def load_attachments(specs: Sequence[str], read_stdin: Callable[[int], bytes]) -> list[Attachment]:
    """Every `-a` in order; `read_stdin(limit)` reads at most `limit` bytes of stdin."""
    if sum(1 for spec in specs if spec == "-") > 1:
        raise UsageError("-a - can be given once: stdin holds one file")
    found = [_load(spec, read_stdin) for spec in specs]
    total = sum(item.size for item in found)
    if total > TOTAL_LIMIT:
        raise UsageError(
            f"the attachments come to {_size(total)}, over the {_size(TOTAL_LIMIT)} a call may carry",
            hint="Attach fewer or smaller files.",
        )
    return found


def _load(spec: str, read_stdin: Callable[[int], bytes]) -> Attachment:
    if spec.startswith(("http://", "https://")):
        return _remote(spec)
    if spec == "-":
        data = read_stdin(max(LIMITS.values()) + 1)
        return _local("stdin", data)
    path = Path(spec).expanduser()
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise UsageError(f"-a {spec}: is a directory", hint=KINDS_HINT)
        with path.open("rb") as stream:
            data = stream.read(min(size, max(LIMITS.values())) + 1)
    except FileNotFoundError:
        raise UsageError(f"-a {spec}: no such file") from None
    except OSError as error:
        raise UsageError(f"-a {spec}: cannot read it ({error.strerror or error})") from None
    return _local(path.name, data)


def _local(name: str, data: bytes) -> Attachment:
    found = sniff(data)
    if found is None:
        raise UsageError(f"-a {name}: neither an image, a PDF nor UTF-8 text", hint=KINDS_HINT)
    kind, mime = found
    if len(data) > LIMITS[kind]:
        raise UsageError(
            f"-a {name}: the {kind} is over {_size(LIMITS[kind])}",
            hint=f"Attach a smaller {kind}"
            + (" (or put a link to it with -a URL)." if kind != "text" else "."),
        )
    if kind == "text" and not data.strip():
        raise UsageError(f"-a {name}: the file is empty")
    return Attachment(name, kind, mime, data=data)


def _remote(url: str) -> Attachment:
    parts = urlsplit(url)
    if not parts.netloc:
        raise UsageError(f"-a {url}: not a URL")
    name = Path(parts.path).name or parts.netloc
    suffix = Path(parts.path).suffix.lower()
    if suffix in IMAGE_EXTENSIONS:
        return Attachment(name, "image", IMAGE_EXTENSIONS[suffix], url=url)
    if suffix == ".pdf":
        return Attachment(name, "pdf", "application/pdf", url=url)
    raise UsageError(
        f"-a {url}: cannot tell from the address whether it is an image or a PDF",
        hint="Use an address ending in .png, .jpg, .webp, .gif or .pdf, or download it and attach the file.",
    )


def _size(count: int) -> str:
    return f"{count / MiB:.0f} MiB" if count >= MiB else f"{count / 1024:.0f} KiB"
