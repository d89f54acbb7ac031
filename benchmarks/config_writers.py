"""Concurrent and killed config writers: do updates get lost, do files break?

    python -m benchmarks.config_writers [WRITERS] [KILLS]

Starts WRITERS (default 32) `moltbot config set` processes at once, each adding its own
alias, and counts the ones that did not land; then KILLS (default 60) times starts a
writer, SIGKILLs it at a random moment mid-write, checks that the config and every
backup still parse, and that the next write lands. Prints the counts; all should be 0.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from moltbot_cli.config.document import Document

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    writers = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    kills = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "moltbot.json"
        config.write_text("{}\n")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MOLTBOT_CONFIG_PATH": str(config)}
        command = [sys.executable, "-m", "moltbot_cli", "config", "set"]

        def alias(name: str) -> list[str]:
            return [*command, f'agents.defaults.models["{name}/m"].alias', name]

        processes = [
            subprocess.Popen(
                alias(f"w{i}"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            for i in range(writers)
        ]
        failed = sum(process.wait() != 0 for process in processes)
        landed = len(Document.parse(config.read_text()).data["agents"]["defaults"]["models"])
        print(f"{writers} concurrent writers: {failed} failed, {writers - landed} updates lost")

        broken = lost = 0
        for i in range(kills):
            process = subprocess.Popen(
                alias(f"k{i}"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            time.sleep(random.uniform(0.05, 0.4))
            process.send_signal(signal.SIGKILL)
            process.wait()
            for path in [config, *config.parent.glob("moltbot.json.bak*")]:
                try:
                    Document.parse(path.read_text())
                except Exception:
                    broken += 1
            after = subprocess.run(alias(f"s{i}"), env=env, capture_output=True)
            lost += after.returncode != 0 or f"s{i}/m" not in config.read_text()
        stale = len(list(config.parent.glob(".moltbot.json.*.tmp")))
        print(
            f"{kills} writers killed mid-write: {broken} broken files, {lost} later updates "
            f"lost, {stale} temp files left"
        )


if __name__ == "__main__":
    main()
