"""The TLS context a client needs, paid for only when a connection can use it.

httpx builds its TLS context when a client is made, whatever the URL: it parses the
whole certifi bundle (about 140 certificates, 40 ms on a laptop, more than importing
httpx itself). A client for a plain `http://` base URL, such as a gateway or model
server on this machine, never opens a TLS connection unless a proxy is in the way,
so it gets a context with no certificates loaded, which still verifies: should TLS
ever be used through it, the handshake fails instead of trusting anything.

For `https://` the bundle is needed. `prepare(base_url)` starts loading it on a thread
of its own as soon as the base URL is known; OpenSSL reads and parses the file without
holding the GIL, so the work overlaps with the imports and the key lookup that come
before the request. `context_for` picks the result up (or builds it, if nothing was
prepared). The trust is httpx's own choice: `SSL_CERT_FILE` / `SSL_CERT_DIR` when set,
else certifi's bundle.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from moltbot_cli.errors import UsageError

if TYPE_CHECKING:
    import ssl

# Any of these may send a plain-http request through a proxy reached over TLS.
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")

_prepared: dict[str, _Loader] = {}


class _Loader(threading.Thread):
    def __init__(self) -> None:
        super().__init__(name="moltbot-tls", daemon=True)
        self.context: ssl.SSLContext | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.context = trusted_context()
        except BaseException as error:  # handed to whoever needs the context
            self.error = error


def needs_certificates(base_url: str) -> bool:
    """Whether a client for `base_url` may open a TLS connection."""
    if not base_url.strip().lower().startswith("http://"):
        return True  # https, or something odd that sending will report
    # In any case, as httpx reads them (urllib's getproxies lower-cases every name).
    return any(value and name.upper() in PROXY_VARIABLES for name, value in os.environ.items())


def trusted_context() -> ssl.SSLContext:
    """The context httpx itself would build (its `create_ssl_context`, trust_env on)."""
    import ssl

    cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    if cafile or capath:
        name, where = ("SSL_CERT_FILE", cafile) if cafile else ("SSL_CERT_DIR", capath)
        try:
            if cafile:
                return ssl.create_default_context(cafile=cafile)
            return ssl.create_default_context(capath=capath)
        except OSError as error:  # ssl.SSLError too: a file with no certificate in it
            reason = error.strerror or getattr(error, "reason", None) or str(error)
            raise UsageError(
                f"cannot load the certificate authorities in {name} ({where}): {reason}",
                hint=f"Point {name} at a PEM file of certificate authorities, or unset it "
                "to trust the certifi bundle.",
            ) from None
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def unused_context() -> ssl.SSLContext:
    """A verifying context that trusts nothing: for clients that never speak TLS."""
    import ssl

    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED, hostname checked


def _key(base_url: str) -> str:
    return base_url.strip().rstrip("/")


def prepare(base_url: str) -> None:
    """Start loading the certificates `base_url` needs, if it needs any."""
    if needs_certificates(base_url) and _key(base_url) not in _prepared:
        loader = _Loader()
        _prepared[_key(base_url)] = loader
        loader.start()


def context_for(base_url: str) -> ssl.SSLContext:
    """The context for a client of `base_url`: prepared earlier, or built now."""
    loader = _prepared.pop(_key(base_url), None)
    if not needs_certificates(base_url):
        return unused_context()
    if loader is not None:
        loader.join()
        if loader.context is not None:
            return loader.context
    # Nothing prepared, or preparing failed: build it here, so a failure (a missing
    # SSL_CERT_FILE, say) is raised where the client is made, as httpx would raise it.
    return trusted_context()
