"""Speed figures for moltbot, each with its goal: start-up, chat, streaming and growth.

Run from anywhere:

    python benchmarks/bench.py [--runs 7] [--skip-llm] [--newest-typer]

It sets up everything itself, in temporary venvs and directories: moltbot installed
from this checkout as a user gets it (`pip install .`, not editable) with a file
keyring backend (keyrings.alt) that keyring discovers as it would the OS keyring,
`llm` from PyPI, a loopback OpenAI-compatible server, the bare-httpx floor script
(httpx_floor.py) and a bare two-command Typer app, both run by moltbot's own venv so
every side uses the same Python, httpx and Typer. Each comparison runs its commands
alternately, so all sides see the same machine state, and compares medians measured in
the same run: on a shared machine the absolute times move, the ratios much less. Next
to each wall-clock ratio it prints the ratio of CPU time (user + system), which load
moves less still. Every line ends in PASS or MISS against the goal of issue 15 (or
SKIP when a peer is missing). It is not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pty
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCH_KEY = "sk-or-v1-bench-" + "b" * 20
STREAM_CHUNKS = 20_000
FIRST_TOKEN_DELAY_MS = 300
STREAM_SIZES = (2_000, 20_000, 200_000)
CONFIG_SIZES = (500, 2_000, 8_000)
CATALOGUE_SIZES = (300, 3_000, 30_000)
LOG_SIZES = (1_000, 10_000, 100_000)
FILL_LOG = (
    "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import log_bench; "
    "log_bench.fill_log(Path(sys.argv[2]), int(sys.argv[3]))"
)
# Linear or better: the CPU time each unit costs from the smallest size to the largest
# may be at most this many times what it cost from the smallest to the middle.
GROWTH_LIMIT = 1.5

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

Command = tuple[list[str], dict[str, str]]


@dataclass
class Sample:
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    @property
    def peak_median_mib(self) -> float:
        return statistics.median(self.peak_kib) / 1024


# -- running things -------------------------------------------------------------------


def run_once(command: list[str], env: dict[str, str], sample: Sample) -> None:
    """Time one run to its exit, reading stdout through a pipe; record CPU and peak memory."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL
        )
        assert process.stdout is not None
        process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.stdout.close()
        code = os.waitstatus_to_exitcode(status)
        process.returncode = code
        if code != 0:
            errors.seek(0)
            raise SystemExit(
                f"{' '.join(command)} failed ({code}):\n{errors.read().decode()[-2000:]}"
            )
    sample.seconds.append(elapsed)
    sample.cpu.append(usage.ru_utime + usage.ru_stime)
    sample.peak_kib.append(usage.ru_maxrss)


def alternate(
    runs: int,
    commands: dict[str, Command],
    before_each: Callable[[str], None] | None = None,
) -> dict[str, Sample]:
    """Run each command once to warm caches, then `runs` rounds, the commands in turn."""
    samples = {name: Sample() for name in commands}
    for round_ in range(runs + 1):
        for name, (command, env) in commands.items():
            if before_each is not None:
                before_each(name)
            run_once(command, env, samples[name] if round_ else Sample())
    return samples


def first_byte(command: list[str], env: dict[str, str]) -> float:
    """Seconds from start to the first byte on stdout, with stderr on a terminal.

    stderr is a pseudo-terminal, as for a person watching, so moltbot shows (and must
    stop) its spinner; stdout is a pipe the reply streams into.
    """
    controller, terminal = pty.openpty()
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=terminal, stdin=subprocess.DEVNULL
    )
    os.close(terminal)
    assert process.stdout is not None
    out = process.stdout.fileno()
    first: float | None = None
    watched = [out, controller]
    while out in watched:
        for ready in select.select(watched, [], [], 30)[0]:
            try:
                data = os.read(ready, 65536)
            except OSError:  # the terminal's other side closed
                data = b""
            if not data:
                watched.remove(ready)
            elif ready == out and first is None:
                first = time.perf_counter() - start
    process.wait()
    os.close(controller)
    if process.returncode != 0 or first is None:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode})")
    return first


# -- reporting ------------------------------------------------------------------------

results: list[bool] = []


def verdict(label: str, figure: str, goal: str, passed: bool | None) -> None:
    word = "SKIP" if passed is None else ("PASS" if passed else "MISS")
    if passed is not None:
        results.append(passed)
    print(f"{label:<50} {figure:<46} goal {goal:<24} {word}", flush=True)


def ratio(label: str, ours: Sample, theirs: Sample, goal: float, *, memory: bool = False) -> None:
    if memory:
        value = ours.peak_median_mib / theirs.peak_median_mib
        figure = (
            f"{ours.peak_median_mib:6.1f} MiB vs {theirs.peak_median_mib:6.1f} MiB = {value:.2f}×"
        )
    else:
        value = ours.median / theirs.median
        cpu = ours.cpu_median / theirs.cpu_median
        figure = f"{ours.median:6.3f} s vs {theirs.median:6.3f} s = {value:.2f}× (cpu {cpu:.2f}×)"
    verdict(label, figure, f"≤ {goal}×", value <= goal)


def skipped(label: str, why: str) -> None:
    verdict(label, why, "", None)


def growth(label: str, unit: str, sizes: Sequence[int], samples: Sequence[Sample]) -> None:
    """Linear or better: the cost per extra unit must not grow with the size.

    Judged on CPU time (user + system), which a loaded machine inflates far less than
    wall time; both are printed.
    """
    seconds = [sample.cpu_median for sample in samples]
    (small, middle, large), (t_small, t_middle, t_large) = sizes, seconds
    # Both measured from the smallest case, so start-up cancels out, and the largest span
    # is not at the mercy of one noisy middle figure.
    per_middle = (t_middle - t_small) / (middle - small)
    per_large = (t_large - t_small) / (large - small)
    if per_middle <= 0:  # too small to see above the noise: compare whole times instead
        per_middle, per_large = t_middle / middle, t_large / large
    walls = ", ".join(
        f"{size:,} {sample.median:.2f} s (cpu {sample.cpu_median:.2f} s)"
        for size, sample in zip(sizes, samples, strict=True)
    )
    print(f"  {label}: {walls}")
    scale = min(sizes)
    figure = (
        f"cpu per {scale:,} {unit}: {per_middle * scale * 1000:.0f} ms → "
        f"{per_large * scale * 1000:.0f} ms ({per_large / per_middle:.2f}×)"
    )
    verdict(
        f"{label}, growth",
        figure,
        f"≤ {GROWTH_LIMIT}× (linear)",
        per_large <= GROWTH_LIMIT * per_middle,
    )


# -- setting up -----------------------------------------------------------------------


def make_venv(path: Path, *packages: str) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    pip = [str(path / "bin" / "python"), "-m", "pip", "install", "-qq"]
    subprocess.run([*pip, *packages], check=True)
    return path / "bin"


def setup_llm(workdir: Path, base_url: str) -> tuple[Path, dict[str, str]] | None:
    print("Installing llm into a temporary venv ...", file=sys.stderr)
    try:
        bin_dir = make_venv(workdir / "llm-venv", "llm")
    except subprocess.CalledProcessError:
        return None
    user_dir = workdir / "llm-user"
    user_dir.mkdir()
    models = "\n".join(
        f'- model_id: {name}\n  model_name: bench/{name}\n  api_base: "{base_url}"\n  api_key_name: bench'
        for name in ("chunks-1", f"chunks-{STREAM_CHUNKS}")
    )
    (user_dir / "extra-openai-models.yaml").write_text(models + "\n")
    (user_dir / "keys.json").write_text(f'{{"bench": "{BENCH_KEY}"}}')
    return bin_dir / "llm", {"LLM_USER_PATH": str(user_dir)}


def config_with_models(count: int) -> str:
    """A config holding `count` per-model entries, as `moltbot models ...` writes them."""
    models = {
        f"openrouter/vendor{index % 40}/model-{index}": {
            "alias": f"m{index}",
            "params": {"temperature": 0.5, "maxTokens": 1000 + index},
            "compat": {"openRouterRouting": {"only": ["anthropic", "openai"]}},
        }
        for index in range(count)
    }
    config = {
        "agents": {
            "defaults": {"model": {"primary": "openrouter/bench/chunks-1"}, "models": models}
        }
    }
    return "// generated by benchmarks/bench.py\n" + json.dumps(config, indent=2) + "\n"


# -- the benchmarks -------------------------------------------------------------------


@dataclass
class Setup:
    runs: int
    workdir: Path
    base_url: str
    moltbot: str
    python: str
    env: dict[str, str]  # the key in the environment
    keyring_env: dict[str, str]  # the key in the keyring only
    curl: str | None
    llm: tuple[Path, dict[str, str]] | None
    no_llm: str  # why there is no llm, when there is none

    def floor(self, model: str) -> list[str]:
        return [self.python, str(HERE / "httpx_floor.py"), model, "hi"]

    def curl_stream(self, model: str) -> list[str]:
        assert self.curl is not None
        body = json.dumps(
            {"model": model, "stream": True, "messages": [{"role": "user", "content": "hi"}]}
        )
        return [
            self.curl,
            "-sN",
            f"{self.base_url}/chat/completions",
            "-H",
            f"Authorization: Bearer {BENCH_KEY}",
            "-H",
            "Content-Type: application/json",
            "-d",
            body,
        ]


def bench_startup(s: Setup) -> None:
    floor = s.workdir / "typer_floor.py"
    floor.write_text(TYPER_FLOOR)
    samples = alternate(
        s.runs,
        {
            "moltbot": ([s.moltbot, "config", "get", "agents.defaults.model.primary"], s.env),
            "typer": ([s.python, str(floor), "get", "x"], s.env),
        },
    )
    ratio("`config get` / bare two-command Typer app", samples["moltbot"], samples["typer"], 1.23)
    if s.llm is None:
        skipped("`--help` / `llm --help`", s.no_llm)
        return
    llm, llm_env = s.llm
    samples = alternate(
        s.runs,
        {"moltbot": ([s.moltbot, "--help"], s.env), "llm": ([str(llm), "--help"], llm_env)},
    )
    ratio("`--help` / `llm --help`", samples["moltbot"], samples["llm"], 0.11)


def bench_chat(s: Setup) -> None:
    samples = alternate(
        s.runs + 2,
        {
            "keyring": ([s.moltbot, "chat", "hi"], s.keyring_env),
            "env": ([s.moltbot, "chat", "hi"], s.env),
            "no-log": ([s.moltbot, "chat", "--no-log", "hi"], s.keyring_env),
            "floor": (s.floor("bench/chunks-1"), s.env),
        },
    )
    ratio("`chat hi`, key in the keyring / httpx floor", samples["keyring"], samples["floor"], 1.2)
    floor = samples["floor"].median
    print(
        f"  (the same chat: key in the environment {samples['env'].median / floor:.2f}× the "
        f"floor, not logged (--no-log) {samples['no-log'].median / floor:.2f}×; the keyring "
        f"adds {(samples['keyring'].median - samples['env'].median) * 1000:.0f} ms, the call "
        f"log {(samples['keyring'].median - samples['no-log'].median) * 1000:.0f} ms)"
    )
    if s.llm is None:
        skipped("`chat hi` / `llm -m … hi`", s.no_llm)
        return
    llm, llm_env = s.llm
    samples = alternate(
        s.runs,
        {
            "moltbot": ([s.moltbot, "chat", "hi"], s.env),
            "llm": ([str(llm), "-n", "-m", "chunks-1", "hi"], {**s.env, **llm_env}),
        },
    )
    ratio("`chat hi` / `llm -m … hi`", samples["moltbot"], samples["llm"], 0.27)
    ratio("peak memory of that chat / llm's", samples["moltbot"], samples["llm"], 0.7, memory=True)


def bench_first_token(s: Setup) -> None:
    label = f"time to first token − curl's ({FIRST_TOKEN_DELAY_MS} ms model delay)"
    if s.curl is None:
        skipped(label, "curl not found")
        return
    model = f"bench/chunks-20-delay-{FIRST_TOKEN_DELAY_MS}"
    env = {**s.keyring_env, "TERM": "xterm-256color"}
    commands = {
        "moltbot": [s.moltbot, "chat", "-m", model, "hi"],
        "curl": s.curl_stream(model),
        "floor": s.floor(model),
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(s.runs + 1):
        for name, command in commands.items():
            took = first_byte(command, env if name == "moltbot" else s.env)
            if round_:
                times[name].append(took)
    ours, curl, floor = (statistics.median(times[name]) for name in ("moltbot", "curl", "floor"))
    verdict(
        label,
        f"{ours:.3f} s − {curl:.3f} s = {ours - curl:.3f} s (floor {floor - curl:.3f} s)",
        "≤ 0.12 s",
        ours - curl <= 0.12,
    )


def bench_stream(s: Setup) -> None:
    model = f"bench/chunks-{STREAM_CHUNKS}"
    commands: dict[str, Command] = {
        "moltbot": ([s.moltbot, "chat", "-m", model, "hi"], s.env),
        "floor": (s.floor(model), s.env),
    }
    if s.llm is not None:
        llm, llm_env = s.llm
        commands["llm"] = (
            [str(llm), "-n", "-m", f"chunks-{STREAM_CHUNKS}", "hi"],
            {**s.env, **llm_env},
        )
    if s.curl is not None:
        commands["curl"] = (s.curl_stream(model), s.env)
    samples = alternate(s.runs, commands)
    label = f"{STREAM_CHUNKS:,}-chunk stream"
    ratio(f"{label} / the httpx floor loop", samples["moltbot"], samples["floor"], 1.2)
    if "llm" in samples:
        ratio(f"{label} / llm", samples["moltbot"], samples["llm"], 0.08)
    else:
        skipped(f"{label} / llm", s.no_llm)
    if "curl" in samples:
        print(
            f"  (curl -N reads the same stream in {samples['curl'].median:.3f} s: "
            f"{samples['moltbot'].median / samples['curl'].median:.1f}× faster than moltbot; no goal)"
        )


def bench_stream_growth(s: Setup) -> None:
    runs = max(1, s.runs // 2)
    commands = {
        str(size): ([s.moltbot, "chat", "-m", f"bench/chunks-{size}", "hi"], s.env)
        for size in STREAM_SIZES
    }
    samples = alternate(runs, commands)
    growth("stream", "chunks", STREAM_SIZES, [samples[str(size)] for size in STREAM_SIZES])
    small, large = samples[str(STREAM_SIZES[0])], samples[str(STREAM_SIZES[-1])]
    ratio(
        f"peak memory, {STREAM_SIZES[-1]:,} chunks / {STREAM_SIZES[0]:,}",
        large,
        small,
        2.0,
        memory=True,
    )


def bench_config_set(s: Setup) -> None:
    runs = max(1, s.runs // 2)
    directory = s.workdir / "configs"
    directory.mkdir()
    texts = {str(size): config_with_models(size) for size in CONFIG_SIZES}
    paths = {name: directory / f"models-{name}.json" for name in texts}
    commands = {
        name: (
            [
                s.moltbot,
                "--config",
                str(paths[name]),
                "config",
                "set",
                "agents.defaults.model.primary",
                "openrouter/vendor1/model-1",
            ],
            s.env,
        )
        for name in texts
    }

    def fresh(name: str) -> None:  # each run changes the file as it was generated
        paths[name].write_text(texts[name])

    samples = alternate(runs, commands, before_each=fresh)
    growth("`config set`", "models", CONFIG_SIZES, [samples[str(n)] for n in CONFIG_SIZES])
    # The same configs listed: every row looks its model and aliases up in the config.
    for name in texts:
        fresh(name)
    listing = {
        name: ([s.moltbot, "--config", str(paths[name]), "models", "list", "--json"], s.env)
        for name in texts
    }
    samples = alternate(runs, listing)
    growth(
        "`models list` of the configured models",
        "models",
        CONFIG_SIZES,
        [samples[str(n)] for n in CONFIG_SIZES],
    )


def bench_models_list(s: Setup) -> None:
    runs = max(1, s.runs // 2)
    commands = {}
    for size in CATALOGUE_SIZES:
        env = {
            **s.env,
            "MOLTBOT_CACHE_DIR": str(s.workdir / f"cache-{size}"),
            "OPENROUTER_BASE_URL": s.base_url.replace("/api/v1", f"/catalogue-{size}/api/v1"),
        }
        # One fetch fills the cache; the timed runs read it (it stays fresh for an hour).
        subprocess.run(
            [s.moltbot, "models", "list", "--all"], env=env, check=True, capture_output=True
        )
        commands[str(size)] = ([s.moltbot, "models", "list", "--all"], env)
    samples = alternate(runs, commands)
    growth(
        "`models list --all` from the cache",
        "models",
        CATALOGUE_SIZES,
        [samples[str(n)] for n in CATALOGUE_SIZES],
    )


def bench_logs(s: Setup) -> None:
    """`logs list` and `usage` on call logs of 1k/10k/100k calls, filled by log_bench.py."""
    if not (HERE / "log_bench.py").exists():
        skipped("`logs list` / `usage` at 1k/10k/100k calls", "not yet available")
        return
    runs = max(1, s.runs // 2)
    reads: dict[str, dict[str, Command]] = {"`logs list`": {}, "`usage`": {}}
    for size in LOG_SIZES:
        data_dir = s.workdir / f"log-{size}"
        # log_bench.py fills the log with this checkout's own store code, in moltbot's venv.
        subprocess.run([s.python, "-c", FILL_LOG, str(HERE), str(data_dir), str(size)], check=True)
        env = {**s.env, "MOLTBOT_DATA_DIR": str(data_dir)}
        reads["`logs list`"][str(size)] = ([s.moltbot, "logs", "list"], env)
        reads["`usage`"][str(size)] = ([s.moltbot, "usage"], env)
    for label, commands in reads.items():
        samples = alternate(runs, commands)
        growth(label, "calls", LOG_SIZES, [samples[str(n)] for n in LOG_SIZES])


def bench_newest_typer(s: Setup) -> None:
    """`config get` and `--help` with the newest Typer against the pinned one (no goal)."""
    project = HERE.parent
    print("Installing moltbot with the newest Typer into a temporary venv ...", file=sys.stderr)
    try:
        newest = make_venv(s.workdir / "typer-newest-venv", str(project))
        subprocess.run(
            [str(newest / "python"), "-m", "pip", "install", "-qq", "--upgrade", "typer"],
            check=True,
        )
    except subprocess.CalledProcessError:
        skipped("newest Typer / pinned", "could not install the newest Typer")
        return
    version = subprocess.run(
        [str(newest / "python"), "-c", "import typer; print(typer.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    for args in (["config", "get", "agents.defaults.model.primary"], ["--help"]):
        try:
            samples = alternate(
                s.runs,
                {
                    "newest": ([str(newest / "moltbot"), *args], s.env),
                    "pinned": ([s.moltbot, *args], s.env),
                },
            )
        except SystemExit as failed:  # the newest Typer may not run moltbot at all
            lines = str(failed).splitlines()
            said = next((line for line in lines if line.startswith("Error:")), lines[0])
            print(f"  `{' '.join(args[:2])}` with Typer {version}: does not run: {said}")
            continue
        new, pinned = samples["newest"].median, samples["pinned"].median
        print(
            f"  `{' '.join(args[:2])}` with Typer {version}: {new:.3f} s vs {pinned:.3f} s pinned "
            f"(+{(new - pinned) * 1000:.0f} ms, {new / pinned:.2f}×; "
            f"cpu {samples['newest'].cpu_median / samples['pinned'].cpu_median:.2f}×)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (median)")
    parser.add_argument(
        "--skip-llm", action="store_true", help="leave out the comparisons with llm"
    )
    parser.add_argument(
        "--newest-typer", action="store_true", help="also time start-up with the newest Typer"
    )
    options = parser.parse_args()
    began = time.perf_counter()
    load_before = os.getloadavg()

    # The server runs in a process of its own: its threads then compete with nothing in
    # this one, and its memory (200,000 rendered events) is not inherited into the peak
    # memory the kernel reports for the commands started from here.
    server = subprocess.Popen(
        [sys.executable, str(HERE / "loopback_server.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    base_url = server.stdout.readline().strip()
    try:
        run_all(options, base_url)
    finally:
        server.terminate()  # it would also go when its stdin closes with this process
        server.wait()
    missed = results.count(False)
    load_after = os.getloadavg()
    print(
        f"\n{results.count(True)} PASS, {missed} MISS; {options.runs} runs each (growth series "
        f"{max(1, options.runs // 2)}), medians, in {time.perf_counter() - began:.0f} s\n"
        f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
    )


def run_all(options: argparse.Namespace, base_url: str) -> None:
    with tempfile.TemporaryDirectory(prefix="moltbot-bench-") as scratch:
        workdir = Path(scratch)
        config = workdir / "moltbot.json"
        config.write_text(
            '{ agents: { defaults: { model: { primary: "openrouter/bench/chunks-1" } } } }\n'
        )
        print("Installing moltbot into a temporary venv ...", file=sys.stderr)
        bin_dir = make_venv(workdir / "moltbot-venv", str(HERE.parent), "keyrings.alt")
        # As on a user's machine: bytecode cached (pip compiles what it installs), stdout
        # buffered, no keyring named: keyring discovers its backend.
        inherited = {
            name: value
            for name, value in os.environ.items()
            if name
            not in (
                "PYTHONDONTWRITEBYTECODE",
                "PYTHONUNBUFFERED",
                "PYTHON_KEYRING_BACKEND",
                "PYTHONPATH",
            )
            and not name.startswith("MOLTBOT_")
        }
        home = {
            "HOME": str(workdir),
            "XDG_CONFIG_HOME": str(workdir / "config"),
            "XDG_DATA_HOME": str(workdir / "data"),
            "XDG_CACHE_HOME": str(workdir / "cache"),
            # No desktop keyring may answer: the bench's own file keyring holds the key.
            "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent",
        }
        keyring_env = {
            **inherited,
            **home,
            "MOLTBOT_CONFIG_PATH": str(config),
            "MOLTBOT_CACHE_DIR": str(workdir / "cache" / "moltbot"),
            "OPENROUTER_BASE_URL": base_url,
            "NO_COLOR": "1",
        }
        keyring_env.pop("OPENROUTER_API_KEY", None)
        python = str(bin_dir / "python")
        subprocess.run(
            [
                python,
                "-c",
                f"import keyring; keyring.set_password('moltbot', 'openrouter', {BENCH_KEY!r})",
            ],
            env=keyring_env,
            check=True,
        )
        llm = None if options.skip_llm else setup_llm(workdir, base_url)
        no_llm = "skipped (--skip-llm)" if options.skip_llm else "llm could not be installed"
        setup = Setup(
            runs=options.runs,
            workdir=workdir,
            base_url=base_url,
            moltbot=str(bin_dir / "moltbot"),
            python=python,
            env={**keyring_env, "OPENROUTER_API_KEY": BENCH_KEY},
            keyring_env=keyring_env,
            curl=shutil.which("curl"),
            llm=llm,
            no_llm=no_llm,
        )
        print(f"{'':<50} {'moltbot vs the other, medians':<46} {'goal':<29} verdict")
        for section in (
            bench_startup,
            bench_chat,
            bench_first_token,
            bench_stream,
            bench_stream_growth,
            bench_config_set,
            bench_models_list,
            bench_logs,
        ):
            section(setup)
        if options.newest_typer:
            bench_newest_typer(setup)


if __name__ == "__main__":
    main()
