"""A run never harms what the user gave it, and a run that stops says where.

Through the real command, as a user meets it: real files, links, locks, a
real full device (``/dev/full`` and a small tmpfs), real signals, closed
standard streams and a reader that goes away.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ingesthost.runtime import wat2wasm

ROOT = Path(__file__).resolve().parent.parent
WASM = ROOT / "fixtures" / "wasm"
ISOLATIONS = ["process", "none"]

PIPELINE = """\
processors:
  - drop: {if: "ctx.drop == true"}
  - fail: {message: "asked to fail", if: "ctx.fail == true"}
  - set: {field: seen, value: true}
"""


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "ingesthost", *args]


def run(*args: str, cwd: Path, stdin: bytes | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args), input=stdin, capture_output=True, cwd=cwd, timeout=120, **kwargs)


def docs(count: int, start: int = 1, pad: int = 0) -> bytes:
    """``count`` documents numbered from ``start``; every 7th dropped, every 11th failed."""
    lines = []
    for n in range(start, start + count):
        doc: dict = {"n": n, "pad": "x" * pad}
        if n % 7 == 0:
            doc["drop"] = True
        if n % 11 == 0:
            doc["fail"] = True
        lines.append(json.dumps(doc).encode() + b"\n")
    return b"".join(lines)


@pytest.fixture()
def work(tmp_path: Path) -> Path:
    (tmp_path / "p.yml").write_text(PIPELINE)
    (tmp_path / "in.ndjson").write_bytes(docs(50))
    return tmp_path


def summary_of(stderr: bytes) -> str:
    return next(line for line in stderr.decode().splitlines() if line.startswith("ingesthost: read "))


# ---------------------------------------------------------------------------
# Outputs that are inputs, and other outputs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["in.ndjson", "-o", "in.ndjson"],  # the same spelling
        ["in.ndjson", "-o", "./sub/../in.ndjson"],  # another spelling
        ["in.ndjson", "-o", "link.ndjson"],  # a symlink to the input
        ["in.ndjson", "-o", "hard.ndjson"],  # a hard link to the input
        ["in.ndjson", "-o", "out.ndjson", "--failures", "in.ndjson"],  # failures onto the input
        ["in.failures.ndjson", "-o", "in.ndjson"],  # the default failure name is the input
        ["in.ndjson", "-o", "out.ndjson", "--failures", "out.ndjson"],  # both outputs one file
        ["in.ndjson", "-o", "new.ndjson", "--failures", "./new.ndjson"],  # ... even not existing yet
        ["-", "-o", "in.ndjson"],  # standard input is a redirected file that is the output
    ],
)
def test_an_output_that_is_an_input_or_the_other_output_is_refused(work: Path, args: list[str]) -> None:
    (work / "sub").mkdir()
    (work / "link.ndjson").symlink_to(work / "in.ndjson")
    os.link(work / "in.ndjson", work / "hard.ndjson")
    (work / "in.failures.ndjson").write_bytes(docs(3))
    (work / "out.ndjson").write_bytes(b"earlier output\n")
    before = {p.name: p.read_bytes() for p in work.iterdir() if p.is_file()}
    with open(work / "in.ndjson", "rb") as stdin:
        result = subprocess.run(
            command("process", *args, "-p", "p.yml"), stdin=stdin, capture_output=True, cwd=work, timeout=120
        )
    assert result.returncode == 2, result.stderr
    message = result.stderr.decode()
    assert "are the same file" in message
    assert sum(message.count(word) for word in ("input", "output", "failure file")) >= 2
    after = {p.name: p.read_bytes() for p in work.iterdir() if p.is_file()}
    assert after == before, "nothing was touched"


def test_standard_output_appended_to_the_input_is_refused(work: Path) -> None:
    before = (work / "in.ndjson").read_bytes()
    with open(work / "in.ndjson", "ab") as stdout:
        result = subprocess.run(
            command("process", "in.ndjson", "-p", "p.yml"), stdout=stdout, stderr=subprocess.PIPE, cwd=work, timeout=60
        )
    assert result.returncode == 2
    assert b"output <stdout> and input in.ndjson are the same file" in result.stderr
    assert (work / "in.ndjson").read_bytes() == before


@pytest.mark.parametrize(
    "args,problem",
    [
        (["-o", "prev.ndjson", "--failures", "no/such/dir/f.ndjson"], "cannot open failure file"),
        (["-o", "prev.ndjson", "--max-depth", "1000"], "--max-depth"),
        (["-o", "prev.ndjson", "--max-restarts", "-1"], "--max-restarts"),
        (["-o", "prev.ndjson", "-p", "missing.yml"], "missing.yml"),
        (["-o", "prev.ndjson", "--failures", "locked.ndjson"], "being written by another ingesthost run"),
    ],
)
def test_a_run_that_cannot_start_leaves_every_output_as_it_was(work: Path, args: list[str], problem: str) -> None:
    (work / "prev.ndjson").write_bytes(b'{"earlier":1}\n')
    (work / "prev.failures.ndjson").write_bytes(b'{"earlier":2}\n')
    (work / "locked.ndjson").write_bytes(b'{"earlier":3}\n')
    before = {p.name: p.read_bytes() for p in work.iterdir() if p.is_file()}
    with open(work / "locked.ndjson", "rb+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = run("process", "in.ndjson", *(["-p", "p.yml"] if "-p" not in args else []), *args, cwd=work)
    assert result.returncode == 2, result.stderr
    assert problem in result.stderr.decode()
    assert {p.name: p.read_bytes() for p in work.iterdir() if p.is_file()} == before


def test_two_runs_writing_one_output_at_once_the_second_is_refused(work: Path) -> None:
    first = subprocess.Popen(
        command("process", "-", "-p", "p.yml", "-o", "out.ndjson", "--isolation", "none"),
        stdin=subprocess.PIPE, stderr=subprocess.PIPE, cwd=work,
    )
    try:
        assert first.stdin is not None
        first.stdin.write(docs(3))
        first.stdin.flush()
        deadline = time.monotonic() + 60
        out = work / "out.ndjson"
        while not out.exists() or out.read_bytes().count(b"\n") < 3:  # the first run has its lock
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.05)
        second = run("process", "in.ndjson", "-p", "p.yml", "-o", "out.ndjson", cwd=work)
        assert second.returncode == 2
        assert "out.ndjson is being written by another ingesthost run" in second.stderr.decode()
        first.stdin.write(docs(2, start=4))
        first.stdin.close()
        assert first.wait(60) == 0
    finally:
        first.kill()
        first.wait()
    assert [json.loads(line)["n"] for line in (work / "out.ndjson").read_bytes().splitlines()] == [1, 2, 3, 4, 5]


# ---------------------------------------------------------------------------
# A full disk, and any other write error
# ---------------------------------------------------------------------------


def whole_lines(path: Path) -> list[dict]:
    data = path.read_bytes()
    assert not data or data.endswith(b"\n"), f"{path.name} ends in the middle of a record"
    return [json.loads(line) for line in data.splitlines()]


def stop_report(stderr: bytes) -> tuple[str, int]:
    text = stderr.decode()
    assert "Traceback" not in text, text
    marker = "every input line up to "
    line = next(l for l in text.splitlines() if marker in l)
    return text, int(line.split(marker)[1].split()[0])


@pytest.fixture()
def small_disk(tmp_path: Path):
    """A 256 KiB tmpfs (the machine's root may mount one; the suite runs as root in CI)."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    assert done.returncode == 0, f"cannot mount a tmpfs here: {done.stderr.decode()}"
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)])


@pytest.mark.parametrize("isolation", ISOLATIONS)
@pytest.mark.parametrize("full", ["output", "failures"])
def test_a_full_disk_stops_the_run_with_whole_records_and_a_true_summary(
    work: Path, small_disk: Path, isolation: str, full: str
) -> None:
    (work / "in.ndjson").write_bytes(docs(3000, pad=300))  # ~1 MB of output, failures ~100 KB
    out = small_disk / "out.ndjson" if full == "output" else work / "out.ndjson"
    failures = small_disk / "f.ndjson" if full == "failures" else work / "f.ndjson"
    if full == "failures":  # fill the disk so that the small failure file hits the wall too
        (small_disk / "filler").write_bytes(b"x" * (200 * 1024))
    result = run(
        "process", "in.ndjson", "-p", "p.yml", "-o", str(out), "--failures", str(failures),
        "--isolation", isolation, "--batch-size", "64", cwd=work,
    )
    assert result.returncode == 3, result.stderr
    text, through = stop_report(result.stderr)
    full_file = out if full == "output" else failures
    assert f"cannot write {full_file}: No space left on device" in text
    assert 0 < through < 3000
    # The outputs hold exactly the results of lines 1..through, nothing more, nothing cut.
    written, failed = whole_lines(out), whole_lines(failures)
    assert [d["n"] for d in written] == [n for n in range(1, through + 1) if n % 7 and n % 11]
    assert [f["line"] for f in failed] == [n for n in range(1, through + 1) if n % 11 == 0 and n % 7]
    summary = summary_of(result.stderr)
    assert f"read {through}, written {len(written)}, dropped {through // 7}, failed {len(failed)}" in summary


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_dev_full_is_named_and_nothing_is_claimed(work: Path, isolation: str) -> None:
    result = run("process", "in.ndjson", "-p", "p.yml", "-o", "/dev/full", "--failures", "f.ndjson",
                 "--isolation", isolation, cwd=work)
    assert result.returncode == 3
    text, through = stop_report(result.stderr)
    assert "cannot write /dev/full: No space left on device" in text
    assert through == 0 and "read 0, written 0" in summary_of(result.stderr)
    assert (work / "f.ndjson").read_bytes() == b"", "failures were cut back to match the output"


# ---------------------------------------------------------------------------
# Signals and a reader that goes away
# ---------------------------------------------------------------------------


def start_slow_run(work: Path, isolation: str, out: str = "out.ndjson", **popen) -> subprocess.Popen:
    return subprocess.Popen(
        command("process", "-", "-p", "p.yml", "-o", out, "--isolation", isolation, "--batch-size", "16"),
        stdin=subprocess.PIPE, stderr=subprocess.PIPE, cwd=work, **popen,
    )


def feed_until_written(process: subprocess.Popen, path: Path, lines: int) -> None:
    """Send documents in small bursts until ``lines`` output lines are on disk."""
    assert process.stdin is not None
    deadline = time.monotonic() + 60
    n = 1
    while not path.exists() or path.read_bytes().count(b"\n") < lines:
        assert time.monotonic() < deadline, "the run did not write its output as input arrived"
        process.stdin.write(docs(20, start=n))
        process.stdin.flush()
        n += 20
        time.sleep(0.05)


@pytest.mark.parametrize("isolation", ISOLATIONS)
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGTERM to the group"])
def test_a_signal_stops_the_run_with_a_summary_of_what_is_accounted_for(work: Path, isolation: str, how: str) -> None:
    process = start_slow_run(work, isolation, start_new_session=True)
    try:
        feed_until_written(process, work / "out.ndjson", 30)
        signum = signal.SIGINT if how == "SIGINT" else signal.SIGTERM
        if how.endswith("group"):
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 128 + signum, stderr
    text, through = stop_report(stderr)
    assert "BrokenPipe" not in text and "Error" not in text.replace("error", ""), text
    assert f"interrupted ({signal.Signals(signum).name})" in text
    written = whole_lines(work / "out.ndjson")
    failed = whole_lines(work / "out.failures.ndjson")
    assert [d["n"] for d in written] == [n for n in range(1, through + 1) if n % 7 and n % 11]
    assert [f["line"] for f in failed] == [n for n in range(1, through + 1) if n % 11 == 0 and n % 7]
    assert f"read {through}, written {len(written)}" in summary_of(stderr)


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_a_reader_that_goes_away_ends_the_run_quietly(work: Path, isolation: str) -> None:
    (work / "in.ndjson").write_bytes(docs(20000))
    process = subprocess.Popen(
        command("process", "in.ndjson", "-p", "p.yml", "--failures", "f.ndjson", "--isolation", isolation),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=work,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # like `| head -1`
    process.stdout.close()
    _, stderr = process.communicate(timeout=60)
    assert json.loads(first)["n"] == 1
    assert process.returncode == 128 + signal.SIGPIPE
    assert stderr == b""


# ---------------------------------------------------------------------------
# Closed standard streams
# ---------------------------------------------------------------------------


def run_with_closed(work: Path, fd: int, *args: str) -> subprocess.CompletedProcess:
    """The command with file descriptor ``fd`` closed, as a shell's ``<&-``/``>&-``/``2>&-`` does."""
    script = f'exec {fd}>&- ; exec "$@"' if fd else 'exec 0<&- ; exec "$@"'
    return subprocess.run(
        ["bash", "-c", script, "bash", *command(*args)],
        stdout=subprocess.PIPE if fd != 1 else None, stderr=subprocess.PIPE if fd != 2 else None,
        cwd=work, timeout=120,
    )


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_closed_standard_streams(work: Path, isolation: str) -> None:
    expected = [n for n in range(1, 51) if n % 7 and n % 11]
    closed_stdin = run_with_closed(work, 0, "process", "-", "-p", "p.yml", "-o", "o0.ndjson", "--isolation", isolation)
    assert closed_stdin.returncode == 2
    assert b"standard input is closed" in closed_stdin.stderr
    # A closed stderr: the run works, the output is whole (logs and summary are discarded).
    closed_stderr = run_with_closed(work, 2, "process", "in.ndjson", "-p", "p.yml", "-o", "o2.ndjson", "--isolation", isolation)
    assert closed_stderr.returncode == 1, closed_stderr.stdout  # documents failed on purpose
    assert [d["n"] for d in whole_lines(work / "o2.ndjson")] == expected
    # A closed stdout with -o: works.
    closed_stdout = run_with_closed(work, 1, "process", "in.ndjson", "-p", "p.yml", "-o", "o1.ndjson", "--isolation", isolation)
    assert closed_stdout.returncode == 1, closed_stdout.stderr
    assert [d["n"] for d in whole_lines(work / "o1.ndjson")] == expected
    # A closed stdout and documents meant for it: refused with a reason.
    nowhere = run_with_closed(work, 1, "process", "in.ndjson", "-p", "p.yml", "--isolation", isolation)
    assert nowhere.returncode == 2 and b"standard output is closed" in nowhere.stderr


# ---------------------------------------------------------------------------
# Streaming, blank lines, a byte order mark, progress
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_output_to_a_pipe_streams_as_input_arrives(work: Path, isolation: str) -> None:
    process = subprocess.Popen(
        command("process", "-", "-p", "p.yml", "--failures", "f.ndjson", "--isolation", isolation),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=work,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(b'{"n":1}\n')
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, "the processed line did not come out while the input was still open"
        assert json.loads(process.stdout.readline()) == {"n": 1, "seen": True}
        process.stdin.close()
        assert process.wait(60) == 0
    finally:
        process.kill()
        process.wait()


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_blank_lines_are_skipped_and_counted_and_a_bom_is_accepted(work: Path, isolation: str) -> None:
    (work / "bom.ndjson").write_bytes(b'\xef\xbb\xbf{"n":1}\r\n   \n{"n":3}\n\n\t\n{"fail":true}\n\n')
    result = run("process", "bom.ndjson", "-p", "p.yml", "-o", "o.ndjson", "--isolation", isolation, cwd=work)
    assert result.returncode == 1
    assert [d["n"] for d in whole_lines(work / "o.ndjson")] == [1, 3]
    (failure,) = whole_lines(work / "o.failures.ndjson")
    assert failure["line"] == 6  # blank lines keep their numbers
    assert "read 3, written 2, dropped 0, failed 1" in summary_of(result.stderr)
    assert "4 blank lines skipped" in summary_of(result.stderr)
    (work / "blank_tail.ndjson").write_bytes(b'{"n":1}\n\n')
    result = run("process", "blank_tail.ndjson", "-p", "p.yml", "-o", "o.ndjson", "--isolation", isolation, cwd=work)
    assert result.returncode == 0, "a trailing empty line is not a failure"


def test_progress_is_shown_on_a_terminal_only(work: Path) -> None:
    (work / "big.ndjson").write_bytes(docs(200))

    def stderr_on_pty(*extra: str) -> bytes:
        leader, follower = pty.openpty()
        process = subprocess.Popen(
            command("process", "-", "-p", "p.yml", "-o", "o.ndjson", "--batch-size", "1", *extra),
            stdin=subprocess.PIPE, stderr=follower, cwd=work,
        )
        os.close(follower)
        assert process.stdin is not None
        seen = b""
        for n in range(1, 41):  # slow input: the run lasts a few seconds
            process.stdin.write(docs(1, start=n))
            process.stdin.flush()
            time.sleep(0.05)
            while select.select([leader], [], [], 0)[0]:
                try:
                    seen += os.read(leader, 65536)
                except OSError:
                    break
        process.stdin.close()
        process.wait(60)
        while select.select([leader], [], [], 0.2)[0]:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        os.close(leader)
        return seen

    shown = stderr_on_pty()
    assert b"docs/s" in shown and b" failed" in shown and b"\r" in shown
    assert b"docs/s" not in stderr_on_pty("--quiet")
    # Not a terminal: the summary only.
    result = run("process", "big.ndjson", "-p", "p.yml", "-o", "o.ndjson", cwd=work)
    assert result.stderr.decode().count("docs/s") == 1 and "\r" not in result.stderr.decode()


def test_reader_keeps_memory_bounded_and_hands_on_blocks_before_the_end() -> None:
    """The block reader reads a regular-file-like stream (no short reads) only as
    far as the next block needs, whatever the input size: a 93 MB input gives
    its first block after reading about one batch's bytes, not the whole."""
    import io

    from ingesthost.ndjson import read_blocks

    line = b'{"message":"' + b"m" * 450 + b'"}\n'  # longer than the first guess of 256 bytes a line

    class Counting(io.RawIOBase):
        def __init__(self, size: int) -> None:
            self.size, self.offset = size, 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[override]
            count = min(len(buffer), self.size - self.offset)
            chunk = (line * (count // len(line) + 2))[self.offset % len(line) : self.offset % len(line) + count]
            buffer[:count] = chunk
            self.offset += count
            return count

    stream = io.BufferedReader(Counting(len(line) * 200_000), buffer_size=65536)
    blocks = read_blocks(stream, "big", batch_size=512, batch_bytes=4 * 1024 * 1024, max_line_bytes=1 << 20)
    kind, first, block, count, _ = next(blocks)
    assert (kind, first, count) == ("batch", 1, 512)
    assert block == line * 512
    assert stream.raw.offset <= 4 * 1024 * 1024 + 65536 * 2, f"read {stream.raw.offset:,} bytes for one block"
    kind, first, block, count, _ = next(blocks)
    assert (first, count) == (513, 512)


def test_a_processed_document_too_deep_to_write_is_an_output_error_not_an_input_error() -> None:
    import io

    from ingesthost import Pipeline
    from ingesthost.ndjson import read_records
    from ingesthost.runner import run

    deep: object = 1
    for _ in range(99):  # the most a pipeline file may nest a value; 160 path levels above it
        deep = [deep]
    definition = {"processors": [{"set": {"field": ".".join(["f"] * 160), "value": deep}}]}
    out, failures = io.BytesIO(), io.BytesIO()
    with Pipeline.from_definition(definition) as pipeline:
        summary = run(pipeline, read_records(io.BytesIO(b'{"n":1}\n'), "in"), out, failures, source="in")
    (failure,) = [json.loads(line) for line in failures.getvalue().splitlines()]
    assert summary.failed == 1 and out.getvalue() == b""
    assert failure["error"]["type"] == "output_error"
    assert "cannot be written as JSON" in failure["error"]["message"]
    assert failure["document"] == {"n": 1}


@pytest.fixture(scope="module")
def looping_guest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("guests") / "hostile_loop.wasm"
    path.write_bytes(wat2wasm((ROOT / "tests" / "wat" / "hostile_loop.wat").read_text()))
    return path


def test_a_worker_given_up_stops_the_run_part_way_with_a_summary(work: Path, looping_guest: Path) -> None:
    (work / "h.ndjson").write_bytes(b'{"n":1}\n{"n":2}\n{"n":3,"hang":1}\n{"n":4}\n{"n":5,"hang":1}\n{"n":6}\n')
    result = run("process", "h.ndjson", "-m", str(looping_guest), "-o", "o.ndjson", "--timeout", "0.2",
                 "--max-restarts", "0", "--batch-size", "1", cwd=work)
    assert result.returncode == 3, result.stderr
    text, through = stop_report(result.stderr)
    assert "gave up after 0 worker restarts" in text
    written, failed = whole_lines(work / "o.ndjson"), whole_lines(work / "o.failures.ndjson")
    # The run gave up on line 3 (its restart was one too many): lines 1-2 are accounted for.
    assert through == 2 and [d["n"] for d in written] == [1, 2] and failed == []
    assert "read 2, written 2" in summary_of(result.stderr)


def test_a_failure_is_reported_once_in_the_failure_file_not_also_as_a_log_line(work: Path) -> None:
    """The SDK logs a processor's error at Error level and the host makes the
    last such line the failure message: it goes to the failure record only.
    An Error line of a document that does not fail is still logged."""
    (work / "r.yml").write_text(
        f"processors:\n  - wasm: {{module: {WASM / 'rename_field.wasm'}, params: {{from: a, to: b}}, tag: ren}}\n"
    )
    (work / "r.ndjson").write_bytes(b'{"a":1}\n{"x":2}\n')
    for isolation in ISOLATIONS:
        result = run("process", "r.ndjson", "-p", "r.yml", "-o", "o.ndjson", "--isolation", isolation, cwd=work)
        assert result.returncode == 1
        (failure,) = whole_lines(work / "o.failures.ndjson")
        assert failure["error"]["message"] == "field [a] not present"
        assert b"not present" not in result.stderr, result.stderr


def test_params_for_a_module_without_configure_are_warned_about(work: Path) -> None:
    module = work / "noconf.wasm"
    module.write_bytes(wat2wasm((ROOT / "tests" / "wat" / "cli_fail_on_field.wat").read_text()))
    result = run("process", "in.ndjson", "-m", str(module), "--param", "field=x", "-o", "o.ndjson", cwd=work)
    assert b"exports no configure function: its params (field) are ignored" in result.stderr
    quiet = run("process", "in.ndjson", "-m", str(module), "-o", "o.ndjson", cwd=work)
    assert b"exports no configure" not in quiet.stderr


def test_dev_null_may_take_both_outputs(work: Path) -> None:
    result = run("process", "in.ndjson", "-p", "p.yml", "-o", "/dev/null", "--failures", "/dev/null", cwd=work)
    assert result.returncode == 1, result.stderr  # documents failed on purpose, into /dev/null
    assert "read 50" in summary_of(result.stderr)
