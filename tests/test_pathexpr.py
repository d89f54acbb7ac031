"""The config path syntax: what users type after `moltbot config get/set`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moltbot_cli.config.pathexpr import Path, PathSyntaxError, format_path, parse_path

PROPERTY = settings(max_examples=200, deadline=None)

# Keys built from the characters the syntax gives a meaning to, so they turn up often.
tricky_keys = st.text(alphabet=st.sampled_from(list(".[]\"'\\/ \t\n$_aZ9é\u2028\x00")), max_size=8)
segments = st.one_of(st.text(), tricky_keys, st.integers(min_value=0))
paths = st.lists(segments, max_size=6).map(tuple)


@PROPERTY
@given(paths)
def test_format_then_parse_is_identity(path: Path) -> None:
    assert parse_path(format_path(path)) == path


@PROPERTY
@given(st.text())
def test_any_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        path = parse_path(text)
    except PathSyntaxError as error:
        assert 0 <= error.position <= len(text)
        assert repr(text) in error.message
        return
    assert parse_path(format_path(path)) == path


@PROPERTY
@given(
    st.lists(st.from_regex(r"[A-Za-z_$][A-Za-z0-9_$]{0,8}", fullmatch=True), min_size=1, max_size=5)
)
def test_identifier_keys_are_written_with_dots(keys: list[str]) -> None:
    assert format_path(tuple(keys)) == ".".join(keys)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("", ()),
        ("agents.defaults.model.primary", ("agents", "defaults", "model", "primary")),
        (
            'agents.defaults.models["openrouter/openai/gpt-5.2"].alias',
            ("agents", "defaults", "models", "openrouter/openai/gpt-5.2", "alias"),
        ),
        ("models['a.b'][0].name", ("models", "a.b", 0, "name")),
        ("[2][0]", (2, 0)),
        (r'["tab\there"]', ("tab\there",)),
        (r'["\u00e9\"\\"]', ('é"\\',)),
    ],
)
def test_examples(text: str, path: Path) -> None:
    assert parse_path(text) == path


@pytest.mark.parametrize(
    ("text", "path"),
    [
        # What bash leaves of agents.defaults.models["openrouter/openai/gpt-5.2"].alias
        (
            "agents.defaults.models[openrouter/openai/gpt-5.2].alias",
            ("agents", "defaults", "models", "openrouter/openai/gpt-5.2", "alias"),
        ),
        ("a[x]", ("a", "x")),
        # Only ASCII digits make an index; other scripts' digits are a key.
        ("a[\u0663]", ("a", "\u0663")),
        ("a[12]", ("a", 12)),
    ],
)
def test_unquoted_bracket_keys(text: str, path: Path) -> None:
    assert parse_path(text) == path


@pytest.mark.parametrize(
    ("text", "position"),
    [
        (".a", 0),
        ("a.", 2),
        ("a..b", 2),
        ("a[", 2),
        ("a[1", 3),
        ('a["b', 4),
        (r'a["\q"]', 4),
        ("a b", 1),
        # Too long to be an index; int() would refuse it with a ValueError.
        ("a[" + "1" * 5000 + "]", 2),
    ],
)
def test_syntax_errors_point_at_the_problem(text: str, position: int) -> None:
    with pytest.raises(PathSyntaxError) as caught:
        parse_path(text)
    assert caught.value.position == position
