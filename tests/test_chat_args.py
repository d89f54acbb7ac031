"""The quick reading of `moltbot chat ...` (commands/chat_args.py) agrees with Typer's.

A chat line is read without Typer when it can be; whenever the quick reading accepts a
line, the Typer command must build the very same ChatCommand from it (and the same
config, verbosity and output format), and every line it declines still works through
Typer. Typer's reading is captured at run_chat, the one function both hand over to.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.core import TyperOption as Option

from moltbot_cli import root
from moltbot_cli.app import hoist_global_options
from moltbot_cli.commands import chat_args, chat_work
from tests.support.cli import run_moltbot
from tests.support.fake_openrouter import (
    TEST_KEY,
    FakeOpenRouter,
    fake_openrouter_fixture,  # noqa: F401
)


def chat_options() -> list[Option]:
    group = root.typer.main.get_command(root.build_app())
    command = group.commands["chat"]  # type: ignore[attr-defined]
    return [param for param in command.params if isinstance(param, Option)]


def typer_reading(args: list[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """What the Typer command hands run_chat for `args`; the exception when it refuses."""
    seen: list[Any] = []

    def capture(app: Any, out: Any, command: Any) -> None:
        seen.append((app.config_override, app.verbose, out.is_json, command))

    with monkeypatch.context() as patch:
        patch.setattr(chat_work, "run_chat", capture)
        try:
            root.run(list(args))
        except Exception as error:  # a usage error: Typer refused the line
            return type(error).__name__
    return seen[0] if seen else "nothing ran"


def quick_reading(args: list[str]) -> Any:
    quick = chat_args.parse(args)
    return None if quick is None else (quick.config, quick.verbose, quick.json, quick.command)


# -- the tables match the Typer command --------------------------------------------------


def test_every_chat_option_is_known_to_the_quick_reading_and_nothing_else() -> None:
    known = {
        **chat_args.FLAGS,
        **chat_args.TEXT,
        **chat_args.REPEATED,
        **chat_args.PAIRS,
        **{name: number.name for name, number in chat_args.NUMBERS.items()},
    }
    spelled: dict[str, str] = {}
    for option in chat_options():
        for name in (*option.opts, *option.secondary_opts):
            spelled[name] = option.name or ""
    assert known == spelled


def test_each_option_is_read_as_typer_reads_it() -> None:
    for option in chat_options():
        if option.name is None:
            continue
        name, first = option.name, option.opts[0]
        assert chat_args.DEFAULTS[name] == (None if option.multiple else option.default), name
        if option.is_flag:
            assert first in chat_args.FLAGS
        elif option.multiple and option.nargs == 2:
            assert first in chat_args.PAIRS
        elif option.multiple:
            assert first in chat_args.REPEATED
        elif option.type.name in ("int range", "float range"):
            number = chat_args.NUMBERS[first]
            kind = int if option.type.name == "int range" else float
            low, high = option.type.min, option.type.max  # type: ignore[attr-defined]
            assert (number.kind, number.low, number.high) == (kind, low, high), first
            assert not option.type.min_open and not option.type.max_open  # type: ignore[attr-defined]
        else:
            assert option.type.name == "str", first
            assert first in chat_args.TEXT


# -- the readings agree --------------------------------------------------------------------

OPTION_NAMES = sorted(
    {
        *chat_args.FLAGS,
        *chat_args.TEXT,
        *chat_args.REPEATED,
        *chat_args.PAIRS,
        *chat_args.NUMBERS,
    }
)
ODD = [
    "--json=1", "--model=x", "--model=", "--temperature=1.5", "--retries=21", "-mfoo",
    "--mod", "--help", "-h", "--", "-", "", "-1", "--bogus", "-nc", "--timeout=0.05",
    "--config", "-v", "--version", "chat",
]  # fmt: skip
VALUES = ["0", "1", "2", "2.5", "0.1", "0.05", "1e3", "nan", "007", "1.", "20", "21", "x y"]
TOKENS = st.one_of(
    st.sampled_from(OPTION_NAMES),
    st.sampled_from(ODD),
    st.sampled_from(VALUES),
    st.text(alphabet="ab -=.é", max_size=6),
)
GLOBALS = st.sampled_from([[], ["-v"], ["--config", "x.json"], ["--config=y.json", "-v"]])


@settings(max_examples=400, deadline=None)
@given(before=GLOBALS, tokens=st.lists(TOKENS, max_size=8), after=GLOBALS)
def test_a_line_read_quickly_is_read_the_same_by_typer(
    before: list[str], tokens: list[str], after: list[str]
) -> None:
    args = hoist_global_options([*before, "chat", *tokens, *after])
    quick = quick_reading(args)
    if quick is None:
        return  # Typer reads it, as before
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert typer_reading(args, monkeypatch) == quick


@pytest.mark.parametrize(
    "line",
    [
        "chat hi",
        "chat -m openrouter/a/b --json --usage hello there",
        "--config c.json -v chat -s be-brief --temperature 0.7 --max-tokens 50 hi",
        "chat --model=x --only a,b --order b -n -c --no-log --web --strict q",
        "chat -o top_p 0.9 -o stop [1] -a one.png --attach=- --retries 0 --timeout 2.5 q",
        "chat --reasoning-effort high --reasoning-max-tokens 100 --hide-reasoning --pdf-engine native --schema 'a, b int' q",
        "chat q -- --json -m",
        "chat",
    ],
)
def test_common_lines_are_read_quickly_and_the_same(
    line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shlex

    args = hoist_global_options(shlex.split(line))
    quick = quick_reading(args)
    assert quick is not None
    assert typer_reading(args, monkeypatch) == quick


@pytest.mark.parametrize(
    "line",
    [
        "chat --help",
        "chat -h",
        "--help chat",
        "chat --temperature 3 hi",
        "chat --temperature 1e0 hi",
        "chat --retries -1 hi",
        "chat --mod x hi",
        "chat -mx hi",
        "chat -m",
        "chat -o top_p",
        "chat --json=yes hi",
        "chat -s -terse hi",
        "--version chat",
        "models list",
        "chta hi",
    ],
)
def test_anything_unusual_is_left_to_typer(line: str) -> None:
    import shlex

    assert chat_args.parse(hoist_global_options(shlex.split(line))) is None


def test_typers_own_errors_still_answer_what_the_quick_reading_declines(
    fake_openrouter: FakeOpenRouter,
) -> None:
    result = run_moltbot("chat", "--temperature", "3", "hi", env={"OPENROUTER_API_KEY": TEST_KEY})
    assert result.code == 2
    assert "Invalid value for '--temperature': 3.0 is not in the range 0.0<=x<=2.0" in result.stderr
    assert fake_openrouter.chat_bodies() == []


def test_a_chat_read_either_way_sends_the_same_request(fake_openrouter: FakeOpenRouter) -> None:
    env = {"OPENROUTER_API_KEY": TEST_KEY}
    model = "openrouter/anthropic/claude-sonnet-4-5"
    quick = run_moltbot("chat", "-m", model, "--max-tokens", "50", "hi", env=env)
    # `--max-tokens=050`: the same request, but a form only Typer reads.
    typer = run_moltbot("chat", "-m", model, "--max-tokens", "050", "hi", env=env)
    assert chat_args.parse(["chat", "--max-tokens", "050"]) is not None  # 050 is plain
    slow = run_moltbot("chat", "-m", model, "--max-tokens=50", "--", "hi", env=env)
    assert quick.code == typer.code == slow.code == 0
    assert quick.stdout == typer.stdout == slow.stdout
    bodies = fake_openrouter.chat_bodies()
    assert len(bodies) == 3
    assert json.dumps(bodies[0], sort_keys=True) == json.dumps(bodies[2], sort_keys=True)
