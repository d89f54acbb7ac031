"""The user docs stay honest: their config examples are valid, their command lines real.

- Every ```json5 block in docs/*.md and README.md is a config example and must pass the
  project's own config layer (`Document.parse` + the schema), unless an
  `<!-- invalid-example -->` comment right before it marks a deliberate counter-example,
  which must then fail. ```json blocks are output samples: they must be valid JSON
  (`<!-- config-example -->` makes one a config example too).
- Every `moltbot ...` command line in ```bash / ```sh / ```console blocks is parsed by the
  real Typer app, down to the leaf command, without running it: an unknown command, flag
  or missing argument fails. Values the CLI takes as plain strings but accepts only from a
  fixed set (`--key-store`, `--sort`, `--auth-choice`, ...) are checked by the same
  functions the commands use.
- Every command of the app appears in the docs, and every relative link resolves.

Shell lines are read the way a shell would split them: `$ ` prompts dropped (in console
blocks only prompted lines are commands; the rest is output), `\\` continuations joined,
comments cut, pipelines and `&&`/`;` lists split, redirections and `NAME=value` prefixes
dropped, `$(...)` parsed as a command of its own, `$VAR` replaced by a placeholder.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from typer._click.core import Command, Context
from typer._click.exceptions import ClickException
from typer.core import TyperGroup
from typer.exceptions import Exit

from moltbot_cli.app import app
from moltbot_cli.commands import auth_work, chat_work, models_routing_work, onboard_work
from moltbot_cli.commands.config_work import parse_value
from moltbot_cli.config.document import Document, Json5SyntaxError
from moltbot_cli.config.pathexpr import parse_path
from moltbot_cli.config.schema import alias_problem, errors_in
from moltbot_cli.config.store import ConfigStore
from moltbot_cli.console import choose_format
from moltbot_cli.errors import MoltbotError, UsageError
from moltbot_cli.records import fields as fields_of
from moltbot_cli.vocabulary import refs

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
SHELL_LANGS = {"bash", "sh", "shell", "console"}
MARKERS = {"invalid-example", "config-example"}
COMMAND = typer.main.get_command(app)

# -- reading the Markdown -------------------------------------------------------------------

FENCE = re.compile(r"^\s*```\s*([\w+-]*)\s*$")
MARKER = re.compile(r"^\s*<!--\s*([\w-]+)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    file: Path
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    marker: str | None  # an HTML comment on the last non-blank line before the fence

    @property
    def where(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.line}"


def read_blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and not FENCE.match(lines[index]):
            body.append(lines[index])
            index += 1
        index += 1  # the closing fence
        before = next((line for line in reversed(lines[:start]) if line.strip()), "")
        marker = MARKER.match(before)
        found.append(
            Block(
                path,
                start + 1,
                opening.group(1).lower(),
                "\n".join(body) + "\n",
                marker.group(1) if marker else None,
            )
        )
    return found


BLOCKS = [block for path in DOC_FILES for block in read_blocks(path)]


def _ids(items: list[Any]) -> list[str]:
    return [item.where for item in items]


# -- config examples ------------------------------------------------------------------------


def config_problems(text: str) -> list[str]:
    """What the config layer finds wrong with a file holding `text`; [] when it is valid."""
    try:
        document = Document.parse(text)
    except Json5SyntaxError as error:
        return [f"line {error.line}, column {error.column}: {error.message}"]
    # `check` reads nothing from disk: the path only names the file in messages.
    issues = ConfigStore(Path("example.json")).check(document)
    return [issue.describe() for issue in errors_in(issues)]


CONFIG_BLOCKS = [
    block
    for block in BLOCKS
    if block.lang == "json5" or (block.lang == "json" and block.marker is not None)
]
JSON_OUTPUT_BLOCKS = [block for block in BLOCKS if block.lang == "json" and block.marker is None]


def test_the_docs_have_config_examples_of_both_kinds() -> None:
    valid = [block for block in CONFIG_BLOCKS if block.marker != "invalid-example"]
    invalid = [block for block in CONFIG_BLOCKS if block.marker == "invalid-example"]
    assert len(valid) >= 5 and invalid, "the docs lost their config examples"


def test_markers_are_known() -> None:
    unknown = [
        f"{block.where}: <!-- {block.marker} -->"
        for block in BLOCKS
        if block.marker is not None and block.marker not in MARKERS
    ]
    assert not unknown, f"unknown markers (known: {sorted(MARKERS)}): {unknown}"


@pytest.mark.parametrize("block", CONFIG_BLOCKS, ids=_ids(CONFIG_BLOCKS))
def test_config_example(block: Block) -> None:
    problems = config_problems(block.text)
    if block.marker == "invalid-example":
        assert problems, f"{block.where} is marked invalid-example but is a valid config"
    else:
        assert not problems, f"{block.where} is not a valid config:\n" + "\n".join(problems)


@pytest.mark.parametrize("block", JSON_OUTPUT_BLOCKS, ids=_ids(JSON_OUTPUT_BLOCKS))
def test_json_sample_is_json(block: Block) -> None:
    try:
        json.loads(block.text)
    except ValueError as error:
        pytest.fail(f"{block.where} is not valid JSON: {error}")


def test_the_config_check_catches_what_users_get_wrong() -> None:
    assert (
        config_problems('{ agents: { defaults: { model: { primary: "openai/gpt-5.2" } } } }') == []
    )
    assert config_problems("{ agents: { defaults: { modle: {} } } }")
    assert config_problems('{ agents: { defaults: { model: { primary: "sonnet" } } } }')
    assert config_problems("{ agents: { defaults: } }")
    assert config_problems("{ env: {}, env: {} }")  # a duplicated key


# -- command lines --------------------------------------------------------------------------


@dataclass(frozen=True)
class CommandLine:
    file: Path
    line: int
    text: str

    @property
    def where(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.line}"


def shell_lines(block: Block) -> Iterator[CommandLine]:
    """The command lines of a shell block, continuations joined."""
    lines = block.text.splitlines()
    index = 0
    while index < len(lines):
        number = block.line + 1 + index
        text = lines[index].strip()
        index += 1
        if block.lang == "console":
            if not text.startswith("$ "):
                continue  # output
            text = text[2:]
        elif text.startswith("$ "):
            text = text[2:]
        while text.endswith("\\") and index < len(lines):
            text = text[:-1] + " " + lines[index].strip()
            index += 1
        text = strip_comment(text)
        if text:
            yield CommandLine(block.file, number, text)


def strip_comment(text: str) -> str:
    """Cut an unquoted `#` that starts a word, as the shell does."""
    quote: str | None = None
    for position, char in enumerate(text):
        if quote:
            if char == quote:
                quote = None
            elif char == "\\" and quote == '"':
                continue
        elif char in "'\"":
            quote = char
        elif char == "#" and (position == 0 or text[position - 1].isspace()):
            return text[:position].rstrip()
    return text


SUBSTITUTION = re.compile(r"\$\(([^()]*)\)")
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
FD_BEFORE_REDIRECT = re.compile(r"(?<=\s)[0-9](?=[<>])")
CONTROL = {"|", "||", "&&", ";", "&", "(", ")", ";;", "|&"}
REDIRECT = {">", ">>", "<", ">&", "<&", "&>", "&>>", ">|", "<>", "<<<"}
SHELL_WORDS = {"if", "then", "elif", "else", "do", "while", "until", "!", "time", "exec"}
ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def invocations(text: str) -> list[list[str]]:
    """The argument lists of each `moltbot` in a shell line (after the program name)."""
    found: list[list[str]] = []
    while match := SUBSTITUTION.search(text):
        found += invocations(match.group(1))
        text = text[: match.start()] + "SUBSTITUTED" + text[match.end() :]
    text = FD_BEFORE_REDIRECT.sub("", text)
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    segment: list[str] = []
    tokens = iter([*list(lexer), ";"])
    for token in tokens:
        if token in CONTROL:
            found += _moltbot_args(segment)
            segment = []
        elif token in REDIRECT:
            next(tokens, None)  # its target
        else:
            segment.append(VARIABLE.sub(lambda m: f"VALUE-OF-{m.group(1) or m.group(2)}", token))
    return found


def _moltbot_args(words: list[str]) -> list[list[str]]:
    while words and (words[0] in SHELL_WORDS or ASSIGNMENT.match(words[0])):
        words = words[1:]
    if words[:1] == ["moltbot"]:
        return [words[1:]]
    if words[:3] in (["python", "-m", "moltbot_cli"], ["python3", "-m", "moltbot_cli"]):
        return [words[3:]]
    return []


COMMAND_LINES = [
    (line, args)
    for block in BLOCKS
    if block.lang in SHELL_LANGS
    for line in shell_lines(block)
    for args in invocations(line.text)
]

COMPLETION_FLAGS = ("--install-completion", "--show-completion")


def parse(args: list[str]) -> list[Context]:
    """Parse `moltbot ARGS` as the app would, down to the leaf command; run nothing.

    Returns the contexts from the root to the leaf; [] when an eager option (--help,
    --version) would end the run first. Raises the app's own usage errors.
    """
    for flag in COMPLETION_FLAGS:
        if flag in args:
            # Its callback would install a completion script: check the name only.
            assert flag in _option_names(COMMAND), f"{flag} is not an option of moltbot"
            return []
    contexts: list[Context] = []
    command: Command = COMMAND
    name, parent, rest = "moltbot", None, list(args)
    try:
        while True:
            context = command.make_context(name, rest, parent=parent, resilient_parsing=False)
            contexts.append(context)
            if not isinstance(command, TyperGroup):
                return contexts
            rest = [*context._protected_args, *context.args]
            if not rest:
                raise UsageError(f"`moltbot {' '.join(args)}` names no command to run")
            found_name, found, rest = command.resolve_command(context, rest)
            assert found is not None and found_name is not None
            name, command, parent = found_name, found, context
    except Exit as stop:
        assert stop.exit_code == 0
        return []


def _option_names(command: Command) -> set[str]:
    return {name for param in command.params for name in getattr(param, "opts", [])}


# A metavar like `auto|keyring|file` lists the only values the option takes.
CHOICES_METAVAR = re.compile(r"[a-z0-9-]+(?:\|[a-z0-9-]+)+")


def _check_choice_metavars(context: Context) -> None:
    for param in context.command.params:
        value = context.params.get(param.name or "")
        metavar = getattr(param, "metavar", None)
        if isinstance(value, str) and metavar and CHOICES_METAVAR.fullmatch(metavar):
            choices = metavar.split("|")
            if value not in choices:
                raise UsageError(f"{metavar} does not include {value!r}")


def _looks_like_ref_or_alias(text: str) -> None:
    if "/" in text:
        refs.normalize_ref(text)  # raises the app's own error for a malformed ref


def _onboard(params: Mapping[str, Any]) -> None:
    onboard_work.wants_a_key(
        onboard_work.OnboardOptions(
            auth_choice=params["auth_choice"], token_provider=params["token_provider"]
        )
    )
    if params["model"] is not None:
        _looks_like_ref_or_alias(params["model"])


def _routing_set(params: Mapping[str, Any]) -> None:
    fields = {spec.name for spec in fields_of(models_routing_work.RoutingChanges)} - {"unset"}
    changes = models_routing_work.RoutingChanges(
        **{name: params[name] for name in fields}, unset=list(params["unset"] or [])
    )
    models_routing_work.wanted_fields(changes)


def _chat(params: Mapping[str, Any]) -> None:
    chat_work.provider_slugs(params["only"], "--only")
    chat_work.provider_slugs(params["order"], "--order")
    if params["model"] is not None:
        _looks_like_ref_or_alias(params["model"])


def _config_set(params: Mapping[str, Any]) -> None:
    parse_path(params["path"])
    if params["json"]:
        parse_value(params["value"], strict_json=True)


def _aliases_add(params: Mapping[str, Any]) -> None:
    if problem := alias_problem(params["alias"]):
        raise UsageError(f"{params['alias']!r} cannot be an alias: it {problem}")
    _looks_like_ref_or_alias(params["ref"])


# The checks each command makes of its plain-string options before doing anything,
# called here exactly as the commands call them.
VALUE_CHECKS: dict[tuple[str, ...], Callable[[Mapping[str, Any]], object]] = {
    ("onboard",): _onboard,
    ("chat",): _chat,
    ("models", "routing", "set"): _routing_set,
    ("models", "auth", "paste-token"): lambda p: auth_work.check_provider(p["provider"]),
    ("models", "auth", "logout"): lambda p: auth_work.check_provider(p["provider"]),
    ("models", "aliases", "add"): _aliases_add,
    ("config", "set"): _config_set,
    ("config", "get"): lambda p: parse_path(p["path"]),
    ("config", "unset"): lambda p: parse_path(p["path"]),
}


def check_command(args: list[str]) -> None:
    """Fail (with the app's own error) unless `moltbot ARGS` is a command line the app takes."""
    contexts = parse(args)
    if not contexts:
        return
    for context in contexts:
        _check_choice_metavars(context)
    leaf = contexts[-1]
    path = tuple(str(context.info_name) for context in contexts[1:])
    params = leaf.params
    if "json" in params and "plain" in params:
        choose_format(params["json"], params["plain"])
    if isinstance(params.get("ref"), str):
        _looks_like_ref_or_alias(params["ref"])
    check = VALUE_CHECKS.get(path)
    if check is not None:
        check(params)


def _command_ids() -> list[str]:
    return [f"{line.where}: moltbot {' '.join(args)}"[:120] for line, args in COMMAND_LINES]


@pytest.mark.parametrize(("line", "args"), COMMAND_LINES, ids=_command_ids())
def test_command_line_is_real(line: CommandLine, args: list[str]) -> None:
    try:
        check_command(args)
    except (ClickException, MoltbotError) as error:
        message = error.format_message() if isinstance(error, ClickException) else error.message
        pytest.fail(f"{line.where}: `{line.text}` is not a real command line: {message}")


@pytest.mark.parametrize(
    "text",
    [
        "moltbot chat --bogus hi",  # an unknown flag
        "moltbot modles list",  # an unknown command
        "moltbot models set",  # a missing argument
        "moltbot chat --temperature 3 hi",  # out of the option's range
        "moltbot models routing set x/y --sort fastest",  # a choice the command refuses
        "moltbot models routing set x/y --quantizations fp7",
        "moltbot models routing set x/y --unset speed",
        "moltbot models routing set x/y",  # nothing to set
        "moltbot onboard --key-store vault",
        "moltbot onboard --auth-choice password",
        "moltbot onboard --token-provider anthropic",
        "moltbot models auth logout --provider anthropic",
        "moltbot models list --json --plain",
        "moltbot models aliases add ' padded' openai/gpt-5.2",
        "moltbot chat -m openrouter/ hi",
        "moltbot config get 'agents..model'",
        "moltbot config set --json agents.defaults.model.primary hello",
        "moltbot --verbose",  # no command
    ],
)
def test_the_command_check_refuses_what_the_app_refuses(text: str) -> None:
    (args,) = invocations(text)
    with pytest.raises((ClickException, MoltbotError)):
        check_command(args)


def test_the_command_check_accepts_what_the_app_accepts() -> None:
    for text in (
        "moltbot --help",
        "moltbot models routing set --help",
        "moltbot --version",
        "moltbot --config ./x.json -v models routing set sonnet --only a,b --sort price "
        "--data-collection deny --quantizations fp8,bf16 --unset max-price",
        'moltbot onboard --auth-choice apiKey --token-provider openrouter --token "$KEY"',
    ):
        (args,) = invocations(text)
        check_command(args)


def test_shell_lines_are_split_as_a_shell_would() -> None:
    assert invocations('printf %s "$K" | moltbot onboard --token-stdin 2>/dev/null') == [
        ["onboard", "--token-stdin"]
    ]
    assert invocations("if ! moltbot models status --check > /dev/null; then") == [
        ["models", "status", "--check"]
    ]
    assert invocations("A=1 moltbot chat hi < in.txt && moltbot chat --json x | jq .") == [
        ["chat", "hi"],
        ["chat", "--json", "x"],
    ]
    assert invocations('ls "$(moltbot config path)"') == [["config", "path"]]
    assert invocations("echo moltbot; pip install .") == []
    assert strip_comment('moltbot chat "a # b" x#y  # note') == 'moltbot chat "a # b" x#y'


def test_the_docs_have_command_lines() -> None:
    assert len(COMMAND_LINES) >= 50, "the docs lost their command lines"


def _leaf_paths(command: Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if isinstance(command, TyperGroup):
        for name, child in command.commands.items():
            yield from _leaf_paths(child, (*path, name))
    else:
        yield path


def test_every_command_is_shown_in_the_docs() -> None:
    shown = set()
    for _, args in COMMAND_LINES:
        try:
            contexts = parse(args)
        except (ClickException, MoltbotError):
            continue  # test_command_line_is_real reports it
        shown.add(tuple(str(context.info_name) for context in contexts[1:]))
    missing = [" ".join(path) for path in _leaf_paths(COMMAND) if path not in shown]
    assert not missing, f"commands no doc shows: {missing}"


# -- links ----------------------------------------------------------------------------------

LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    anchors = set()
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_code = not in_code
            continue
        heading = HEADING.match(line)
        if heading and not in_code:
            anchors.add(re.sub(r"[^\w\- ]", "", heading.group(1).lower()).replace(" ", "-"))
    return anchors


def _prose(path: Path) -> str:
    """The file without its code blocks, where `](` is code, not a link."""
    kept, in_code = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_code = not in_code
        elif not in_code:
            kept.append(line)
    return "\n".join(kept)


@pytest.mark.parametrize("path", DOC_FILES, ids=[str(p.relative_to(ROOT)) for p in DOC_FILES])
def test_links_resolve(path: Path) -> None:
    broken = []
    for target in LINK.findall(_prose(path)):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists() or (
            anchor and linked.suffix == ".md" and anchor not in _anchors(linked)
        ):
            broken.append(target)
    assert not broken, f"{path.relative_to(ROOT)}: broken links {broken}"
