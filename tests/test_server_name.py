"""Messages name the server the base URL points at: "OpenRouter" only for openrouter.ai.

The naming and the message functions are checked in process (nothing is sent to
openrouter.ai); that another host is named is checked through the installed CLI,
against the fake OpenRouter on 127.0.0.1 and a port where nothing listens.
"""

from __future__ import annotations

import pytest

from moltbot_cli.openrouter import errors
from moltbot_cli.openrouter.availability import Finding
from moltbot_cli.openrouter.catalogue import Catalogue
from moltbot_cli.openrouter.client import OpenRouterClient
from moltbot_cli.openrouter.server import belonging_to, opening, server_name
from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
    host_of,
    refused_base_url,
)

OPENROUTER_URL = "https://openrouter.ai/api/v1"
LOCAL = "127.0.0.1:8765"
BAD_KEY = "sk-or-v1-test-" + "w" * 20
UNAUTHORIZED = {"error": {"code": 401, "message": "User not found."}}


@pytest.mark.parametrize(
    ("base_url", "name"),
    [
        (OPENROUTER_URL, "OpenRouter"),
        ("https://openrouter.ai/api/v1/", "OpenRouter"),
        ("https://OpenRouter.AI/api/v1", "OpenRouter"),
        ("https://openrouter.ai:443/api/v1", "OpenRouter"),
        ("https://eu.openrouter.ai/api/v1", "OpenRouter"),
        ("https://openrouter.ai./api/v1", "OpenRouter"),
        ("http://127.0.0.1:8765/api/v1", LOCAL),
        ("http://localhost:8000/v1", "localhost:8000"),
        ("https://gateway.example.com/v1", "gateway.example.com"),
        ("https://gateway.example.com:443/v1", "gateway.example.com"),
        ("http://gateway.example.com:80/v1", "gateway.example.com"),
        ("https://gateway.example.com:8443/v1", "gateway.example.com:8443"),
        ("http://[::1]:8080/v1", "[::1]:8080"),
        # Look-alikes are not OpenRouter.
        ("https://notopenrouter.ai/api/v1", "notopenrouter.ai"),
        ("https://openrouter.ai.example.com/api/v1", "openrouter.ai.example.com"),
        # A password in the URL never becomes part of a message.
        ("https://user:hunter2@gateway.example.com/v1", "gateway.example.com"),
        # No host to name: messages still read.
        ("not a url", "the server"),
        ("http://gateway.example.com:port/v1", "the server"),
    ],
)
def test_server_name(base_url: str, name: str) -> None:
    assert server_name(base_url) == name


def test_belonging_and_opening_read_well() -> None:
    assert belonging_to("OpenRouter", "model list") == "OpenRouter's model list"
    assert belonging_to(LOCAL, "model list") == f"the model list of {LOCAL}"
    assert opening("the server") == "The server"
    assert opening("gateway.example.com") == "gateway.example.com"  # a host keeps its case


# -- openrouter.ai still says "OpenRouter" -----------------------------------------------------


def test_an_openrouter_client_and_catalogue_are_named_openrouter() -> None:
    with OpenRouterClient(OPENROUTER_URL, TEST_KEY) as client:  # made, never used
        assert client.server == "OpenRouter"
    with OpenRouterClient(f"http://{LOCAL}/api/v1", TEST_KEY) as client:
        assert client.server == LOCAL
    assert Catalogue([], 0.0, OPENROUTER_URL).server == "OpenRouter"
    gone = Finding("openrouter/x/y", ("default",), "gone", server="OpenRouter")
    assert gone.describe() == "openrouter/x/y (default) is no longer in OpenRouter's model list"


@pytest.mark.parametrize("server", [None, "OpenRouter"])
def test_messages_for_openrouter_name_it(server: str | None) -> None:
    named = {} if server is None else {"server": server}  # the default is OpenRouter
    assert errors.error_for_status(401, UNAUTHORIZED, **named).message == (
        "OpenRouter rejected the API key (401): User not found."
    )
    assert errors.error_for_status(400, {"error": "bad"}, **named).message == (
        "OpenRouter could not accept the request (400): bad"
    )
    assert (
        errors.error_for_status(418, "", **named).message
        == "OpenRouter answered 418: no details given"
    )
    assert errors.connection_failed(OPENROUTER_URL, "connection refused", **named).message == (
        f"cannot reach OpenRouter at {OPENROUTER_URL}: connection refused"
    )
    assert errors.unreadable(
        "a text/html page", "<title>Oops</title>", output_began=False, **named
    ).message == ("OpenRouter sent a text/html page that moltbot cannot read: Oops")
    assert errors.too_large(
        "a response", 32 * 1024 * 1024, output_began=False, **named
    ).message.startswith("OpenRouter sent a response larger than moltbot accepts (32 MB)")
    waited = errors.retry_later(errors.error_for_status(429, "", **named), 90, left=None, **named)
    assert "(OpenRouter asks to wait 90 s, longer than moltbot waits)" in waited.message


def test_messages_for_another_host_name_the_host() -> None:
    url = f"http://{LOCAL}/api/v1"
    assert errors.error_for_status(401, UNAUTHORIZED, server=LOCAL).message == (
        f"{LOCAL} rejected the API key (401): User not found."
    )
    assert errors.error_for_status(400, {"error": "bad"}, server=LOCAL).message == (
        f"{LOCAL} could not accept the request (400): bad"
    )
    assert errors.error_for_status(418, "", server=LOCAL).message == (
        f"{LOCAL} answered 418: no details given"
    )
    # A 5xx without a model names the server as what failed.
    assert errors.error_for_status(500, "", server=LOCAL).message.startswith(
        f"{LOCAL} failed upstream (500)"
    )
    assert errors.connection_failed(url, "connection refused", server=LOCAL).message == (
        f"cannot reach {LOCAL} ({url}): connection refused"
    )
    assert errors.unreadable("a reply", "{", output_began=False, server=LOCAL).message == (
        f"{LOCAL} sent a reply that moltbot cannot read: {{"
    )
    waited = errors.retry_later(errors.error_for_status(429, ""), 90, left=None, server=LOCAL)
    assert f"({LOCAL} asks to wait 90 s, longer than moltbot waits)" in waited.message


# -- through the installed CLI: another host is named ------------------------------------------


def test_a_wrong_key_names_the_host_that_rejected_it(fake_openrouter: FakeOpenRouter) -> None:
    result = run_moltbot("chat", "hi", env={"OPENROUTER_API_KEY": BAD_KEY})
    assert result.code == 4
    assert result.stderr.splitlines()[0] == (
        f"Error: {fake_openrouter.host} rejected the API key (401): User not found."
    )
    assert "OpenRouter rejected" not in result.stderr


def test_the_host_is_named_as_the_base_url_spells_it(fake_openrouter: FakeOpenRouter) -> None:
    base_url = f"http://localhost:{fake_openrouter.port}/api/v1"
    result = run_moltbot(
        "onboard",
        "--auth-choice",
        "apiKey",
        "--token",
        BAD_KEY,
        env={"OPENROUTER_BASE_URL": base_url},
    )
    assert result.code == 4
    assert result.stderr.startswith(
        f"Error: localhost:{fake_openrouter.port} rejected the key sk-or-v1-te…www (401)"
    )


def test_an_unknown_model_names_the_hosts_model_list(fake_openrouter: FakeOpenRouter) -> None:
    result = run_moltbot("models", "endpoints", "openai/gpt-9-nope")
    assert result.code == 2
    assert result.stderr.startswith(
        f"Error: {fake_openrouter.host} has no model openrouter/openai/gpt-9-nope."
    )


def test_a_closed_port_names_that_host() -> None:
    base_url = refused_base_url()
    result = run_moltbot(
        "models",
        "list",
        "--all",
        env={"OPENROUTER_BASE_URL": base_url, "MOLTBOT_RETRY_BASE_SECONDS": "0"},
    )
    assert result.code == 8
    first = result.stderr.splitlines()[0]
    assert first == f"Error: cannot reach {host_of(base_url)} ({base_url}): connection refused"
