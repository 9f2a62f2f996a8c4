"""WASI input programs (``ingesthost process wasi:PROGRAM.wasm``), end to end:
the example program in fixtures/wasi_input/ reading a granted directory, its
denial without the grant, a program that traps, one that loops (stopped at
its time limit), ``--interval`` until SIGTERM, and lines longer than a pipe
buffer or than ``--max-line-bytes``.

Rebuilding the example needs Debian's Rust toolchain with the wasm32 std;
where it is missing that test skips, unless INGESTHOST_REQUIRE_TOOLCHAINS=1,
where it fails.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ingesthost.runtime import wat2wasm

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "fixtures" / "wasi_input"
LOG_READER = EXAMPLE / "log_reader.wasm"

EXPECTED = [
    {"@timestamp": "2024-05-01T10:00:00Z", "level": "info", "message": "service started", "source": "wasi"},
    {"@timestamp": "2024-05-01T10:00:01Z", "level": "warn", "message": 'disk "data" at 91%', "source": "wasi"},
    {"message": "plain line without a level", "source": "wasi"},
    {"@timestamp": "2024-05-01T10:00:02Z", "level": "error", "message": "request failed: timeout", "source": "wasi"},
    {"already": "json", "n": 3, "source": "wasi"},
]

#: Writes its data segment to stdout with one fd_write, then does BODY.
PROGRAM = """
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "{TEXT}")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const {LENGTH}))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    {BODY}))
"""


def wat_program(path: Path, text: str, body: str) -> Path:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    source = PROGRAM.replace("{TEXT}", escaped).replace("{LENGTH}", str(len(text.encode()))).replace("{BODY}", body)
    path.write_bytes(wat2wasm(source))
    return path


@pytest.fixture()
def work(tmp_path: Path) -> Path:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "app.log").write_bytes((EXAMPLE / "app.log").read_bytes())
    (tmp_path / "p.yml").write_text("processors:\n  - set: {field: source, value: wasi}\n")
    return tmp_path


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "ingesthost", *args]


def run(work: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args), check=False, cwd=work, capture_output=True, text=True, timeout=timeout)


def lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def test_the_example_reads_its_granted_directory_and_its_lines_become_documents(work: Path) -> None:
    log = work / "logs" / "app.log"
    result = run(work, "process", f"wasi:{LOG_READER}", "--wasi-dir", "logs", "--wasi-arg", str(log), "-p", "p.yml", "-o", "out.ndjson")
    assert result.returncode == 0, result.stderr
    assert lines(work / "out.ndjson") == EXPECTED
    assert f"log_reader: 5 lines from {log}" in result.stderr  # its stderr, in the log
    assert "read 5, written 5, dropped 0, failed 0" in result.stderr


def test_environment_is_granted_explicitly(work: Path) -> None:
    log = work / "logs" / "app.log"
    granted = run(work, "process", f"wasi:{LOG_READER}", "--wasi-dir", "logs", "--wasi-env", f"LOG_FILE={log}", "-p", "p.yml", "-o", "out.ndjson")
    assert granted.returncode == 0, granted.stderr
    assert lines(work / "out.ndjson") == EXPECTED
    # The run's own environment never reaches the program.
    env = dict(os.environ, LOG_FILE=str(log))
    denied = subprocess.run(
        command("process", f"wasi:{LOG_READER}", "--wasi-dir", "logs", "-p", "p.yml", "-o", "out2.ndjson"),
        cwd=work, check=False, capture_output=True, text=True, timeout=120, env=env,
    )
    assert denied.returncode == 3, denied.stderr
    assert "give the log file as the first argument or in LOG_FILE" in denied.stderr


def test_without_the_grant_the_program_cannot_read_the_file(work: Path) -> None:
    log = work / "logs" / "app.log"
    result = run(work, "process", f"wasi:{LOG_READER}", "--wasi-arg", str(log), "-p", "p.yml", "-o", "out.ndjson")
    assert result.returncode == 3, result.stderr
    assert f"log_reader: cannot read {log}" in result.stderr  # the program's own error, logged
    assert "exited with status 1" in result.stderr  # and the run says so
    assert "read 0, written 0" in result.stderr
    assert lines(work / "out.ndjson") == []


def test_a_grant_of_another_directory_does_not_reach_the_file(work: Path) -> None:
    (work / "other").mkdir()
    log = work / "logs" / "app.log"
    result = run(work, "process", f"wasi:{LOG_READER}", "--wasi-dir", "other", "--wasi-arg", str(log), "-p", "p.yml", "-o", "out.ndjson")
    assert result.returncode == 3, result.stderr
    assert f"log_reader: cannot read {log}" in result.stderr


def test_a_program_that_traps_stops_the_run_after_what_it_wrote(work: Path) -> None:
    program = wat_program(work / "trap.wasm", '{"n": 1}\nplain\n', "unreachable")
    result = run(work, "process", f"wasi:{program}", "-p", "p.yml", "-o", "out.ndjson")
    assert result.returncode == 3, result.stderr
    assert "trapped" in result.stderr and "unreachable" in result.stderr
    assert lines(work / "out.ndjson") == [{"n": 1, "source": "wasi"}, {"message": "plain", "source": "wasi"}]
    assert "read 2, written 2" in result.stderr


def test_a_program_that_loops_is_killed_at_its_time_limit(work: Path) -> None:
    program = wat_program(work / "loop.wasm", "first\n", "(loop $forever (br $forever))")
    started = time.monotonic()
    result = run(work, "process", f"wasi:{program}", "--wasi-timeout", "2", "-p", "p.yml", "-o", "out.ndjson", timeout=60)
    assert result.returncode == 3, result.stderr
    assert time.monotonic() - started < 30
    assert "time limit of 2 s" in result.stderr
    assert lines(work / "out.ndjson") == [{"message": "first", "source": "wasi"}]


def test_interval_runs_the_program_again_until_sigterm(work: Path) -> None:
    log = work / "logs" / "app.log"
    process = subprocess.Popen(
        command(
            "process", f"wasi:{LOG_READER}", "--wasi-dir", "logs", "--wasi-arg", str(log),
            "--interval", "0.5", "-p", "p.yml", "-o", "out.ndjson",
        ),
        cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(lines(work / "out.ndjson")) < 10 and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()[1]
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "interrupted (SIGTERM)" in stderr
    written = lines(work / "out.ndjson")
    assert len(written) >= 10 and len(written) % 5 == 0, written
    assert written == EXPECTED * (len(written) // 5)
    assert stderr.count("log_reader: 5 lines from") >= 2


def test_lines_are_never_split_and_overlong_ones_are_failure_records(work: Path) -> None:
    long = "x" * 200_000  # longer than any pipe read
    (work / "logs" / "app.log").write_text(f"{long}\n[1, 2]\n" + "y" * 300 + "\nafter\n")
    log = work / "logs" / "app.log"
    result = run(
        work, "process", f"wasi:{LOG_READER}", "--wasi-dir", "logs", "--wasi-arg", str(log),
        "--max-line-bytes", "250000", "-p", "p.yml", "-o", "out.ndjson",
    )
    assert result.returncode == 0, result.stderr
    assert lines(work / "out.ndjson") == [
        {"message": long, "source": "wasi"},
        {"message": "[1, 2]", "source": "wasi"},  # JSON, but not an object
        {"message": "y" * 300, "source": "wasi"},
        {"message": "after", "source": "wasi"},
    ]
    result = run(
        work, "process", f"wasi:{LOG_READER}", "--wasi-dir", "logs", "--wasi-arg", str(log),
        "--max-line-bytes", "1000", "-p", "p.yml", "-o", "out.ndjson",
    )
    assert result.returncode == 1, result.stderr
    assert [doc["message"] for doc in lines(work / "out.ndjson")] == ["[1, 2]", "y" * 300, "after"]
    (failure,) = lines(work / "out.failures.ndjson")
    assert failure["line"] == 1, failure
    assert failure["error"]["message"] == "line of 200,001 bytes is longer than the 1,000-byte limit (see --max-line-bytes)"
    assert len(failure["raw"]) > 1000 and long.startswith(failure["raw"])  # its first bytes, as for a file


def test_options_without_a_wasi_input_and_modules_that_are_not_commands_are_refused(work: Path) -> None:
    (work / "in.ndjson").write_text("{}\n")
    result = run(work, "process", "in.ndjson", "--wasi-dir", "logs", "-p", "p.yml", "-o", "out.ndjson")
    assert result.returncode == 2 and "--wasi-dir applies to a wasi:PROGRAM.wasm input only" in result.stderr
    result = run(work, "process", f"wasi:{ROOT / 'fixtures' / 'wasm' / 'kv_parse.wasm'}", "-p", "p.yml", "-o", "out.ndjson")
    assert result.returncode == 2 and "imports no WASI" in result.stderr, result.stderr
    result = run(work, "process", f"wasi:{LOG_READER}", "in.ndjson", "-p", "p.yml", "-o", "out.ndjson")
    assert result.returncode == 2 and "must be the only input" in result.stderr
    result = run(work, "process", f"wasi:{LOG_READER}", "--interval", "0", "-p", "p.yml", "-o", "out.ndjson")
    assert result.returncode == 2 and "--interval must be a positive number" in result.stderr


def _toolchain_problem() -> str | None:
    for needed in ("/usr/bin/rustc", "/usr/bin/rust-lld", "/usr/lib/rustlib/wasm32-wasi/lib"):
        if not os.path.exists(needed):
            return f"{needed} is missing (apt-get install rustc libstd-rust-dev-wasm32 lld)"
    return None


def test_the_example_rebuilds_byte_for_byte() -> None:
    problem = _toolchain_problem()
    if problem:
        if os.environ.get("INGESTHOST_REQUIRE_TOOLCHAINS") == "1":
            pytest.fail(f"Debian Rust toolchain needed: {problem}")
        pytest.skip(f"Debian Rust toolchain needed: {problem}")
    result = subprocess.run([str(EXAMPLE / "build.sh"), "--check"], check=False, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_directory_granted_at_another_path(work: Path) -> None:
    result = run(
        work, "process", f"wasi:{LOG_READER}", "--wasi-dir", "/data=logs", "--wasi-arg", "/data/app.log",
        "--isolation", "none", "-p", "p.yml", "-o", "out.ndjson",
    )
    assert result.returncode == 0, result.stderr
    assert lines(work / "out.ndjson") == EXPECTED
