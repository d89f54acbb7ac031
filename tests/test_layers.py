"""The layers point one way.

vocabulary/ (refs, routing and parameter names) at the bottom; config/ above it; the
wire client openrouter/ beside config/ and knowing nothing of it; the request layer
and the call log above both; the commands on top. Checked on the source (every
`import`, including the lazy ones inside functions and under TYPE_CHECKING), and the
whole path is followed: a module may not reach a forbidden layer through a helper.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "moltbot_cli"

# layer → the layers it must never reach, directly or through anything it imports.
FORBIDDEN: dict[str, set[str]] = {
    "vocabulary": {"config", "openrouter", "request", "calllog", "commands", "credentials"},
    "config": {"openrouter", "request", "calllog", "commands"},
    "openrouter": {"config", "request", "calllog", "commands", "credentials"},
    "request": {"commands"},
    "calllog": {"commands"},
}
# Leaf modules any layer may use.
SHARED = {"errors", "files", "masking", "paths", "__init__"}


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path = PACKAGE) -> Iterator[str]:
    """Every moltbot_cli module the file imports, anywhere in it."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            yield source
            # `from moltbot_cli.vocabulary import refs` imports the module `refs`.
            yield from (f"{source}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {
        name: {found for found in imported_modules(path) if found in files and found != name}
        for name, path in files.items()
    }


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def path_to_forbidden(
    graph: dict[str, set[str]], start: str, forbidden: set[str]
) -> list[str] | None:
    """The import chain from `start` into a forbidden layer, if there is one."""
    came_from: dict[str, str | None] = {start: None}
    queue = [start]
    while queue:
        current = queue.pop(0)
        if layer(current) in forbidden:
            chain = [current]
            while (previous := came_from[chain[-1]]) is not None:
                chain.append(previous)
            return chain[::-1]
        for target in sorted(graph[current]):
            if target not in came_from:
                came_from[target] = current
                queue.append(target)
    return None


GRAPH = import_graph()


@pytest.mark.parametrize(
    "module", sorted(name for name in GRAPH if layer(name) in FORBIDDEN), ids=str
)
def test_module_stays_in_its_layer(module: str) -> None:
    chain = path_to_forbidden(GRAPH, module, FORBIDDEN[layer(module)])
    assert chain is None, "layering broken: " + " → ".join(chain or [])


def test_vocabulary_imports_only_the_shared_leaves() -> None:
    for module, targets in GRAPH.items():
        if layer(module) == "vocabulary":
            above = {target for target in targets if layer(target) not in {"vocabulary", *SHARED}}
            assert not above, f"{module} imports {sorted(above)}"


def test_the_checker_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    source = tmp_path / "moltbot_cli" / "openrouter" / "thing.py"
    source.parent.mkdir(parents=True)
    source.write_text(
        "def later():\n"
        "    from moltbot_cli.config import settings\n"
        "    from ..commands import chat_work\n"
        "    import moltbot_cli.request.body\n"
    )
    found = set(imported_modules(source, tmp_path / "moltbot_cli"))
    assert {
        "moltbot_cli.config.settings",
        "moltbot_cli.commands.chat_work",
        "moltbot_cli.request.body",
    } <= found


def test_the_chain_names_the_helper_in_between() -> None:
    graph = {
        "moltbot_cli.openrouter.a": {"moltbot_cli.helper"},
        "moltbot_cli.helper": {"moltbot_cli.config.settings"},
        "moltbot_cli.config.settings": set(),
    }
    assert path_to_forbidden(graph, "moltbot_cli.openrouter.a", {"config"}) == [
        "moltbot_cli.openrouter.a",
        "moltbot_cli.helper",
        "moltbot_cli.config.settings",
    ]


def test_importing_the_wire_client_loads_no_config_or_commands() -> None:
    """The same rule at run time: what Python actually loads."""
    probe = (
        "import sys, moltbot_cli.openrouter.client, moltbot_cli.openrouter.catalogue, "
        "moltbot_cli.openrouter.errors, moltbot_cli.openrouter.sse\n"
        "print(sorted(m for m in sys.modules if m.split('.')[1:2] and "
        "m.split('.')[0] == 'moltbot_cli' and m.split('.')[1] in "
        "('config', 'commands', 'request', 'calllog')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
