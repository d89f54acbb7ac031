"""The README's two set-up commands: they work on a fresh Debian/Ubuntu (PEP 668), and CI
runs the test command exactly as written."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def section_commands(heading: str) -> list[str]:
    """The lines of the bash blocks under a `## heading`."""
    section = README.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_ci_runs_the_readme_test_command_exactly() -> None:
    (command,) = section_commands("Test it")
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert command in ci_lines


def test_every_pip_install_goes_into_a_virtual_environment() -> None:
    """A bare `pip install .` fails on an externally managed system Python."""
    for heading in ("Use it", "Test it"):
        for line in section_commands(heading):
            if "pip install" in line:
                assert line.startswith("python3 -m venv "), line
                assert not re.search(r"(^|&& )pip install", line.split("&&", 1)[0]), line


def test_the_install_command_ends_in_onboard() -> None:
    first = section_commands("Use it")[0]
    assert first.endswith("moltbot onboard")
