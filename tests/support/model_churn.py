"""A catalogue where models come and go: one expiring soon, one configured but vanished,
and free models of which some fail, some lack tools, some lack images, and one is
rate limited. `serve(fake)` points a FakeOpenRouter at it and sets each misbehaviour.

Dates are relative to today, so the "expires in 10 days" model stays 10 days away.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.support.catalogue_data import KNOWN_MODELS, model

TODAY = dt.date.today()
EXPIRING = "openai/gpt-4o-2024-05-13"
EXPIRES = TODAY + dt.timedelta(days=10)
VANISHED = "mistralai/mistral-medium-3"  # configured, no longer listed
VANISHED_KIN = "mistralai/mistral-medium-3.1"

FREE_FULL = "acme/omni-120b:free"  # newest: answers, calls tools, sees images
FREE_BLIND = "acme/vision-70b:free"  # claims images, the providers refuse them; no tools
FREE_BROKEN = "beta/broken-405b:free"  # every call fails
FREE_NO_TOOL_CALL = "gamma/chatty-32b:free"  # claims tools, answers in text instead
FREE_BUSY = "delta/busy-235b:free"  # always rate limited
FREE_ZERO_PRICE = "zeta/zero-14b"  # no :free suffix, but costs nothing
FREE_OLD = "old/ancient-8b:free"  # the oldest: first to go with --max-candidates
FREE_EXPIRED = "gone/past-70b:free"  # past its date: never a candidate
FREE_IMAGE_MAKER = "pix/painter:free"  # makes images: nothing to chat with


def free(
    model_id: str,
    *,
    created: int,
    context: int = 131_072,
    tools: bool = False,
    image: bool = False,
    prompt: str = "0",
) -> dict[str, Any]:
    item = model(
        model_id, model_id.split("/")[1], prompt=prompt, completion=prompt, context=context
    )
    item["created"] = created
    if tools:
        item["supported_parameters"] = [*item["supported_parameters"], "tools", "tool_choice"]
    if image:
        item["architecture"] = {**item["architecture"], "input_modalities": ["text", "image"]}
    return item


def churn_catalogue() -> list[dict[str, Any]]:
    expiring = model(
        EXPIRING, "OpenAI: GPT-4o (2024-05-13)", prompt="0.000005", completion="0.000015"
    )
    expiring["expiration_date"] = EXPIRES.isoformat()
    expiring["reasoning"] = {
        "supported_efforts": ["high", "medium", "low"],
        "default_effort": "medium",
        "mandatory": False,
        "supports_max_tokens": False,
    }
    past = free(FREE_EXPIRED, created=1_790_000_000)
    past["expiration_date"] = (TODAY - dt.timedelta(days=3)).isoformat()
    painter = free(FREE_IMAGE_MAKER, created=1_790_000_500)
    painter["architecture"] = {**painter["architecture"], "output_modalities": ["image"]}
    return [
        *KNOWN_MODELS,
        expiring,
        model("openai/gpt-4o", "OpenAI: GPT-4o", prompt="0.0000025", completion="0.00001"),
        model(
            VANISHED_KIN, "Mistral: Mistral Medium 3.1", prompt="0.0000004", completion="0.000002"
        ),
        free(FREE_FULL, created=1_790_000_400, context=262_144, tools=True, image=True),
        free(FREE_BLIND, created=1_790_000_300, image=True),
        free(FREE_BROKEN, created=1_790_000_300, context=32_768, tools=True),
        free(FREE_NO_TOOL_CALL, created=1_790_000_200, tools=True),
        free(FREE_BUSY, created=1_790_000_100, tools=True),
        free(FREE_ZERO_PRICE, created=1_780_000_000, context=32_768),
        free(FREE_OLD, created=1_700_000_000),
        past,
        painter,
    ]


def serve(fake: Any, *, busy_retry_after: str = "0.05") -> Any:
    fake.models = churn_catalogue()
    fake.tool_callers = {FREE_FULL}
    fake.image_blind = {FREE_BLIND}
    fake.fail("502", model=FREE_BROKEN)
    fake.fail("429", model=FREE_BUSY, retry_after=busy_retry_after)
    return fake
