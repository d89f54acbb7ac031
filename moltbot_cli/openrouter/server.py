"""What messages call the server a base URL points at.

moltbot talks to OpenRouter by default, but the base URL may point at a gateway, a
compatible server or a test double. A message about what that server said or did
names it truly: "OpenRouter" only for openrouter.ai, otherwise its host (and port),
so that nobody goes looking for a fault at OpenRouter that is not there.
"""

from __future__ import annotations

from urllib.parse import urlsplit

OPENROUTER = "OpenRouter"
# What a message calls a server whose URL has no host to name (it cannot be reached anyway).
UNNAMED = "the server"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def server_name(base_url: str) -> str:
    """`OpenRouter` for openrouter.ai or any subdomain; else the host, with its port
    unless it is the scheme's default: `127.0.0.1:8765`, `gateway.example.com`."""
    try:
        parts = urlsplit(base_url.strip())
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:  # a port that is not a number, a broken IPv6 address
        return UNNAMED
    if not host:
        return UNNAMED
    if host == "openrouter.ai" or host.endswith(".openrouter.ai"):
        return OPENROUTER
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address, as URLs write it
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        shown += f":{port}"
    return shown


def belonging_to(server: str, thing: str) -> str:
    """`OpenRouter's model list`, or `the model list of 127.0.0.1:8765`: a host name
    followed by `'s` reads badly."""
    return f"{server}'s {thing}" if server == OPENROUTER else f"the {thing} of {server}"


def opening(server: str) -> str:
    """The name as the first word of a sentence (a host name keeps its own case)."""
    return "The server" if server == UNNAMED else server
