"""The library's batches and the numbers a document may hold.

* ``process_many`` never stops: an item that is no usable document (not a
  dict, not JSON-serialisable, a number JSON cannot carry) gets a failed
  ``DocumentResult`` whose error is an ``InputError`` naming ``docs[i]``, and
  the next item runs; in process and in a worker alike.
* One number rule for every way in (:mod:`ingesthost.jsonnumbers`): integers
  from -2^63 to 2^64-1 and finite 64-bit floats; anything else (an integer
  beyond 64 bits, 1e400, NaN, infinities) is refused with the field's path.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest

from ingesthost import DocumentResult, InputError, IsolatedPipeline, Pipeline, ProcessorError
from ingesthost.jsonnumbers import MAX_INTEGER, MIN_INTEGER, line_number_problem, number_problem, text_number_problem

DEFINITION = {
    "processors": [
        {"set": {"field": "seen", "value": True}},
        {"fail": {"message": "told to fail", "tag": "failer", "if": "ctx.fail == true"}},
    ]
}


@pytest.fixture(scope="module", params=["in-process", "isolated"])
def pipeline(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "in-process":
        built: Any = Pipeline.from_definition(DEFINITION, cache=False)
    else:
        built = IsolatedPipeline.from_definition(DEFINITION, cache=False, batch_size=2)
    with built:
        yield built


class Unserialisable:
    pass


def test_process_many_goes_on_past_items_that_are_not_documents(pipeline: Any) -> None:
    items = [{"n": 1}, [1, 2], "text", None, {"a": Unserialisable()}, {"n": 2, "fail": True}, {"n": 3}, {1: "x"}, {"n": 4}]
    results = list(pipeline.process_many(items))
    assert [r.status for r in results] == ["ok", "failed", "failed", "failed", "failed", "failed", "ok", "failed", "ok"]
    assert [r.document for r in results if r.status == "ok"] == [
        {"n": 1, "seen": True}, {"n": 3, "seen": True}, {"n": 4, "seen": True}
    ]
    for index, expected in [
        (1, "a document must be a JSON object (dict), got list"),
        (2, "a document must be a JSON object (dict), got str"),
        (3, "a document must be a JSON object (dict), got NoneType"),
        (4, "document is not JSON-serialisable: Type is not JSON serializable: Unserialisable"),
        (7, "document is not JSON-serialisable: Dict key must be str"),
    ]:
        error = results[index].error
        assert isinstance(error, InputError), index
        assert (error.source, error.problem) == (f"docs[{index}]", expected)
        assert str(error) == f"docs[{index}]: {expected}"
    failed = results[5].error
    assert isinstance(failed, ProcessorError) and (failed.tag, failed.reason) == ("failer", "told to fail")


def test_process_many_of_only_bad_items_and_of_nothing(pipeline: Any) -> None:
    assert [r.error.source for r in pipeline.process_many([[], 1.5, b"{}"])] == ["docs[0]", "docs[1]", "docs[2]"]
    assert list(pipeline.process_many([])) == []
    assert list(pipeline.process_many(iter([{"k": 1}]))) == [DocumentResult("ok", {"k": 1, "seen": True})]


def test_process_raises_input_error_for_one_bad_document(pipeline: Any) -> None:
    with pytest.raises(InputError) as info:
        pipeline.process(["not", "a", "document"])
    assert str(info.value) == "<input>: a document must be a JSON object (dict), got list"
    assert pipeline.process({"ok": 1}) == {"ok": 1, "seen": True}


WRONG_NUMBERS = [
    (2**64, "integer 18446744073709551616 does not fit in 64 bits"),
    (-(2**63) - 1, "integer -9223372036854775809 does not fit in 64 bits"),
    (2**70, "integer 1180591620717411303424 does not fit in 64 bits"),
    (10**400, "integer 10000000000000000000...00000000 (401 digits) does not fit in 64 bits"),
    (float("nan"), "NaN is not a JSON number"),
    (float("inf"), "Infinity is not a JSON number"),
    (float("-inf"), "-Infinity is not a JSON number"),
]


@pytest.mark.parametrize("value,problem", WRONG_NUMBERS)
def test_numbers_json_cannot_carry_are_refused_naming_the_field(pipeline: Any, value: Any, problem: str) -> None:
    doc = {"ok": 1, "a": {"b": [0, value]}, "null": None}
    with pytest.raises(InputError) as info:
        pipeline.process(doc)
    assert info.value.problem.startswith(f"field [a.b.1]: {problem} (numbers must be integers from -2^63")
    (result,) = pipeline.process_many([doc])
    assert result.status == "failed" and result.error.problem == info.value.problem
    assert result.error.source == "docs[0]"


@pytest.mark.parametrize("value", [MAX_INTEGER, MIN_INTEGER, 2**63, 1.5e308, -5e-324, 0.1, 0, True, None])
def test_numbers_json_can_carry_pass_unchanged(pipeline: Any, value: Any) -> None:
    assert pipeline.process({"v": value, "list": [value]}) == {"v": value, "list": [value], "seen": True}


def test_a_clean_document_with_nulls_is_not_refused(pipeline: Any) -> None:
    doc = {"a": None, "b": [None, {"c": None}], "null": "null"}
    assert pipeline.process(doc) == {**doc, "seen": True}


# ---------------------------------------------------------------------------
# The same rule for NDJSON lines (what the NDJSON reader applies)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line,expected",
    [
        (b'{"a":{"b":[1,18446744073709551616]}}', "field [a.b.1]: integer 18446744073709551616 does not fit in 64 bits"),
        (b'{"a":-9223372036854775809}', "field [a]: integer -9223372036854775809 does not fit in 64 bits"),
        (b'{"s":"99999999999999999999","n":99999999999999999999}', "field [n]: integer 99999999999999999999 does"),
        (b'{"a":18446744073709551615,"b":-9223372036854775808}', None),  # the ends of the range
        (b'{"t":1732662000000000000}', None),  # nanosecond timestamps: 19 digits, in range
        (b'{"s":"123456789012345678901234567890"}', None),  # long digit runs in strings
        (b'{"f":1.12345678901234567890123,"g":12345678901234567890123e2}', None),  # floats
    ],
)
def test_ndjson_lines_with_wide_integers(line: bytes, expected: str | None) -> None:
    orjson.loads(line)  # orjson reads them all (the wide integers as floats: precision lost)
    problem = line_number_problem(line)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and problem.startswith(expected)


@pytest.mark.parametrize(
    "line,expected",
    [
        (b'{"a":1e400}', "field [a]: number 1e400 is beyond the range of a 64-bit float"),
        (b'{"a":[-1e400]}', "field [a.0]: number -1e400 is beyond the range of a 64-bit float"),
        (b'{"x":{"y":NaN}}', "field [x.y]: NaN is not a JSON number"),
        (b'{"x":-Infinity}', "field [x]: -Infinity is not a JSON number"),
        (b'{"x":nope}', None),
    ],
)
def test_ndjson_lines_orjson_refuses_are_named(line: bytes, expected: str | None) -> None:
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(line)
    problem = text_number_problem(line)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and problem.startswith(expected)


def test_the_library_and_the_line_rule_agree() -> None:
    for value, _ in WRONG_NUMBERS:
        problem = number_problem({"k": value})
        assert problem is not None and problem.startswith("field [k]: ")
        if isinstance(value, int):
            text = json.dumps({"k": value}).encode()
            assert line_number_problem(text) == problem
        else:
            name = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
            assert text_number_problem(b'{"k":' + name.encode() + b"}") == problem


@pytest.mark.parametrize("isolation", ["none", "process"])
def test_cli_refuses_the_same_numbers_naming_the_field(tmp_path: Path, isolation: str) -> None:
    pipeline = tmp_path / "p.yml"
    pipeline.write_text("processors:\n  - set: {field: seen, value: true}\n")
    data = b'{"a":1}\n{"a":{"b":18446744073709551616}}\n{"a":1e400}\n{"a":NaN}\n{"a":18446744073709551615}\n'
    (tmp_path / "in.ndjson").write_bytes(data)
    result = subprocess.run(
        [sys.executable, "-m", "ingesthost", "process", "in.ndjson", "-p", str(pipeline), "-o", "out.ndjson",
         "--failures", "failures.ndjson", "--isolation", isolation, "-q"],
        capture_output=True, cwd=tmp_path, timeout=120,
    )
    assert result.returncode == 1, result.stderr
    out = [json.loads(line) for line in (tmp_path / "out.ndjson").read_text().splitlines()]
    assert out == [{"a": 1, "seen": True}, {"a": 18446744073709551615, "seen": True}]
    failures = [json.loads(line) for line in (tmp_path / "failures.ndjson").read_text().splitlines()]
    assert [(f["line"], f["error"]["type"]) for f in failures] == [(2, "input_error"), (3, "input_error"), (4, "input_error")]
    messages = [f["error"]["message"] for f in failures]
    assert messages[0].startswith("field [a.b]: integer 18446744073709551616 does not fit in 64 bits")
    assert messages[1].startswith("field [a]: number 1e400 is beyond the range of a 64-bit float")
    assert messages[2].startswith("field [a]: NaN is not a JSON number")


def test_every_error_survives_pickling_with_its_attributes() -> None:
    import pickle

    from ingesthost.errors import FieldPathError, IngestHostError, InputError, ModuleLoadError, PipelineConfigError, ProcessorError

    errors = [
        IngestHostError("plain"),
        ModuleLoadError("kv.wasm", "missing export"),
        PipelineConfigError("bad", source="p.yml", where="processors[1]", tag="t"),
        ProcessorError("boom", processor_type="wasm", tag="t", kind="timeout"),
        InputError("not JSON", source="in.ndjson", line=7),
        FieldPathError("path cannot be empty"),
    ]
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error)
        assert copy.__dict__ == error.__dict__


def test_process_many_batches_an_abi_1_1_pipeline_with_the_same_results(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a guest that takes batches, ``process_many`` hands it up to 64
    documents per call, and every result is what one-at-a-time gives."""
    from ingesthost.guest import GuestInstance

    definition = {
        "processors": [
            DEFINITION["processors"][0],
            {"wasm": {"module": str(Path(__file__).resolve().parent.parent / "fixtures" / "wasm" / "bench_edit.wasm")}},
            DEFINITION["processors"][1],
        ]
    }
    items: list[Any] = []
    for n in range(150):
        items.append({"n": n, "user": {"name": f"u{n}"}, "http": {"status": 200 + n}})
        if n % 7 == 0:
            items.append({"n": n, "fail": True})
        if n % 11 == 0:
            items.append([n])
    calls: list[int] = []
    original = GuestInstance.process_batch

    def counting(self: Any, payload: bytes, count: int) -> Any:
        calls.append(count)
        return original(self, payload, count)

    monkeypatch.setattr(GuestInstance, "process_batch", counting)
    with Pipeline.from_definition(definition, cache=False) as pipeline:
        assert pipeline.batches
        one = [(r.status, r.document, str(r.error)) for r in pipeline.process_many(items, batch=1)]
        assert calls == []
        many = [(r.status, r.document, str(r.error)) for r in pipeline.process_many(iter(items))]
    assert many == one
    assert sum(calls) == len(items) - sum(1 for item in items if not isinstance(item, dict))
    assert len(items) == 186 and len(calls) == 3  # 64 items a chunk, less those that are not documents
    assert one[0] == ("ok", {"n": 0, "user": {"name": "u0"}, "http": {"status": 200}, "seen": True, "summary": "u0:200"}, "None")
    assert sum(1 for status, _, _ in one if status == "failed") == 22 + 14
