"""Odd config files, a full disk, a held lock, and the copies of a key left at rest.

Each test plays the situation for real in a temp dir against a moltbot subprocess (or
the store itself, where a signal must land between two renames) and checks the exit
code, the message, and that no file was damaged.
"""

from __future__ import annotations

import fcntl
import json
import os
import resource
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from moltbot_cli.config.document import Document
from moltbot_cli.config.store import ConfigStore
from moltbot_cli.masking import mask_key
from tests.support.cli import run_moltbot

KEY = "sk-or-v1-" + "0123456789abcdef" * 4
OTHER_KEY = "sk-or-v1-" + "fedcba9876543210" * 4
PRIMARY = "agents.defaults.model.primary"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def files_beside(path: Path) -> dict[str, bytes]:
    return {
        entry.name: entry.read_bytes() for entry in sorted(path.parent.iterdir()) if entry.is_file()
    }


# -- secrets in `config show` / `get` ------------------------------------------------------


def test_show_and_get_mask_every_copy_of_every_secret(config_file: Path) -> None:
    write(
        config_file,
        "{\n"
        f"  // pasted here by mistake: {KEY}\n"
        f'  env: {{ OPENROUTER_API_KEY: "{OTHER_KEY}", OPENROUTER_API_KEY: ["{KEY}", "sk-or-v1-\\u0041{"b" * 30}"] }},\n'
        f'  auth: {{ profiles: {{ "openrouter:default": {{ provider: "openrouter", mode: "api_key", note: "{KEY}" }} }} }},\n'
        "}\n",
    )
    outputs = [
        run_moltbot("config", "show").stdout,
        run_moltbot("config", "show", "--json").stdout,
        run_moltbot("config", "get", "env").stdout,
        run_moltbot("config", "get", "env.OPENROUTER_API_KEY[0]").stdout,
        run_moltbot("config", "get", "env.OPENROUTER_API_KEY", "--json").stdout,
    ]
    for shown in outputs:
        assert shown.strip()
        for secret in (KEY, OTHER_KEY, "A" + "b" * 30):
            assert secret not in shown, shown
    assert mask_key(KEY) in outputs[0] and mask_key(OTHER_KEY) in outputs[0]
    Document.parse(outputs[0])  # still JSON5 after masking
    revealed = run_moltbot("config", "get", "env.OPENROUTER_API_KEY[0]", "--reveal")
    assert revealed.stdout.strip() == KEY


# -- copies at rest ------------------------------------------------------------------------


def test_unsetting_the_key_scrubs_it_from_every_backup(config_file: Path) -> None:
    write(config_file, f'{{\n  env: {{ OPENROUTER_API_KEY: "{KEY}" }},\n}}\n')
    for model in ("a/b", "c/d", "e/f"):
        assert run_moltbot("config", "set", PRIMARY, model).code == 0
    backups = sorted(config_file.parent.glob("moltbot.json.bak*"))
    assert len(backups) == 3 and all(KEY in path.read_text() for path in backups)
    result = run_moltbot("config", "unset", "env.OPENROUTER_API_KEY")
    assert result.code == 0, result.stderr
    assert "also removed from 3 backups" in result.stderr
    for path in [config_file, *config_file.parent.glob("moltbot.json.bak*")]:
        text = path.read_text()
        assert KEY not in text
        assert mask_key(KEY) not in text  # removed, not masked: a restore holds no fake key
        Document.parse(text)
    assert "e/f" in config_file.with_name("moltbot.json.bak").read_text()


def test_stale_temp_files_of_a_dead_writer_are_cleaned_on_the_next_write(
    config_file: Path,
) -> None:
    write(config_file, "{}\n")
    stale = [
        config_file.with_name(f".moltbot.json.{name}.tmp") for name in ("abcd1234", "bak-zz_9y8x7")
    ]
    for path in stale:
        path.write_text(f'{{ env: {{ OPENROUTER_API_KEY: "{KEY}" }} }}')
    unrelated = config_file.with_name(".moltbot.json.rejected-edit.abcd1234.tmp")
    unrelated.write_text("{}")
    assert run_moltbot("config", "set", PRIMARY, "a/b").code == 0
    assert not any(path.exists() for path in stale)
    assert unrelated.exists()  # another file's temp: not ours to judge


def test_config_edit_draft_is_private_and_removed_on_sigterm(
    config_file: Path, tmp_path: Path
) -> None:
    write(config_file, f'{{ env: {{ OPENROUTER_API_KEY: "{KEY}" }} }}\n')
    report = tmp_path / "editor-saw.json"
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import json, os, sys, time\n"
        f"json.dump({{'path': sys.argv[1], 'mode': os.stat(sys.argv[1]).st_mode & 0o777}}, open({str(report)!r}, 'w'))\n"
        "time.sleep(30)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "moltbot_cli", "config", "edit"],
        env={**os.environ, "EDITOR": f"{sys.executable} {editor}"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while not (report.exists() and report.stat().st_size):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        seen = json.loads(report.read_text())
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert seen["mode"] == 0o600
    assert not Path(seen["path"]).exists() and not Path(seen["path"]).parent.exists()
    assert process.returncode == 128 + signal.SIGTERM
    assert KEY in config_file.read_text()  # untouched


# -- odd files -----------------------------------------------------------------------------


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.close()


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda p: p.mkdir(), "a directory"),
        (_fifo, "a FIFO"),
        (_socket, "a socket"),
        (lambda p: p.symlink_to("/dev/null"), "a character device"),
        (
            lambda p: (
                p.with_name("pipe").__fspath__(),
                os.mkfifo(p.with_name("pipe")),
                p.symlink_to(p.with_name("pipe")),
            ),
            "a FIFO",
        ),
    ],
    ids=["directory", "fifo", "socket", "symlink-to-dev-null", "symlink-to-fifo"],
)
def test_a_config_that_is_not_a_regular_file_is_refused_before_reading(
    tmp_path: Path, make: object, kind: str
) -> None:
    path = tmp_path / "odd" / "moltbot.json"
    path.parent.mkdir()
    make(path)  # type: ignore[operator]
    for args in (
        ("config", "get", "agents"),
        ("config", "set", PRIMARY, "a/b"),
        ("config", "validate"),
        ("models", "status"),
    ):
        result = run_moltbot("--config", str(path), *args, timeout=20)
        assert result.code == 2, (args, result.stderr)
        assert kind in result.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not path.with_name("moltbot.json.bak").exists()


def test_dev_null_as_config_is_never_replaced() -> None:
    before = os.stat("/dev/null")
    result = run_moltbot("--config", "/dev/null", "config", "set", PRIMARY, "a/b")
    assert result.code == 2 and "a character device" in result.stderr
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_a_dangling_symlink_is_an_error_not_a_reason_to_create_directories(tmp_path: Path) -> None:
    link = tmp_path / "moltbot.json"
    link.symlink_to(tmp_path / "nowhere" / "deeper" / "moltbot.json")
    for args in (("config", "get", "agents"), ("config", "set", PRIMARY, "a/b")):
        result = run_moltbot("--config", str(link), *args)
        assert result.code == 2 and "which does not exist" in result.stderr
    assert not (tmp_path / "nowhere").exists()


def test_a_symlinked_config_keeps_its_backups_beside_the_target(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "moltbot.json"
    write(real, "{}\n")
    link = tmp_path / "elsewhere" / "moltbot.json"
    link.parent.mkdir()
    link.symlink_to(real)
    for model in ("a/b", "c/d"):
        assert run_moltbot("--config", str(link), "config", "set", PRIMARY, model).code == 0
    assert link.is_symlink() and "c/d" in real.read_text()
    assert real.with_name("moltbot.json.bak").exists()
    assert sorted(p.name for p in link.parent.iterdir()) == ["moltbot.json"]
    os.chmod(real, 0o400)
    refused = run_moltbot("--config", str(link), "config", "set", PRIMARY, "e/f")
    assert refused.code == 1 and str(real) in refused.stderr


def test_the_files_own_mode_and_byte_order_mark_are_kept(config_file: Path) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_bytes(b"\xef\xbb\xbf{\n  // mine\n}\n")
    os.chmod(config_file, 0o400)
    refused = run_moltbot("config", "set", PRIMARY, "a/b")
    assert refused.code == 1
    assert "read-only (mode 0400)" in refused.stderr and "nothing was changed" in refused.stderr
    assert config_file.read_bytes() == b"\xef\xbb\xbf{\n  // mine\n}\n"
    os.chmod(config_file, 0o600)
    assert run_moltbot("config", "set", PRIMARY, "a/b").code == 0
    assert config_file.read_bytes().startswith(b"\xef\xbb\xbf{\n  // mine")
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    assert run_moltbot("config", "get", PRIMARY).stdout.strip() == "a/b"


# -- nesting and surrogates -----------------------------------------------------------------


def test_deep_nesting_is_refused_with_exit_2(config_file: Path) -> None:
    deep = "[" * 60 + "]" * 60
    for args in (
        ("config", "set", "agents.defaults.models.x", deep, "--json"),
        ("config", "set", ".".join(["a"] * 3000), "1"),
        ("config", "get", ".".join(["a"] * 3000)),
        ("config", "unset", ".".join(["a"] * 3000)),
    ):
        result = run_moltbot(*args)
        assert result.code == 2, result.stderr
        assert "deep" in result.stderr
    assert not config_file.exists()


def test_a_lone_surrogate_is_refused_on_write_and_invalid_on_read(config_file: Path) -> None:
    refused = run_moltbot(
        "config", "set", "agents.defaults.models.x/y.alias", '"\\ud800"', "--json"
    )
    assert refused.code == 2 and "surrogate" in refused.stderr
    assert not config_file.exists()
    write(config_file, '{ agents: { defaults: { models: { "x/y": { alias: "a\\ud800" } } } } }\n')
    for args in (
        ("config", "validate"),
        ("config", "show"),
        ("config", "get", "agents"),
        ("config", "validate", "--json"),
    ):
        result = run_moltbot(*args)
        assert result.code == 3, (args, result.stderr)
        assert "surrogate" in result.output
    paired = '{ agents: { defaults: { models: { "x/y": { alias: "\\ud83d\\ude00" } } } } }\n'
    write(config_file, paired)
    assert run_moltbot("config", "get", "agents.defaults.models", "--json").stdout.count("😀") == 1


def test_a_var_reference_is_checked_for_what_it_stands_for(config_file: Path) -> None:
    result = run_moltbot("config", "set", "models.providers.openrouter.baseUrl", "${HOME}")
    assert result.code == 2 and "filled in" in result.stderr
    assert not config_file.exists()
    fine = run_moltbot(
        "config", "set", "models.providers.openrouter.baseUrl", "${MY_URL}",
        env={"MY_URL": "https://proxy.example/api/v1"},
    )  # fmt: skip
    assert fine.code == 0, fine.stderr


# -- locks, full disks, signals -------------------------------------------------------------


def test_a_held_lock_is_waited_for_then_named(config_file: Path) -> None:
    write(config_file, "{}\n")
    lock = config_file.with_name(".moltbot.json.lock")
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        result = run_moltbot("config", "set", PRIMARY, "a/b", env={"MOLTBOT_LOCK_TIMEOUT": "1.5"})
    assert result.code == 1
    assert "Waiting for" in result.stderr and str(lock) in result.stderr
    assert "gave up" in result.stderr and "nothing was changed" in result.stderr
    assert config_file.read_text() == "{}\n"


def test_a_full_disk_changes_nothing_not_even_the_backups(config_file: Path) -> None:
    write(config_file, "{}\n")
    for model in ("a/b", "c/d", "e/f"):
        assert run_moltbot("config", "set", PRIMARY, model).code == 0
    before = files_beside(config_file)
    big = json.dumps("x" * 8000)
    limit = 4096  # every file moltbot would write is bigger than this; the old ones are not

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    completed = subprocess.run(
        [sys.executable, "-m", "moltbot_cli", "config", "set", "agents.defaults.models.x/y.alias", big, "--json"],
        capture_output=True, text=True, env=os.environ.copy(), preexec_fn=small_disk, timeout=30,
    )  # fmt: skip
    assert completed.returncode == 1, completed.stderr
    assert "nothing was changed" in completed.stderr
    assert files_beside(config_file) == before


def test_a_signal_during_rotation_never_loses_the_newest_backup(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config_file, "{}\n")
    store = ConfigStore(config_file)
    for model in ("a/b", "c/d", "e/f"):
        store.update(
            lambda document, model=model: document.set(
                ("agents",), {"defaults": {"model": {"primary": model}}}
            )
        )
    real_replace = os.replace
    for fail_at in range(1, 5):
        calls = 0

        def interrupted(source: object, target: object, fail_at: int = fail_at) -> None:
            nonlocal calls
            calls += 1
            if calls == fail_at:
                raise KeyboardInterrupt
            real_replace(source, target)  # type: ignore[arg-type]

        current = config_file.read_text()
        monkeypatch.setattr(os, "replace", interrupted)
        with pytest.raises(KeyboardInterrupt):
            store.update(
                lambda document: document.set(
                    ("agents",), {"defaults": {"model": {"primary": "z/z"}}}
                )
            )
        monkeypatch.setattr(os, "replace", real_replace)
        newest = config_file.with_name("moltbot.json.bak")
        assert newest.exists(), fail_at
        assert config_file.read_text() == current  # the config itself was never swapped
        assert not list(config_file.parent.glob(".moltbot.json.*.tmp"))


def test_the_security_page_states_the_modes_and_rules_that_hold(config_file: Path) -> None:
    """docs/security.md names modes and network rules; check each against the real thing."""
    page = (Path(__file__).parent.parent / "docs" / "security.md").read_text()
    write(config_file, "{}\n")
    for model in ("a/b", "c/d"):
        assert run_moltbot("config", "set", PRIMARY, model).code == 0
    modes = {
        "the config file": config_file,
        "the config's backups": config_file.with_name("moltbot.json.bak"),
        "`.moltbot.json.lock`": config_file.with_name(".moltbot.json.lock"),
    }
    for name, path in modes.items():
        row = next(line for line in page.splitlines() if line.startswith(f"| {name}"))
        assert "0600" in row
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
    assert "| the config directory, when moltbot creates it | 0700 |" in page
    assert "MOLTBOT_ALLOW_INSECURE_HTTP=1" in page and "127.0.0.0/8" in page
    refused = run_moltbot(
        "chat",
        "hi",
        env={"OPENROUTER_API_KEY": KEY, "OPENROUTER_BASE_URL": "http://example.com/v1"},
    )
    assert refused.code == 2 and "MOLTBOT_ALLOW_INSECURE_HTTP=1" in refused.stderr
    assert "MOLTBOT_LOCK_TIMEOUT" in page and "30 seconds" in page
