"""A server that echoes the key, escape sequences in its text, and plain-http base URLs.

Every test plays the attack over loopback against a real moltbot subprocess and checks
that the key never reaches stderr or stdout in full, whatever path the text takes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moltbot_cli.masking import mask_key
from tests.support.cli import run_moltbot
from tests.support.hostile_server import (
    HostileServer,
    Request,
    chunk,
    hostile_server_fixture,  # noqa: F401
)

KEY = "sk-or-v1-" + "5ecret" * 8
KEY_ENV = {"OPENROUTER_API_KEY": KEY}
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x00"


def assert_no_key(*texts: str) -> None:
    for text in texts:
        assert KEY not in text
        assert KEY[9:30] not in text  # not even a long piece of it


def echo(status: int, shape: str) -> object:
    """An answer that puts the request's own key into an error of the given shape."""

    def answer(request: Request) -> None:
        said = f"bad key {request.key} {ESCAPES}"
        if shape == "json":
            request.json(status, {"error": {"code": status, "message": said}})
        elif shape == "html":
            request.send(status, f"<html><title>{said}</title></html>", "text/html")
        elif shape == "raw":
            request.json(
                status,
                {
                    "error": {
                        "message": "upstream",
                        "metadata": {"raw": said, "provider_name": said},
                    }
                },
            )
        else:
            request.send(status, said, "text/plain")

    return answer


@pytest.mark.parametrize("shape", ["json", "html", "raw", "text"])
@pytest.mark.parametrize("status", [400, 401, 502])
def test_an_error_echoing_the_key_is_masked(
    hostile_server: HostileServer, shape: str, status: int
) -> None:
    hostile_server.answer = echo(status, shape)  # type: ignore[assignment]
    result = run_moltbot("chat", "--retries", "0", "hi", env=KEY_ENV)
    assert result.code in (2, 4, 7)
    assert_no_key(result.stdout, result.stderr)
    assert "\x1b" not in result.stderr and "\x00" not in result.stderr
    assert mask_key(KEY) in result.stderr or shape == "raw"


def test_an_sse_error_event_echoing_the_key_is_masked(hostile_server: HostileServer) -> None:
    hostile_server.answer = lambda request: request.sse(
        [chunk("Hel"), {"error": {"message": f"key {request.key} leaked {ESCAPES}"}}]
    )
    for args in ([], ["--json"]):
        result = run_moltbot("chat", *args, "hi", env=KEY_ENV)
        assert result.code == 7
        assert_no_key(result.stdout, result.stderr)
        assert "\\x1b]0;pwned" in result.stderr
        assert "\x1b" not in result.stderr


def test_a_fallback_note_quoting_the_key_is_masked(
    hostile_server: HostileServer, config_file: Path
) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        json.dumps(
            {
                "agents": {
                    "defaults": {
                        "model": {
                            "primary": "openrouter/anthropic/claude-sonnet-4-5",
                            "fallbacks": ["openrouter/openai/gpt-5.2"],
                        }
                    }
                }
            }
        )
    )

    def answer(request: Request) -> None:
        if request.body["model"] == "anthropic/claude-sonnet-4-5":
            request.json(503, {"error": {"code": 503, "message": f"down; your key {request.key}"}})
        else:
            request.sse([chunk("fine", finish="stop"), "[DONE]"])

    hostile_server.answer = answer
    result = run_moltbot("chat", "--retries", "0", "hi", env=KEY_ENV)
    assert result.code == 0, result.stderr
    assert "; trying openrouter/openai/gpt-5.2" in result.stderr  # the fallback note
    assert mask_key(KEY) in result.stderr
    assert_no_key(result.stdout, result.stderr)


def test_a_key_label_echoing_the_key_and_escapes_is_masked(
    hostile_server: HostileServer,
) -> None:
    label = f"{KEY}{ESCAPES}"
    hostile_server.answer = lambda request: request.json(
        200, {"data": {"label": label, "usage": 0, "limit": None}}
    )
    pasted = run_moltbot(
        "models", "auth", "paste-token", "--provider", "openrouter", "--key-store", "file",
        input=KEY + "\n",
    )  # fmt: skip
    assert pasted.code == 0, pasted.stderr
    assert "Key OK" in pasted.stderr
    assert_no_key(pasted.stdout, pasted.stderr)
    assert "\x1b" not in pasted.stderr and "\x00" not in pasted.stderr
    status = run_moltbot("models", "status", "--probe", "--json", env=KEY_ENV)
    assert_no_key(status.stdout, status.stderr)
    json.loads(status.stdout)  # whole, valid JSON


def test_a_password_in_the_base_url_is_masked_in_messages(hostile_server: HostileServer) -> None:
    url = hostile_server.base_url.replace("http://", "http://me:hunter2hunter2@")
    hostile_server.answer = lambda request: request.json(
        502, {"error": {"message": f"proxy at {url} failed"}}
    )
    result = run_moltbot(
        "chat", "--retries", "0", "hi", env={**KEY_ENV, "OPENROUTER_BASE_URL": url}
    )
    assert result.code == 7
    assert "hunter2hunter2" not in result.output
    assert "me:***@" in result.stderr
    refused = run_moltbot(
        "chat", "--retries", "0", "hi",
        env={**KEY_ENV, "OPENROUTER_BASE_URL": "http://me:hunter2hunter2@127.0.0.1:9/api/v1"},
    )  # fmt: skip
    assert refused.code == 8
    assert "hunter2hunter2" not in refused.output


@pytest.mark.parametrize(
    "url",
    [
        "http://openrouter.example.com/api/v1",
        "http://10.0.0.7:8080/api/v1",
        "HTTP://[2001:db8::1]/api/v1",
    ],
)
def test_plain_http_to_another_host_is_refused(url: str) -> None:
    result = run_moltbot("chat", "hi", env={**KEY_ENV, "OPENROUTER_BASE_URL": url})
    assert result.code == 2
    assert "unencrypted" in result.stderr and "MOLTBOT_ALLOW_INSECURE_HTTP=1" in result.stderr
    assert_no_key(result.output)


def test_plain_http_is_allowed_to_loopback_and_with_the_opt_in() -> None:
    # Nothing listens on these: getting as far as "cannot reach" means the URL was accepted.
    for url, extra in [
        ("http://localhost:9/api/v1", {}),
        ("http://[::1]:9/api/v1", {}),
        ("http://127.0.0.2:9/api/v1", {}),
        ("http://192.0.2.1:9/api/v1", {"MOLTBOT_ALLOW_INSECURE_HTTP": "1"}),
    ]:
        env = {**KEY_ENV, "OPENROUTER_BASE_URL": url, **extra}
        result = run_moltbot("chat", "--retries", "0", "--timeout", "0.5", "hi", env=env)
        assert result.code == 8, (url, result.stderr)
