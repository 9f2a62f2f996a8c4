"""Fuzzing the NDJSON reader and the ``process`` loop with hostile input.

Long mode (20x the examples; see tests/fuzz_profiles.py)::

    INGESTHOST_FUZZ=long /tmp/venv/bin/python -m pytest -q tests/test_fuzz_ndjson.py

Input is arbitrary bytes, or lines mixed from valid JSON objects, other
JSON values, garbage, blank lines, invalid UTF-8, documents nested around
the depth limit and lines around a small ``max_line_bytes``, joined with
``\\n``, ``\\r\\n`` and stray ``\\r``, with or without a final newline.

The oracle splits the input into lines the way ``read_records`` defines
them (a line ends at ``\\n``; its text drops that ``\\n`` and one ``\\r``
before it; a missing final newline still ends a line) and decides each
line's fate from RFC 8259 (tests/fuzz_reference.py), the line limit and
the depth limit. Checked: one record per line, numbered 1..n in order,
exactly one of document/error, documents are the parsed objects; and
through ``ingesthost.runner.run``: read == written + dropped + failed, and
the output and failure files account for every line.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import event, example, given, strategies as st

from fuzz_profiles import fuzz_settings
from fuzz_reference import canon, ref_depth, ref_parse_value
from ingesthost import Pipeline
from ingesthost.document import MAX_DEPTH
from ingesthost.ndjson import DEFAULT_MAX_LINE_BYTES, OVERSIZE_KEEP, parse_block, read_records
from ingesthost.runner import run, run_block, run_lines

# --------------------------------------------------------------------------
# The oracle
# --------------------------------------------------------------------------


@dataclass
class Line:
    number: int
    raw: bytes  # with its line ending
    text: bytes  # without it
    #: "document", or why not: "oversize", "invalid", "deep", "not_object", "blank" (skipped)
    fate: str
    document: Any = None


def split_lines(data: bytes) -> list[tuple[bytes, bytes]]:
    """(raw, text) per line: a line ends at ``\\n``; its text drops the ``\\n``
    and one ``\\r`` before it; a last line without a newline still counts."""
    pieces = data.split(b"\n")
    lines = [piece + b"\n" for piece in pieces[:-1]]
    if pieces[-1]:
        lines.append(pieces[-1])
    result = []
    for raw in lines:
        text = raw[:-1] if raw.endswith(b"\n") else raw
        if raw.endswith(b"\n") and text.endswith(b"\r"):
            text = text[:-1]
        result.append((raw, text))
    return result


def expected_lines(data: bytes, max_line_bytes: int, max_depth: int) -> list[Line]:
    max_depth = min(max_depth, MAX_DEPTH)
    out = []
    for number, (raw, text) in enumerate(split_lines(data), start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):  # a byte order mark is dropped
            raw, text = raw[3:], text[3:]
        if len(text) > max_line_bytes:
            out.append(Line(number, raw, text, "oversize"))
            continue
        if not text.strip(b" \t\r\n"):  # JSON whitespace only
            out.append(Line(number, raw, text, "blank"))
            continue
        ok, value = ref_parse_value(text)
        if not ok or _has_wide_integer(text):  # beyond 64 bits: refused (ingesthost.jsonnumbers)
            out.append(Line(number, raw, text, "invalid"))
        elif ref_depth(value) > max_depth:
            out.append(Line(number, raw, text, "deep"))
        elif not isinstance(value, dict):
            out.append(Line(number, raw, text, "not_object"))
        else:
            out.append(Line(number, raw, text, "document", value))
    return out


def _has_wide_integer(text: bytes) -> bool:
    """An integer outside -2^63..2^64-1 anywhere in the JSON text (read exactly;
    the reference parser reads such integers as floats, as the ABI does)."""
    import json

    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return False
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bool):
            continue
        if isinstance(item, int):
            if not -(2**63) <= item <= 2**64 - 1:
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def check_records(data: bytes, max_line_bytes: int, max_depth: int) -> list:
    records = list(
        read_records(io.BytesIO(data), "fuzz.ndjson", max_line_bytes=max_line_bytes, max_depth=max_depth)
    )
    expected = expected_lines(data, max_line_bytes, max_depth)
    assert len(records) == len(expected), (
        f"{len(records)} records for {len(expected)} lines: "
        f"{[r.raw[:40] for r in records]} vs {[e.raw[:40] for e in expected]}"
    )
    for record, line in zip(records, expected):
        assert record.line == line.number
        event(f"line: {line.fate}")
        if line.fate == "blank":
            assert record.document is None and record.error is None, f"line {line.number} is blank"
            assert record.raw == line.raw
            continue
        assert (record.document is None) != (record.error is None), "exactly one of document/error"
        if line.fate == "oversize":
            assert record.error is not None, f"line {line.number} is longer than the limit"
            assert record.truncated_size == len(line.raw)
            assert record.raw == line.raw[: min(len(record.raw), OVERSIZE_KEEP)]
            assert "longer than" in str(record.error)
            continue
        assert record.raw == line.raw
        assert record.text == line.text
        if line.fate == "document":
            assert record.error is None, f"line {line.number}: {record.error}"
            assert type(record.document) is dict
            assert canon(record.document) == canon(line.document)
        else:
            assert record.document is None, f"line {line.number} ({line.fate}) was read as {record.document!r}"
            assert str(record.error).startswith(f"fuzz.ndjson:{line.number}: ")
            if line.fate == "deep":
                assert "nested deeper" in str(record.error)
            elif line.fate == "not_object":
                assert "must be a JSON object" in str(record.error)
    return records


# --------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8
)
objects = st.dictionaries(st.text(max_size=5), json_values, max_size=4)


def _nested(depth: int, as_list: bool) -> bytes:
    if as_list:
        return b'{"a":' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"
    return b'{"a":' * depth + b"1" + b"}" * depth


GARBAGE = [
    b"", b" ", b"\t", b"\x0c", b"\x0b", b"{", b"}", b"[]", b"null", b"1", b'"x"', b"true", b"NaN", b"{'a':1}",
    b'{"a":1}x', b'{"a":1} {"b":2}', b'{"a":NaN}', b'{"a":1e400}', b'{"a":' + b"9" * 400 + b"}",
    b'{"a":18446744073709551616}', b'{"a":"\\ud800"}', b'{"a":"\xff"}', b"\xef\xbb\xbf{}", b"\xff\xfe{\x00}\x00",
    b'{"a":"\xed\xa0\x80"}', b'{"a":1,"a":2}', b'{"a":"\x00"}', b"\x00", b"{}\x00", b'{"a":1}\r', b"\r{}",
    b"\r", b"\r\r", b"{}\r\r",
]


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 8))
    if kind <= 2:
        return orjson.dumps(draw(objects))
    if kind == 3:
        return json.dumps(draw(objects), indent=draw(st.sampled_from([None, 1])), ensure_ascii=draw(st.booleans())).replace("\n", " ").encode()
    if kind == 4:
        return orjson.dumps(draw(json_values))
    if kind == 5:
        return draw(st.sampled_from(GARBAGE))
    if kind == 6:
        return _nested(draw(st.integers(MAX_DEPTH - 3, MAX_DEPTH + 3)), draw(st.booleans()))
    if kind == 7:
        return draw(st.binary(max_size=12))
    return bytes(draw(st.lists(st.sampled_from(b'{}[]":,1a \r\n\xff'), max_size=16)))


endings = st.sampled_from([b"\n", b"\n", b"\n", b"\r\n", b"\r\n", b"\r\r\n", b"\r", b"\n\n"])


@st.composite
def ndjson(draw: st.DrawFn) -> bytes:
    """Lines joined with assorted endings; maybe no final newline."""
    parts = draw(st.lists(st.tuples(lines(), endings), max_size=10))
    data = b"".join(line + end for line, end in parts)
    if data and draw(st.booleans()):
        data = data.rstrip(b"\n")
    return data


cr_heavy = st.lists(st.sampled_from(b"{}\"a:1 \r\r\r\n\n"), max_size=40).map(bytes)
inputs = st.one_of(ndjson(), st.binary(max_size=200), cr_heavy)
line_limits = st.one_of(st.just(DEFAULT_MAX_LINE_BYTES), st.integers(1, 24), st.integers(1, 400))
depth_limits = st.one_of(st.just(MAX_DEPTH), st.integers(1, 8), st.integers(MAX_DEPTH - 3, MAX_DEPTH + 10))


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------


@fuzz_settings(300)
@given(data=inputs, max_line_bytes=line_limits, max_depth=depth_limits)
@example(data=b'{"a":1}\r\n\n\r\n{"b":[]}', max_line_bytes=DEFAULT_MAX_LINE_BYTES, max_depth=MAX_DEPTH)
@example(data=b"{}\r\r\n", max_line_bytes=8, max_depth=MAX_DEPTH)
def test_read_records_one_record_per_line(data: bytes, max_line_bytes: int, max_depth: int) -> None:
    check_records(data, max_line_bytes, max_depth)


def test_a_line_ending_in_cr_bytes_just_past_the_limit_is_one_oversize_record() -> None:
    """Found by fuzzing. A line whose text is longer than ``max_line_bytes`` by
    trailing ``\\r`` bytes: the reader read ``max_line_bytes + 2`` bytes, stripped
    every trailing ``\\r`` (not just the line ending's one) when measuring,
    took the chunk for a whole line, and read the rest of the line as
    another record: 3 records instead of 2, the real second line numbered 3."""
    data = b"abcdefgh\r\r\r\n" + b'{"n":2}\n'  # line 1's text is b"abcdefgh\r\r" (10 bytes) > 8
    records = list(read_records(io.BytesIO(data), "in", max_line_bytes=8))
    assert [r.line for r in records] == [1, 2]
    assert records[0].error is not None and "longer than" in str(records[0].error)
    assert records[1].document == {"n": 2}


# --------------------------------------------------------------------------
# Through the process loop
# --------------------------------------------------------------------------

EMPTY = {"processors": []}
#: Drops documents with "drop": true, fails those with "fail": true.
DROP_OR_FAIL = {
    "processors": [
        {"drop": {"if": "ctx.drop == true"}},
        {"fail": {"message": "asked to fail", "if": "ctx.fail == true"}},
    ]
}


@st.composite
def flagged_lines(draw: st.DrawFn) -> bytes:
    """Object lines that may ask the pipeline to drop or fail them, and garbage."""
    if draw(st.integers(0, 3)) == 0:
        return draw(lines())
    doc = draw(objects)
    for flag in ("drop", "fail"):
        if draw(st.booleans()):
            doc[flag] = draw(st.sampled_from([True, True, False, 1, "true", None]))
    return orjson.dumps(doc)


@st.composite
def flagged_ndjson(draw: st.DrawFn) -> bytes:
    parts = draw(st.lists(st.tuples(flagged_lines(), endings), max_size=10))
    data = b"".join(line + end for line, end in parts)
    if data and draw(st.booleans()):
        data = data.rstrip(b"\n")
    return data


@fuzz_settings(200)
@given(
    data=st.one_of(flagged_ndjson(), inputs),
    definition=st.sampled_from([EMPTY, DROP_OR_FAIL]),
    max_line_bytes=st.one_of(st.just(DEFAULT_MAX_LINE_BYTES), st.integers(1, 64)),
)
def test_run_accounts_for_every_line(data: bytes, definition: dict, max_line_bytes: int) -> None:
    """Every line ends in exactly one place: the output (in order, unchanged by
    this pipeline), dropped (counted), or the failure output (with its line
    number and original content)."""
    expected = expected_lines(data, max_line_bytes, MAX_DEPTH)
    pipeline = Pipeline.from_definition(definition)
    out, failures = io.BytesIO(), io.BytesIO()
    try:
        records = read_records(io.BytesIO(data), "fuzz.ndjson", max_line_bytes=max_line_bytes)
        summary = run(pipeline, records, out, failures, source="fuzz.ndjson")
    finally:
        pipeline.close()

    assert summary.read == summary.written + summary.dropped + summary.failed
    assert summary.blank == sum(1 for line in expected if line.fate == "blank")
    expected = [line for line in expected if line.fate != "blank"]
    assert summary.read == len(expected)
    written = out.getvalue().splitlines()
    failed = [orjson.loads(line) for line in failures.getvalue().splitlines()]
    assert len(written) == summary.written and len(failed) == summary.failed
    assert all(entry["source"] == "fuzz.ndjson" for entry in failed)

    # What each line should become.
    want_out, want_failed_lines, want_dropped = [], [], 0
    for line in expected:
        if line.fate != "document":
            want_failed_lines.append(line.number)
        elif definition is DROP_OR_FAIL and line.document.get("drop") is True:
            want_dropped += 1
        elif definition is DROP_OR_FAIL and line.document.get("fail") is True:
            want_failed_lines.append(line.number)
        else:
            want_out.append(line.document)
    assert summary.dropped == want_dropped
    assert [entry["line"] for entry in failed] == want_failed_lines
    assert summary.invalid_input == sum(1 for line in expected if line.fate != "document")
    assert [canon(orjson.loads(line)) for line in written] == [canon(doc) for doc in want_out]
    # Failure entries keep the original input: the document, or the raw line.
    by_number = {line.number: line for line in expected}
    for entry in failed:
        line = by_number[entry["line"]]
        if line.fate == "document":
            assert entry["error"]["type"] == "processor_error"
            assert canon(entry["document"]) == canon(line.document)
            continue
        assert entry["error"]["type"] == "input_error" and entry["error"]["message"]
        if line.fate == "oversize":
            assert entry["raw_truncated"] is True and entry["raw_size"] == len(line.raw)
            continue
        if "raw" in entry:
            assert entry["raw"].encode("utf-8") == line.text
        else:
            assert base64.b64decode(entry["raw_base64"]) == line.text


# --------------------------------------------------------------------------
# Blocks: the whole-block reader against the line reader
# --------------------------------------------------------------------------

BENCH_EDIT = Path(__file__).resolve().parent.parent / "fixtures" / "wasm" / "bench_edit.wasm"
_BLOCK_PIPELINES: dict[str, Pipeline] = {}


def _block_pipeline(name: str) -> Pipeline:
    """Built once per test run: a Python-only pipeline, and one whose wasm
    guest takes ABI 1.1 batches between Python processors."""
    if name not in _BLOCK_PIPELINES:
        if name == "python":
            _BLOCK_PIPELINES[name] = Pipeline.from_definition(DROP_OR_FAIL)
        else:
            processors = [DROP_OR_FAIL["processors"][0], {"wasm": {"module": str(BENCH_EDIT)}}, DROP_OR_FAIL["processors"][1]]
            _BLOCK_PIPELINES[name] = Pipeline.from_definition({"processors": processors})
            assert _BLOCK_PIPELINES[name].batches
    return _BLOCK_PIPELINES[name]


@fuzz_settings(200)
@given(
    data=st.one_of(flagged_ndjson(), inputs),
    kind=st.sampled_from(["python", "wasm"]),
    max_line_bytes=st.one_of(st.just(DEFAULT_MAX_LINE_BYTES), st.integers(1, 64)),
    max_depth=depth_limits,
    first=st.sampled_from([1, 2, 1000]),
)
@example(data=b'{"a":1}\n{"b":2}\r\n', kind="wasm", max_line_bytes=DEFAULT_MAX_LINE_BYTES, max_depth=MAX_DEPTH, first=1)
@example(data=b'{"a":1}\n{"b":18446744073709551616}\n', kind="python", max_line_bytes=DEFAULT_MAX_LINE_BYTES, max_depth=MAX_DEPTH, first=1)
@example(data=b'{"a":"1844674407370955161600"}\n', kind="wasm", max_line_bytes=DEFAULT_MAX_LINE_BYTES, max_depth=MAX_DEPTH, first=1)
@example(data=b'{"a":[[[]]]}\n{"b":[[]]}\n', kind="python", max_line_bytes=DEFAULT_MAX_LINE_BYTES, max_depth=2, first=1)
@example(data=b'{"a":1}\n  \n', kind="python", max_line_bytes=DEFAULT_MAX_LINE_BYTES, max_depth=MAX_DEPTH, first=1)
@example(data=b'{"a":1}\n \t', kind="python", max_line_bytes=DEFAULT_MAX_LINE_BYTES, max_depth=MAX_DEPTH, first=1)
@example(data=b'\xef\xbb\xbf{"a":1}\n', kind="python", max_line_bytes=DEFAULT_MAX_LINE_BYTES, max_depth=MAX_DEPTH, first=1)
def test_run_lines_gives_what_the_line_reader_gives(
    data: bytes, kind: str, max_line_bytes: int, max_depth: int, first: int
) -> None:
    """``run_lines`` reads a clean block in one pass (``parse_block``) and any
    other line by line: its output, failure records and counts are those of
    ``run`` over ``read_records`` of the same block, byte for byte."""
    pipeline = _block_pipeline(kind)
    records = read_records(io.BytesIO(data), "b.ndjson", max_line_bytes=max_line_bytes, max_depth=max_depth, first_line=first)
    want = run_block(pipeline, records, "b.ndjson")
    got = run_lines(pipeline, data, first, "b.ndjson", max_line_bytes, max_depth)
    assert got[0] == want[0]
    assert got[1] == want[1]
    assert {k: v for k, v in got[2].items() if v} == {k: v for k, v in want[2].items() if v}
    parsed = parse_block(data, max_line_bytes, max_depth)
    if parsed is not None:  # a clean block: every line is one of its documents
        assert want[2].get("invalid_input", 0) == 0 and want[2].get("blank", 0) == 0
        assert len(parsed[0]) == want[2]["read"]


@pytest.mark.parametrize("pad", [0, 3000])
@pytest.mark.parametrize(
    "bad",
    [b'{"n":18446744073709551616}', b'{"n":' + b"[" * 300 + b"]" * 300 + b"}", b"[1]", b"{", b"  "],
)
def test_a_clean_block_needs_every_line_clean(pad: int, bad: bytes) -> None:
    """Short and long lines (checked over the block, or line by line): one
    line that is not a plain document sends the whole block to the line reader."""
    good = orjson.dumps({"message": "x" * pad, "n": 1})
    assert parse_block(good + b"\n" + good + b"\n") is not None
    assert parse_block(good + b"\n" + bad + b"\n" + good + b"\n") is None
