"""`moltbot models aliases ...` and `moltbot models fallbacks ...`.

Edits keep every comment and the spelling of existing entries (a key written without the
`openrouter/` prefix is reused, never duplicated). Every refusal leaves the file byte for
byte as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import catalogue_data
from tests.support.catalogue_data import run_in_process as run
from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)

DATA = Path(__file__).parent / "data"
SEED = (DATA / "seed_example_2.json5").read_text()
MINE = """{
  agents: {
    defaults: {
      model: {
        primary: "openrouter/anthropic/claude-sonnet-4-5",
        // tried in this order
        fallbacks: [
          "openrouter/openai/gpt-5.2", // first
          "x-ai/grok-4", // second
        ],
      },
      models: {
        // written without the prefix on purpose
        "meta-llama/llama-3.3-70b-instruct": {
          alias: "llama",
          params: { temperature: 0.2 },
        },
        "openrouter/x-ai/grok-4": { alias: "grok" },
      },
    },
  },
}
"""


@pytest.fixture
def fake(fake_openrouter: FakeOpenRouter) -> FakeOpenRouter:
    return catalogue_data.serve(fake_openrouter)


def write(config_file: Path, text: str) -> Path:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(text)
    return config_file


def data(config_file: Path) -> dict:
    return json.loads(run("config", "show", "--json", "--reveal").stdout)


def models(config_file: Path) -> dict:
    return data(config_file)["agents"]["defaults"]["models"]


def refused(config_file: Path, *args: str) -> str:
    """Run a command that must be refused; return its stderr."""
    before = config_file.read_bytes()
    result = run("models", *args)
    assert result.code == 2, (result.code, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.splitlines()) <= 2, result.stderr
    assert config_file.read_bytes() == before
    assert not config_file.with_name(config_file.name + ".bak").exists()
    return result.stderr


# -- aliases -------------------------------------------------------------------------------


def test_the_seed_aliases_list_even_with_spaces(config_file: Path) -> None:
    write(config_file, SEED)
    assert json.loads(run("models", "aliases", "list", "--json").stdout) == {
        "aliases": {
            "Claude Sonnet": "openrouter/anthropic/claude-sonnet-4-5",
            "GPT-5.2": "openrouter/openai/gpt-5.2",
        }
    }
    plain = run_moltbot("models", "aliases", "list", "--plain")
    assert plain.code == 0
    assert plain.stdout.splitlines() == [
        "Claude Sonnet\topenrouter/anthropic/claude-sonnet-4-5",
        "GPT-5.2\topenrouter/openai/gpt-5.2",
    ]
    table = run("models", "aliases", "list")
    assert table.stdout.splitlines()[0] == "alias\tref"


def test_no_aliases_says_how_to_add_one() -> None:
    result = run("models", "aliases", "list")
    assert result.code == 0 and result.stdout == ""
    assert "moltbot models aliases add ALIAS REF" in result.stderr


def test_adding_an_alias_reuses_the_entry_as_written(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    write(config_file, MINE)
    result = run_moltbot(
        "models", "aliases", "add", "l33", "openrouter/meta-llama/llama-3.3-70b-instruct"
    )
    assert result.code == 0, result.stderr
    assert result.stderr == (
        "Alias l33 → openrouter/meta-llama/llama-3.3-70b-instruct "
        "(replaces 'llama': a model has one alias)\n"
    )
    assert config_file.read_text() == MINE.replace('alias: "llama"', 'alias: "l33"')


def test_adding_an_alias_to_a_new_model_creates_its_entry(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    write(config_file, MINE)
    assert run("models", "aliases", "add", "fast", "x-ai/grok-4-fast").code == 0
    assert models(config_file)["openrouter/x-ai/grok-4-fast"] == {"alias": "fast"}
    # ... and the alias works wherever a ref is taken.
    assert run("models", "set", "FAST").code == 0
    assert data(config_file)["agents"]["defaults"]["model"]["primary"] == (
        "openrouter/x-ai/grok-4-fast"
    )
    text = config_file.read_text()
    assert "// written without the prefix on purpose" in text and "// second" in text


def test_the_same_alias_again_changes_nothing(fake: FakeOpenRouter, config_file: Path) -> None:
    write(config_file, MINE)
    result = run("models", "aliases", "add", "grok", "x-ai/grok-4")
    assert result.code == 0
    assert result.stderr == "Alias grok → openrouter/x-ai/grok-4 (unchanged)\n"
    assert config_file.read_text() == MINE


@pytest.mark.parametrize(
    ("alias", "problem"),
    [("", "must not be empty"), (" sonnet", "must not start or end with spaces")],
    ids=["empty", "padded"],
)
def test_an_alias_the_schema_refuses_is_refused(
    fake: FakeOpenRouter, config_file: Path, alias: str, problem: str
) -> None:
    write(config_file, MINE)
    stderr = refused(config_file, "aliases", "add", alias, "x-ai/grok-4-fast")
    assert stderr.splitlines() == [
        f"Error: {alias!r} cannot be an alias: it {problem}",
        'For example: sonnet, gpt-5.2, "Claude Sonnet". Nothing was changed.',
    ]


@pytest.mark.parametrize("alias", ["Claude Opus", "sonnet!", "émoji", "Grok 4 (fast)"])
def test_every_alias_the_schema_accepts_can_be_added_and_used(
    fake: FakeOpenRouter, config_file: Path, alias: str
) -> None:
    """As the chat help's own example writes it: -m "Claude Sonnet"."""
    write(config_file, MINE)
    assert run("models", "aliases", "add", alias, "x-ai/grok-4-fast").code == 0
    assert models(config_file)["openrouter/x-ai/grok-4-fast"]["alias"] == alias
    assert run("config", "validate").code == 0
    chat = run_moltbot("chat", "-m", alias, "hi", env={"OPENROUTER_API_KEY": TEST_KEY})
    assert chat.code == 0, chat.stderr
    assert fake.chat_bodies()[-1]["model"] == "x-ai/grok-4-fast"


def test_an_alias_taken_by_another_model_is_refused_in_any_case(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    write(config_file, MINE)
    stderr = refused(config_file, "aliases", "add", "LLAMA", "x-ai/grok-4-fast")
    assert stderr.splitlines() == [
        "Error: the alias 'llama' already stands for "
        "openrouter/meta-llama/llama-3.3-70b-instruct; nothing was changed.",
        "Remove it first with `moltbot models aliases remove llama`, or pick another.",
    ]


def test_an_alias_for_an_unknown_model_is_refused(fake: FakeOpenRouter, config_file: Path) -> None:
    write(config_file, MINE)
    stderr = refused(config_file, "aliases", "add", "next", "x-ai/grok-9")
    assert f"{fake.host} has no model openrouter/x-ai/grok-9; nothing was changed." in stderr
    assert "Closest: openrouter/x-ai/grok-4" in stderr


def test_removing_an_alias_keeps_the_entrys_other_settings(config_file: Path) -> None:
    write(config_file, MINE)
    result = run_moltbot("models", "aliases", "remove", "LLAMA")
    assert result.code == 0
    assert result.stderr == (
        "Removed the alias llama (it stood for openrouter/meta-llama/llama-3.3-70b-instruct)\n"
    )
    assert models(config_file)["meta-llama/llama-3.3-70b-instruct"] == {
        "params": {"temperature": 0.2}
    }
    assert "// written without the prefix on purpose" in config_file.read_text()


def test_removing_the_only_setting_of_an_entry_removes_the_entry(config_file: Path) -> None:
    write(config_file, MINE)
    assert run("models", "aliases", "remove", "grok").code == 0
    assert list(models(config_file)) == ["meta-llama/llama-3.3-70b-instruct"]


def test_removing_an_unknown_alias_is_refused(config_file: Path) -> None:
    write(config_file, MINE)
    stderr = refused(config_file, "aliases", "remove", "sonnet")
    assert stderr.splitlines() == [
        "Error: there is no alias 'sonnet'; nothing was changed.",
        "Aliases: 'llama', 'grok'.",
    ]


def test_a_seed_alias_with_a_space_can_be_removed(config_file: Path) -> None:
    write(config_file, SEED)
    assert run("models", "aliases", "remove", "claude sonnet").code == 0
    assert "alias" not in models(config_file)["openrouter/anthropic/claude-sonnet-4-5"]


# -- fallbacks -----------------------------------------------------------------------------


def test_fallbacks_list_in_every_format(config_file: Path) -> None:
    write(config_file, MINE)
    assert json.loads(run("models", "fallbacks", "list", "--json").stdout) == {
        "fallbacks": ["openrouter/openai/gpt-5.2", "openrouter/x-ai/grok-4"]
    }
    assert run("models", "fallbacks", "list", "--plain").stdout.splitlines() == [
        "openrouter/openai/gpt-5.2",
        "openrouter/x-ai/grok-4",
    ]
    assert run("models", "fallbacks", "list").stdout.splitlines() == [
        "#\tref",
        "1\topenrouter/openai/gpt-5.2",
        "2\topenrouter/x-ai/grok-4",
    ]


def test_adding_fallbacks_appends_in_order_and_keeps_comments(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    write(config_file, MINE)
    result = run_moltbot("models", "fallbacks", "add", "llama")
    assert result.code == 0, result.stderr
    assert result.stderr == "Fallback #3: openrouter/meta-llama/llama-3.3-70b-instruct\n"
    assert run("models", "fallbacks", "add", "deepseek/deepseek-chat-v3.1").code == 0
    assert data(config_file)["agents"]["defaults"]["model"]["fallbacks"] == [
        "openrouter/openai/gpt-5.2",
        "x-ai/grok-4",
        "openrouter/meta-llama/llama-3.3-70b-instruct",
        "openrouter/deepseek/deepseek-chat-v3.1",
    ]
    text = config_file.read_text()
    assert '"openrouter/openai/gpt-5.2", // first' in text
    assert '"x-ai/grok-4", // second' in text
    assert "// tried in this order" in text


def test_the_first_fallback_creates_the_list(fake: FakeOpenRouter, config_file: Path) -> None:
    assert run("models", "fallbacks", "add", "openai/gpt-5.2").code == 0
    assert run("models", "fallbacks", "list", "--plain").stdout == "openrouter/openai/gpt-5.2\n"


def test_a_model_already_a_fallback_is_refused(fake: FakeOpenRouter, config_file: Path) -> None:
    write(config_file, MINE)
    # Written without the prefix in the file, with it on the command line: the same model.
    stderr = refused(config_file, "fallbacks", "add", "openrouter/x-ai/grok-4")
    assert stderr == "Error: openrouter/x-ai/grok-4 is already fallback #2; nothing was changed.\n"
    refused(config_file, "fallbacks", "add", "GROK")


def test_the_default_model_cannot_be_its_own_fallback(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    write(config_file, MINE)
    stderr = refused(config_file, "fallbacks", "add", "anthropic/claude-sonnet-4-5")
    assert stderr.startswith(
        "Error: openrouter/anthropic/claude-sonnet-4-5 is the default model; a fallback is "
        "tried when the default fails, so it must be another model. Nothing was changed.\n"
    )


def test_with_no_default_configured_the_built_in_one_counts(
    fake: FakeOpenRouter, config_file: Path
) -> None:
    write(config_file, "{}\n")
    refused(config_file, "fallbacks", "add", "anthropic/claude-sonnet-4-5")


def test_an_unknown_fallback_is_refused(fake: FakeOpenRouter, config_file: Path) -> None:
    write(config_file, MINE)
    stderr = refused(config_file, "fallbacks", "add", "openai/gtp-5.2")
    assert "Closest: openrouter/openai/gpt-5.2" in stderr


def test_removing_a_fallback_by_ref_or_alias(config_file: Path) -> None:
    write(config_file, MINE)
    result = run_moltbot("models", "fallbacks", "remove", "grok")
    assert result.code == 0
    assert result.stderr == "Removed fallback #2: openrouter/x-ai/grok-4\n"
    assert "// first" in config_file.read_text()
    assert run("models", "fallbacks", "remove", "openai/gpt-5.2").code == 0
    model = data(config_file)["agents"]["defaults"]["model"]
    assert model == {"primary": "openrouter/anthropic/claude-sonnet-4-5"}


def test_removing_what_is_not_a_fallback_is_refused(config_file: Path) -> None:
    write(config_file, MINE)
    stderr = refused(config_file, "fallbacks", "remove", "x-ai/grok-4-fast")
    assert stderr.splitlines() == [
        "Error: x-ai/grok-4-fast is not a fallback; nothing was changed.",
        "Fallbacks: openrouter/openai/gpt-5.2, openrouter/x-ai/grok-4.",
    ]


def test_clear_removes_them_all(config_file: Path) -> None:
    write(config_file, MINE)
    result = run("models", "fallbacks", "clear")
    assert result.code == 0 and result.stderr == "Cleared 2 fallbacks.\n"
    assert "fallbacks" not in data(config_file)["agents"]["defaults"]["model"]
    again = run("models", "fallbacks", "clear")
    assert again.code == 0 and again.stderr == "No fallbacks; nothing changed.\n"


def test_the_help_and_docs_describe_the_alias_rule_that_is_applied() -> None:
    # They once said "letters, digits and _ . : -" while any text without padding was taken.
    help_text = " ".join(run_moltbot("models", "aliases", "add", "--help").stdout.split())
    assert "Letters, digits" not in help_text
    assert "Any text without spaces at either end" in help_text
    docs = (Path(__file__).parent.parent / "docs" / "models.md").read_text()
    assert "takes letters, digits" not in " ".join(docs.split())
