"""Scale-out with Dask (``ingesthost.dask``).

The claim under test: a run on a Dask cluster gives exactly what
``ingesthost process`` gives in one process, on the same inputs: the same
output documents in the same order (part files concatenated in partition
order), the same failure records (line numbers in the input included), the
same drops and counts, the same per-processor statistics. The inputs mix
several plain files (one cut into many byte ranges, with lines straddling
the cuts, a byte order mark, CRLF, blank, invalid and over-long lines and
no final newline), a glob, a gzip file and an empty file; the pipelines
modify, drop and fail documents with real wasm guests and the built-ins.

Then: a partition run twice (or failing half-way, then run again) leaves
exactly one complete pair of files; each worker process builds the
pipeline once per run; a pipeline the workers refuse stops the run before
any output is touched.

The cluster is a real one (two worker processes, one thread each, on
127.0.0.1); everything is bounded in time: each run has a ``timeout``, and
a watchdog ends the test process with a traceback if the module hangs.
"""

from __future__ import annotations

import faulthandler
import gzip
import json
import io
import os
import random
import re
import shutil
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest

distributed = pytest.importorskip("distributed")
pytest.importorskip("dask.bag")

from ingesthost.cli import main as cli_main  # noqa: E402
from ingesthost.dask import (  # noqa: E402
    DaskRunError,
    DaskRunStopped,
    PipelineRecipe,
    count_newlines,
    number_partitions,
    plan_partitions,
    process_files,
    process_partition,
)
from ingesthost.dask import _open_lines  # noqa: E402  (the range reader, tested on its own)
from ingesthost.errors import IngestHostError, PipelineConfigError  # noqa: E402
from ingesthost.ndjson import read_records  # noqa: E402
from ingesthost.workers import merge_stats  # noqa: E402

from ingesthost.runtime import available as available_runtimes

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
ACCESS_PIPELINE = FIXTURES / "pipelines" / "access.yml"
ACCESS_LINES = (FIXTURES / "sample" / "access.ndjson").read_bytes().splitlines(keepends=True)
#: Longest accepted line in these runs: the long line below is over it.
MAX_LINE = 20_000
#: Seconds any one run may take; the whole module at most MODULE_LIMIT.
RUN_LIMIT = 120
MODULE_LIMIT = 600

#: A pipeline that modifies, drops and fails documents, with built-ins
#: around a real wasm guest (deterministic: no timestamps).
BUILTINS_DEFINITION: dict[str, Any] = {
    "description": "parse, drop deletes, fail server errors, mark the rest",
    "processors": [
        {
            "wasm": {
                "tag": "parse",
                "module": str(FIXTURES / "wasm" / "kv_parse.wasm"),
                "params": {"field": "message", "target_field": "kv"},
            }
        },
        {"drop": {"tag": "no_deletes", "if": "ctx.kv?.method == 'DELETE'"}},
        {"fail": {"tag": "server_errors", "if": "ctx.kv?.status == '500'", "message": "server error on {{kv.path}}"}},
        {"set": {"field": "checked", "value": True}},
        {"remove": {"field": "kv.token", "ignore_missing": True}},
    ],
}

#: Lines sprinkled among the access-log documents.
ODD_LINES = [
    b"not json at all\n",
    b"[1, 2, 3]\n",
    b"   \n",
    b"\n",
    b'{"message": 5, "log": {"level": "info"}}\n',  # the guest fails: not a string
    b'{"log": {"level": "warn"}}\n',  # the guest fails: no message
    b'{"message": "user=zoe method=GET path=/crlf status=200", "log": {"level": "info"}}\r\n',
    b'{"message": "caf\xff method=GET"}\n',  # not UTF-8
    b'{"n": 123456789012345678901234567890, "message": "a=1"}\n',  # an integer beyond 64 bits
]


def mixed_lines(count: int, seed: int) -> list[bytes]:
    """``count`` access-log documents with odd lines among them."""
    rng = random.Random(seed)
    lines: list[bytes] = []
    for index in range(count):
        lines.append(ACCESS_LINES[(index * 7 + seed) % len(ACCESS_LINES)])
        if rng.random() < 0.08:
            lines.append(rng.choice(ODD_LINES))
    return lines


def physical_lines(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


# ---------------------------------------------------------------------------
# Fixtures: a real cluster, and the inputs
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """Two single-threaded worker processes on 127.0.0.1, for the module."""
    faulthandler.dump_traceback_later(MODULE_LIMIT, exit=True)
    try:
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        )
        dask_client = distributed.Client(cluster, timeout=60)
        try:
            dask_client.wait_for_workers(2, timeout=60)
            yield dask_client
        finally:
            dask_client.close(timeout=30)
            cluster.close(timeout=30)
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The inputs of the comparison runs, and the names to give both runs."""
    root = tmp_path_factory.mktemp("dask-inputs")
    # A big file (cut into many ranges): a byte order mark, odd lines, a line
    # longer than MAX_LINE straddling several cuts, no final newline.
    big_lines = mixed_lines(1100, seed=1)
    long_line = b'{"message": "user=long filler=' + b"x" * 30_000 + b'", "log": {"level": "info"}}\n'
    big_lines.insert(400, long_line)
    big_lines.insert(700, b'{"message": "user=almost filler=' + b"y" * 19_000 + b'", "log": {"level": "info"}}\n')
    big = root / "big.ndjson"
    big.write_bytes(b"\xef\xbb\xbf" + b"".join(big_lines).rstrip(b"\n"))
    more = root / "more"
    more.mkdir()
    (more / "a.ndjson").write_bytes(b"".join(mixed_lines(120, seed=2)))
    (more / "b.ndjson").write_bytes(b"".join(mixed_lines(80, seed=3)))
    gz = root / "logs.ndjson.gz"
    gz_plain = b"".join(mixed_lines(300, seed=4))
    gz.write_bytes(gzip.compress(gz_plain, mtime=0))
    empty = root / "empty.ndjson"
    empty.write_bytes(b"")
    # What ``ingesthost process`` reads for the gzip file (it reads no gzip):
    # the same bytes, under another name that is rewritten in its records.
    plain = root / "plain"
    plain.mkdir()
    (plain / "logs.ndjson").write_bytes(gz_plain)
    given = [str(big), str(more / "*.ndjson"), str(gz), str(empty)]
    sources = [str(big), str(more / "a.ndjson"), str(more / "b.ndjson"), str(gz), str(empty)]
    cli_inputs = {str(gz): str(plain / "logs.ndjson")}
    total = sum(physical_lines(Path(cli_inputs.get(s, s)).read_bytes()) for s in sources)
    return {"given": given, "sources": sources, "cli_inputs": cli_inputs, "total_lines": total, "root": root}


# ---------------------------------------------------------------------------
# The reference: ``ingesthost process`` in this process
# ---------------------------------------------------------------------------

SUMMARY = re.compile(r"read (\d+), written (\d+), dropped (\d+), failed (\d+)")
BLANK = re.compile(r"(\d+) blank lines skipped")


def reference_run(
    inputs: dict[str, Any], pipeline_file: Path, work: Path, capsys: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    """Output lines, failure records, counts and statistics of ``ingesthost
    process`` (in-process, ``--isolation none``) over each input in turn."""
    output: list[bytes] = []
    failures: list[dict[str, Any]] = []
    counts = {"read": 0, "written": 0, "dropped": 0, "failed": 0, "blank": 0}
    stats: Any = None
    for index, source in enumerate(inputs["sources"]):
        path = inputs["cli_inputs"].get(source, source)
        out, failed, stats_file = work / f"ref-{index}.ndjson", work / f"ref-{index}.failures.ndjson", work / f"ref-{index}.stats.json"
        capsys.readouterr()
        status = cli_main(
            [
                "process", path, "--pipeline", str(pipeline_file), "-o", str(out), "--failures", str(failed),
                "--isolation", "none", "--max-line-bytes", str(MAX_LINE), "--stats-json", str(stats_file),
            ]
        )  # fmt: skip
        err = capsys.readouterr().err
        assert status in (0, 1), err
        match = SUMMARY.search(err)
        assert match, err
        for name, value in zip(("read", "written", "dropped", "failed"), match.groups(), strict=True):
            counts[name] += int(value)
        blank = BLANK.search(err)
        counts["blank"] += int(blank.group(1)) if blank else 0
        output += out.read_bytes().splitlines(keepends=True)
        for line in failed.read_bytes().splitlines() if failed.exists() else []:
            record = orjson.loads(line)
            assert record["source"] == path
            record["source"] = source  # the gzip file's stand-in, named as the Dask run names it
            failures.append(record)
        stats = merge_stats(stats, orjson.loads(stats_file.read_bytes()))
    return {"output": output, "failures": failures, "counts": counts, "stats": stats}


def dask_outputs(result: Any) -> tuple[list[bytes], list[dict[str, Any]]]:
    """The run's output lines and failure records, part files concatenated in partition order."""
    output: list[bytes] = []
    failures: list[dict[str, Any]] = []
    for part in result.partitions:
        output += Path(part.output).read_bytes().splitlines(keepends=True)
        failures += [orjson.loads(line) for line in Path(part.failures).read_bytes().splitlines()]
    return output, failures


def without_ingest_time(lines: list[bytes]) -> list[bytes]:
    """Output lines with the guest-made ``event.ingested`` timestamp taken out
    (checked to be there first): the one thing two runs may differ in."""
    kept = []
    for line in lines:
        doc = orjson.loads(line)
        stamp = doc["event"].pop("ingested")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", stamp)
        if not doc["event"]:
            del doc["event"]
        kept.append(orjson.dumps(doc) + b"\n")
    return kept


def stats_counts(stats: dict[str, Any]) -> list[Any]:
    """The statistics without times and pipeline ids: what both runs must agree on."""
    def strip(tree: Any) -> Any:
        if isinstance(tree, dict):
            return {k: strip(v) for k, v in tree.items() if k not in ("time_in_millis", "time_in_nanos")}
        if isinstance(tree, list):
            return [strip(v) for v in tree]
        return tree

    return [strip(entry) for entry in stats["pipelines"].values()]


def check_same_as_reference(result: Any, reference: dict[str, Any], inputs: dict[str, Any], *, stamped: bool) -> None:
    output, failures = dask_outputs(result)
    expected = reference["output"]
    if stamped:
        output, expected = without_ingest_time(output), without_ingest_time(expected)
    assert len(output) == len(expected)
    assert output == expected
    assert failures == reference["failures"]
    counts = result.summary.counts()
    assert {name: counts[name] for name in reference["counts"]} == reference["counts"]
    assert result.lines == inputs["total_lines"]
    assert result.summary.written + result.summary.dropped + result.summary.failed + result.summary.blank == result.lines
    assert [part.source for part in result.partitions].count(inputs["sources"][0]) > 5  # the big file was cut
    assert stats_counts(result.stats) == stats_counts(reference["stats"])


# ---------------------------------------------------------------------------
# The comparisons
# ---------------------------------------------------------------------------


def test_access_pipeline_matches_ingesthost_process(
    client: Any, inputs: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """fixtures/pipelines/access.yml (five wasm guests: drop, parse, rename,
    redact, stamp): the documents it keeps, drops and fails, and the input
    lines that are no documents, exactly as ``ingesthost process`` has them."""
    reference = reference_run(inputs, ACCESS_PIPELINE, tmp_path, capsys)
    seen: list[int] = []
    started = time.perf_counter()
    result = process_files(
        inputs["given"],
        pipeline=ACCESS_PIPELINE,
        output_dir=tmp_path / "out",
        client=client,
        partition_size=24 * 1024,
        max_line_bytes=MAX_LINE,
        stats=True,
        timeout=RUN_LIMIT,
        on_partition=lambda part: seen.append(part.index),
    )
    elapsed = time.perf_counter() - started
    check_same_as_reference(result, reference, inputs, stamped=True)
    assert sorted(seen) == list(range(len(result.partitions)))
    assert reference["counts"]["dropped"] > 50 and reference["counts"]["failed"] > 50
    kinds = {(record["error"]["type"], record["error"].get("processor_tag")) for record in reference["failures"]}
    assert {("input_error", None), ("processor_error", "parse_kv")} <= kinds
    assert any(r.get("raw_truncated") and "longer than" in r["error"]["message"] for r in reference["failures"])
    # Line numbers are the input's, also for ranges that start mid-file.
    late = [r["line"] for r in reference["failures"] if r["source"] == inputs["sources"][0] and r["line"] > 900]
    assert late
    # Every partition's files are there, the failure files hold records only where some failed.
    names = sorted(os.listdir(tmp_path / "out"))
    assert names == sorted(
        ["_manifest.json"]
        + [os.path.basename(p.output) for p in result.partitions]
        + [os.path.basename(p.failures) for p in result.partitions]
    )
    assert result.failure_files and all(Path(f).stat().st_size for f in result.failure_files)
    manifest = orjson.loads(Path(result.manifest).read_bytes())
    assert manifest["summary"]["lines"] == result.lines
    assert [entry["first_line"] for entry in manifest["partitions"]] == [p.first_line for p in result.partitions]
    print(f"access.yml over {len(result.partitions)} partitions: {elapsed:.2f} s")


def test_builtins_pipeline_matches_ingesthost_process(
    client: Any, inputs: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pipeline given as a definition (wasm guest + drop/fail/set/remove
    built-ins), the cluster reached by its address: byte-identical output."""
    pipeline_file = tmp_path / "builtins.json"
    pipeline_file.write_bytes(orjson.dumps(BUILTINS_DEFINITION))
    reference = reference_run(inputs, pipeline_file, tmp_path, capsys)
    result = process_files(
        inputs["given"],
        definition=BUILTINS_DEFINITION,
        output_dir=tmp_path / "out",
        client=client.scheduler.address,  # connected for the call, then closed
        partition_size=16 * 1024,
        max_line_bytes=MAX_LINE,
        stats=True,
        timeout=RUN_LIMIT,
    )
    check_same_as_reference(result, reference, inputs, stamped=False)
    tags = {record["error"].get("processor_tag") for record in reference["failures"]}
    assert {"parse", "server_errors"} <= tags
    assert reference["counts"]["dropped"] > 100


# ---------------------------------------------------------------------------
# Retries, builds, refusals
# ---------------------------------------------------------------------------


def _planned(paths: list[str], partition_size: int) -> list[Any]:
    """Partitions numbered as a run numbers them (the count done here)."""
    planned = plan_partitions(paths, partition_size=partition_size)
    counts = {part.index: count_newlines(part) for part in planned if part.end is not None}
    return number_partitions(planned, counts)


def test_retried_partition_leaves_one_complete_output(
    client: Any, inputs: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A partition that fails half-way leaves nothing; run again (in this
    process, twice, and twice at once on the cluster) it leaves exactly one
    complete output and one failure file, never a duplicate or a partial one."""
    big = inputs["sources"][0]
    partitions = _planned([big], 24 * 1024)
    part = next(p for p in partitions if p.first_line > 1 and p.lines and p.lines > 50)
    recipe = PipelineRecipe.take(definition=BUILTINS_DEFINITION)
    out = tmp_path / "out"
    out.mkdir()
    options = {"max_line_bytes": MAX_LINE}

    # An attempt that dies after writing part of its output leaves no file.
    import ingesthost.dask as dask_module

    real_run = dask_module.run

    def dying_run(pipeline: Any, records: Any, output: Any, failures: Any, *, source: str) -> Any:
        output.write(b'{"partial": true}\n')
        failures.write(b'{"partial": true}\n')
        raise OSError("worker lost")

    monkeypatch.setattr(dask_module, "run", dying_run)
    with pytest.raises(OSError, match="worker lost"):
        process_partition(part, recipe, str(out), **options)
    assert os.listdir(out) == []
    monkeypatch.setattr(dask_module, "run", real_run)

    first = process_partition(part, recipe, str(out), **options)
    first_bytes = Path(first.output).read_bytes(), Path(first.failures).read_bytes()
    second = process_partition(part, recipe, str(out), **options)
    assert (Path(second.output).read_bytes(), Path(second.failures).read_bytes()) == first_bytes
    assert sorted(os.listdir(out)) == [f"part-{part.index:05d}.failures.ndjson", f"part-{part.index:05d}.ndjson"]
    assert first.lines == part.lines
    assert first.counts["written"] == len(first_bytes[0].splitlines())
    assert first.counts["failed"] == len(first_bytes[1].splitlines())
    lines = [orjson.loads(r)["line"] for r in first_bytes[1].splitlines()]
    assert lines and all(part.first_line <= n < part.first_line + part.lines for n in lines)

    # The same partition twice at once on the cluster: still one complete pair.
    futures = [
        client.submit(process_partition, part, recipe, str(out), pure=False, **options) for _ in range(2)
    ]
    results = client.gather(futures)
    assert {r.counts["written"] for r in results} == {first.counts["written"]}
    assert sorted(os.listdir(out)) == [f"part-{part.index:05d}.failures.ndjson", f"part-{part.index:05d}.ndjson"]
    assert (Path(first.output).read_bytes(), Path(first.failures).read_bytes()) == first_bytes


def test_each_worker_builds_the_pipeline_once(client: Any, inputs: dict[str, Any], tmp_path: Path) -> None:
    """Many partitions, two single-threaded workers: each worker process
    builds the pipeline once and reuses it; after the run no pipeline (no
    pool) is left on the workers."""
    result = process_files(
        inputs["sources"][0],
        pipeline=ACCESS_PIPELINE,
        output_dir=tmp_path / "out",
        client=client,
        partition_size=8 * 1024,
        max_line_bytes=MAX_LINE,
        timeout=RUN_LIMIT,
    )
    assert len(result.partitions) > 20
    per_worker: dict[str, int] = {}
    for part in result.partitions:
        per_worker[part.worker] = per_worker.get(part.worker, 0) + 1
    assert set(per_worker) <= set(result.pipeline_builds)
    assert all(count == 1 for count in result.pipeline_builds.values()), result.pipeline_builds
    assert max(per_worker.values()) > 1  # reuse happened
    built = [part.pid for part in result.partitions if part.built]
    assert len(built) == len(set(built))  # no process built twice for a partition
    left = client.run(lambda dask_worker: [name for name in dask_worker.plugins if name.startswith("ingesthost")])
    assert all(names == [] for names in left.values())
    # The pipelines were closed: their threads have ended.
    alive = client.run(lambda: [t.name for t in threading.enumerate() if t.name.startswith("ingesthost-pipeline")])
    assert all(names == [] for names in alive.values())


def test_a_partition_that_keeps_failing_stops_the_run(client: Any, inputs: dict[str, Any], tmp_path: Path) -> None:
    """A partition that fails on every attempt (here: made to, on the
    workers, after writing its files aside) stops the run with
    DaskRunStopped: its files never appear, the completed partitions are
    named and complete, no manifest claims the run finished."""

    def break_partition(index: int) -> None:
        import ingesthost.dask as module

        original = module._check_lines

        def failing(partition: Any, summary: Any, lines: int) -> None:
            if partition.index == index:
                raise OSError(f"disk trouble in partition {index}")
            original(partition, summary, lines)

        failing.original = original  # type: ignore[attr-defined]
        module._check_lines = failing

    def mend() -> None:
        import ingesthost.dask as module

        module._check_lines = getattr(module._check_lines, "original", module._check_lines)

    out = tmp_path / "out"
    client.run(break_partition, 3)
    try:
        with pytest.raises(DaskRunStopped, match="disk trouble in partition 3") as caught:
            process_files(
                inputs["sources"][0], definition=BUILTINS_DEFINITION, output_dir=out, client=client,
                partition_size=16 * 1024, max_line_bytes=MAX_LINE, retries=1, timeout=RUN_LIMIT,
            )  # fmt: skip
    finally:
        client.run(mend)
    assert isinstance(caught.value.__cause__, OSError)
    names = set(os.listdir(out))
    assert "_manifest.json" not in names
    assert not {"part-00003.ndjson", "part-00003.failures.ndjson"} & names
    completed = caught.value.completed
    assert 3 not in {part.index for part in completed}
    for part in completed:
        assert len(Path(part.output).read_bytes().splitlines()) == part.counts["written"]
        assert len(Path(part.failures).read_bytes().splitlines()) == part.counts["failed"]


def test_a_run_past_its_timeout_stops(client: Any, inputs: dict[str, Any], tmp_path: Path) -> None:
    """``timeout`` bounds the whole run; nothing is left registered on the workers."""
    with pytest.raises(DaskRunError, match="timeout"):
        process_files(
            inputs["sources"][0], pipeline=ACCESS_PIPELINE, output_dir=tmp_path / "out", client=client,
            partition_size=8 * 1024, max_line_bytes=MAX_LINE, timeout=0.01,
        )  # fmt: skip
    left = client.run(lambda dask_worker: [name for name in dask_worker.plugins if name.startswith("ingesthost")])
    assert all(names == [] for names in left.values())


def test_a_pipeline_the_workers_refuse_touches_no_output(client: Any, inputs: dict[str, Any], tmp_path: Path) -> None:
    """``configure`` runs on the workers only; a params error there stops the
    run before an earlier run's files are removed (``overwrite``) or any is written."""
    out = tmp_path / "out"
    earlier = process_files(
        inputs["sources"][1], module=FIXTURES / "wasm" / "kv_parse.wasm", params={"field": "message"},
        output_dir=out, client=client, timeout=RUN_LIMIT,
    )  # fmt: skip
    before = {name: (out / name).read_bytes() for name in os.listdir(out)}
    with pytest.raises(IngestHostError, match=r"param \[field\] must be a string"):
        process_files(
            inputs["sources"][1], module=FIXTURES / "wasm" / "kv_parse.wasm", params={"field": 5},
            output_dir=out, client=client, overwrite=True, timeout=RUN_LIMIT,
        )  # fmt: skip
    assert {name: (out / name).read_bytes() for name in os.listdir(out)} == before
    assert earlier.lines == physical_lines(Path(inputs["sources"][1]).read_bytes())


def test_overwrite_removes_an_earlier_runs_partitions(client: Any, inputs: dict[str, Any], tmp_path: Path) -> None:
    """An earlier run's files are refused, or with ``overwrite`` removed first,
    so no stale part file of a longer run stays next to a shorter one."""
    out = tmp_path / "out"
    common = {"definition": BUILTINS_DEFINITION, "output_dir": out, "client": client, "timeout": RUN_LIMIT}
    first = process_files(inputs["sources"][0], partition_size=16 * 1024, max_line_bytes=MAX_LINE, **common)
    assert len(first.partitions) > 10
    with pytest.raises(DaskRunError, match="earlier run"):
        process_files(inputs["sources"][1], **common)
    second = process_files(inputs["sources"][1], overwrite=True, **common)
    assert len(second.partitions) == 1
    assert sorted(os.listdir(out)) == ["_manifest.json", "part-00000.failures.ndjson", "part-00000.ndjson"]


# ---------------------------------------------------------------------------
# No cluster needed
# ---------------------------------------------------------------------------

CUT_CONTENTS = [
    b"\xef\xbb\xbf" + b'{"a":1}\n\n{"b":2}\r\n   \nnot json\n{"c":"' + b"z" * 40 + b'"}\n{"d":4}',
    b"\n\n\n",
    b'{"only": "one line, no newline"}',
    b'{"x":1}\n' * 9,
    b"x" * 50 + b"\n" + b"y\n",
]


@pytest.mark.parametrize("content", CUT_CONTENTS, ids=range(len(CUT_CONTENTS)))
def test_cut_ranges_read_every_line_once_with_its_number(content: bytes, tmp_path: Path) -> None:
    """For every range size, the ranges of a cut file together read the
    file's lines exactly once, in order, each with its number in the file,
    as one read of the whole file does (local files, and fsspec's memory://)."""
    path = tmp_path / "in.ndjson"
    path.write_bytes(content)
    import fsspec

    memory_url = f"memory://cut-{len(content)}-{hash(content)}/in.ndjson"
    with fsspec.open(memory_url, "wb") as stream:
        stream.write(content)

    def records(stream: Any, first: int = 1) -> list[tuple[int, bytes, bool]]:
        return [(r.line, r.raw, r.document is None) for r in read_records(stream, "in", max_line_bytes=30, first_line=first)]

    with open(path, "rb") as whole:
        expected = records(whole)
    assert len(expected) == physical_lines(content)
    for url in (str(path), memory_url):
        for size in range(1, len(content) + 2):
            got: list[tuple[int, bytes, bool]] = []
            for part in _planned([url], size):
                with _open_lines(part, {}) as lines:
                    got += records(lines, part.first_line)
                    assert part.lines is None or lines.lines == part.lines
            assert got == expected, (url, size)


def test_partitions_read_and_write_fsspec_urls() -> None:
    """Inputs and outputs anywhere fsspec reaches (here its in-memory file
    system, in this process): cut ranges read through fsspec, files written
    aside and moved into place; the same results as one in-process run."""
    import fsspec

    data = b"".join(mixed_lines(200, seed=5))
    url = "memory://dask-test-in/logs.ndjson"
    with fsspec.open(url, "wb") as stream:
        stream.write(data)
    partitions = _planned([url], 4096)
    assert len(partitions) > 3
    recipe = PipelineRecipe.take(definition=BUILTINS_DEFINITION)
    results = [process_partition(part, recipe, "memory://dask-test-out", max_line_bytes=MAX_LINE) for part in partitions]
    fs = fsspec.filesystem("memory")
    assert sorted(os.path.basename(p) for p in fs.ls("/dask-test-out", detail=False)) == sorted(
        name for part in results for name in (os.path.basename(part.output), os.path.basename(part.failures))
    )
    output = b"".join(fs.cat(part.output) for part in results)
    failures = b"".join(fs.cat(part.failures) for part in results)

    from ingesthost.pipeline import Pipeline
    from ingesthost.runner import run

    expected_output, expected_failures = io.BytesIO(), io.BytesIO()
    with Pipeline.from_definition(BUILTINS_DEFINITION) as pipeline:
        records = read_records(io.BytesIO(data), url, max_line_bytes=MAX_LINE)
        summary = run(pipeline, records, expected_output, expected_failures, source=url)
    assert output == expected_output.getvalue()
    assert failures == expected_failures.getvalue() and summary.failed > 0
    assert sum(part.lines for part in results) == physical_lines(data)


def test_refusals_before_anything_runs(inputs: dict[str, Any], tmp_path: Path) -> None:
    """Bad inputs, pipelines and output directories are refused in the
    caller's process, before a cluster is reached (``client`` is never used)."""
    unused = "tcp://127.0.0.1:9"  # nothing listens there: reaching it would fail differently
    common: dict[str, Any] = {"pipeline": ACCESS_PIPELINE, "client": unused, "timeout": 5}
    with pytest.raises(DaskRunError, match="no input file matches"):
        process_files(str(tmp_path / "nothing-*.ndjson"), output_dir=tmp_path / "o1", **common)
    with pytest.raises(DaskRunError, match="standard input"):
        process_files("-", output_dir=tmp_path / "o1", **common)
    with pytest.raises(DaskRunError, match="cannot read input"):
        process_files(str(tmp_path / "missing.ndjson"), output_dir=tmp_path / "o1", **common)
    with pytest.raises(PipelineConfigError):
        process_files(inputs["sources"][1], definition={"processors": [{"wasm": {"module": "nope.wasm"}}]},
                      output_dir=tmp_path / "o1", client=unused)  # fmt: skip
    with pytest.raises(DaskRunError, match="exactly one of"):
        process_files(inputs["sources"][1], output_dir=tmp_path / "o1", client=unused)
    out = tmp_path / "o2"
    out.mkdir()
    (out / "part-00007.ndjson").write_bytes(b"{}\n")
    with pytest.raises(DaskRunError, match="earlier run"):
        process_files(inputs["sources"][1], output_dir=out, **common)
    with pytest.raises(DaskRunError, match="is an output of the run"):
        process_files(str(out / "part-00007.ndjson"), output_dir=out, overwrite=True, **common)
    assert os.listdir(out) == ["part-00007.ndjson"]
    shutil.rmtree(out)
    # Only now is the scheduler needed: one that is not there is a clear error.
    with pytest.raises(DaskRunError, match="cannot reach the Dask scheduler"):
        process_files(inputs["sources"][1], output_dir=tmp_path / "o3", pipeline=ACCESS_PIPELINE, client=unused, timeout=1)
    assert not (tmp_path / "o3").exists()


def test_cli_dask_scheduler_runs_the_same_job(client: Any, tmp_path: Path) -> None:
    """``ingesthost process --dask-scheduler``: the documents and the summary of an ordinary run."""
    from ingesthost.cli import main

    source = tmp_path / "in.ndjson"
    source.write_bytes(b"".join(ACCESS_LINES[:40]) + b"not json\n")
    plain = tmp_path / "plain.ndjson"
    assert main(["process", str(source), "-p", str(ACCESS_PIPELINE), "-o", str(plain), "-q", "--isolation", "none"]) == 1
    out = tmp_path / "out"
    rc = main(["process", str(source), "-p", str(ACCESS_PIPELINE), "-o", str(out), "-q",
               "--dask-scheduler", client.scheduler.address])
    assert rc == 1
    parts = sorted(out.glob("part-*.ndjson"))
    documents = b"".join(p.read_bytes() for p in parts if not p.name.endswith(".failures.ndjson"))
    assert [_without_time(l) for l in documents.splitlines()] == [_without_time(l) for l in plain.read_bytes().splitlines()]
    refused = main(["process", "-", "-p", str(ACCESS_PIPELINE), "-o", str(out), "--dask-scheduler", "tcp://127.0.0.1:1"])
    assert refused == 2


def _without_time(line: bytes) -> dict:
    doc = json.loads(line)
    doc.get("event", {}).pop("ingested", None)
    return doc


@pytest.mark.skipif("wasmtime" not in available_runtimes(), reason="wasmtime is not installed")
def test_the_workers_build_on_the_runtime_asked_for(
    client: Any, inputs: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``runtime="wasmtime"``: the same documents as ``ingesthost process`` on
    the default runtime, and the workers' guests really ran on wasmtime."""
    reference = reference_run(inputs, ACCESS_PIPELINE, tmp_path, capsys)
    result = process_files(
        inputs["given"], pipeline=ACCESS_PIPELINE, output_dir=tmp_path / "out", client=client,
        partition_size=24 * 1024, max_line_bytes=MAX_LINE, stats=True, timeout=RUN_LIMIT, runtime="wasmtime",
    )
    check_same_as_reference(result, reference, inputs, stamped=True)

    def runtimes_in_worker() -> list[str]:
        from ingesthost.dask import PipelineRecipe

        recipe = PipelineRecipe.take(pipeline=ACCESS_PIPELINE, runtime="wasmtime", cache=False)
        pipeline = recipe.build()
        try:
            return sorted({p.module.engine.runtime for p in pipeline.processors if hasattr(p, "module")})
        finally:
            pipeline.close()

    assert client.submit(runtimes_in_worker, pure=False).result(timeout=120) == ["wasmtime"]
