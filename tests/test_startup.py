"""Start-up stays light: the commands people run most never load the heavy libraries.

Speed itself is measured in benchmarks/, not here; this guards what makes it fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("httpx", "keyring", "rich", "pydantic", "sqlite3")
PROBE = """
import json, sys
heavy = set(json.loads(sys.argv[2]))
sys.argv = ["moltbot", *json.loads(sys.argv[1])]
from moltbot_cli.app import main
try:
    main()
except SystemExit:
    pass
loaded = sorted({name.split(".")[0] for name in sys.modules} & heavy)
print("LOADED:" + json.dumps(loaded), file=sys.__stderr__)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["config", "path"],
        ["config", "get", "agents.defaults.model.primary"],
        ["config", "show"],
        ["config", "validate"],
        ["models", "--help"],
        ["chat", "--help"],
        ["logs", "--help"],
        ["usage", "--help"],
    ],
)
def test_light_commands_import_no_heavy_library(config_file: Path, args: list[str]) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text('{ agents: { defaults: { model: { primary: "openai/gpt-5.2" } } } }\n')
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    (report,) = [line for line in result.stderr.splitlines() if line.startswith("LOADED:")]
    loaded = json.loads(report.removeprefix("LOADED:"))
    assert loaded == [], f"moltbot {' '.join(args)} imported {loaded}"
