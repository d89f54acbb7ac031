"""Call-log figures: `logs list` and `usage` on 1k/10k/100k logged calls, and what logging
adds to a chat (logged against `--no-log`, in the same run, against the loopback server).

Run alone from anywhere:

    python benchmarks/log_bench.py [--runs 7] [--sizes 1000,10000,100000]

or from another benchmark: `log_figures(moltbot_command, env, runs=...)` returns the lines
to print. `moltbot_command` is how to start moltbot (e.g. `["/venv/bin/moltbot"]`); the
log is filled with this checkout's own store code, so both must be the same version.
It is not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(Path(__file__).parent))

import loopback_server  # noqa: E402

from moltbot_cli.calllog.record import CallRecord  # noqa: E402
from moltbot_cli.calllog.store import LOG_FILENAME, CallLog  # noqa: E402

BENCH_KEY = "sk-or-v1-bench-" + "b" * 20
SIZES = (1_000, 10_000, 100_000)
MODELS = (
    ("openrouter/anthropic/claude-sonnet-4-5", "anthropic/claude-sonnet-4-5", "Anthropic"),
    ("openrouter/openai/gpt-5.2", "openai/gpt-5.2", "OpenAI"),
    ("openrouter/google/gemini-2.5-flash", "google/gemini-2.5-flash", "Google Vertex"),
    ("openrouter/deepseek/deepseek-chat-v3.1", "deepseek/deepseek-chat-v3.1", "DeepInfra"),
)
WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "models",
    "answer",
    "questions",
    "about",
    "code",
]


def synthetic_calls(count: int, *, days: int = 90, seed: int = 12) -> list[CallRecord]:
    """`count` calls spread over `days`, in conversations of a few turns, with real-sized text."""
    rng = random.Random(seed)
    # A few dozen texts, reused: making 100,000 distinct ones would time Python, not SQLite.
    prompts = [" ".join(rng.choices(WORDS, k=40)) for _ in range(50)]
    replies = [" ".join(rng.choices(WORDS, k=160)) for _ in range(50)]
    now = time.time()
    records = []
    conversation = "bench0000000"
    for index in range(count):
        if index % 4 == 0:
            conversation = f"bench{index:07d}"
        asked, served, provider = MODELS[index % len(MODELS)]
        prompt, reply = prompts[index % 50], replies[(index * 7) % 50]
        prompt_tokens, completion_tokens = 60 + index % 500, 200 + index % 900
        records.append(
            CallRecord(
                conversation_id=conversation,
                started=now - days * 86400 * (count - index) / count,
                model_asked=asked,
                model_served=served,
                provider=provider,
                routing={"only": [provider.lower()]} if index % 3 == 0 else None,
                params={"temperature": 0.7},
                system="You are terse." if index % 5 == 0 else None,
                prompt=prompt,
                reply=reply,
                exit_code=7 if index % 97 == 0 else 0,
                finish_reason="stop",
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                cached_tokens=0,
                reasoning_tokens=0,
                cost=prompt_tokens * 3e-6 + completion_tokens * 15e-6,
                generation_id=f"gen-{index:020d}",
                first_token_seconds=0.4,
                duration_seconds=2.5,
            )
        )
    return records


def fill_log(data_dir: Path, count: int) -> Path:
    """A fresh log of `count` calls in `data_dir`; its path."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOG_FILENAME
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    log = CallLog.open(path)
    assert log is not None
    with log:
        batch = 10_000
        for start in range(0, count, batch):
            log.add_many(synthetic_calls(min(batch, count - start), seed=start))
        log.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def median_seconds(command: list[str], env: dict[str, str], runs: int) -> float:
    """The median wall time of `runs` runs to exit, after one warm-up run."""
    times = []
    for attempt in range(runs + 1):
        start = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, stdin=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            raise SystemExit(
                f"{' '.join(command)} failed ({result.returncode}): {result.stderr.decode()[-800:]}"
            )
        if attempt:
            times.append(elapsed)
    return statistics.median(times)


def alternating_medians(
    commands: dict[str, list[str]], env: dict[str, str], runs: int
) -> dict[str, float]:
    """Medians of commands run in turn, so each sees the same machine state."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for attempt in range(runs + 1):
        for name, command in commands.items():
            start = time.perf_counter()
            result = subprocess.run(command, env=env, capture_output=True, stdin=subprocess.DEVNULL)
            elapsed = time.perf_counter() - start
            if result.returncode != 0:
                raise SystemExit(
                    f"{' '.join(command)} failed ({result.returncode}): "
                    f"{result.stderr.decode()[-800:]}"
                )
            if attempt:
                times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}


class _Lines(list[str]):
    """The figures so far; each also goes to `emit` as it is measured (a long run shows progress)."""

    def __init__(self, emit: Callable[[str], None] | None) -> None:
        super().__init__()
        self.emit = emit

    def append(self, line: str) -> None:
        super().append(line)
        if self.emit is not None:
            self.emit(line)


def query_seconds(path: Path, runs: int) -> dict[str, float]:
    """The SQLite work of `logs list` and `usage` without the process around it."""
    queries = {
        "recent(20)": lambda log: log.recent(20),
        "recent(20, model)": lambda log: log.recent(20, models=["openai/gpt-5.2"]),
        "usage(30d, by model)": lambda log: log.usage(time.time() - 30 * 86400, "model"),
        "usage(all, by day)": lambda log: log.usage(None, "day"),
    }
    figures = {}
    log = CallLog.open(path)
    assert log is not None
    with log:
        for label, query in queries.items():
            times = []
            for _ in range(runs + 1):
                start = time.perf_counter()
                query(log)
                times.append(time.perf_counter() - start)
            figures[label] = statistics.median(times[1:])
    return figures


def log_figures(
    moltbot: list[str],
    env: dict[str, str],
    *,
    runs: int = 5,
    sizes: tuple[int, ...] = SIZES,
    base_url: str | None = None,
    emit: Callable[[str], None] | None = None,
) -> list[str]:
    """The lines to print: read commands per log size, then the chat overhead of logging.

    `env` must point MOLTBOT_DATA_DIR at a scratch dir (it is filled and emptied here) and,
    for the chat figures, OPENROUTER_BASE_URL at a loopback server (or pass `base_url`).
    """
    data_dir = Path(env["MOLTBOT_DATA_DIR"])
    lines = _Lines(emit)
    reads = {
        "logs list": [*moltbot, "logs", "list"],
        "logs list --json -n 100": [*moltbot, "logs", "list", "--json", "-n", "100"],
        "logs list --model": [*moltbot, "logs", "list", "--model", "openai/gpt-5.2"],
        "usage --since 30d": [*moltbot, "usage", "--since", "30d"],
        "usage --by day --json": [*moltbot, "usage", "--by", "day", "--json"],
    }
    floor = median_seconds([*moltbot, "--version"], env, runs)
    lines.append(f"start-up floor (moltbot --version): {floor * 1000:.1f} ms")
    for size in sizes:
        started = time.perf_counter()
        path = fill_log(data_dir, size)
        filled = time.perf_counter() - started
        megabytes = path.stat().st_size / 1024 / 1024
        lines.append(f"log of {size:,} calls ({megabytes:.1f} MB, filled in {filled:.1f} s):")
        for label, command in reads.items():
            lines.append(f"  {label:<28} {median_seconds(command, env, runs) * 1000:8.1f} ms")
        for label, seconds in query_seconds(path, runs).items():
            lines.append(f"  {label:<28} {seconds * 1000:8.1f} ms  (the query alone, in process)")
    chat_env = dict(env)
    if base_url is not None:
        chat_env["OPENROUTER_BASE_URL"] = base_url
    fill_log(data_dir, 10_000)  # a log with some history, as a user's would be
    medians = alternating_medians(
        {
            "logged": [*moltbot, "chat", "-m", "bench/chunks-1", "hi"],
            "no-log": [*moltbot, "chat", "--no-log", "-m", "bench/chunks-1", "hi"],
        },
        chat_env,
        runs * 2,
    )
    extra = (medians["logged"] - medians["no-log"]) * 1000
    lines.append(
        f"chat hi, logged {medians['logged'] * 1000:.1f} ms vs --no-log "
        f"{medians['no-log'] * 1000:.1f} ms: logging adds {extra:+.1f} ms"
    )
    return list(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES))
    parser.add_argument(
        "--moltbot",
        default=None,
        help="the moltbot to time (default: this checkout, run with this Python)",
    )
    options = parser.parse_args()
    sizes = tuple(int(size) for size in options.sizes.split(",") if size)
    moltbot = [options.moltbot] if options.moltbot else [sys.executable, "-m", "moltbot_cli"]
    server, base_url = loopback_server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="moltbot-log-bench-") as scratch:
            workdir = Path(scratch)
            config = workdir / "moltbot.json"
            config.write_text("{}\n")
            env = {
                **{
                    name: value
                    for name, value in os.environ.items()
                    if name not in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")
                },
                "PYTHONPATH": os.pathsep.join(
                    filter(None, [str(PROJECT), os.environ.get("PYTHONPATH")])
                ),
                "MOLTBOT_CONFIG_PATH": str(config),
                "MOLTBOT_CACHE_DIR": str(workdir / "cache"),
                "MOLTBOT_DATA_DIR": str(workdir / "data"),
                "OPENROUTER_BASE_URL": base_url,
                "OPENROUTER_API_KEY": BENCH_KEY,
                "HOME": str(workdir),
                "NO_COLOR": "1",
            }
            log_figures(
                moltbot,
                env,
                runs=options.runs,
                sizes=sizes,
                emit=lambda line: print(line, flush=True),
            )
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
