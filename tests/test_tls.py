"""TLS: paid for only where a connection can use it, and trusted as httpx trusts.

The fake OpenRouter speaks https here with a certificate of the session's own; moltbot
trusts it only through SSL_CERT_FILE, as it would a company's private authority.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from moltbot_cli.errors import ExitCode, UsageError
from moltbot_cli.openrouter import tls
from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import TEST_KEY, FakeOpenRouter, serve
from tests.support.tls_cert import (
    Certificate,
    loopback_certificate_fixture,  # noqa: F401
)


@pytest.fixture
def https_openrouter(
    loopback_certificate: Certificate, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeOpenRouter]:
    yield from serve(monkeypatch, tls=loopback_certificate.server_context())


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*tls.PROXY_VARIABLES, "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def loaded_authorities(context: ssl.SSLContext) -> int:
    return int(context.cert_store_stats()["x509_ca"])


# -- which context a client gets ---------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "needed"),
    [
        ("https://openrouter.ai/api/v1", True),
        ("HTTPS://openrouter.ai/api/v1", True),
        ("http://127.0.0.1:4000/v1", False),
        ("HTTP://localhost:11434/v1", False),
        ("  http://127.0.0.1/v1", False),
        ("ftp://example.com", True),  # odd: sending reports it, with httpx's own context
    ],
)
def test_only_urls_that_can_use_tls_load_certificates(url: str, needed: bool) -> None:
    assert tls.needs_certificates(url) is needed


@pytest.mark.parametrize("name", ["HTTP_PROXY", "https_proxy", "ALL_PROXY"])
def test_a_proxy_may_need_tls_even_for_plain_http(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, "https://proxy.example:3128")
    assert tls.needs_certificates("http://127.0.0.1:4000/v1")
    assert loaded_authorities(tls.context_for("http://127.0.0.1:4000/v1")) > 0


@pytest.mark.parametrize("name", ["Http_Proxy", "all_Proxy"])
def test_a_proxy_variable_in_any_case_counts_as_httpx_counts_it(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """httpx reads proxies through urllib's getproxies(), which lower-cases every name."""
    from httpx._utils import get_environment_proxies

    monkeypatch.setenv(name, "https://proxy.example:3128")
    assert get_environment_proxies()  # httpx would send plain http through it, over TLS
    assert tls.needs_certificates("http://127.0.0.1:4000/v1")


def test_plain_http_gets_a_context_that_trusts_nothing_and_still_verifies() -> None:
    context = tls.context_for("http://127.0.0.1:4000/v1")
    assert loaded_authorities(context) == 0
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_https_trusts_certifi_as_httpx_does() -> None:
    import certifi

    reference = ssl.create_default_context(cafile=certifi.where())
    context = tls.context_for("https://openrouter.ai/api/v1")
    assert loaded_authorities(context) == loaded_authorities(reference) > 100
    assert context.verify_mode == ssl.CERT_REQUIRED


def test_a_prepared_context_is_the_one_used_and_only_once() -> None:
    url = "https://openrouter.ai/api/v1"
    tls.prepare(url + "/")  # as configured; the client strips the slash
    prepared = tls._prepared[url]
    first = tls.context_for(url)
    assert first is prepared.context
    assert not tls._prepared
    assert tls.context_for(url) is not first  # nothing prepared any more: built anew


def test_ssl_cert_file_replaces_the_bundle(
    loopback_certificate: Certificate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(loopback_certificate.cert_file))
    assert loaded_authorities(tls.context_for("https://127.0.0.1/v1")) == 1


def test_a_missing_ssl_cert_file_fails_where_the_client_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    tls.prepare("https://openrouter.ai/api/v1")  # the thread's failure is not swallowed
    with pytest.raises(
        UsageError, match="cannot load the certificate authorities in SSL_CERT_FILE"
    ):
        tls.context_for("https://openrouter.ai/api/v1")


@pytest.mark.parametrize(("kind", "content"), [("missing", None), ("not PEM", "hello\n")])
def test_an_unusable_ssl_cert_file_is_a_clear_error_and_nothing_is_sent(
    https_openrouter: FakeOpenRouter,
    config_file: Path,
    tmp_path: Path,
    kind: str,
    content: str | None,
) -> None:
    bundle = tmp_path / "authorities.pem"
    if content is not None:
        bundle.write_text(content)
    config_file.parent.mkdir(parents=True)
    config_file.write_text(
        '{ agents: { defaults: { model: { primary: "openrouter/anthropic/claude-sonnet-4-5" } } } }\n'
    )
    before = config_file.read_bytes()
    result = run_moltbot(
        "chat", "hi", env={"OPENROUTER_API_KEY": TEST_KEY, "SSL_CERT_FILE": str(bundle)}
    )
    assert result.code == ExitCode.USAGE, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith(
        f"Error: cannot load the certificate authorities in SSL_CERT_FILE ({bundle}): "
    ), kind
    assert lines[1] == (
        "Point SSL_CERT_FILE at a PEM file of certificate authorities, or unset it to trust "
        "the certifi bundle."
    )
    assert https_openrouter.chat_bodies() == []
    assert config_file.read_bytes() == before


# -- end to end, over real TLS -----------------------------------------------------------


def test_chat_over_https_with_a_trusted_certificate(
    https_openrouter: FakeOpenRouter, loopback_certificate: Certificate
) -> None:
    assert https_openrouter.base_url.startswith("https://127.0.0.1:")
    result = run_moltbot(
        "chat",
        "-m",
        "openrouter/anthropic/claude-sonnet-4-5",
        "hi",
        env={"OPENROUTER_API_KEY": TEST_KEY, "SSL_CERT_FILE": str(loopback_certificate.cert_file)},
    )
    assert result.code == 0, result.stderr
    assert result.stdout == "Hello from anthropic/claude-sonnet-4-5!\n"
    assert len(https_openrouter.chat_bodies()) == 1


def test_an_untrusted_certificate_is_refused_before_anything_is_sent(
    https_openrouter: FakeOpenRouter,
) -> None:
    result = run_moltbot(
        "chat",
        "-m",
        "openrouter/anthropic/claude-sonnet-4-5",
        "--retries",
        "0",
        "hi",
        env={"OPENROUTER_API_KEY": TEST_KEY},
    )
    assert result.code == ExitCode.NETWORK, result.stderr
    assert "certificate verify failed" in result.stderr
    assert "point SSL_CERT_FILE at its authority's certificate" in result.stderr
    assert result.stderr.startswith("Error: ")
    assert TEST_KEY not in result.stderr
    assert https_openrouter.chat_bodies() == []
    assert result.stdout == ""
