"""The shared OpenRouter client against the fake server: headers, routes, retries, failures."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from moltbot_cli import __version__
from moltbot_cli.errors import (
    AuthError,
    CreditsError,
    ExitCode,
    MoltbotError,
    NetworkError,
    RateLimitedError,
    UpstreamError,
    UsageError,
)
from moltbot_cli.openrouter import errors
from moltbot_cli.openrouter.client import (
    ChatResult,
    OpenRouterClient,
    backoff_base_from_env,
    retry_after_seconds,
)
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
    host_of,
    make_catalogue,
    refused_base_url,
)

MODEL = "anthropic/claude-sonnet-4-5"
BODY = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}


def make_client(
    fake: FakeOpenRouter, key: str | None = TEST_KEY, **options: object
) -> OpenRouterClient:
    return OpenRouterClient(fake.base_url, key, **options)  # type: ignore[arg-type]


def stream_pieces(client: OpenRouterClient, body: dict[str, object]) -> tuple[list[str], object]:
    """The text pieces, and the final ChatResult or the error that ended the stream."""
    pieces: list[str] = []
    try:
        for item in client.stream_chat(body):
            if isinstance(item, str):
                pieces.append(item)
            else:
                return pieces, item
    except MoltbotError as error:
        return pieces, error
    raise AssertionError("the stream ended without a result")


# -- headers and routes --------------------------------------------------------------------


def test_every_request_carries_the_attribution_headers(fake_openrouter: FakeOpenRouter) -> None:
    with make_client(fake_openrouter) as client:
        client.get_key()
        client.complete(BODY)
    for request in fake_openrouter.requests:
        assert request.headers["authorization"] == f"Bearer {TEST_KEY}"
        assert request.headers["http-referer"].startswith("https://")
        assert request.headers["x-openrouter-title"] == "moltbot"
        assert request.headers["x-title"] == "moltbot"
        assert request.headers["user-agent"] == f"moltbot/{__version__}"
    assert fake_openrouter.chat_bodies() == [{**BODY, "stream": False}]


def test_get_key_returns_the_data_object(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.keys[TEST_KEY] = {"limit": 10, "limit_remaining": 9.5, "is_free_tier": True}
    with make_client(fake_openrouter) as client:
        data = client.get_key()
    assert data["limit"] == 10
    assert data["limit_remaining"] == 9.5
    assert data["is_free_tier"] is True
    assert fake_openrouter.requests[0].path == "/api/v1/key"


def test_get_key_with_a_rejected_key_is_an_auth_error(fake_openrouter: FakeOpenRouter) -> None:
    with (
        make_client(fake_openrouter, "sk-or-v1-test-wrong") as client,
        pytest.raises(AuthError) as caught,
    ):
        client.get_key()
    assert caught.value.exit_code == ExitCode.AUTH
    assert "User not found." in caught.value.message
    assert "moltbot onboard" in (caught.value.hint or "")
    assert len(fake_openrouter.requests) == 1  # 401 is never retried


def test_list_models_sends_the_key_it_has_and_handles_thousands(
    fake_openrouter: FakeOpenRouter,
) -> None:
    """A gateway may want the key for its catalogue too; OpenRouter does not mind it."""
    fake_openrouter.models = make_catalogue(5000)
    with make_client(fake_openrouter) as client:
        models = client.list_models()
    assert len(models) == 5000
    assert models[0]["id"] == MODEL
    assert fake_openrouter.requests[0].headers["authorization"] == f"Bearer {TEST_KEY}"


def test_model_endpoints(fake_openrouter: FakeOpenRouter) -> None:
    with make_client(fake_openrouter) as client:
        data = client.model_endpoints(MODEL)
        free = client.model_endpoints("meta-llama/llama-3.3-70b-instruct:free")
        with pytest.raises(errors.ModelUnavailable) as caught:
            client.model_endpoints("nobody/nothing")
        with pytest.raises(UsageError):
            client.model_endpoints("no-slash")
    assert data["id"] == MODEL
    assert [e["tag"] for e in data["endpoints"]] == ["anthropic", "amazon-bedrock", "google-vertex"]
    assert free["id"] == "meta-llama/llama-3.3-70b-instruct:free"
    assert "nobody/nothing is not available (404)" in caught.value.message
    assert "moltbot models list --all" in (caught.value.hint or "")
    paths = [r.path for r in fake_openrouter.requests]
    assert paths[:2] == [
        "/api/v1/models/anthropic/claude-sonnet-4-5/endpoints",
        "/api/v1/models/meta-llama/llama-3.3-70b-instruct:free/endpoints",
    ]


# -- replies -------------------------------------------------------------------------------


def test_stream_yields_pieces_then_the_result(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.replies[MODEL] = "Grüße, 世界! 🙂"
    fake_openrouter.chunk_size = 3
    with make_client(fake_openrouter) as client:
        pieces, result = stream_pieces(client, BODY)
    assert pieces == ["Grü", "ße,", " 世界", "! 🙂"]
    assert isinstance(result, ChatResult)
    assert result.content == "Grüße, 世界! 🙂"
    assert result.model == MODEL
    assert result.provider == "Anthropic"
    assert result.finish_reason == "stop"
    assert result.id and result.id.startswith("gen-")
    assert result.usage and result.usage["total_tokens"] == 8
    assert fake_openrouter.chat_bodies() == [{**BODY, "stream": True}]
    assert fake_openrouter.requests[0].headers["accept"] == "text/event-stream"


def test_complete_returns_the_response(fake_openrouter: FakeOpenRouter) -> None:
    with make_client(fake_openrouter) as client:
        payload = client.complete(BODY)
    result = ChatResult.from_completion(payload)
    assert result.content == f"Hello from {MODEL}!"
    assert result.finish_reason == "stop"
    assert result.usage and result.usage["completion_tokens"] == 3


def test_a_stream_without_done_but_finished_is_accepted(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.fail("no_done")
    with make_client(fake_openrouter) as client:
        pieces, result = stream_pieces(client, BODY)
    assert isinstance(result, ChatResult)
    assert "".join(pieces) == result.content == f"Hello from {MODEL}!"


@pytest.mark.parametrize(
    ("kind", "error_type", "words", "began", "falls_back"),
    [
        ("error_mid_stream", UpstreamError, "failed in the middle of its reply", True, False),
        ("error_first", errors.ModelUnavailable, "failed before replying", False, True),
        ("cut_off", UpstreamError, "was cut off before it finished", True, False),
        ("garbage", errors.ModelUnavailable, "502 Bad Gateway", False, True),
        ("garbage_sse", errors.ModelUnavailable, "a stream event", False, True),
    ],
)
def test_stream_failures(
    fake_openrouter: FakeOpenRouter,
    kind: str,
    error_type: type[MoltbotError],
    words: str,
    began: bool,
    falls_back: bool,
) -> None:
    fake_openrouter.fail(kind)
    with make_client(fake_openrouter) as client:
        pieces, error = stream_pieces(client, BODY)
    assert type(error) is error_type
    assert isinstance(error, MoltbotError)
    assert words in error.message
    assert error.exit_code == ExitCode.UPSTREAM
    assert pieces == (["Hell"] if began else [])
    assert errors.falls_back(error) is falls_back
    assert len(fake_openrouter.requests) == 1  # nothing is retried once a 200 arrived


def test_an_empty_stream_is_asked_again_unstreamed_and_its_error_reported(
    fake_openrouter: FakeOpenRouter,
) -> None:
    fake_openrouter.fail("empty", body={"error": {"code": 400, "message": "max_tokens too big"}})
    with make_client(fake_openrouter) as client:
        pieces, error = stream_pieces(client, BODY)
    assert isinstance(error, UsageError)
    assert error.message == (
        f"{fake_openrouter.host} could not accept the request (400): max_tokens too big"
    )
    assert pieces == []
    sent = fake_openrouter.chat_bodies()
    assert [body["stream"] for body in sent] == [True, False]
    assert "stream_options" not in sent[1]


def test_an_empty_stream_that_answers_unstreamed_gives_the_reply(
    fake_openrouter: FakeOpenRouter,
) -> None:
    fake_openrouter.fail("empty", times=1)
    with make_client(fake_openrouter) as client:
        pieces, result = stream_pieces(client, BODY)
    assert isinstance(result, ChatResult)
    assert pieces == [result.content] == [f"Hello from {MODEL}!"]


def test_an_empty_reply_is_handed_over_for_the_caller_to_judge(
    fake_openrouter: FakeOpenRouter,
) -> None:
    # The wire client reports what came; that a blank 200 fails a chat is request/walk.py's.
    fake_openrouter.replies[MODEL] = ""
    with make_client(fake_openrouter) as client:
        pieces, streamed = stream_pieces(client, BODY)
        whole = ChatResult.from_completion(client.complete(BODY))
    assert pieces == []
    for result in (streamed, whole):
        assert isinstance(result, ChatResult)
        assert result.empty and result.content == "" and result.finish_reason == "stop"


def test_mid_stream_error_carries_the_server_message(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.fail("error_mid_stream")
    with make_client(fake_openrouter) as client:
        _, error = stream_pieces(client, BODY)
    assert isinstance(error, UpstreamError)
    assert "Provider disconnected unexpectedly" in error.message


def test_a_200_carrying_an_error_instead_of_a_reply(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.fail("error_first")
    with make_client(fake_openrouter) as client, pytest.raises(errors.ModelUnavailable) as caught:
        client.complete(BODY)
    assert "Provider disconnected unexpectedly" in caught.value.message


def test_stall_mid_stream_times_out_with_the_text_kept(fake_openrouter: FakeOpenRouter) -> None:
    # Were the timeout not kept, the fake would end the stall by itself after
    # HANG_LIMIT_SECONDS and cut the connection: a different error, so the test fails.
    fake_openrouter.fail("stall")
    with make_client(fake_openrouter, timeout=0.5) as client:
        pieces, error = stream_pieces(client, BODY)
    assert pieces == ["Hell"]
    assert type(error) is NetworkError
    assert "the reply stopped arriving: nothing for 0.5 s" in error.message
    assert len(fake_openrouter.requests) == 1  # text already shown is not asked for again


def test_hang_before_answering_times_out(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.fail("hang")
    started = time.monotonic()
    with (
        make_client(fake_openrouter, timeout=0.5) as client,
        pytest.raises(errors.ModelTimedOut) as caught,
    ):
        client.complete(BODY)
    # It waited (about) the timeout before giving up: a lower bound, which no load can break.
    # Were the timeout not kept, the fake would end the hang after HANG_LIMIT_SECONDS by
    # closing the connection: a different error.
    assert time.monotonic() - started > 0.4
    assert caught.value.exit_code == ExitCode.NETWORK
    assert "within 0.5 s" in caught.value.message
    assert len(fake_openrouter.requests) == 1  # a hang is not retried: it would only hang again


# -- retries -------------------------------------------------------------------------------


def test_429_once_waits_as_retry_after_says_then_succeeds(fake_openrouter: FakeOpenRouter) -> None:
    rule = fake_openrouter.fail("429", times=1, retry_after=1)
    trace: list[str] = []
    with make_client(fake_openrouter, trace=trace.append) as client:
        _, result = stream_pieces(client, BODY)
    assert isinstance(result, ChatResult)
    assert rule.hits == 1
    first, second = fake_openrouter.requests
    # The wait chosen was Retry-After's 1 s rather than the 10 ms test backoff, and the
    # second try came at least that long after the first (a lower bound: load only adds).
    assert [line for line in trace if line.startswith("!")] == ["! 429; retrying in 1.00 s"]
    assert second.arrived - first.arrived >= 1.0


def test_429_always_gives_up_after_the_allowed_retries(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.fail("429", retry_after=0)
    with (
        make_client(fake_openrouter, retries=2) as client,
        pytest.raises(RateLimitedError) as caught,
    ):
        client.complete(BODY)
    assert len(fake_openrouter.requests) == 3
    assert caught.value.exit_code == ExitCode.RATE_LIMITED
    assert "still rate limited after 2 retries (429)" in caught.value.message
    assert "Rate limit exceeded: free-models-per-min." in caught.value.message
    assert errors.falls_back(caught.value)


def test_retry_after_beyond_the_cap_fails_without_waiting(fake_openrouter: FakeOpenRouter) -> None:
    fake_openrouter.fail("429", retry_after=3600)

    def no_waiting(line: str) -> None:
        # The client says every wait in its trace before it sleeps: stop there, rather
        # than sleep an hour.
        assert "retrying in" not in line, line

    with (
        make_client(fake_openrouter, trace=no_waiting) as client,
        pytest.raises(RateLimitedError) as caught,
    ):
        client.complete(BODY)
    assert len(fake_openrouter.requests) == 1
    assert "asks to wait 3600 s" in caught.value.message


@pytest.mark.parametrize("status", ["408", "502", "503", "504"])
def test_transient_statuses_are_retried_with_backoff(
    fake_openrouter: FakeOpenRouter, status: str
) -> None:
    fake_openrouter.fail(status, times=2)
    with make_client(fake_openrouter) as client:
        _, result = stream_pieces(client, BODY)
    assert isinstance(result, ChatResult)
    assert len(fake_openrouter.requests) == 3


@pytest.mark.parametrize(
    ("status", "error_type", "exit_code", "words"),
    [
        ("400", UsageError, ExitCode.USAGE, "is not a valid model ID"),
        ("401", AuthError, ExitCode.AUTH, "User not found."),
        ("402", CreditsError, ExitCode.CREDITS, "Insufficient credits"),
        ("403", UpstreamError, ExitCode.UPSTREAM, 'flagged for "violence"'),
        ("404", errors.ModelUnavailable, ExitCode.UPSTREAM, "No endpoints found for"),
        ("500", errors.ModelUnavailable, ExitCode.UPSTREAM, "Internal Server Error"),
    ],
)
def test_final_statuses_are_not_retried(
    fake_openrouter: FakeOpenRouter,
    status: str,
    error_type: type[MoltbotError],
    exit_code: ExitCode,
    words: str,
) -> None:
    fake_openrouter.fail(status)
    with make_client(fake_openrouter) as client, pytest.raises(MoltbotError) as caught:
        client.complete(BODY)
    assert type(caught.value) is error_type
    assert caught.value.exit_code == exit_code
    assert words in caught.value.message
    assert len(fake_openrouter.requests) == 1


def test_502_after_retries_names_the_provider_and_its_error(
    fake_openrouter: FakeOpenRouter,
) -> None:
    fake_openrouter.fail("502")
    with (
        make_client(fake_openrouter, retries=1) as client,
        pytest.raises(errors.ModelUnavailable) as caught,
    ):
        client.complete(BODY)
    assert len(fake_openrouter.requests) == 2
    assert caught.value.message == (
        f"{MODEL} failed upstream (502): Provider returned error [Anthropic: Overloaded]"
    )


def test_refused_connection_is_retried_then_a_network_error() -> None:
    base_url = refused_base_url()
    client = OpenRouterClient(base_url, TEST_KEY, retries=2, backoff_base=0.01)
    with client, pytest.raises(NetworkError) as caught:
        client.get_key()
    assert caught.value.exit_code == ExitCode.NETWORK
    assert f"cannot reach {host_of(base_url)} ({base_url}): " in caught.value.message
    assert "connection refused" in caught.value.message
    assert not errors.falls_back(caught.value)  # every model is behind the same host


def test_a_base_url_that_is_not_http_is_a_usage_error() -> None:
    with (
        OpenRouterClient("ftp://example.invalid/api", TEST_KEY) as client,
        pytest.raises(UsageError),
    ):
        client.list_models()


# -- the trace -----------------------------------------------------------------------------


def test_trace_has_one_line_per_request_and_response_and_masks_the_key(
    fake_openrouter: FakeOpenRouter,
) -> None:
    lines: list[str] = []
    fake_openrouter.fail("503", times=1)
    with make_client(fake_openrouter, trace=lines.append) as client:
        client.get_key()
        stream_pieces(client, BODY)
    text = "\n".join(lines)
    assert TEST_KEY not in text
    assert "Bearer sk-or-v1-te…xxx" in text
    assert lines[0].startswith(f"> GET {fake_openrouter.base_url}/key (try 1/4)")
    assert lines[1].startswith("< 200 OK in ")
    assert any(line.startswith("< 503 Service Unavailable in ") for line in lines)
    assert any(line.startswith("! 503; retrying in ") for line in lines)
    assert any('"content": "hi"' in line for line in lines if line.startswith("> POST"))
    assert "finish_reason=stop, [DONE]" in lines[-1]


# -- pieces --------------------------------------------------------------------------------


def test_retry_after_parsing() -> None:
    now = 1_700_000_000.0
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds(" 1.5 ") == 1.5
    assert retry_after_seconds("-3") == 0
    assert retry_after_seconds(formatdate(now + 30, usegmt=True), now=now) == 30
    assert retry_after_seconds(formatdate(now - 30, usegmt=True), now=now) == 0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("") is None
    assert retry_after_seconds(None) is None


def test_backoff_base_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOLTBOT_RETRY_BASE_SECONDS", raising=False)
    assert backoff_base_from_env() == 0.5
    monkeypatch.setenv("MOLTBOT_RETRY_BASE_SECONDS", "0.05")
    assert backoff_base_from_env() == 0.05
    monkeypatch.setenv("MOLTBOT_RETRY_BASE_SECONDS", "fast")
    with pytest.raises(UsageError):
        backoff_base_from_env()


def test_bad_timeout_and_retries_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        OpenRouterClient("http://127.0.0.1:9", TEST_KEY, timeout=0)
    with pytest.raises(UsageError):
        OpenRouterClient("http://127.0.0.1:9", TEST_KEY, retries=-1)


@pytest.mark.parametrize("key", ["sk-or-v1-test key", "sk-or-v1-tëst", "sk-or-v1-test\n"])
def test_a_key_that_cannot_go_in_a_header_is_refused_before_sending(key: str) -> None:
    with pytest.raises(AuthError, match="spaces or characters no OpenRouter key has"):
        OpenRouterClient("http://127.0.0.1:9", key)
