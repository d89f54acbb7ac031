"""`moltbot config` end to end, through the installed CLI, as a user or a script runs it."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import json5
import pytest

from tests.support.cli import run_moltbot

DATA = Path(__file__).parent / "data"
SEEDS = sorted(DATA.glob("seed_example_*.json5"))
GPT_ORDER = 'agents.defaults.models["openrouter/openai/gpt-5.2"].compat.openRouterRouting.order'

COMMENTED = """// my moltbot config
{
  /* the default model */
  agents: {
    defaults: {
      model: {
        primary: 'openrouter/anthropic/claude-sonnet-4-5', // keep this one
      },
    },
  },
  env: { OPENROUTER_API_KEY: "${MY_OPENROUTER_KEY}" }, // from my shell
}
"""


def write(config: Path, text: str) -> bytes:
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text)
    return config.read_bytes()


def leaf_paths(value: object, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(value, dict):
        found: list[tuple[str, object]] = []
        for key, item in value.items():
            part = f".{key}" if key.isidentifier() else f"[{json.dumps(key)}]"
            found.extend(leaf_paths(item, (prefix + part).lstrip(".")))
        return found
    if isinstance(value, list):
        return [
            p for index, item in enumerate(value) for p in leaf_paths(item, f"{prefix}[{index}]")
        ]
    return [(prefix, value)]


def test_path_follows_env_then_flag(config_file: Path, tmp_path: Path) -> None:
    assert run_moltbot("config", "path").stdout.strip() == str(config_file)
    other = tmp_path / "elsewhere.json"
    result = run_moltbot("--config", str(other), "config", "path")
    assert (result.code, result.stdout.strip()) == (0, str(other))


def test_missing_file_is_an_empty_config(config_file: Path) -> None:
    shown = run_moltbot("config", "show", "--json")
    assert (shown.code, json.loads(shown.stdout)) == (0, {})
    assert "No config file yet" in shown.stderr
    assert run_moltbot("config", "validate").code == 0
    missing = run_moltbot("config", "get", "agents.defaults.model.primary")
    assert missing.code == 2
    assert "no value at agents.defaults.model.primary" in missing.stderr
    assert not config_file.exists()


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_seed_examples_validate_as_written(config_file: Path, seed: Path) -> None:
    write(config_file, seed.read_text())
    result = run_moltbot("config", "validate", "--json")
    report = json.loads(result.stdout)
    assert result.code == 0 and report["valid"] is True
    # The plain-text key in the seed is allowed, with a warning that says how to move it.
    (warning,) = report["issues"]
    assert warning["severity"] == "warning" and warning["path"] == "env.OPENROUTER_API_KEY"
    assert "keyring" in warning["message"] and warning["line"] == 2


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_every_leaf_of_the_seeds_round_trips(config_file: Path, seed: Path) -> None:
    original_text = seed.read_text()
    write(config_file, original_text)
    original = json5.loads(original_text)
    for path, value in leaf_paths(original):
        got = run_moltbot("config", "get", path, "--json", "--reveal")
        assert (got.code, json.loads(got.stdout)) == (0, value), path
        replacement = "x-changed" if isinstance(value, str) else value
        if path.endswith(("primary", "]")) or "openRouterRouting" in path:
            replacement = "openrouter/example/changed" if path.endswith("primary") else "changed"
        assert run_moltbot("config", "set", path, json.dumps(replacement)).code == 0, path
        assert (
            json.loads(run_moltbot("config", "get", path, "--json", "--reveal").stdout)
            == replacement
        )
        if not path.endswith("]"):  # removing a list item would shift the ones after it
            assert run_moltbot("config", "unset", path).code == 0, path
            assert run_moltbot("config", "get", path).code == 2
        assert run_moltbot("config", "set", path, json.dumps(value)).code == 0, path
        assert json5.loads(config_file.read_text()) == original, path


def test_get_prints_strings_bare_and_structures_as_json(config_file: Path) -> None:
    write(config_file, SEEDS[1].read_text())
    alias = run_moltbot(
        "config", "get", 'agents.defaults.models["openrouter/openai/gpt-5.2"].alias'
    )
    assert alias.stdout == "GPT-5.2\n"
    order = run_moltbot("config", "get", GPT_ORDER)
    assert json.loads(order.stdout) == ["anthropic", "openai"]
    assert json.loads(run_moltbot("config", "get", GPT_ORDER, "--json").stdout) == [
        "anthropic",
        "openai",
    ]
    assert run_moltbot("config", "get", "agents.defaults.model.primary", "--json").stdout == (
        '"openrouter/anthropic/claude-sonnet-4-5"\n'
    )


def test_secrets_are_masked_unless_revealed(config_file: Path) -> None:
    key = "sk-or-v1-testkey-" + "abcdef" * 4
    write(config_file, f'{{ env: {{ OPENROUTER_API_KEY: "{key}" }} }}')
    for args in (
        ("config", "get", "env.OPENROUTER_API_KEY"),
        ("config", "show"),
        ("config", "show", "--json"),
        ("config", "get", "env"),
    ):
        result = run_moltbot(*args)
        assert result.code == 0 and key not in result.output and "sk-or-v1-te…def" in result.stdout
    assert run_moltbot("config", "get", "env.OPENROUTER_API_KEY", "--reveal").stdout.strip() == key
    assert key in run_moltbot("config", "show", "--reveal").stdout


def test_show_prints_the_file_as_written(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config_file, COMMENTED)
    assert run_moltbot("config", "show").stdout == COMMENTED


def test_set_keeps_comments_style_and_env_references(config_file: Path) -> None:
    write(config_file, COMMENTED)
    result = run_moltbot(
        "config", "set", "agents.defaults.model.fallbacks", '["openrouter/openai/gpt-5.2"]'
    )
    assert result.code == 0, result.stderr
    assert "Set agents.defaults.model.fallbacks" in result.stderr
    text = config_file.read_text()
    for kept in (
        "// my moltbot config",
        "/* the default model */",
        "// keep this one",
        '"${MY_OPENROUTER_KEY}" }, // from my shell',
        "primary: 'openrouter/anthropic/claude-sonnet-4-5',",
    ):
        assert kept in text
    assert json5.loads(text)["agents"]["defaults"]["model"]["fallbacks"] == [
        "openrouter/openai/gpt-5.2"
    ]


def test_set_creates_missing_parents_and_parses_json5(config_file: Path) -> None:
    path = 'agents.defaults.models["openrouter/openai/gpt-5.2"].compat.openRouterRouting'
    assert (
        run_moltbot(
            "config", "set", path, "{order: ['anthropic', 'openai'], allowFallbacks: false}"
        ).code
        == 0
    )
    assert (
        run_moltbot(
            "config", "set", 'agents.defaults.models["openrouter/openai/gpt-5.2"].alias', "GPT"
        ).code
        == 0
    )
    data = json5.loads(config_file.read_text())
    assert data == {
        "agents": {
            "defaults": {
                "models": {
                    "openrouter/openai/gpt-5.2": {
                        "compat": {
                            "openRouterRouting": {
                                "order": ["anthropic", "openai"],
                                "allowFallbacks": False,
                            }
                        },
                        "alias": "GPT",
                    }
                }
            }
        }
    }


def test_new_file_is_private(config_file: Path) -> None:
    assert run_moltbot("config", "set", "agents.defaults.model.primary", "openai/gpt-5.2").code == 0
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_file.parent.stat().st_mode) == 0o700


def test_writes_keep_a_few_backups(config_file: Path) -> None:
    write(config_file, "{}\n")
    for number in range(6):
        assert (
            run_moltbot(
                "config", "set", "agents.defaults.model.primary", f"openrouter/a/m{number}"
            ).code
            == 0
        )
    backups = sorted(p.name for p in config_file.parent.iterdir() if ".bak" in p.name)
    assert backups == ["moltbot.json.bak", "moltbot.json.bak.1", "moltbot.json.bak.2"]
    newest = json5.loads((config_file.parent / "moltbot.json.bak").read_text())
    assert newest["agents"]["defaults"]["model"]["primary"] == "openrouter/a/m4"
    assert all(stat.S_IMODE(config_file.with_name(b).stat().st_mode) == 0o600 for b in backups)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("agents.defaults.model.primary", "42"),
            "agents.defaults.model.primary: expected a model reference, found a number",
        ),
        (
            ("agents.defaults.modle", "{}"),
            'agents.defaults.modle: unknown key (did you mean "model"?)',
        ),
        (("agents.defaults.model.primary.x", "1"), "agents.defaults.model.primary is a string"),
        (
            ('agents.defaults.models["openrouter/openai/gpt-5.2"].params.temperature', "9"),
            "must be at most 2",
        ),
        (
            (
                'agents.defaults.models["openrouter/openai/gpt-5.2"].compat.openRouterRouting.sort',
                "cheapest",
            ),
            "must be one of price, throughput, latency",
        ),
        (("agents..defaults", "1"), "bad config path"),
        (("agents.defaults.model.fallbacks", "[oops"), "looks like JSON5 but does not parse"),
        (("agents.defaults.model.primary", "{oops"), "looks like JSON5 but does not parse"),
        (("agents.defaults.model.primary", '"oops'), "looks like JSON5 but does not parse"),
        (("agents.defaults.model.fallbacks", "oops"), "expected a list, found a string"),
    ],
)
def test_refused_values_leave_the_file_untouched(
    config_file: Path, args: tuple[str, str], message: str
) -> None:
    before = write(config_file, SEEDS[1].read_text())
    result = run_moltbot("config", "set", *args)
    assert result.code == 2, result.stderr
    assert message in result.stderr
    assert config_file.read_bytes() == before
    assert not list(config_file.parent.glob("*.bak*"))


@pytest.mark.parametrize("flag", ["--json", "--strict"])
def test_set_json_flag_demands_json5(config_file: Path, flag: str) -> None:
    before = write(config_file, "{}\n")
    result = run_moltbot("config", "set", flag, "agents.defaults.model.primary", "openai/gpt-5.2")
    assert result.code == 2 and "not a JSON5 value" in result.stderr
    # The way out names the flag's help and docs spelling, whichever was typed.
    assert result.stderr.splitlines()[-1] == (
        "Quote strings inside the value, e.g. '\"text\"', or leave out --strict (--json) "
        "to store it as a string."
    )
    assert config_file.read_bytes() == before


def test_the_docs_spell_the_json5_only_flag_strict() -> None:
    docs = " ".join(
        (Path(__file__).parent.parent / "docs" / "configuration.md").read_text().split()
    )
    assert "With `--strict` (also spelled `--json`) the value must be JSON5." in docs
    assert "starts like JSON5 (`{`, `[` or a quote) but does not parse is refused (exit 2)" in docs


def test_unset_of_a_missing_path_is_refused(config_file: Path) -> None:
    before = write(config_file, COMMENTED)
    result = run_moltbot("config", "unset", "agents.defaults.model.fallbacks")
    assert result.code == 2 and "no value at agents.defaults.model.fallbacks" in result.stderr
    assert config_file.read_bytes() == before


def test_unset_keeps_everything_else(config_file: Path) -> None:
    write(config_file, COMMENTED)
    assert run_moltbot("config", "unset", "env").code == 0
    text = config_file.read_text()
    assert "OPENROUTER_API_KEY" not in text
    assert "// keep this one" in text and "// my moltbot config" in text
    assert json5.loads(text) == {
        "agents": {"defaults": {"model": {"primary": "openrouter/anthropic/claude-sonnet-4-5"}}}
    }


BROKEN_SYNTAX = '{\n  agents: {\n    defaults: { model: { primary: "x" }\n  },\n  oops\n}\n'


@pytest.mark.parametrize(
    "args",
    [
        ("config", "get", "agents"),
        ("config", "show"),
        ("config", "set", "agents.defaults.model.primary", "a/b"),
        ("config", "unset", "agents"),
    ],
)
def test_syntax_errors_name_file_line_and_column(config_file: Path, args: tuple[str, ...]) -> None:
    before = write(config_file, BROKEN_SYNTAX)
    result = run_moltbot(*args)
    assert result.code == 3, result.stderr
    assert f"{config_file}:6:1: expected ':' after the key 'oops'" in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2
    assert config_file.read_bytes() == before


def test_validate_reports_every_issue_with_positions(config_file: Path) -> None:
    before = write(
        config_file,
        """{
  agents: {
    defaults: {
      modle: { primary: "openrouter/a/b" },
      models: {
        "openrouter/openai/gpt-5.2": { params: { temperature: "hot" }, compat: { openRouterRouting: { sort: "fast" } } },
      },
    },
  },
  auth: { profiles: { "openrouter:default": { provider: "openai" } } },
}
""",
    )
    result = run_moltbot("config", "validate", "--json")
    assert result.code == 3
    report = json.loads(result.stdout)
    assert report["valid"] is False
    found = {(i["path"], i["line"], i["column"]): i["message"] for i in report["issues"]}
    assert found[("agents.defaults.modle", 4, 7)] == 'unknown key (did you mean "model"?)'
    gpt = 'agents.defaults.models["openrouter/openai/gpt-5.2"]'
    assert found[(f"{gpt}.params.temperature", 6, 63)] == "expected a number, found a string"
    assert (f"{gpt}.compat.openRouterRouting.sort", 6, 109) in found
    assert ('auth.profiles["openrouter:default"].provider', 10, 57) in found
    human = run_moltbot("config", "validate")
    assert human.code == 3
    assert (
        'error: agents.defaults.modle: unknown key (did you mean "model"?) (line 4, column 7)'
        in human.stdout
    )
    assert config_file.read_bytes() == before


def test_validate_json_reports_syntax_errors(config_file: Path) -> None:
    write(config_file, BROKEN_SYNTAX)
    result = run_moltbot("config", "validate", "--json")
    report = json.loads(result.stdout)
    assert result.code == 3 and report["valid"] is False
    (issue,) = report["issues"]
    assert (issue["line"], issue["column"], issue["severity"]) == (6, 1, "error")


def test_an_invalid_file_stops_other_commands_but_can_be_fixed(config_file: Path) -> None:
    before = write(config_file, "{ agents: { defaults: { modle: {} } } }\n")
    other = run_moltbot("config", "set", "agents.defaults.model.primary", "openai/gpt-5.2")
    assert other.code == 3 and "modle" in other.stderr
    assert config_file.read_bytes() == before
    fixed = run_moltbot("config", "unset", "agents.defaults.modle")
    assert fixed.code == 0, fixed.stderr
    assert json5.loads(config_file.read_text()) == {"agents": {"defaults": {}}}


def test_env_references_are_filled_only_when_used(config_file: Path) -> None:
    write(config_file, COMMENTED)
    assert (
        run_moltbot("config", "get", "env.OPENROUTER_API_KEY").stdout.strip()
        == "${MY_OPENROUTER_KEY}"
    )


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (
            lambda p: (p.parent.mkdir(parents=True), p.write_bytes(b'{ alias: "caf\xe9" }')),
            "is not UTF-8",
        ),
    ],
    ids=["not-utf8"],
)
def test_unreadable_config_files(config_file: Path, setup: object, message: str) -> None:
    setup(config_file)  # type: ignore[operator]
    for args in (
        ("config", "get", "agents"),
        ("config", "set", "agents.defaults.model.primary", "a/b"),
    ):
        result = run_moltbot(*args)
        assert result.code == 3 and message in result.stderr
    if config_file.is_file():
        assert config_file.read_bytes() == b'{ alias: "caf\xe9" }'


def test_unwritable_location_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    result = run_moltbot(
        "--config",
        str(blocker / "moltbot.json"),
        "config",
        "set",
        "agents.defaults.model.primary",
        "a/b",
    )
    assert result.code == 1 and "cannot write" in result.stderr
    assert blocker.read_text() == ""


def test_sixteen_concurrent_writers_all_land(config_file: Path) -> None:
    import subprocess

    write(config_file, COMMENTED)
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "moltbot_cli",
                "config",
                "set",
                f'agents.defaults.models["openrouter/test/model-{n}"].alias',
                f"m{n}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(16)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
    data = json5.loads(config_file.read_text())
    models = data["agents"]["defaults"]["models"]
    assert {entry["alias"] for entry in models.values()} == {f"m{n}" for n in range(16)}
    assert "// keep this one" in config_file.read_text()
    assert run_moltbot("config", "validate", env={"MY_OPENROUTER_KEY": "sk-or-v1-x"}).code == 0


EDITOR_SCRIPT = """import sys, pathlib
path = pathlib.Path(sys.argv[-1])
path.write_text(pathlib.Path({source!r}).read_text())
"""


def make_editor(tmp_path: Path, new_text: str) -> str:
    source = tmp_path / "editor-input.json5"
    source.write_text(new_text)
    script = tmp_path / "editor.py"
    script.write_text(EDITOR_SCRIPT.format(source=str(source)))
    return f"{sys.executable} {script}"


def test_edit_saves_a_valid_result(config_file: Path, tmp_path: Path) -> None:
    write(config_file, COMMENTED)
    new_text = COMMENTED.replace("claude-sonnet-4-5", "claude-opus-4")
    result = run_moltbot("config", "edit", env={"EDITOR": make_editor(tmp_path, new_text)})
    assert result.code == 0, result.stderr
    assert config_file.read_text() == new_text
    assert (config_file.parent / "moltbot.json.bak").read_text() == COMMENTED


def test_edit_never_keeps_a_broken_file(config_file: Path, tmp_path: Path) -> None:
    before = write(config_file, COMMENTED)
    for broken in ("{ agents: ", "{ agents: { defaults: { modle: {} } } }"):
        result = run_moltbot("config", "edit", env={"EDITOR": make_editor(tmp_path, broken)})
        assert result.code == 2, result.stderr
        assert "not valid" in result.stderr and "discarded" in result.stderr
        assert config_file.read_bytes() == before
        kept = config_file.with_name("moltbot.json.rejected-edit")
        assert f"Your edited text is in {kept}." in result.stderr
        assert kept.read_text() == broken


def test_edit_without_changes_and_without_an_editor(config_file: Path, tmp_path: Path) -> None:
    before = write(config_file, COMMENTED)
    same = run_moltbot("config", "edit", env={"EDITOR": make_editor(tmp_path, COMMENTED)})
    assert same.code == 0 and "No changes" in same.stderr
    missing = run_moltbot("config", "edit", env={"EDITOR": "/nonexistent/editor"})
    assert missing.code == 2 and "cannot start the editor" in missing.stderr
    assert config_file.read_bytes() == before


def test_no_command_shows_help_and_version_works() -> None:
    version = run_moltbot("--version")
    assert version.code == 0 and version.stdout.startswith("moltbot ")
    for group in ((), ("models",), ("config",), ("models", "routing")):
        bare = run_moltbot(*group)
        assert bare.code == 0 and bare.stderr == ""
        assert bare.stdout.startswith(f"Usage: moltbot {' '.join(group)}".rstrip())
        assert "Commands:" in bare.stdout


def test_unknown_option_is_a_usage_error() -> None:
    result = run_moltbot("config", "get", "--bogus")
    assert result.code == 2 and "No such option" in result.stderr


def test_config_file_mode_is_kept_private_after_edits(config_file: Path) -> None:
    write(config_file, "{}\n")
    os.chmod(config_file, 0o644)
    assert run_moltbot("config", "set", "agents.defaults.model.primary", "a/b").code == 0
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600


def test_an_alias_stands_for_its_ref_as_default_and_fallback(config_file: Path) -> None:
    write(
        config_file,
        SEEDS[1]
        .read_text()
        .replace(
            'model: { primary: "openrouter/anthropic/claude-sonnet-4-5" }',
            'model: { primary: "claude sonnet", fallbacks: ["GPT-5.2"] }',
        ),
    )
    assert run_moltbot("config", "validate").code == 0
    status = run_moltbot("models", "status", "--plain")
    assert status.stdout.strip() == "openrouter/anthropic/claude-sonnet-4-5"
    refused = run_moltbot("config", "set", "agents.defaults.model.primary", "Claude Opus")
    assert refused.code == 2 and "not a model reference" in refused.stderr


def test_env_references_must_make_a_valid_config_once_filled(config_file: Path) -> None:
    write(config_file, '{ agents: { defaults: { model: { primary: "${MOLTBOT_TEST_MODEL}" } } } }')
    unset = run_moltbot("models", "status", "--plain")
    assert unset.code == 3 and "MOLTBOT_TEST_MODEL" in unset.stderr and "not set" in unset.stderr
    bad = run_moltbot("models", "status", "--plain", env={"MOLTBOT_TEST_MODEL": "not a ref"})
    assert bad.code == 3
    assert "filled in from the environment" in bad.stderr
    assert "agents.defaults.model.primary: not a model reference" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 2
    good = run_moltbot("models", "status", "--plain", env={"MOLTBOT_TEST_MODEL": "openai/gpt-5.2"})
    assert (good.code, good.stdout.strip()) == (0, "openrouter/openai/gpt-5.2")


def test_an_invalid_config_is_reported_in_two_lines(config_file: Path) -> None:
    write(config_file, "{ agents: { defaults: { modle: {}, model: { primary: 1 } } }, extra: 2 }")
    result = run_moltbot("models", "status")
    assert result.code == 3
    first, hint = result.stderr.strip().splitlines()
    assert first.endswith("(and 2 more)") and "config validate" in hint


@pytest.mark.parametrize(
    ("fallbacks", "message"),
    [
        (
            '["openai/gpt-5.2", "openrouter/openai/gpt-5.2"]',
            "fallbacks[1]: same model as fallbacks[0]",
        ),
        ('["openrouter/anthropic/claude-sonnet-4-5"]', "fallbacks[0]: is the default model"),
        ('["Claude Sonnet"]', "fallbacks[0]: is the default model"),
    ],
)
def test_fallbacks_name_other_models_once_each(
    config_file: Path, fallbacks: str, message: str
) -> None:
    before = write(config_file, SEEDS[1].read_text())
    result = run_moltbot("config", "set", "agents.defaults.model.fallbacks", fallbacks)
    assert result.code == 2 and message in result.stderr
    assert config_file.read_bytes() == before


def test_validate_checks_what_the_environment_fills_in(config_file: Path) -> None:
    write(config_file, '{ agents: { defaults: { model: { primary: "${MOLTBOT_TEST_MODEL}" } } } }')
    unset = run_moltbot("config", "validate", "--json")
    (issue,) = json.loads(unset.stdout)["issues"]
    assert unset.code == 3 and "${MOLTBOT_TEST_MODEL}, which is not set" in issue["message"]
    assert (issue["line"], issue["column"]) == (1, 43)
    bad = run_moltbot("config", "validate", env={"MOLTBOT_TEST_MODEL": "nope"})
    assert bad.code == 3 and "(with ${VAR} references filled in)" in bad.stdout
    good = run_moltbot("config", "validate", env={"MOLTBOT_TEST_MODEL": "openai/gpt-5.2"})
    assert good.code == 0 and "is valid" in good.stdout


def test_a_bracket_key_the_shell_unquoted_still_works(config_file: Path) -> None:
    write(config_file, SEEDS[1].read_text())
    result = run_moltbot("config", "get", "agents.defaults.models[openrouter/openai/gpt-5.2].alias")
    assert (result.code, result.stdout) == (0, "GPT-5.2\n")


def test_any_write_to_an_already_broken_file_is_exit_3(config_file: Path) -> None:
    before = write(config_file, "{ agents: { defaults: { modle: {} } } }\n")
    for value in ("gpt", "openai/gpt-5.2"):  # a bad value and a good one alike
        result = run_moltbot("config", "set", "agents.defaults.model.primary", value)
        assert result.code == 3 and "modle" in result.stderr
        assert config_file.read_bytes() == before


def test_an_editor_that_fails_changes_nothing(config_file: Path) -> None:
    before = write(config_file, COMMENTED)
    failing = f'{sys.executable} -c "import sys; sys.exit(3)"'
    result = run_moltbot("config", "edit", env={"EDITOR": failing})
    assert result.code == 1
    assert "the editor exited with status 3; nothing was changed." in result.stderr
    assert config_file.read_bytes() == before
    assert sorted(p.name for p in config_file.parent.iterdir()) == ["moltbot.json"]


def test_an_edit_racing_another_writer_is_kept_aside(config_file: Path, tmp_path: Path) -> None:
    write(config_file, COMMENTED)
    theirs = COMMENTED.replace("claude-sonnet-4-5", "claude-haiku-4-5")
    mine = COMMENTED.replace("claude-sonnet-4-5", "claude-opus-4")
    editor = tmp_path / "racing-editor.py"
    editor.write_text(
        "import pathlib, sys\n"
        f"pathlib.Path({str(config_file)!r}).write_text({theirs!r})\n"
        f"pathlib.Path(sys.argv[-1]).write_text({mine!r})\n"
    )
    result = run_moltbot("config", "edit", env={"EDITOR": f"{sys.executable} {editor}"})
    kept = config_file.with_name("moltbot.json.rejected-edit")
    assert result.code == 1
    assert result.stderr.splitlines() == [
        f"Error: {config_file} changed while you were editing; your edit was not applied.",
        f"Your version is in {kept}; run `moltbot config edit` again.",
    ]
    assert config_file.read_text() == theirs  # the other writer's update survives
    assert kept.read_text() == mine
