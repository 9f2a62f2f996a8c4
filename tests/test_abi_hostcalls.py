"""The ``elastic`` host functions, called by a real guest (tests/wat/driver.wat).

Every import, every status and every error path of abi_spec/ABI.md: values
as JSON text in memory from the guest's ``malloc``, out-pointers written
little-endian (and untouched on failure), bounds checks on every pointer and
length, ``malloc`` failures, memory growth and re-entrancy.
"""

from __future__ import annotations

import copy
import ctypes
import logging
import struct
import time
from typing import Any

import orjson
import pytest

from helpers import (
    HEAP_START,
    MALLOC_FIXED,
    MALLOC_GROW,
    MALLOC_REENTER,
    MALLOC_TRAP,
    MALLOC_ZERO,
    NESTED_STATUS,
    PAGE,
    Driver,
    compile_wat,
    load_wat,
)
from ingesthost import IngestDocument, abi
from ingesthost.abi import ABI_VERSION_WORD, STABLE_MEMORY_BASE, Status
from ingesthost.guest import GuestModule
from ingesthost.processors import WasmProcessor

OK, INTERNAL, INVALID, NOT_FOUND = 0, 1, 2, 3
SENTINEL = b"\xaa" * 8


@pytest.fixture(scope="module")
def driver_module(engine) -> GuestModule:
    return load_wat("driver", engine)


@pytest.fixture
def driver(driver_module: GuestModule) -> Driver:
    return Driver(driver_module.instantiate())


def test_status_values_match_the_spec() -> None:
    assert [(s.label, int(s)) for s in Status] == [
        ("Ok", 0),
        ("InternalFailure", 1),
        ("InvalidArgument", 2),
        ("NotFound", 3),
    ]


# --------------------------------------------------------------------------
# elastic_get_field
# --------------------------------------------------------------------------


def _get(driver: Driver, doc: Any, key: bytes) -> tuple[int, int, Any]:
    """get_field(key) with out-pointers primed with a sentinel; (status, out, run)."""
    k = driver.place(key)
    out = driver.place(SENTINEL)
    run = driver.run(doc, [("get_field", k, len(key), out, out + 4)])
    assert run.code == 0
    return run.results[0], out, run


def test_get_field_copies_json_text_into_memory_from_malloc(driver: Driver) -> None:
    value = {"b": [1, 2.5, "x", None, True, False], "c": "é ☃", "d": {}}
    status, out, _ = _get(driver, {"a": value, "other": 1}, b"a")
    assert status == OK
    expected = orjson.dumps(value)  # compact JSON, UTF-8
    assert expected == '{"b":[1,2.5,"x",null,true,false],"c":"é ☃","d":{}}'.encode()
    ptr, length = struct.unpack("<II", driver.read(out, 8))
    # exactly one malloc of exactly the text's length, and its address was reported
    assert driver.exports.malloc_calls() == 1
    assert driver.exports.last_malloc_size() == len(expected) == length
    assert driver.exports.last_malloc_ret() == ptr >= HEAP_START
    # little-endian u32s, byte for byte
    assert driver.read(out, 4) == ptr.to_bytes(4, "little")
    assert driver.read(out + 4, 4) == length.to_bytes(4, "little")
    assert driver.read(ptr, length) == expected


@pytest.mark.parametrize(
    "value",
    ["text", 'quote " backslash \\ newline \n', "ünïcödé 😀", 0, -17, 2**64 - 1, -(2**63), 3.25, -1e-7,
     True, False, None, [], {}, [[], {"x": [None]}]],
    ids=repr,
)
def test_get_field_every_json_type(driver: Driver, value: Any) -> None:
    status, out, _ = _get(driver, {"f": value}, b"f")
    assert status == OK
    ptr, length = struct.unpack("<II", driver.read(out, 8))
    text = driver.read(ptr, length)
    assert orjson.loads(text) == value
    assert type(orjson.loads(text)) is type(value)


@pytest.mark.parametrize(
    "key,expected",
    [
        (b"a.b", {"c": [10, 20]}),
        (b"a.b.c", [10, 20]),
        (b"a.b.c.1", 20),
        (b"tags.0", "x"),
        (b"list.1.name", "second"),
        (b"nul", None),
    ],
)
def test_get_field_dotted_paths(driver: Driver, key: bytes, expected: Any) -> None:
    doc = {"a": {"b": {"c": [10, 20]}}, "tags": ["x", "y"], "list": [{}, {"name": "second"}], "nul": None}
    status, out, _ = _get(driver, doc, key)
    assert status == OK
    ptr, length = struct.unpack("<II", driver.read(out, 8))
    assert orjson.loads(driver.read(ptr, length)) == expected


def test_get_field_reads_ingest_timestamp(driver: Driver) -> None:
    doc = IngestDocument({"a": 1}, ingest_ns=1_700_000_000_123_456_789)
    status, out, _ = _get(driver, doc, b"_ingest.timestamp")
    assert status == OK
    ptr, length = struct.unpack("<II", driver.read(out, 8))
    assert orjson.loads(driver.read(ptr, length)) == "2023-11-14T22:13:20.123456789Z"
    assert doc.source == {"a": 1}


@pytest.mark.parametrize(
    "key", [b"missing", b"a.missing", b"a.b.c", b"tags.2", b"tags.0.x", b"nul.x", b"A"]
)
def test_get_field_not_found_allocates_nothing_and_leaves_out_pointers(driver: Driver, key: bytes) -> None:
    doc = {"a": {"b": 1}, "tags": ["x", "y"], "nul": None}
    status, out, _ = _get(driver, doc, key)
    assert status == NOT_FOUND
    assert driver.exports.malloc_calls() == 0
    assert driver.read(out, 8) == SENTINEL


@pytest.mark.parametrize("key", [b"", b".", b"a..b", b".a", b"a.", b"tags.x", b"tags.-1", b"tags.+1", b"tags. 1"])
def test_get_field_invalid_path(driver: Driver, key: bytes) -> None:
    status, out, _ = _get(driver, {"a": {"b": 1}, "tags": ["x", "y"]}, key)
    assert status == INVALID
    assert driver.exports.malloc_calls() == 0
    assert driver.read(out, 8) == SENTINEL


BAD_UTF8 = [b"\xff", b"a\xc3", b"\xc3(", b"\xed\xa0\x80", b"\xc0\xaf", b"a.\x80"]


@pytest.mark.parametrize("key", BAD_UTF8, ids=lambda b: b.hex())
def test_get_field_key_not_utf8(driver: Driver, key: bytes) -> None:
    status, out, _ = _get(driver, {"a": {"b": 1}, "\ufffd": 2}, key)
    assert status == INVALID
    assert driver.exports.malloc_calls() == 0
    assert driver.read(out, 8) == SENTINEL


def test_get_field_of_a_value_the_host_cannot_encode_returns_a_status(
    driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    """A Python error inside a host function (orjson cannot encode 2**70 or a
    set) must become a status for the guest, never an exception in wasmer."""
    doc = IngestDocument({"big": 2**70, "set": {1, 2}})
    with caplog.at_level(logging.ERROR):
        for key in (b"big", b"set"):
            status, out, run = _get(driver, doc, key)
            assert run.code == 0  # the guest ran on: no trap
            assert status == INTERNAL
            assert driver.read(out, 8) == SENTINEL
    assert any("get_field" in r.getMessage() for r in caplog.records)


# --------------------------------------------------------------------------
# elastic_put_field
# --------------------------------------------------------------------------


def _put(driver: Driver, doc: Any, key: bytes, value: bytes) -> int:
    k = driver.place(key)
    v = driver.place(value)
    run = driver.run(doc, [("put_field", k, len(key), v, len(value))])
    assert run.code == 0
    return run.results[0]


@pytest.mark.parametrize(
    "text,expected",
    [
        (b'{"x":1,"y":{"z":[true]}}', {"x": 1, "y": {"z": [True]}}),
        (b'[1,"a",null,2.5]', [1, "a", None, 2.5]),
        (b'"plain"', "plain"),
        (b'"\\u00e9\\ud83d\\ude00 \\"q\\""', 'é😀 "q"'),
        ('"é"'.encode(), "é"),
        (b"-12", -12),
        (b"3.25", 3.25),
        (b"1e3", 1000.0),
        (b"18446744073709551615", 2**64 - 1),
        (b"-9223372036854775808", -(2**63)),
        (b"true", True),
        (b"false", False),
        (b"null", None),
        (b"{}", {}),
        (b"[]", []),
        (b" \n\t 7 \r\n", 7),
    ],
)
def test_put_field_every_json_type(driver: Driver, text: bytes, expected: Any) -> None:
    doc = IngestDocument({"keep": 1})
    assert _put(driver, doc, b"f", text) == OK
    assert doc.source == {"keep": 1, "f": expected}
    assert type(doc.source["f"]) is type(expected)


def test_put_field_null_creates_the_field(driver: Driver) -> None:
    doc = IngestDocument({})
    assert _put(driver, doc, b"n", b"null") == OK
    assert "n" in doc.source and doc.source["n"] is None


def test_put_field_integer_beyond_64_bits_becomes_a_float(driver: Driver) -> None:
    doc = IngestDocument({})
    assert _put(driver, doc, b"big", b"18446744073709551616") == OK
    assert doc.source["big"] == float(2**64)
    assert isinstance(doc.source["big"], float)


@pytest.mark.parametrize(
    "key,doc_out",
    [
        (b"a.b.c", {"a": {"b": {"c": 5}, "k": 1}, "tags": [0, 1], "nul": None}),
        (b"new.deep.path", {"a": {"k": 1}, "tags": [0, 1], "nul": None, "new": {"deep": {"path": 5}}}),
        (b"nul.x", {"a": {"k": 1}, "tags": [0, 1], "nul": {"x": 5}}),
        (b"tags.1", {"a": {"k": 1}, "tags": [0, 5], "nul": None}),
        (b"a.k", {"a": {"k": 5}, "tags": [0, 1], "nul": None}),
    ],
)
def test_put_field_paths(driver: Driver, key: bytes, doc_out: dict) -> None:
    doc = IngestDocument({"a": {"k": 1}, "tags": [0, 1], "nul": None})
    assert _put(driver, doc, key, b"5") == OK
    assert doc.source == doc_out


def test_put_field_into_ingest_metadata_stays_out_of_the_document(driver: Driver) -> None:
    doc = IngestDocument({"a": 1})
    assert _put(driver, doc, b"_ingest.note", b'"hi"') == OK
    assert doc.source == {"a": 1}
    assert doc.get("_ingest.note") == "hi"


INVALID_JSON = [
    b"",
    b" ",
    b"{",
    b"[1,]",
    b'{"a":1}}',
    b"1 2",
    b"nan",
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"'single'",
    b"undefined",
    b"tru",
    b"01",
    b"{a:1}",
    b'"unterminated',
    b'"\xff"',  # not UTF-8 inside a string
    b'"\xed\xa0\x80"',  # an encoded surrogate
    b'["\xc3"]',
    b"\x00",
]


@pytest.mark.parametrize("text", INVALID_JSON, ids=lambda b: repr(b))
def test_put_field_invalid_json_is_invalid_argument(driver: Driver, text: bytes) -> None:
    source = {"f": "before", "o": {"x": [1]}}
    doc = IngestDocument(copy.deepcopy(source))
    assert _put(driver, doc, b"f", text) == INVALID
    assert doc.source == source


@pytest.mark.parametrize("key", BAD_UTF8, ids=lambda b: b.hex())
def test_put_field_key_not_utf8(driver: Driver, key: bytes) -> None:
    source = {"a": {"b": 1}}
    doc = IngestDocument(copy.deepcopy(source))
    assert _put(driver, doc, key, b"1") == INVALID
    assert doc.source == source


@pytest.mark.parametrize(
    "key",
    [b"", b"a..b", b".a", b"a.", b"s.x", b"n.x", b"t.x", b"tags.2", b"tags.x", b"tags.-1", b"tags.0.x", b"a.b.c"],
)
def test_put_field_impossible_path_leaves_document_unchanged(driver: Driver, key: bytes) -> None:
    source = {"a": {"b": 1}, "s": "str", "n": 3, "t": True, "tags": ["x", "y"]}
    doc = IngestDocument(copy.deepcopy(source))
    assert _put(driver, doc, key, b'{"v":1}') == INVALID
    assert doc.source == source


# --------------------------------------------------------------------------
# elastic_remove_field
# --------------------------------------------------------------------------


def _remove(driver: Driver, doc: Any, key: bytes) -> int:
    k = driver.place(key)
    run = driver.run(doc, [("remove_field", k, len(key))])
    assert run.code == 0
    return run.results[0]


@pytest.mark.parametrize(
    "key,doc_out",
    [
        (b"a", {"tags": ["x", "y", "z"], "nul": None}),
        (b"a.b", {"a": {"c": 2}, "tags": ["x", "y", "z"], "nul": None}),
        (b"tags.1", {"a": {"b": 1, "c": 2}, "tags": ["x", "z"], "nul": None}),
        (b"nul", {"a": {"b": 1, "c": 2}, "tags": ["x", "y", "z"]}),
    ],
)
def test_remove_field_ok(driver: Driver, key: bytes, doc_out: dict) -> None:
    doc = IngestDocument({"a": {"b": 1, "c": 2}, "tags": ["x", "y", "z"], "nul": None})
    assert _remove(driver, doc, key) == OK
    assert doc.source == doc_out


@pytest.mark.parametrize("key", [b"missing", b"a.missing", b"a.b.c", b"tags.3", b"nul.x", b"tags.0.x"])
def test_remove_field_not_found(driver: Driver, key: bytes) -> None:
    source = {"a": {"b": 1}, "tags": ["x", "y", "z"], "nul": None}
    doc = IngestDocument(copy.deepcopy(source))
    assert _remove(driver, doc, key) == NOT_FOUND
    assert doc.source == source


@pytest.mark.parametrize("key", [b"", b"a..b", b".a", b"a.", b"tags.x", b"tags.-1"] + BAD_UTF8)
def test_remove_field_invalid(driver: Driver, key: bytes) -> None:
    source = {"a": {"b": 1}, "tags": ["x", "y", "z"]}
    doc = IngestDocument(copy.deepcopy(source))
    assert _remove(driver, doc, key) == INVALID
    assert doc.source == source


def test_field_calls_in_sequence_see_each_others_effects(driver: Driver) -> None:
    key, value = driver.place(b"k.v"), driver.place(b"[1,2]")
    out = driver.place(SENTINEL)
    doc = IngestDocument({})
    calls = [
        ("get_field", key, 3, out, out + 4),
        ("put_field", key, 3, value, 5),
        ("get_field", key, 3, out, out + 4),
        ("remove_field", key, 3),
        ("remove_field", key, 3),
        ("get_field", key, 3, out, out + 4),
    ]
    run = driver.run(doc, calls)
    assert run.results == [NOT_FOUND, OK, OK, OK, NOT_FOUND, NOT_FOUND]
    assert doc.source == {"k": {}}
    ptr, length = struct.unpack("<II", driver.read(out, 8))
    assert driver.read(ptr, length) == b"[1,2]"


# --------------------------------------------------------------------------
# elastic_get_current_time_nanoseconds, elastic_abi_version
# --------------------------------------------------------------------------


def test_current_time_is_u64_little_endian_nanoseconds(driver: Driver) -> None:
    out = driver.place(b"\xaa" * 12)
    before = time.time_ns()
    run = driver.run({}, [("time", out)])
    after = time.time_ns()
    assert run.results == [OK]
    raw = driver.read(out, 8)
    (now,) = struct.unpack("<Q", raw)
    assert before - 1_000_000_000 <= now <= after + 1_000_000_000
    assert raw[4:] != b"\0\0\0\0"  # the high word is in the last four bytes
    assert driver.read(out + 8, 4) == b"\xaa" * 4  # exactly 8 bytes written


def test_current_time_advances(driver: Driver) -> None:
    out = driver.place(bytes(16))
    run = driver.run({}, [("time", out), ("time", out + 8)])
    assert run.results == [OK, OK]
    first, second = struct.unpack("<QQ", driver.read(out, 16))
    assert first <= second


def test_abi_version(driver: Driver) -> None:
    run = driver.run({}, [("abi_version",)])
    assert run.results == [65537] == [ABI_VERSION_WORD]  # 1.1


# --------------------------------------------------------------------------
# elastic_log
# --------------------------------------------------------------------------

LEVELS = [(0, logging.DEBUG), (1, logging.INFO), (2, logging.WARNING), (3, logging.ERROR), (4, logging.CRITICAL)]


def _log_calls(driver: Driver, lines: list[tuple[int, bytes]]) -> list[tuple]:
    calls = []
    for level, text in lines:
        calls.append(("log", level, driver.place(text), len(text)))
    return calls


def test_log_levels_go_to_python_logging_under_the_module_stem(
    driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ingesthost.guest.driver")
    lines = [(level, f"message at level {level}".encode()) for level, _ in LEVELS]
    run = driver.run({}, _log_calls(driver, lines))
    assert run.results == [OK] * 5
    records = [r for r in caplog.records if r.name == "ingesthost.guest.driver"]
    assert [(r.levelno, r.getMessage()) for r in records] == [
        (py, f"message at level {level}") for level, py in LEVELS
    ]


def test_log_goes_to_a_logger_named_for_the_tag(
    driver_module: GuestModule, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ingesthost.guest.my-tag")
    processor = WasmProcessor(driver_module, tag="my-tag")
    try:
        d = Driver(processor)
        d.script(_log_calls(d, [(1, b"hello from the guest")]))
        assert processor.execute(IngestDocument({})) is not None
    finally:
        processor.close()
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("ingesthost.guest.my-tag", logging.INFO, "hello from the guest")
    ]


@pytest.mark.parametrize("level", [5, 6, 255, -1, -2147483648, 2147483647])
def test_log_bad_level_is_invalid_argument(driver: Driver, caplog: pytest.LogCaptureFixture, level: int) -> None:
    caplog.set_level(logging.DEBUG)
    run = driver.run({}, _log_calls(driver, [(level, b"should not appear")]))
    assert run.results == [INVALID]
    assert run.last_error is None
    assert not [r for r in caplog.records if "should not appear" in r.getMessage()]


def test_log_replaces_bytes_that_are_not_utf8(driver: Driver, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="ingesthost.guest.driver")
    run = driver.run({}, _log_calls(driver, [(1, b"bad \xff byte"), (1, b"")]))
    assert run.results == [OK, OK]
    assert [r.getMessage() for r in caplog.records if r.name == "ingesthost.guest.driver"] == ["bad \ufffd byte", ""]


def test_last_error_or_critical_line_is_the_failure_message(driver: Driver) -> None:
    driver.exports.set_result(1)
    lines = [(3, b"first error"), (4, b"the critical one"), (2, b"a warning"), (1, b"info"), (0, b"debug")]
    run = driver.run({}, _log_calls(driver, lines))
    assert run.code == 1
    assert run.last_error == "the critical one"
    # the next call starts afresh
    run = driver.run({}, [])
    assert run.code == 1 and run.last_error is None
    run = driver.run({}, _log_calls(driver, [(4, b"critical"), (3, b"error after critical")]))
    assert run.last_error == "error after critical"


def test_warnings_are_not_failure_messages(driver: Driver) -> None:
    driver.exports.set_result(2)
    run = driver.run({}, _log_calls(driver, [(2, b"just a warning"), (1, b"info")]))
    assert run.code == 2 and run.last_error is None


# --------------------------------------------------------------------------
# Bounds: every pointer and length of every import
# --------------------------------------------------------------------------

PTRS = [PAGE, PAGE + 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFF, -1, -2, -2147483648]
LENS = [PAGE + 1, 0x7FFFFFFF, 0x80000000, 0xFFFF0000, 0xFFFFFFF0, 0xFFFFFFFF, -1, -2147483648]
OUT4 = [PAGE - 3, PAGE - 1, PAGE, 0xFFFFFFFC, 0xFFFFFFFF, -1, -4, -2147483648]
OUT8 = [PAGE - 7, PAGE - 1, PAGE, 0xFFFFFFF8, 0xFFFFFFFC, 0xFFFFFFFF, -8, -2147483648]
#: (ptr, len) pairs whose u32 sum wraps around to a small, in-range value, or
#: that start in memory and end past it
WRAPS = [
    (0xFFFFFFF0, 0x20),
    (1, 0xFFFFFFFF),
    (0x80000000, 0x80000000),
    (PAGE, 0xFFFF0000 + 1),
    (-2, 1),
    (-3, 2),
    (PAGE - 1, 2),
    (PAGE - 2, 3),
    (PAGE - 1, 0xFFFFFFFF),
]
#: The last bytes of memory hold valid keys, JSON values and messages, so that
#: a range read wrongly (a negative index, a slice cut short) would succeed.
TAIL = b"7" * 16

#: op -> (argument names, kind of each argument)
SIGNATURES = {
    "get_field": (("key_ptr", "key_len", "ret_ptr_ptr", "ret_len_ptr"), ("ptr", "len", "out4", "out4")),
    "put_field": (("key_ptr", "key_len", "value_ptr", "value_len"), ("ptr", "len", "ptr", "len")),
    "remove_field": (("key_ptr", "key_len"), ("ptr", "len")),
    "time": (("ret_ptr",), ("out8",)),
    "log": (("level", "msg_ptr", "msg_len"), ("level", "ptr", "len")),
}
BAD_VALUES = {"ptr": PTRS, "len": LENS, "out4": OUT4, "out8": OUT8}
#: which (ptr, len) argument pairs to overflow together
PAIRS = {"get_field": [(0, 1)], "put_field": [(0, 1), (2, 3)], "remove_field": [(0, 1)], "log": [(1, 2)], "time": []}


def _bounds_cases() -> list:
    cases = []
    for op, (names, kinds) in SIGNATURES.items():
        for index, kind in enumerate(kinds):
            for bad in BAD_VALUES.get(kind, []):
                cases.append(pytest.param(op, {index: bad}, id=f"{op}-{names[index]}={bad:#x}"))
        for p, l in PAIRS[op]:
            for ptr, length in WRAPS:
                cases.append(
                    pytest.param(op, {p: ptr, l: length}, id=f"{op}-{names[p]}={ptr:#x}+{names[l]}={length:#x}")
                )
    return cases


def _valid_args(driver: Driver) -> dict[str, list[int]]:
    key = driver.place(b"a")
    value = driver.place(b"2")
    message = driver.place(b"a log line")
    out = driver.place(SENTINEL)
    return {
        "get_field": [key, 1, out, out + 4],
        "put_field": [key, 1, value, 1],
        "remove_field": [key, 1],
        "time": [out],
        "log": [1, message, 10],
    }


@pytest.mark.parametrize("op,bad", _bounds_cases())
def test_out_of_bounds_argument_is_invalid_argument(
    driver: Driver, caplog: pytest.LogCaptureFixture, op: str, bad: dict[int, int]
) -> None:
    caplog.set_level(logging.DEBUG)
    valid = _valid_args(driver)
    args = list(valid[op])
    for index, value in bad.items():
        args[index] = value
    doc = IngestDocument({"a": 1})
    driver.write(PAGE - len(TAIL), TAIL)
    driver.script([(op, *args)])
    memory_before = driver.read(0, PAGE)

    code, _ = driver.instance.process(doc)  # no trap, no exception out of the host function
    assert code == 0
    assert driver.results(1) == [INVALID]
    assert doc.source == {"a": 1}
    assert driver.exports.malloc_calls() == 0
    # the host wrote nothing into guest memory: only the script's result slot changed
    memory_after = driver.read(0, PAGE)
    changed = [i for i in range(PAGE) if memory_before[i] != memory_after[i]]
    assert changed and all(0x104 + 20 <= i < 0x104 + 24 for i in changed), changed[:8]
    assert not caplog.records  # neither the message nor a host-function error was logged

    # the same call with valid arguments works on the same instance
    run = driver.run(doc, [(op, *valid[op])])
    assert run.results == [OK]


def test_ranges_ending_exactly_at_the_end_of_memory_are_valid(driver: Driver, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="ingesthost.guest.driver")
    driver.write(PAGE - 2, b"7a")  # value "7", key "a": the last two bytes of memory
    out = driver.place(SENTINEL)
    doc = IngestDocument({"a": [1]})
    calls = [
        ("get_field", PAGE - 1, 1, out, out + 4),
        ("log", 1, PAGE - 1, 1),
        ("log", 1, PAGE, 0),  # empty message at the very end
        ("put_field", PAGE - 1, 1, PAGE, 0),  # empty value: in bounds, but not JSON
        ("put_field", PAGE - 1, 1, PAGE - 2, 1),
        ("remove_field", PAGE - 1, 1),
    ]
    run = driver.run(doc, calls)
    assert run.results == [OK, OK, OK, INVALID, OK, OK]
    assert doc.source == {}
    assert [r.getMessage() for r in caplog.records if r.name == "ingesthost.guest.driver"] == ["a", ""]
    # out-pointers and the time in the last bytes of memory
    run = driver.run({"a": [1]}, [("get_field", 0x10, 1, PAGE - 8, PAGE - 4)])
    assert run.results == [OK]
    ptr, length = struct.unpack("<II", driver.read(PAGE - 8, 8))
    assert driver.read(ptr, length) == b"[1]"
    run = driver.run({}, [("time", PAGE - 8)])
    assert run.results == [OK]
    assert abs(struct.unpack("<Q", driver.read(PAGE - 8, 8))[0] - time.time_ns()) < 1_000_000_000


def test_bounds_follow_the_current_memory_size(driver: Driver) -> None:
    """After the guest grew its memory, the new pages are valid arguments."""
    doc = IngestDocument({"a": "x"})
    assert driver.run(doc, [("put_field", 0x10, 1, PAGE + 16, 1)]).results == [INVALID]
    driver.exports.set_malloc_mode(MALLOC_GROW)
    out = driver.place(SENTINEL)
    assert driver.run(doc, [("get_field", 0x10, 1, out, out + 4)]).results == [OK]
    assert driver.memory_size == 2 * PAGE
    driver.write(PAGE + 16, b"5")
    driver.write(PAGE + 32, b"b")
    assert driver.run(doc, [("put_field", PAGE + 32, 1, PAGE + 16, 1), ("time", 2 * PAGE - 8)]).results == [OK, OK]
    assert doc.source == {"a": "x", "b": 5}
    assert driver.run(doc, [("time", 2 * PAGE - 7)]).results == [INVALID]


def test_memory_grown_by_the_guest_itself_is_usable_in_the_same_call(driver: Driver) -> None:
    """The host may keep a view of memory between calls; growth by the guest
    (not through the host's malloc) must still be seen at once."""
    doc = IngestDocument({"a": [1, 2]})
    out = PAGE + 64
    calls = [
        ("time", PAGE + 8),  # past the end: 1 page
        ("grow", 1),
        ("time", PAGE + 8),
        ("get_field", 0x10, 1, out, out + 4),
        ("grow", 2),
        ("time", 4 * PAGE - 8),
        ("time", 4 * PAGE - 7),
    ]
    run = driver.run(doc, calls)
    assert run.results == [INVALID, 1, OK, OK, 2, OK, INVALID]
    assert driver.memory_size == 4 * PAGE
    assert abs(struct.unpack("<Q", driver.read(PAGE + 8, 8))[0] - time.time_ns()) < 1_000_000_000
    ptr, length = struct.unpack("<II", driver.read(out, 8))
    assert driver.read(ptr, length) == b"[1,2]"
    # and in the next call, with memory as the previous call left it
    run = driver.run(doc, [("time", 4 * PAGE - 8), ("grow", 1), ("time", 5 * PAGE - 8)])
    assert run.results == [OK, 4, OK]


@pytest.mark.parametrize("memory", ["(memory (export \"memory\") 1)", "(memory (export \"memory\") 1 40000)"])
def test_memory_base_stays_put_when_memory_grows(engine, memory: str) -> None:
    """ingesthost.abi keeps one view of guest memory across host calls on
    64-bit hosts (STABLE_MEMORY_BASE), re-taking it only when an access falls
    past its end. That is right only if growing never moves the memory."""
    assert STABLE_MEMORY_BASE  # the tests run on a 64-bit host
    wat = (
        f"(module {memory} "
        '(func (export "malloc") (param i32) (result i32) (i32.const 16)) '
        '(func (export "process") (result i32) (i32.const 0)) '
        '(func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))'
    )
    instance = compile_wat(wat, engine, name="grower").instantiate()
    try:
        exports = instance._instance.exports
        memory_export = exports.memory

        def base() -> int:
            return ctypes.addressof(ctypes.c_char.from_buffer(memory_export.buffer))

        first = base()
        old_view = memoryview(memory_export.buffer)
        old_view[100:104] = b"keep"
        for pages in (1, 7, 100, 30000):
            assert exports.grow(pages) != -1
            assert base() == first
        assert memory_export.size * PAGE == (1 + 1 + 7 + 100 + 30000) * PAGE
        # a view taken before the growth still addresses the same bytes
        assert bytes(memoryview(memory_export.buffer)[100:104]) == b"keep"
        old_view[200:204] = b"seen"
        assert bytes(memoryview(memory_export.buffer)[200:204]) == b"seen"
        old_view.release()
    finally:
        instance.close()


def test_the_same_key_on_documents_of_different_shapes(driver: Driver) -> None:
    """Host calls may cache how a key splits, never what it resolved to."""
    key = driver.place(b"tags.x")
    out = driver.place(SENTINEL)
    call = ("get_field", key, 6, out, out + 4)
    assert driver.run({"tags": {"x": 1}}, [call]).results == [OK]
    assert driver.run({"tags": ["a"]}, [call]).results == [INVALID]
    assert driver.run({"tags": "s"}, [call]).results == [NOT_FOUND]
    assert driver.run({"tags": {"x": 2}}, [call]).results == [OK]
    ptr, length = struct.unpack("<II", driver.read(out, 8))
    assert driver.read(ptr, length) == b"2"
    # put and remove with the same bytes
    doc = IngestDocument({"tags": ["a"]})
    assert driver.run(doc, [("put_field", key, 6, 0x20, 1), ("remove_field", key, 6)]).results == [INVALID, INVALID]
    doc = IngestDocument({})
    assert driver.run(doc, [("put_field", key, 6, 0x20, 1)]).results == [OK]
    assert doc.source == {"tags": {"x": 1}}
    assert driver.run(doc, [("remove_field", key, 6), ("remove_field", key, 6)]).results == [OK, NOT_FOUND]


def test_key_bytes_rewritten_in_place_are_read_again(driver: Driver) -> None:
    key = driver.place(b"a.b")
    doc = IngestDocument({})
    assert driver.run(doc, [("put_field", key, 3, 0x20, 1)]).results == [OK]
    driver.write(key, b"a.c")
    assert driver.run(doc, [("put_field", key, 3, 0x20, 1)]).results == [OK]
    driver.write(key, b"a..")
    assert driver.run(doc, [("put_field", key, 3, 0x20, 1)]).results == [INVALID]
    driver.write(key, b"a.d")
    assert driver.run(doc, [("put_field", key, 3, 0x20, 1), ("put_field", key, 1, 0x20, 1)]).results == [OK, OK]
    assert doc.source == {"a": 1}
    driver.write(key, b"\xff.d")
    assert driver.run(doc, [("put_field", key, 3, 0x20, 1)]).results == [INVALID]
    assert doc.source == {"a": 1}


def test_many_distinct_keys(driver: Driver) -> None:
    """More distinct keys than any small cache holds, each set and read back."""
    doc = IngestDocument({})
    count = 6000
    out = driver.place(SENTINEL)
    for start in range(0, count, 30):
        driver.cursor = 0x2000
        calls = []
        for i in range(start, min(start + 30, count)):
            key = f"k{i}.v".encode()
            value = str(i).encode()
            k, v = driver.place(key), driver.place(value)
            calls.append(("put_field", k, len(key), v, len(value)))
            calls.append(("get_field", k, len(key), out, out + 4))
        run = driver.run(doc, calls)
        assert run.results == [OK] * len(calls)
        ptr, length = struct.unpack("<II", driver.read(out, 8))
        assert driver.read(ptr, length) == str(min(start + 30, count) - 1).encode()
    assert len(doc.source) == count
    assert all(doc.source[f"k{i}"] == {"v": i} for i in range(count))
    # keys come from the guest: whatever the host remembers about them stays bounded
    remembered = getattr(driver.instance.host, "_paths", {})
    assert len(remembered) <= getattr(abi, "PATH_CACHE_SIZE", 4096)


# --------------------------------------------------------------------------
# The guest's malloc: growth, failure, trap, re-entrancy
# --------------------------------------------------------------------------


def test_memory_growing_during_malloc_works_for_get_field(driver: Driver) -> None:
    driver.exports.set_malloc_mode(MALLOC_GROW)
    value = {"text": "y" * 3000}
    key = driver.place(b"v")
    out = driver.place(SENTINEL * 2)
    run = driver.run({"v": value}, [("get_field", key, 1, out, out + 4), ("get_field", key, 1, out + 8, out + 12)])
    assert run.results == [OK, OK]
    assert driver.memory_size == 3 * PAGE
    first, first_len, second, second_len = struct.unpack("<IIII", driver.read(out, 16))
    assert (first, second) == (PAGE, 2 * PAGE)  # each in the page its malloc added
    assert first_len == second_len == len(orjson.dumps(value))
    assert orjson.loads(driver.read(first, first_len)) == value
    assert orjson.loads(driver.read(second, second_len)) == value


def test_malloc_returning_zero_is_internal_failure(driver: Driver) -> None:
    driver.exports.set_malloc_mode(MALLOC_ZERO)
    status, out, run = _get(driver, {"a": [1, 2]}, b"a")
    assert status == INTERNAL
    assert driver.exports.malloc_calls() == 1
    assert driver.read(out, 8) == SENTINEL


@pytest.mark.parametrize(
    "address",
    [PAGE - 4, PAGE - 1, PAGE, PAGE + 4096, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFC, 0xFFFFFFFF],
    ids=hex,
)
def test_malloc_returning_an_out_of_range_address_is_internal_failure(
    driver: Driver, caplog: pytest.LogCaptureFixture, address: int
) -> None:
    caplog.set_level(logging.DEBUG)
    driver.exports.set_malloc_mode(MALLOC_FIXED)
    driver.exports.set_malloc_return(address - (1 << 32) if address >= 1 << 31 else address)
    before = driver.read(PAGE - 8, 8)
    status, out, _ = _get(driver, {"a": [1, 2]}, b"a")  # 5 bytes of JSON
    assert status == INTERNAL
    assert driver.exports.malloc_calls() == 1
    assert driver.read(out, 8) == SENTINEL
    assert driver.read(PAGE - 8, 8) == before
    assert not [r for r in caplog.records if r.exc_info]  # refused, not failed with an exception


def test_malloc_returning_an_address_that_just_fits_is_ok(driver: Driver) -> None:
    driver.exports.set_malloc_mode(MALLOC_FIXED)
    driver.exports.set_malloc_return(PAGE - 5)
    status, out, _ = _get(driver, {"a": [1, 2]}, b"a")
    assert status == OK
    assert struct.unpack("<II", driver.read(out, 8)) == (PAGE - 5, 5)
    assert driver.read(PAGE - 5, 5) == b"[1,2]"


def test_malloc_that_traps_is_internal_failure_and_the_guest_goes_on(
    driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    driver.exports.set_malloc_mode(MALLOC_TRAP)
    key = driver.place(b"a")
    out = driver.place(SENTINEL)
    doc = IngestDocument({"a": 1})
    run = driver.run(doc, [("get_field", key, 1, out, out + 4), ("abi_version",), ("put_field", key, 1, 0x20, 1)])
    assert run.code == 0
    assert run.results == [INTERNAL, ABI_VERSION_WORD, OK]
    assert driver.read(out, 8) == SENTINEL
    assert doc.source == {"a": 1}
    # a guest's trap is the guest's problem: no Python traceback from a host function
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    # the instance is still usable
    driver.exports.set_malloc_mode(0)
    assert driver.run(doc, [("get_field", key, 1, out, out + 4)]).results == [OK]


def test_reentrant_field_calls_from_malloc_are_invalid_and_do_not_recurse(driver: Driver) -> None:
    driver.exports.set_malloc_mode(MALLOC_REENTER)
    driver.write(NESTED_STATUS, b"\xee" * 12)
    driver.write(0x30, SENTINEL)
    doc = IngestDocument({"a": "value"})
    status, out, _ = _get(driver, doc, b"a")
    assert status == OK  # the outer call completes
    nested = struct.unpack("<iii", driver.read(NESTED_STATUS, 12))
    assert nested == (INVALID, INVALID, INVALID)  # nested get, put, remove
    assert driver.exports.malloc_calls() == 1  # the nested get did not call malloc again
    assert driver.read(0x30, 8) == SENTINEL
    assert doc.source == {"a": "value"}  # the nested put and remove changed nothing
    ptr, length = struct.unpack("<II", driver.read(out, 8))
    assert driver.read(ptr, length) == b'"value"'
    # after it, field calls from process work again
    driver.exports.set_malloc_mode(0)
    assert _get(driver, doc, b"a")[0] == OK


def test_field_calls_outside_process_are_invalid(engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="ingesthost.guest.setup_field_calls")
    instance = load_wat("setup_field_calls", engine).instantiate()
    try:
        memory = instance._instance.exports.memory.buffer
        from_initialize = struct.unpack_from("<3i", memory, 0x100)
        from_configure = struct.unpack_from("<6i", memory, 0x200)
    finally:
        instance.close()
    assert from_initialize == (INVALID, INVALID, INVALID)
    # get, put, remove are refused; time, log and abi_version work during configure
    assert from_configure == (INVALID, INVALID, INVALID, OK, OK, ABI_VERSION_WORD)
    assert [r.getMessage() for r in caplog.records] == ["configuring"]


def test_field_calls_from_outside_any_call_are_invalid(driver: Driver) -> None:
    """The exports called directly by the embedder, with no document set."""
    driver.write(0x104, struct.pack("<6i", 1, 0x10, 1, 0x30, 0x34, -99))
    driver.write(0x100, struct.pack("<i", 1))
    assert driver.exports.process() == 0  # wasmer call, bypassing GuestInstance.process
    assert driver.results(1) == [INVALID]


def test_host_functions_outliving_their_host_return_internal_failure(driver_module: GuestModule) -> None:
    """The imports hold their HostCalls weakly. Wasm code still reachable
    after the GuestInstance is gone gets InternalFailure, not a crash."""
    instance = driver_module.instantiate()
    exports = instance._instance.exports
    driver = Driver(instance)
    message = driver.place(b"orphaned")
    out = driver.place(SENTINEL)
    count = driver.script([("log", 1, message, 8), ("time", out), ("get_field", 0x10, 1, out, out + 4), ("abi_version",)])
    del driver, instance
    assert exports.process() == 0
    results = [struct.unpack_from("<6i", exports.memory.buffer, 0x104 + 24 * i)[5] for i in range(count)]
    assert results == [INTERNAL, INTERNAL, INTERNAL, ABI_VERSION_WORD]
    assert bytes(memoryview(exports.memory.buffer)[out : out + 8]) == SENTINEL
