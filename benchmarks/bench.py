"""Start-up, chat and streaming figures for moltbot against `llm`, curl and a bare Typer app.

Run from anywhere:

    python benchmarks/bench.py [--runs 7] [--skip-llm]

It sets up everything itself, in temporary venvs: moltbot installed from this checkout
as a user gets it (`pip install .`, not editable), `llm` from PyPI, a loopback
OpenAI-compatible server, and a bare two-command Typer app as the start-up floor, run
by moltbot's own venv so both use the same Python and Typer. Each
pair runs alternately, so both sides see the same machine state; it prints medians,
ratios and the targets from the issue. It is not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import loopback_server

BENCH_KEY = "sk-or-v1-bench-" + "b" * 20
STREAM_CHUNKS = 20_000

TYPER_FLOOR = """import typer
app = typer.Typer()

@app.command()
def get(path: str) -> None:
    print(path)

@app.command()
def other() -> None:
    pass

app()
"""


@dataclass
class Sample:
    seconds: list[float] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak_median_mib(self) -> float:
        return statistics.median(self.peak_kib) / 1024


def run_once(command: list[str], env: dict[str, str], sample: Sample) -> None:
    """Time one run to its exit, reading stdout through a pipe; record its peak memory."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    assert process.stdout is not None and process.stderr is not None
    output = process.stdout.read()
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 or not output:
        raise SystemExit(
            f"{' '.join(command)} failed ({process.returncode}):\n{errors.decode()[-2000:]}"
        )
    sample.seconds.append(elapsed)
    sample.peak_kib.append(usage.ru_maxrss)


def alternate(
    runs: int, commands: dict[str, tuple[list[str], dict[str, str]]]
) -> dict[str, Sample]:
    samples = {name: Sample() for name in commands}
    for command, env in commands.values():  # one warm-up each: disk caches, .pyc files
        run_once(command, env, Sample())
    for _ in range(runs):
        for name, (command, env) in commands.items():
            run_once(command, env, samples[name])
    return samples


def setup_moltbot(workdir: Path) -> tuple[str, Path]:
    venv = workdir / "moltbot-venv"
    print("Installing moltbot into a temporary venv ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    project = Path(__file__).resolve().parent.parent
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", str(project)], check=True)
    return str(venv / "bin" / "moltbot"), venv / "bin" / "python"


def setup_llm(workdir: Path, base_url: str) -> tuple[Path, dict[str, str]]:
    venv = workdir / "llm-venv"
    print("Installing llm into a temporary venv ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "llm"], check=True)
    user_dir = workdir / "llm-user"
    user_dir.mkdir()
    models = "\n".join(
        f'- model_id: {name}\n  model_name: bench/{name}\n  api_base: "{base_url}"\n  api_key_name: bench'
        for name in ("chunks-1", f"chunks-{STREAM_CHUNKS}")
    )
    (user_dir / "extra-openai-models.yaml").write_text(models + "\n")
    (user_dir / "keys.json").write_text(f'{{"bench": "{BENCH_KEY}"}}')
    return venv / "bin" / "llm", {"LLM_USER_PATH": str(user_dir)}


def ratio_line(label: str, ours: float, theirs: float, target: float, unit: str = "s") -> str:
    ratio = ours / theirs
    verdict = "meets" if ratio <= target else "MISSES"
    return f"{label:<44} {ours:8.3f}{unit} vs {theirs:8.3f}{unit}  ratio {ratio:5.2f} (target ≤ {target}) {verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip-llm", action="store_true", help="only the comparisons without llm")
    options = parser.parse_args()

    server, base_url = loopback_server.start()
    with tempfile.TemporaryDirectory(prefix="moltbot-bench-") as scratch:
        workdir = Path(scratch)
        config = workdir / "moltbot.json"
        config.write_text(
            '{ agents: { defaults: { model: { primary: "openrouter/bench/chunks-1" } } } }\n'
        )
        floor = workdir / "floor.py"
        floor.write_text(TYPER_FLOOR)
        # As on a user's machine: bytecode cached (pip compiles what it installs), stdout buffered.
        inherited = {
            name: value
            for name, value in os.environ.items()
            if name not in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")
        }
        moltbot, python = setup_moltbot(workdir)
        env = {
            **inherited,
            "MOLTBOT_CONFIG_PATH": str(config),
            "MOLTBOT_CACHE_DIR": str(workdir / "cache"),
            "OPENROUTER_BASE_URL": base_url,
            "OPENROUTER_API_KEY": BENCH_KEY,
            "HOME": str(workdir),
            "NO_COLOR": "1",
        }

        floor_samples = alternate(
            options.runs,
            {
                "moltbot config get": (
                    [moltbot, "config", "get", "agents.defaults.model.primary"],
                    env,
                ),
                "typer floor": ([str(python), str(floor), "get", "x"], env),
            },
        )
        print(
            ratio_line(
                "moltbot config get / bare Typer app",
                floor_samples["moltbot config get"].median,
                floor_samples["typer floor"].median,
                1.3,
            )
        )

        stream_url = f"{base_url}/chat/completions"
        stream_body = (
            f'{{"model": "bench/chunks-{STREAM_CHUNKS}", "stream": true, '
            '"messages": [{"role": "user", "content": "hi"}]}'
        )
        curl = [
            "curl",
            "-sN",
            stream_url,
            "-H",
            f"Authorization: Bearer {BENCH_KEY}",
            "-H",
            "Content-Type: application/json",
            "-d",
            stream_body,
        ]
        our_stream = [moltbot, "chat", "-m", f"bench/chunks-{STREAM_CHUNKS}", "hi"]

        if options.skip_llm:
            samples = alternate(options.runs, {"moltbot": (our_stream, env), "curl": (curl, env)})
            print(
                ratio_line(
                    f"{STREAM_CHUNKS}-chunk stream: moltbot / curl -N",
                    samples["moltbot"].median,
                    samples["curl"].median,
                    2.5,
                )
            )
        else:
            llm, llm_env_extra = setup_llm(workdir, base_url)
            llm_env = {**env, **llm_env_extra}
            samples = alternate(
                options.runs,
                {"moltbot": ([moltbot, "--help"], env), "llm": ([str(llm), "--help"], llm_env)},
            )
            print(
                ratio_line(
                    "moltbot --help / llm --help",
                    samples["moltbot"].median,
                    samples["llm"].median,
                    0.3,
                )
            )
            samples = alternate(
                options.runs,
                {
                    "moltbot": ([moltbot, "chat", "hi"], env),
                    "llm": ([str(llm), "-n", "-m", "chunks-1", "hi"], llm_env),
                },
            )
            print(
                ratio_line(
                    "moltbot chat hi / llm (loopback)",
                    samples["moltbot"].median,
                    samples["llm"].median,
                    0.4,
                )
            )
            print(
                ratio_line(
                    "peak memory of a chat: moltbot / llm",
                    samples["moltbot"].peak_median_mib,
                    samples["llm"].peak_median_mib,
                    0.7,
                    unit="M",
                )
            )
            samples = alternate(
                options.runs,
                {
                    "moltbot": (our_stream, env),
                    "llm": ([str(llm), "-n", "-m", f"chunks-{STREAM_CHUNKS}", "hi"], llm_env),
                    "curl": (curl, env),
                },
            )
            print(
                ratio_line(
                    f"{STREAM_CHUNKS}-chunk stream: moltbot / llm",
                    samples["moltbot"].median,
                    samples["llm"].median,
                    0.15,
                )
            )
            print(
                ratio_line(
                    f"{STREAM_CHUNKS}-chunk stream: moltbot / curl -N",
                    samples["moltbot"].median,
                    samples["curl"].median,
                    2.5,
                )
            )
        server.shutdown()
    print(
        f"\n{options.runs} runs each, medians; {platform.platform()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )


if __name__ == "__main__":
    main()
