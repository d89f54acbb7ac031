"""Reading OpenRouter's error bodies in every shape, and what each status becomes."""

from __future__ import annotations

import json

import pytest

from moltbot_cli.errors import (
    AuthError,
    CreditsError,
    ExitCode,
    MoltbotError,
    RateLimitedError,
    UpstreamError,
    UsageError,
)
from moltbot_cli.openrouter import errors
from moltbot_cli.openrouter.errors import ErrorDetails, error_for_status, parse_error_body


def test_openrouter_shape_with_metadata() -> None:
    body = {
        "error": {
            "code": 502,
            "message": "Provider returned error",
            "metadata": {
                "provider_name": "Anthropic",
                "raw": json.dumps({"type": "error", "error": {"message": "Overloaded"}}),
            },
        }
    }
    assert parse_error_body(json.dumps(body).encode()) == ErrorDetails(
        message="Provider returned error", code=502, provider="Anthropic", raw="Overloaded"
    )


def test_openai_shape_with_string_code_and_type() -> None:
    body = {
        "error": {
            "message": "The model `x/y` does not exist",
            "type": "invalid_request_error",
            "code": "model_not_found",
        }
    }
    details = parse_error_body(json.dumps(body))
    assert details == ErrorDetails(
        message="The model `x/y` does not exist",
        code="model_not_found",
        type="invalid_request_error",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"error": "plain string error"}', "plain string error"),
        (b'{"message": "top-level message"}', "top-level message"),
        (b'{"detail": "fastapi style"}', "fastapi style"),
        (
            b"upstream connect error or disconnect/reset",
            "upstream connect error or disconnect/reset",
        ),
        (
            b"<html><head><title>502 Bad Gateway</title></head><body>x</body></html>",
            "502 Bad Gateway",
        ),
        (b"", None),
        (b"   ", None),
        (b"[1, 2]", "[1, 2]"),
        (b'{"error": {"metadata": {"raw": {"message": "nested raw"}}}}', None),
        (b"\xff\xfe not utf-8", "\ufffd\ufffd not utf-8"),
    ],
)
def test_other_shapes_never_raise(body: bytes, message: str | None) -> None:
    assert parse_error_body(body).message == message


def test_raw_provider_error_object_and_moderation_reasons() -> None:
    details = parse_error_body(
        {
            "error": {
                "code": 403,
                "message": "flagged",
                "metadata": {"reasons": ["violence", "hate"], "raw": {"error": {"message": "no"}}},
            }
        }
    )
    assert details.reasons == ("violence", "hate")
    assert details.raw == "no"


@pytest.mark.parametrize(
    ("status", "error_type", "code"),
    [
        (400, UsageError, ExitCode.USAGE),
        (401, AuthError, ExitCode.AUTH),
        (402, CreditsError, ExitCode.CREDITS),
        (403, UpstreamError, ExitCode.UPSTREAM),
        (404, errors.ModelUnavailable, ExitCode.UPSTREAM),
        (408, errors.ModelUnavailable, ExitCode.UPSTREAM),
        (418, UpstreamError, ExitCode.UPSTREAM),
        (429, RateLimitedError, ExitCode.RATE_LIMITED),
        (500, errors.ModelUnavailable, ExitCode.UPSTREAM),
        (502, errors.ModelUnavailable, ExitCode.UPSTREAM),
        (503, errors.ModelUnavailable, ExitCode.UPSTREAM),
    ],
)
def test_status_mapping(status: int, error_type: type[MoltbotError], code: ExitCode) -> None:
    error = error_for_status(status, b"", model="a/b")
    assert isinstance(error, error_type)
    assert error.exit_code == code
    assert "\n" not in error.message


@pytest.mark.parametrize("status", [400, 401, 402, 403])
def test_failures_another_model_would_share_do_not_fall_back(status: int) -> None:
    assert not errors.falls_back(error_for_status(status, b"", model="a/b"))


@pytest.mark.parametrize("status", [404, 408, 429, 500, 502, 503, 504])
def test_failures_of_one_model_fall_back(status: int) -> None:
    assert errors.falls_back(error_for_status(status, b"", model="a/b"))


def test_the_server_message_is_what_the_user_reads() -> None:
    error = error_for_status(
        402, b'{"error": {"code": 402, "message": "Insufficient credits."}}', model="a/b"
    )
    assert error.message == "out of credits or over this key's limit (402): Insufficient credits."
    assert error.hint and "openrouter.ai/settings/credits" in error.hint


def test_an_empty_body_falls_back_to_the_reason_phrase() -> None:
    assert error_for_status(503, b"", model="a/b").message == (
        "no provider could serve a/b (503): Service Unavailable"
    )


def test_unknown_model_404_and_400_point_at_the_catalogue() -> None:
    not_found = error_for_status(404, b'{"error": {"message": "Model x/y not found"}}', model="x/y")
    assert not_found.hint and "moltbot models list --all" in not_found.hint
    invalid = error_for_status(400, b'{"error": {"message": "x/y is not a valid model ID"}}')
    assert invalid.hint and "moltbot models list --all" in invalid.hint
    no_endpoints = error_for_status(
        404, b'{"error": {"message": "No endpoints found matching your data policy"}}', model="x/y"
    )
    assert no_endpoints.hint == (
        "No provider fits this model's routing; see who serves it with "
        "`moltbot models endpoints openrouter/x/y` and change `moltbot models routing set`."
    )
    # OpenRouter's own meta-models keep their id as it is: it already is the ref.
    auto = error_for_status(
        404, b'{"error": {"message": "No endpoints found"}}', model="openrouter/auto"
    )
    assert auto.hint and "`moltbot models endpoints openrouter/auto`" in auto.hint


def test_a_long_multi_line_message_is_squeezed_into_one_line() -> None:
    error = error_for_status(500, ("word \n" * 200).encode(), model="a/b")
    assert "\n" not in error.message
    assert len(error.message) < 400
    assert error.message.endswith("…")


@pytest.mark.parametrize(
    ("error", "hint"),
    [
        (
            errors.cut_off("a/b", output_began=True),
            "The reply was cut short; run the command again for a whole reply.",
        ),
        (
            errors.error_for_stream_event(
                {"error": {"message": "x"}}, model="a/b", output_began=True
            ),
            "The reply was cut short; run the command again for a whole reply.",
        ),
        (
            errors.timed_out("http://h", 1, output_began=True),
            "The reply was cut short; try again, or allow longer with --timeout SECONDS.",
        ),
        # Failures before any text never pointed above, so they keep their hint.
        (errors.cut_off("a/b", output_began=False), "Try again, or pick another model with -m."),
    ],
)
def test_a_hint_pointing_at_printed_text_is_reworded_when_none_was_printed(
    error: MoltbotError, hint: str
) -> None:
    errors.unseen_partial(error)
    assert error.hint == hint
