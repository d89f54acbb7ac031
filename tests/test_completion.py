"""Shell completion: the scripts in completions/, and the candidates Tab gets, offline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from moltbot_cli.completion import SCRIPT_FILES, completion_script
from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)

COMPLETIONS = Path(__file__).parent.parent / "completions"
CONFIG = (Path(__file__).parent / "data" / "seed_example_2.json5").read_text()


@pytest.mark.parametrize("shell", sorted(SCRIPT_FILES))
def test_the_shipped_scripts_match_the_app(shell: str) -> None:
    shipped = (COMPLETIONS / SCRIPT_FILES[shell]).read_text()
    assert shipped == completion_script(shell), (
        "completions/ is out of date: run `python -m moltbot_cli.completion completions`"
    )


def complete(words: str) -> list[str]:
    """What bash's Tab offers for the last word of `words`."""
    result = run_moltbot(
        env={
            "_MOLTBOT_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        }
    )
    assert result.code == 0, result.stderr
    return result.stdout.split()


@pytest.fixture
def configured(config_file: Path, fake_openrouter: FakeOpenRouter) -> FakeOpenRouter:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(CONFIG)
    assert run_moltbot("models", "list", "--all", "--plain").code == 0  # fills the cache
    fake_openrouter.stop()  # from here on, completion must not need the network
    return fake_openrouter


def test_model_refs_and_aliases_complete_from_config_and_cache(configured: FakeOpenRouter) -> None:
    assert "openai/gpt-5.2" in complete("moltbot chat -m openai/")
    assert "openrouter/openai/gpt-5.2" in complete("moltbot models set openrouter/openai/")
    assert complete("moltbot chat -m GPT") == ["GPT-5.2"]
    assert complete("moltbot models aliases remove GPT") == ["GPT-5.2"]
    assert "anthropic/claude-sonnet-4-5" in complete("moltbot onboard --model anthropic/")


def test_config_paths_complete_from_schema_and_file(configured: FakeOpenRouter) -> None:
    assert complete("moltbot config get agents.defaults.mo") == [
        "agents.defaults.model",
        "agents.defaults.models",
    ]
    refs = complete("moltbot config set agents.defaults.models[")
    assert refs == [
        'agents.defaults.models["openrouter/anthropic/claude-sonnet-4-5"]',
        'agents.defaults.models["openrouter/openai/gpt-5.2"]',
    ]
    # Keys the schema knows complete even before the file has them.
    assert "models.providers.openrouter.baseUrl" in complete(
        "moltbot config set models.providers.openrouter."
    )


def test_completion_survives_a_broken_config(config_file: Path) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text("{ agents: ")
    assert complete("moltbot config get ag") == ["agents"]
    assert complete("moltbot chat -m x") == []


def test_install_completion_writes_into_the_users_shell_setup(isolated_environment: Path) -> None:
    result = run_moltbot("--install-completion", env={"SHELL": "/bin/bash"})
    assert result.code == 0, result.output
    installed = isolated_environment / ".bash_completions" / "moltbot.sh"
    assert installed.read_text().strip() == completion_script("bash").strip()
    assert str(installed) in (isolated_environment / ".bashrc").read_text()
    assert os.environ["HOME"] == str(isolated_environment)
