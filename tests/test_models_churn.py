"""Models that come and go: expiry warnings in `models status` and `chat`, and `models scan`,
end to end through the `moltbot` command against a catalogue that churns."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.support import model_churn
from tests.support.catalogue_data import run_in_process as run
from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)
from tests.support.model_churn import (
    EXPIRES,
    EXPIRING,
    FREE_BLIND,
    FREE_BROKEN,
    FREE_BUSY,
    FREE_FULL,
    FREE_NO_TOOL_CALL,
    FREE_OLD,
    FREE_ZERO_PRICE,
    VANISHED,
    VANISHED_KIN,
)

KEY = {"OPENROUTER_API_KEY": TEST_KEY}
CONFIG = f"""{{
  // models that come and go
  agents: {{ defaults: {{
    model: {{ primary: "openrouter/{EXPIRING}", fallbacks: ["openrouter/{VANISHED}"] }},
    models: {{ "openrouter/anthropic/claude-sonnet-4-5": {{ alias: "sonnet" }} }},
  }} }},
}}
"""


@pytest.fixture
def fake(fake_openrouter: FakeOpenRouter) -> FakeOpenRouter:
    return model_churn.serve(fake_openrouter)


def write(config_file: Path, text: str = CONFIG) -> Path:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(text)
    return config_file


def ref(model_id: str) -> str:
    return "openrouter/" + model_id


def model_list_requests(fake: FakeOpenRouter) -> int:
    return sum(1 for request in fake.requests if request.path == "/api/v1/models")


# -- models status --------------------------------------------------------------------------


def test_status_names_expiring_and_vanished_models_with_replacements(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    write(config_file)
    result = run_moltbot("models", "status")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    expiring = next(line for line in lines if line.startswith("Expiring"))
    gone = next(line for line in lines if line.startswith("Gone"))
    assert f"{ref(EXPIRING)} (default) expires on {EXPIRES} (in 10 days)" in expiring
    assert "closest live models: openrouter/openai/gpt-4o" in expiring
    assert f"{ref(VANISHED)} (fallback#1) is no longer in the model list of {fake.host}" in gone
    assert f"closest live models: {ref(VANISHED_KIN)}" in gone
    assert not any(line.startswith("Model check") for line in lines)  # sonnet is fine

    status = json.loads(run("models", "status", "--json").stdout)["models"]
    assert status["checked"] is True and status["windowDays"] == 30
    findings = {item["ref"]: item for item in status["findings"]}
    assert findings[ref(EXPIRING)]["state"] == "expiring"
    assert findings[ref(EXPIRING)]["daysLeft"] == 10
    assert findings[ref(EXPIRING)]["expirationDate"] == EXPIRES.isoformat()
    assert findings[ref(VANISHED)]["roles"] == ["fallback#1"]
    assert findings[ref(VANISHED)]["state"] == "gone"
    assert findings[ref(VANISHED)]["replacements"][0] == ref(VANISHED_KIN)
    # Replacements are live and not expiring themselves.
    assert all(EXPIRING not in item for item in findings[ref(VANISHED)]["replacements"])


def test_check_fails_7_for_a_gone_model_and_only_warns_for_an_expiring_one(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    write(config_file)
    before = config_file.read_text()
    result = run_moltbot("models", "status", "--check", env=KEY)
    assert result.code == 7
    warning, error, hint = result.stderr.splitlines()
    assert warning.startswith(
        f"Warning: {ref(EXPIRING)} (default) expires on {EXPIRES} (in 10 days); "
        "closest live models: openrouter/openai/gpt-4o"
    )
    assert error == f"Error: {ref(VANISHED)} is no longer in the model list of {fake.host}"
    assert hint.startswith(f"Closest live models: {ref(VANISHED_KIN)}. ")
    assert hint.endswith(
        "Pick another with `moltbot models set REF` (or fallbacks remove/add, aliases add)."
    )
    assert config_file.read_text() == before
    assert run("models", "fallbacks", "clear").code == 0
    fine = run_moltbot("models", "status", "--check", env=KEY)
    assert fine.code == 0, fine.stderr
    assert fine.stderr.startswith(f"Warning: {ref(EXPIRING)} (default) expires on {EXPIRES}")


def test_without_a_model_list_status_says_it_could_not_check(config_file: Path) -> None:
    write(config_file)
    result = run("models", "status", "--check", "--json")  # nothing listens; nothing cached
    assert result.code == 4  # no key: the model check cannot fail the command
    models = json.loads(result.stdout)["models"]
    assert models["checked"] is False and "no model list" in models["problem"]
    human = run_moltbot("models", "status", env=KEY)
    assert human.code == 0
    assert "Model check    not done (no model list: cannot reach 127.0.0.1:" in human.stdout


# -- chat: once a day, from the cache -------------------------------------------------------


def test_chat_warns_once_a_day_on_stderr_from_the_cache_only(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    write(config_file)
    first = run_moltbot("chat", "--no-fallbacks", "hi", env=KEY)
    assert first.code == 0, first.stderr
    assert "expires" not in first.output  # nothing cached yet: nothing to check against
    assert model_list_requests(fake) == 0  # and no fetch just for this
    assert run("models", "list", "--all", "--plain").code == 0  # caches the model list
    fetched = model_list_requests(fake)
    second = run_moltbot("chat", "--no-fallbacks", "hi", env=KEY)
    assert second.code == 0, second.stderr
    assert second.stdout == f"Hello from {EXPIRING}!\n"
    assert second.stderr.splitlines()[0] == (
        f"Warning: {ref(EXPIRING)} expires on {EXPIRES} (in 10 days); closest live models: "
        + second.stderr.split("closest live models: ", 1)[1].split("\n", 1)[0]
    )
    third = run_moltbot("chat", "--no-fallbacks", "hi", env=KEY)
    assert third.code == 0 and "expires" not in third.stderr
    assert model_list_requests(fake) == fetched
    stamps = json.loads(
        (Path(os.environ["MOLTBOT_CACHE_DIR"]) / "expiry-warnings.json").read_text()
    )
    assert stamps == {ref(EXPIRING): model_churn.TODAY.isoformat()}


def test_chat_with_a_vanished_model_warns_then_falls_back(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    write(config_file)
    assert run("models", "list", "--all", "--plain").code == 0
    fake.fail("404", model=VANISHED)
    result = run_moltbot("chat", "-m", ref(VANISHED), "--no-fallbacks", "hi", env=KEY)
    assert result.code == 7
    assert result.stderr.startswith(
        f"Warning: {ref(VANISHED)} is no longer in the model list of {fake.host}; "
        f"closest live models: {ref(VANISHED_KIN)}"
    )
    assert "(as of the list cached" in result.stderr.splitlines()[0]


def test_the_cached_catalogue_keeps_expiry_and_reasoning(fake: FakeOpenRouter) -> None:
    assert run("models", "list", "--all", "--plain").code == 0
    cache = json.loads((Path(os.environ["MOLTBOT_CACHE_DIR"]) / "models.json").read_text())
    (record,) = [item for item in cache["data"] if item["id"] == EXPIRING]
    assert record["expiration_date"] == EXPIRES.isoformat()
    assert record["reasoning"]["supported_efforts"] == ["high", "medium", "low"]


def test_a_damaged_stamp_file_is_replaced(fake: FakeOpenRouter, config_file: Path) -> None:
    write(config_file)
    assert run("models", "list", "--all", "--plain").code == 0
    stamp = Path(os.environ["MOLTBOT_CACHE_DIR"]) / "expiry-warnings.json"
    stamp.write_bytes(b"\x00not json")
    result = run_moltbot("chat", "--no-fallbacks", "hi", env=KEY)
    assert result.code == 0 and "Warning:" in result.stderr
    assert json.loads(stamp.read_text()) == {ref(EXPIRING): model_churn.TODAY.isoformat()}


# -- models scan ----------------------------------------------------------------------------


def scan_json(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = run_moltbot("models", "scan", "--json", *args, env=KEY if env is None else env)
    assert result.code == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_scan_probes_free_models_and_ranks_what_works(fake: FakeOpenRouter) -> None:
    found = scan_json()
    assert found["probed"] is True
    ranked = [item["key"] for item in found["models"]]
    assert ranked == [
        ref(FREE_FULL),
        ref(FREE_BLIND),
        ref(FREE_NO_TOOL_CALL),
        "openrouter/meta-llama/llama-3.3-70b-instruct:free",
        ref(FREE_OLD),
        ref(FREE_ZERO_PRICE),
        ref(FREE_BUSY),
        ref(FREE_BROKEN),
    ]
    probes = {item["id"]: item["probe"] for item in found["models"]}
    assert (probes[FREE_FULL]["reply"], probes[FREE_FULL]["tools"], probes[FREE_FULL]["image"]) == (
        "ok",
        "ok",
        "ok",
    )
    assert probes[FREE_BLIND]["tools"] == "not claimed"
    assert probes[FREE_BLIND]["image"] == "failed"
    assert "support image input" in probes[FREE_BLIND]["errors"][0]
    assert probes[FREE_NO_TOOL_CALL]["tools"] == "failed"
    assert probes[FREE_BROKEN]["reply"] == "failed"
    assert probes[FREE_BROKEN]["tools"] == "skipped"
    assert probes[FREE_BUSY]["reply"] == "rate limited"
    # Retry-After was honoured: the busy model was asked once and retried twice, no more.
    busy = [body for body in fake.chat_bodies() if body["model"] == FREE_BUSY]
    assert len(busy) == 3
    # The tool probe carried a tool, the image probe a 1×1 PNG, for the full model only.
    full = [body for body in fake.chat_bodies() if body["model"] == FREE_FULL]
    assert [("tools" in body, "image_url" in json.dumps(body)) for body in full] == [
        (False, False),
        (True, False),
        (False, True),
    ]
    asked = {body["model"] for body in fake.chat_bodies()}
    assert "gone/past-70b:free" not in asked and "pix/painter:free" not in asked
    assert all(body["stream"] is False for body in fake.chat_bodies())


def test_scan_table_max_candidates_and_plain(fake: FakeOpenRouter) -> None:
    result = run_moltbot("models", "scan", "--max-candidates", "3", "--concurrency", "2", env=KEY)
    assert result.code == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows[0] == ["#", "ref", "context", "reply", "tools", "image", "note"]
    assert [row[1] for row in rows[1:]] == [ref(FREE_FULL), ref(FREE_BLIND), ref(FREE_BROKEN)]
    assert rows[1][3:6] == ["yes", "yes", "yes"]
    assert rows[2][3:6] == ["yes", "-", "no"]
    assert rows[3][3:6] == ["no", "skipped", "-"]
    assert result.stderr.strip().endswith("2 of 3 free models answered.")
    plain = run_moltbot("models", "scan", "--plain", "--max-candidates", "3", env=KEY)
    assert plain.stdout.splitlines() == [ref(FREE_FULL), ref(FREE_BLIND)]


def test_scan_without_probing_needs_no_key_and_sends_nothing(fake: FakeOpenRouter) -> None:
    found = scan_json("--no-probe", env={})
    assert found["probed"] is False
    assert fake.chat_bodies() == []
    assert found["models"][0]["key"] == ref(FREE_FULL)  # claims both, newest
    assert {item["probe"]["reply"] for item in found["models"]} == {"not probed"}
    without_key = run_moltbot("models", "scan")
    assert without_key.code == 4
    assert fake.chat_bodies() == []


def test_scan_sets_the_default_and_fallbacks_from_the_winners(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    write(config_file)
    result = run_moltbot(
        "models", "scan", "--max-candidates", "5", "--set-default", "--set-fallbacks", "2", env=KEY
    )
    assert result.code == 0, result.stderr
    assert f"Default model: {ref(FREE_FULL)}" in result.stderr
    assert f"Fallbacks: {ref(FREE_BLIND)}, {ref(FREE_NO_TOOL_CALL)}" in result.stderr
    status = json.loads(run("models", "status", "--json").stdout)
    assert status["defaultModel"] == ref(FREE_FULL)
    assert status["fallbacks"] == [ref(FREE_BLIND), ref(FREE_NO_TOOL_CALL)]
    assert "// models that come and go" in config_file.read_text()


def test_scan_writes_nothing_when_no_free_model_answers(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    write(config_file)
    before = config_file.read_text()
    for model in (FREE_FULL, FREE_BLIND):
        fake.fail("503", model=model)
    result = run_moltbot("models", "scan", "--max-candidates", "2", "--set-default", env=KEY)
    assert result.code == 7
    assert result.stderr.splitlines()[-2] == (
        "Error: no free model answered the probes; nothing was changed."
    )
    assert config_file.read_text() == before


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--concurrency", "0"], "--concurrency must be between 1 and 16"),
        (["--concurrency", "17"], "--concurrency must be between 1 and 16"),
        (["--max-candidates", "0"], "--max-candidates must be 1 or more"),
        (["--set-fallbacks", "-1"], "--set-fallbacks must be 0 or more"),
    ],
)
def test_scan_refuses_bad_numbers(config_file: Path, flags: list[str], message: str) -> None:
    result = run("models", "scan", *flags)
    assert result.code == 2
    assert result.stderr.startswith(f"Error: {message}")
    assert not config_file.exists()
