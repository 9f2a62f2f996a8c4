"""Several inputs in one run, glob patterns, and gzip-compressed inputs,
through the command line as a user runs it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from test_run_safety import docs, run

PIPELINE = """\
processors:
  - drop: {if: "ctx.drop == true"}
  - fail: {message: "asked to fail", if: "ctx.fail == true"}
  - set: {field: seen, value: true}
"""


@pytest.fixture()
def work(tmp_path: Path) -> Path:
    (tmp_path / "p.yml").write_text(PIPELINE)
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "a.ndjson").write_bytes(docs(30, start=1))
    (tmp_path / "logs" / "b.ndjson.gz").write_bytes(gzip.compress(docs(30, start=31)))
    (tmp_path / "logs" / "c.ndjson").write_bytes(docs(30, start=61))
    return tmp_path


def _numbers(path: Path) -> list[int]:
    return [json.loads(line)["n"] for line in path.read_bytes().splitlines()]


@pytest.mark.parametrize("isolation", ["process", "none"])
def test_a_glob_runs_every_file_in_name_order_gzip_included(work: Path, isolation: str) -> None:
    done = run("process", "logs/*", "-p", "p.yml", "-o", "out.ndjson", "--isolation", isolation, cwd=work)
    assert done.returncode == 1, done.stderr  # some documents fail on purpose
    kept = [n for n in range(1, 91) if n % 7 and n % 11]
    assert _numbers(work / "out.ndjson") == kept
    failures = [json.loads(line) for line in (work / "out.failures.ndjson").read_bytes().splitlines()]
    # each failure names its file and its line in that file
    assert [(f["source"], f["line"], f["document"]["n"]) for f in failures] == [
        (f"logs/{name}", n - first + 1, n)
        for n in range(1, 91)
        if n % 11 == 0 and n % 7
        for name, first in [("a.ndjson", 1) if n <= 30 else ("b.ndjson.gz", 31) if n <= 60 else ("c.ndjson", 61)]
    ]
    assert "read 90, written 71, dropped 12, failed 7" in done.stderr.decode()


def test_a_gzip_file_gives_what_the_plain_file_gives(work: Path) -> None:
    (work / "plain.ndjson").write_bytes(docs(500, pad=300))
    (work / "packed.gz").write_bytes(gzip.compress(docs(500, pad=300)))
    for name in ("plain.ndjson", "packed.gz"):
        assert run("process", name, "-p", "p.yml", "-o", f"{name}.out", cwd=work).returncode == 1
    assert (work / "plain.ndjson.out").read_bytes() == (work / "packed.gz.out").read_bytes()
    assert len((work / "plain.ndjson.out").read_bytes().splitlines()) == 500 - 71 - 45 + 6


def test_several_inputs_named_one_by_one(work: Path) -> None:
    done = run("process", "logs/c.ndjson", "logs/a.ndjson", "-p", "p.yml", "-o", "out.ndjson", cwd=work)
    assert done.returncode == 1
    assert _numbers(work / "out.ndjson") == [n for n in [*range(61, 91), *range(1, 31)] if n % 7 and n % 11]


def test_a_truncated_gzip_file_stops_the_run_naming_it_and_keeps_what_came_before(work: Path) -> None:
    packed = gzip.compress(docs(3000, start=1001, pad=200))
    (work / "logs" / "b.ndjson.gz").write_bytes(packed[: len(packed) // 2])
    done = run("process", "logs/*", "-p", "p.yml", "-o", "out.ndjson", cwd=work)
    err = done.stderr.decode()
    assert done.returncode == 3, err
    assert "logs/b.ndjson.gz is truncated" in err
    assert "the inputs before logs/b.ndjson.gz are done" in err and "the inputs after it were not started" in err
    line = next(x for x in err.splitlines() if "accounted for" in x)
    through = int(line.split("up to ")[1].split(" ")[0])
    assert 0 < through < 3000
    # whole records only: all of a, then exactly b's lines the summary accounts for, nothing of c
    kept = lambda numbers: [n for n in numbers if n % 7 and n % 11]  # noqa: E731
    assert _numbers(work / "out.ndjson") == kept(range(1, 31)) + kept(range(1001, 1001 + through))


@pytest.mark.parametrize(
    "inputs, message",
    [
        (["logs/*.json"], "input pattern logs/*.json matches no file"),
        (["logs/a.ndjson", "logs/./a.ndjson"], "input logs/./a.ndjson is given twice"),
        (["logs/a.ndjson", "-"], "- (standard input) must be the only input"),
        (["logs/a.ndjson", "missing.ndjson"], "cannot read input missing.ndjson"),
    ],
)
def test_bad_input_lists_are_refused_before_anything_is_written(work: Path, inputs: list[str], message: str) -> None:
    (work / "out.ndjson").write_bytes(b"earlier output\n")
    done = run("process", *inputs, "-p", "p.yml", "-o", "out.ndjson", cwd=work)
    assert done.returncode == 2
    assert message in done.stderr.decode()
    assert (work / "out.ndjson").read_bytes() == b"earlier output\n"


def test_an_output_that_is_one_of_the_inputs_is_refused(work: Path) -> None:
    before = (work / "logs" / "c.ndjson").read_bytes()
    done = run("process", "logs/*", "-p", "p.yml", "-o", "logs/c.ndjson", cwd=work)
    assert done.returncode == 2
    assert "logs/c.ndjson" in done.stderr.decode()
    assert (work / "logs" / "c.ndjson").read_bytes() == before
