"""Hostile NDJSON input: every bad line gets a clear error naming it, and the run goes on."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from ingesthost.cli import main
from ingesthost.document import MAX_DEPTH
from ingesthost.ndjson import OVERSIZE_KEEP, read_records
from ingesthost.runtime import wat2wasm

ROOT = Path(__file__).resolve().parent.parent
BENCH_EDIT = ROOT / "fixtures" / "wasm" / "bench_edit.wasm"


def records(data: bytes, **limits: int) -> list:
    return list(read_records(io.BytesIO(data), "in", **limits))


def test_a_100_mb_line_is_refused_without_holding_it_whole() -> None:
    huge = b'{"a":"' + b"x" * (100 * 1024 * 1024) + b'"}\n'
    result = records(b'{"n":1}\n' + huge + b'{"n":3}\n')
    assert [r.line for r in result] == [1, 2, 3]
    assert result[0].document == {"n": 1} and result[2].document == {"n": 3}
    bad = result[1]
    assert bad.error is not None
    assert "line of 104,857,609 bytes is longer than the 33,554,432-byte limit" in str(bad.error)
    assert str(bad.error).startswith("in:2: ")
    assert len(bad.raw) == OVERSIZE_KEEP and bad.truncated_size == len(huge)


def test_line_limit_is_exact_and_configurable() -> None:
    line = b'{"a":"' + b"x" * 10 + b'"}'  # 18 bytes
    assert records(line + b"\r\n", max_line_bytes=18)[0].document == {"a": "x" * 10}
    assert records(line + b"\n", max_line_bytes=17)[0].error is not None
    assert records(line, max_line_bytes=17)[0].error is not None  # no final newline


def test_deep_nesting() -> None:
    ok = b'{"a":' + b"[" * (MAX_DEPTH - 1) + b"]" * (MAX_DEPTH - 1) + b"}\n"
    too_deep = b'{"a":' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}\n"
    way_too_deep = b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}\n"
    result = records(ok + too_deep + way_too_deep + b"{}\n")
    assert result[0].document is not None
    assert f"nested deeper than {MAX_DEPTH} levels" in str(result[1].error)
    assert "invalid JSON" in str(result[2].error)
    assert result[3].document == {}
    wide = b'{"a":[' + b",".join([b"[1]"] * 1000) + b"]}\n"  # many brackets, shallow
    assert records(wide, max_depth=3)[0].document is not None
    assert "nested deeper than 2 levels" in str(records(wide, max_depth=2)[0].error)


def test_blank_lines_are_neither_documents_nor_errors() -> None:
    """Whitespace-only lines are skipped (and counted by the run), as JSON Lines readers do."""
    for line in (b"\n", b"   \t \r\n", b"\r\n", b" "):
        (record,) = records(line)
        assert record.blank and record.document is None and record.error is None
    (record,) = records(b"\x0c\n")  # a form feed is not JSON whitespace
    assert "invalid JSON" in str(record.error)


def test_a_byte_order_mark_is_accepted_before_line_1_only() -> None:
    first, second = records(b'\xef\xbb\xbf{"a":1}\n\xef\xbb\xbf{"b":2}\n')
    assert first.document == {"a": 1}
    assert second.document is None and "invalid JSON" in str(second.error)


@pytest.mark.parametrize(
    "line,problem",
    [
        (b"\xff\xfe{}\n", "not valid UTF-8"),
        (b"{\"a\": tru}\n", "invalid JSON"),
        (b"42\n", "found a number"),
        (b"null\n", "found null"),
        (b"\"text\"\n", "found a string"),
        (b"{\"a\":1}{\"b\":2}\n", "invalid JSON"),
        (b"\x00\n", "invalid JSON"),
    ],
)
def test_not_documents(line: bytes, problem: str) -> None:
    (record,) = records(line)
    assert problem in str(record.error)
    assert str(record.error).startswith("in:1: ")


def test_duplicate_keys_keep_the_last_value() -> None:
    (record,) = records(b'{"a":1,"a":2}\n')
    assert record.document == {"a": 2}


def test_cli_reports_every_hostile_line_and_keeps_the_good_ones(tmp_path: Path) -> None:
    source = tmp_path / "in.ndjson"
    source.write_bytes(
        b'{"user":{"name":"a"}}\n'
        + b'{"x":"' + b"y" * 2000 + b'"}\n'
        + b'{"d":' + b"[" * 300 + b"]" * 300 + b"}\n"
        + b"\xc3\x28\n"
        + b'{"user":{"name":"b"}}'
    )
    out = tmp_path / "out.ndjson"
    rc = main(["process", str(source), "-m", str(BENCH_EDIT), "-o", str(out), "-q", "--max-line-bytes", "1KiB"])
    assert rc == 1
    assert [json.loads(l)["summary"] for l in out.read_text().splitlines()] == ["a:-", "b:-"]
    failures = [json.loads(l) for l in (tmp_path / "out.failures.ndjson").read_text().splitlines()]
    assert [f["line"] for f in failures] == [2, 3, 4]
    assert failures[0]["raw_truncated"] is True and failures[0]["raw_size"] == 2009
    assert "longer than the 1,024-byte limit" in failures[0]["error"]["message"]
    assert "nested deeper" in failures[1]["error"]["message"] or "invalid JSON" in failures[1]["error"]["message"]
    assert "UTF-8" in failures[2]["error"]["message"]



def test_gigantic_put_field_value_is_taken_and_the_run_goes_on(tmp_path: Path) -> None:
    from ingesthost import Pipeline

    module = tmp_path / "gigantic.wasm"
    module.write_bytes(wat2wasm((ROOT / "tests" / "wat" / "hostile_gigantic_put.wat").read_text()))
    size = 50 * 1024 * 1024
    with Pipeline.from_module(module, cache=False) as pipeline:
        exports = pipeline.processors[0]._instance._instance.exports
        exports.set_size(size)
        out = pipeline.process({"n": 1})
        assert out is not None and len(out["big"]) == size - 2 and set(out["big"][:100]) == {"x"}
        exports.set_size(10)
        assert pipeline.process({"n": 2}) == {"n": 2, "big": "x" * 8}
