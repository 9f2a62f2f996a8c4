"""Fuzzing the ``elastic`` host functions through a real guest.

Long mode (20x the examples, longer stateful runs; see tests/fuzz_profiles.py)::

    INGESTHOST_FUZZ=long /tmp/venv/bin/python -m pytest -q tests/test_fuzz_abi.py

The guest is ``tests/wat/fuzz_abi.wat``: each ``process`` performs one host
call with the arguments the test chose (pointers and lengths biased toward
the edges of memory and of u32 arithmetic), and keeps nothing in its linear
memory, so the test knows every byte the host may write. Each call is
checked against an oracle written here from ``abi_spec/ABI.md`` alone:

* the status, computed from the bounds rules, UTF-8, JSON and the dotted
  path rules (a reference model of the document, :class:`RefDoc`, that
  does not use ``ingesthost.document``);
* the whole guest memory afterwards, byte for byte: ``get_field`` writes
  exactly the JSON text where ``malloc`` said and the two out-pointers;
  nothing else, and nothing at all on a failure;
* the document afterwards: unchanged after InvalidArgument, NotFound and
  InternalFailure, equal to the model after Ok, and always writable by orjson;
* the logging: ``elastic_log`` logs exactly the (lossily decoded) message at
  the right level, and the host-function guard never logs a Python
  exception ("host function ... failed");
* no exception and no trap ever reaches the test.

A hypothesis state machine runs long sequences of put/get/remove (keys
biased toward the paths the document has) against the same model, and
measures RSS across its run.
"""

from __future__ import annotations

import json
import logging
import re
import struct
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from hypothesis import assume, event, given, note, strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from fuzz_profiles import fuzz_settings
from fuzz_reference import canon, ref_depth, ref_parse_value
from helpers import load_wat, to_i32
from ingesthost import abi
from ingesthost.document import IngestDocument

OK, INTERNAL, INVALID, NOT_FOUND = 0, 1, 2, 3
STATUSES = {OK, INTERNAL, INVALID, NOT_FOUND}
ABI_VERSION = (1 << 16) | 1  # ABI 1.1
U32 = 0xFFFFFFFF
PAGE = 65536
#: Deepest document the host accepts (orjson cannot write deeper ones).
MAX_DEPTH = 254
INGEST_NS = 1_700_000_000_123_456_789

OPS = {"get_field": 1, "put_field": 2, "remove_field": 3, "time": 4, "log": 5, "abi_version": 6, "grow": 7}
MALLOC_RETURN, MALLOC_TRAP, MALLOC_GROW, MALLOC_REENTER = range(4)
MALLOC_NAMES = {MALLOC_RETURN: "return", MALLOC_TRAP: "trap", MALLOC_GROW: "grow", MALLOC_REENTER: "reenter"}
PY_LEVELS = {0: logging.DEBUG, 1: logging.INFO, 2: logging.WARNING, 3: logging.ERROR, 4: logging.CRITICAL}


# ==========================================================================
# The reference model, from abi_spec/ABI.md
# ==========================================================================

_INDEX = re.compile(r"[0-9]+")


def ref_parse_key(raw: bytes) -> list[str] | None:
    """The segments of a key, or None when the key is InvalidArgument for every
    call (not UTF-8, empty path, empty segment)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    parts = text.split(".")
    if any(part == "" for part in parts):
        return None
    return parts


def _is_index(segment: str) -> bool:
    """"a non-negative decimal integer index" (ASCII digits)."""
    return _INDEX.fullmatch(segment) is not None


class RefDoc:
    """The document and its ``_ingest`` metadata, with ABI.md's path rules."""

    def __init__(self, source: dict[str, Any], ingest: dict[str, Any]) -> None:
        self.source = source
        self.ingest = ingest

    def _root(self, parts: list[str]) -> tuple[Any, list[str]]:
        # "Paths beginning with `_ingest.` address ingest metadata rather than the document."
        if parts[0] == "_ingest" and len(parts) > 1:
            return self.ingest, parts[1:]
        return self.source, parts

    def get(self, parts: list[str]) -> tuple[int, Any]:
        node, rest = self._root(parts)
        for segment in rest:
            if isinstance(node, dict):
                if segment not in node:
                    return NOT_FOUND, None  # a missing key
                node = node[segment]
            elif isinstance(node, list):
                if not _is_index(segment):
                    return INVALID, None  # tags.x, tags.-1
                if int(segment) >= len(node):
                    return NOT_FOUND, None  # an index past the end
                node = node[int(segment)]
            else:
                return NOT_FOUND, None  # through a scalar or null
        return OK, node

    def remove(self, parts: list[str]) -> int:
        node, rest = self._root(parts)
        for segment in rest[:-1]:
            if isinstance(node, dict):
                if segment not in node:
                    return NOT_FOUND
                node = node[segment]
            elif isinstance(node, list):
                if not _is_index(segment):
                    return INVALID
                if int(segment) >= len(node):
                    return NOT_FOUND
                node = node[int(segment)]
            else:
                return NOT_FOUND
        last = rest[-1]
        if isinstance(node, dict):
            if last not in node:
                return NOT_FOUND
            del node[last]
            return OK
        if isinstance(node, list):
            if not _is_index(last):
                return INVALID
            if int(last) >= len(node):
                return NOT_FOUND
            del node[int(last)]  # "on a list, the element at that index"
            return OK
        return NOT_FOUND

    def put(self, parts: list[str], value: Any) -> int:
        """Put, all or nothing: the walk runs on a copy that replaces the
        document only when the put succeeds."""
        # Not in ABI.md but documented in ingesthost.document: a value that
        # would nest the document deeper than 254 levels is refused.
        if ref_depth(value) + len(parts) > MAX_DEPTH:
            return INVALID
        source, ingest = _copy(self.source), _copy(self.ingest)
        trial = RefDoc(source, ingest)
        node, rest = trial._root(parts)
        for segment in rest[:-1]:
            if isinstance(node, dict):
                child = node.get(segment)
                if child is None:  # missing, or an intermediate null: a new object
                    child = node[segment] = {}
                node = child
            elif isinstance(node, list):
                if not _is_index(segment) or int(segment) >= len(node):
                    return INVALID  # never creates list elements
                node = node[int(segment)]
            else:
                return INVALID  # through a string, number or boolean (or null inside a list)
        last = rest[-1]
        if isinstance(node, dict):
            node[last] = value
        elif isinstance(node, list):
            if not _is_index(last) or int(last) >= len(node):
                return INVALID
            node[int(last)] = value
        else:
            return INVALID
        self.source, self.ingest = source, ingest
        return OK

    def paths(self, limit: int = 64) -> list[list[str]]:
        """Up to ``limit`` paths that exist in the document (breadth first)."""
        found: list[list[str]] = []
        queue: list[tuple[list[str], Any]] = [([], self.source), (["_ingest"], self.ingest)]
        while queue and len(found) < limit:
            prefix, node = queue.pop(0)
            if isinstance(node, dict):
                items = [(str(k), v) for k, v in node.items()]
            elif isinstance(node, list):
                items = [(str(i), v) for i, v in enumerate(node)]
            else:
                continue
            for key, child in items:
                found.append(prefix + [key])
                queue.append((prefix + [key], child))
        return found[:limit]

    def list_paths(self, limit: int = 16) -> list[list[str]]:
        """Up to ``limit`` paths of lists in the document."""
        return [path for path in self.paths(256) if isinstance(self.get(path)[1], list)][:limit]


def _copy(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value)) if isinstance(value, (dict, list)) else value


# ==========================================================================
# The guest and the per-call oracle
# ==========================================================================


class LogCapture(logging.Handler):
    """Keeps the records of the current call."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def guard_failures(self) -> list[str]:
        """Records of the host-function guard (a Python exception inside a host call)."""
        bad = []
        for record in self.records:
            if record.getMessage().startswith("host function") or record.exc_info:
                text = record.getMessage()
                if record.exc_info:
                    text += "\n" + logging.Formatter().formatException(record.exc_info)
                bad.append(text)
        return bad


#: The guests' logger. Created outside logging's registry on purpose: pytest
#: attaches its capture handler to every registered logger, and keeping the
#: fuzz runs' millions of guest log lines would distort the RSS measurement.
#: The host-function guard logs here too (it logs on the instance's logger).
GUEST_LOGGER = logging.Logger("ingesthost.guest.fuzz_abi", logging.DEBUG)
CAPTURE = LogCapture()
GUEST_LOGGER.addHandler(CAPTURE)


@pytest.fixture(scope="module", autouse=True)
def _capture_package_logs():
    """Anything else ingesthost logs goes to :data:`CAPTURE` too."""
    package = logging.getLogger("ingesthost")
    package.addHandler(CAPTURE)
    try:
        yield
    finally:
        package.removeHandler(CAPTURE)


_module = None


def fuzz_module():
    global _module
    if _module is None:
        _module = load_wat("fuzz_abi")
    return _module


@dataclass
class Malloc:
    mode: int = MALLOC_RETURN
    value: int = 0
    #: When set (RETURN mode), ``value`` is chosen at the call so that the JSON
    #: text ends ``align_end`` bytes past the end of memory (0: exactly at it).
    align_end: int | None = None

    def __repr__(self) -> str:
        aligned = "" if self.align_end is None else f" end{self.align_end:+d}"
        return f"Malloc({MALLOC_NAMES[self.mode]}, {self.value:#x}{aligned})"


@dataclass
class Harness:
    """One instance of fuzz_abi.wat, one document, and the model of that document."""

    doc: IngestDocument
    model: RefDoc
    instance: Any = None
    malloc: Malloc = field(default_factory=Malloc)
    calls: int = 0

    @classmethod
    def create(cls, source: dict[str, Any]) -> "Harness":
        doc = IngestDocument(_copy(source), ingest_ns=INGEST_NS)
        model = RefDoc(_copy(source), _copy(doc.ingest))  # doc.ingest: the metadata exists from now on
        harness = cls(doc, model)
        harness.instance = fuzz_module().instantiate(logger=GUEST_LOGGER)
        return harness

    def close(self) -> None:
        if self.instance is not None:
            self.instance.close()
            self.instance = None

    @property
    def exports(self) -> Any:
        return self.instance._instance.exports

    @property
    def memory_size(self) -> int:
        return self.exports.memory.data_size

    def memory(self) -> bytes:
        return bytes(memoryview(self.exports.memory.buffer))

    def write(self, addr: int, data: bytes) -> None:
        """Write what fits of ``data`` at ``addr`` (bytes past the end are dropped)."""
        size = self.memory_size
        if addr < size and data:
            chunk = data[: size - addr]
            memoryview(self.exports.memory.buffer)[addr : addr + len(chunk)] = chunk

    def set_malloc(self, malloc: Malloc) -> None:
        self.malloc = malloc
        self.exports.set_malloc(malloc.mode, to_i32(malloc.value))

    def doc_state(self) -> bytes:
        """The document and its metadata as orjson writes them (raises if it cannot)."""
        return orjson.dumps(self.doc.source) + b"\n" + orjson.dumps(self.doc.ingest)

    def model_state(self) -> bytes:
        return orjson.dumps(self.model.source) + b"\n" + orjson.dumps(self.model.ingest)

    # -- one call, checked --------------------------------------------------

    def call(self, op: str, *args: int) -> int:
        """Perform one host call through the guest and check everything the
        oracle knows about it; returns the status."""
        a = [x & U32 for x in args] + [0] * (4 - len(args))
        before = self.memory()
        size = len(before)
        state_before = self.doc_state()
        assert state_before == self.model_state()
        expected_mem = bytearray(before)
        if op == "get_field" and self.malloc.align_end is not None:
            self._align_malloc(a, before)
        malloc = self.malloc
        self.calls += 1
        _note(f"call {self.calls}: {op}({', '.join(hex(x) for x in a[: len(args)])}) memory={size:#x} {malloc}")

        CAPTURE.records.clear()
        self.exports.set_call(OPS[op], *(to_i32(x) for x in a))
        t0 = time.time_ns()
        code, last_error = self.instance.process(self.doc)  # a GuestTrap here fails the test
        t1 = time.time_ns()
        status = self.exports.result()
        after = self.memory()
        assert code == 0
        failures = CAPTURE.guard_failures()
        assert not failures, f"the host-function guard caught a Python exception:\n{failures[0]}"
        _note(f"  -> status {status}")
        if currently_in_test_context():
            event(f"{op} -> {status}")

        malloc_calls = self.exports.malloc_calls()
        logged = [r for r in CAPTURE.records if r.name == GUEST_LOGGER.name and not r.getMessage().startswith("guest malloc(")]
        expected_malloc_size = None
        check_doc_unchanged = True

        if op == "get_field":
            kp, kl, rp, lp = a
            assert status in STATUSES
            if not (kp + kl <= size and rp + 4 <= size and lp + 4 <= size):
                expected = INVALID
            else:
                parts = ref_parse_key(before[kp : kp + kl])
                if parts is None:
                    expected = INVALID
                else:
                    expected, value = self.model.get(parts)
                    if expected == OK:
                        text = orjson.dumps(value)
                        assert canon(ref_parse_value(text)[1]) == canon(value)
                        expected_malloc_size = len(text)
                        expected = self._expect_alloc(text, size, expected_mem, rp, lp)
            assert status == expected, f"get_field: status {status}, the spec says {expected}"
            if expected_malloc_size is None:
                assert malloc_calls == 0, "malloc called for a get that needs no memory"
            else:
                assert malloc_calls == 1 and self.exports.malloc_size() == expected_malloc_size
                if malloc.mode == MALLOC_REENTER:
                    nested = [self.exports.nested(i) for i in range(3)]
                    assert nested == [INVALID] * 3, f"re-entrant get/put/remove from malloc returned {nested}"
        elif op == "put_field":
            kp, kl, vp, vl = a
            assert status in STATUSES
            expected = INVALID
            if kp + kl <= size and vp + vl <= size:
                parts = ref_parse_key(before[kp : kp + kl])
                ok, value = ref_parse_value(before[vp : vp + vl])
                if parts is not None and ok:
                    expected = self.model.put(parts, value)
            assert status == expected, f"put_field: status {status}, the spec says {expected}"
            check_doc_unchanged = expected != OK
            assert malloc_calls == 0
        elif op == "remove_field":
            kp, kl = a[:2]
            assert status in STATUSES
            expected = INVALID
            if kp + kl <= size:
                parts = ref_parse_key(before[kp : kp + kl])
                if parts is not None:
                    expected = self.model.remove(parts)
            assert status == expected, f"remove_field: status {status}, the spec says {expected}"
            check_doc_unchanged = expected != OK
            assert malloc_calls == 0
        elif op == "time":
            (rp,) = a[:1]
            if rp + 8 <= size:
                assert status == OK
                (ns,) = struct.unpack("<Q", after[rp : rp + 8])
                assert t0 <= ns <= t1
                expected_mem[rp : rp + 8] = after[rp : rp + 8]
            else:
                assert status == INVALID
        elif op == "log":
            level, mp, ml = to_i32(a[0]), a[1], a[2]
            if 0 <= level <= 4 and mp + ml <= size:
                assert status == OK
                raw = before[mp : mp + ml]
                if ml <= abi.MAX_LOG_LINE_BYTES:
                    message = raw.decode("utf-8", "replace")
                else:  # a long line is cut at a character boundary and marked
                    head, omitted = abi.cut_utf8(raw, abi.MAX_LOG_LINE_BYTES)
                    message = head + abi.truncation_note(omitted)
                assert [(r.levelno, r.getMessage()) for r in logged] == [(PY_LEVELS[level], message)]
                head, omitted = abi.cut_utf8(raw, abi.MAX_FAILURE_MESSAGE_BYTES)
                reason = head + abi.truncation_note(omitted) if omitted else head
                assert last_error == (reason if level >= 3 else None)
            else:
                assert status == INVALID
                assert logged == [] and last_error is None
        elif op == "abi_version":
            assert status == ABI_VERSION
        elif op == "grow":
            pages = a[0]
            old = size // PAGE
            if old + pages <= 65536:
                assert status == old
                expected_mem.extend(bytes(pages * PAGE))
            else:
                assert status == -1
        else:  # pragma: no cover
            raise AssertionError(op)

        if op != "get_field" and op != "grow":
            assert malloc_calls == 0
        if op != "log":
            assert logged == [], [r.getMessage() for r in logged]
        # Memory: exactly what the spec allows changed, nothing else.
        if after != bytes(expected_mem):
            diff = _first_difference(after, bytes(expected_mem))
            raise AssertionError(f"{op}: guest memory differs from the spec's at {diff}")
        # The document: still writable as JSON; unchanged unless a put/remove succeeded.
        state_after = self.doc_state()
        if check_doc_unchanged:
            assert state_after == state_before, f"{op} returned {status} but changed the document"
        assert state_after == self.model_state(), f"{op}: the document differs from the model"
        return status

    def _align_malloc(self, a: list[int], memory: bytes) -> None:
        """Point malloc's answer so that the value's text ends at the end of memory
        (give or take ``align_end``), when the get will find a value."""
        kp, kl = a[0], a[1]
        if kp + kl > len(memory):
            return
        parts = ref_parse_key(memory[kp : kp + kl])
        if parts is None:
            return
        status, value = self.model.get(parts)
        if status == OK:
            align = self.malloc.align_end or 0
            self.set_malloc(Malloc(MALLOC_RETURN, (len(memory) - len(orjson.dumps(value)) + align) & U32, align))

    def _expect_alloc(self, text: bytes, size: int, expected_mem: bytearray, rp: int, lp: int) -> int:
        """The status of a get whose value is ``text``, from the malloc mode; applies
        the writes the spec requires to ``expected_mem``."""
        mode, value = self.malloc.mode, self.malloc.value & U32
        if mode == MALLOC_TRAP:
            return INTERNAL
        if mode == MALLOC_GROW:
            ptr = size
            expected_mem.extend(bytes(PAGE))
            size += PAGE
        else:  # RETURN, REENTER
            ptr = value
        if ptr == 0 or ptr + len(text) > size:
            return INTERNAL
        expected_mem[ptr : ptr + len(text)] = text
        expected_mem[rp : rp + 4] = struct.pack("<I", ptr)
        expected_mem[lp : lp + 4] = struct.pack("<I", len(text))
        return OK


def _note(text: str) -> None:
    if currently_in_test_context():
        note(text)


def _first_difference(actual: bytes, expected: bytes) -> str:
    if len(actual) != len(expected):
        return f"size {len(actual):#x} instead of {len(expected):#x}"
    for i, (x, y) in enumerate(zip(actual, expected)):
        if x != y:
            return f"{i:#x}: {actual[i:i + 8].hex()} instead of {expected[i:i + 8].hex()}"
    return "?"  # pragma: no cover


# ==========================================================================
# Strategies
# ==========================================================================

INT_EDGES = [0, 1, -1, 2**31 - 1, -(2**31), 2**32, 2**53 + 1, 2**63 - 1, -(2**63), 2**64 - 1]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(INT_EDGES),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
)
doc_keys = st.one_of(
    st.sampled_from(["a", "b", "c", "tags", "0", "1", "10", "_ingest", "timestamp", "a.b", "", " ", "é", "x y"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=4),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(doc_keys, inner, max_size=4),
    max_leaves=12,
)


def _nest(depth: int, leaf: Any, kinds: list[bool]) -> Any:
    """``depth`` levels of objects/lists (kinds[i]: list or object) around ``leaf``."""
    node = leaf
    for i in range(depth):
        node = [node] if kinds[i % len(kinds)] else {"d": node}
    return node


deep_documents = st.builds(
    lambda depth, kinds, leaf: {"deep": _nest(depth, leaf, kinds), "x": 1},
    st.integers(min_value=1, max_value=MAX_DEPTH - 2),
    st.lists(st.booleans(), min_size=1, max_size=3),
    scalars,
)
documents = st.one_of(
    st.dictionaries(doc_keys, json_values, max_size=6),
    st.fixed_dictionaries(
        {"a": st.dictionaries(doc_keys, json_values, max_size=3), "tags": st.lists(json_values, max_size=4)},
        optional={"nul": st.none(), "s": st.text(max_size=3), "n": st.integers(-(2**63), 2**64 - 1), "list": st.lists(json_values, max_size=3)},
    ),
    deep_documents,
)

SEGMENTS = ["a", "b", "c", "d", "x", "tags", "nul", "deep", "list", "0", "1", "2", "3", "9", "99",
            "007", "-1", "+1", " 1", "1 ", "١", "²", "", "_ingest", "timestamp", "é", "a b"]
segments = st.one_of(st.sampled_from(SEGMENTS), st.text(max_size=3).filter(lambda s: "." not in s))


INDEX_LIKE = ["0", "1", "2", "99", "-1", "+1", "-0", "007", "0x1", "1e0", "x", " 1", "1 ", "١", "", "18446744073709551616"]


@st.composite
def keys_for(draw: st.DrawFn, model: RefDoc) -> bytes:
    """Key bytes: paths the document has (and near misses), random dotted
    paths, empty segments, invalid UTF-8, long paths."""
    kind = draw(st.integers(0, 10))
    if kind == 10:  # an index-like segment on a list
        lists = model.list_paths()
        if lists:
            path = list(draw(st.sampled_from(lists)))
            path.append(draw(st.sampled_from(INDEX_LIKE)))
            if draw(st.booleans()):
                path.append(draw(segments))
            return ".".join(path).encode("utf-8")
        kind = 0
    if kind <= 4:
        paths = model.paths()
        if paths:
            path = list(draw(st.sampled_from(paths)))
            change = draw(st.integers(0, 5))
            if change == 1:
                path.append(draw(segments))
            elif change == 2:
                path[-1] = draw(st.sampled_from(INDEX_LIKE))
            elif change == 3 and len(path) > 1:
                path = path[:-1]
            elif change == 4:
                path = ["_ingest"] + path
            return ".".join(path).encode("utf-8")
    if kind == 5:
        return ".".join(draw(st.lists(segments, min_size=1, max_size=5))).encode("utf-8")
    if kind == 6:
        n = draw(st.integers(min_value=MAX_DEPTH - 4, max_value=MAX_DEPTH + 2))
        return ".".join(["deep"] + ["d"] * (n - 1)).encode()
    if kind == 7:
        return draw(st.binary(max_size=8))
    if kind == 8:
        base = draw(st.sampled_from([b"a", b"tags.0", b"_ingest.timestamp", b"a.b"]))
        return draw(st.sampled_from([b"", b".", b"..", b"a..b", b".a", b"a.", b"\xff", b"a.\xc3", b"\xed\xa0\x80"])) + base
    return draw(st.sampled_from([b"_ingest", b"_ingest.timestamp", b"_ingest.x.y", b"_ingest.", b"tags.0.x", b"nul.x"]))


VALUE_GARBAGE = [
    b"", b" ", b"{", b"}", b"[", b"NaN", b"Infinity", b"-Infinity", b"nan", b"1 2", b"'a'", b"\xef\xbb\xbf1",
    b'"\\ud800"', b'"\\udc00x"', b'"\\ud83d\\ude00"', b'"\x01"', b'"\x7f"', b"01", b"1.", b".5", b"+1", b"-",
    b"tru", b"nul", b"[1,]", b'{"a":1,}', b'{"a"}', b"\xff", b'"\xff"', b'"\xed\xa0\x80"', b"1e400",
    b"-1e400", b"1" + b"0" * 400, b"-1" + b"0" * 400, b"0." + b"0" * 400 + b"1", b"1e-400", b"-0", b"-0.0",
    b"18446744073709551615", b"18446744073709551616", b"-9223372036854775808", b"-9223372036854775809",
    b"1.7976931348623157e308", b"1.7976931348623159e308", b"4.9e-324", b"2.2250738585072011e-308",
    b'{"a":1,"a":2}', b'{"a":1,"b":2,"a":3}', b"[1]x", b"\x00", b"1\x00", b"\t\n\r 1 \r\n\t", b"\x0c1",
    b'"\\u0000"', b'"\\x41"', b'"\\/"', b"true false", b"[" * 1100 + b"]" * 1100,
]


@st.composite
def value_bytes(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 7))
    if kind <= 2:
        return orjson.dumps(draw(json_values))
    if kind == 3:
        value = draw(json_values)
        return json.dumps(value, indent=draw(st.sampled_from([None, 0, 2])), ensure_ascii=draw(st.booleans())).encode()
    if kind == 4:
        return draw(st.sampled_from(VALUE_GARBAGE))
    if kind == 5:  # nesting around the 254-level limit
        n = draw(st.integers(min_value=MAX_DEPTH - 6, max_value=MAX_DEPTH + 3))
        if draw(st.booleans()):
            return b"[" * n + b"]" * n
        return b'{"k":' * n + b"1" + b"}" * n
    if kind == 6:  # a valid value, cut or extended
        text = orjson.dumps(draw(json_values))
        cut = draw(st.integers(0, len(text)))
        return text[:cut] + draw(st.binary(max_size=3))
    return draw(st.binary(max_size=24))


def _u32_edges(size: int, width: int) -> list[int]:
    return sorted(
        {
            x & U32
            for x in [0, 1, width, size - width, size - width - 1, size - width + 1, size - 1, size, size + 1,
                      2**31 - 1, 2**31, 2**32 - 1, 2**32 - width, 2**32 - width + 1, 2**32 - size, PAGE]
        }
    )


def pointers(size: int, width: int) -> st.SearchStrategy[int]:
    """A u32 pointer to ``width`` bytes: memory edges, u32 edges, anything."""
    return st.one_of(
        st.sampled_from(_u32_edges(size, width)),
        st.integers(0, max(size - width, 0)),
        st.integers(0, U32),
    )


def lengths(size: int, ptr: int) -> st.SearchStrategy[int]:
    """A u32 length after ``ptr``: exact fits, one past, wrap-arounds (ptr + len == 2**32)."""
    edges = {0, 1, size - ptr, size - ptr + 1, size - ptr - 1, 2**32 - ptr, 2**32 - ptr + 1, 2**32 - 1, 2**31, 2**31 - 1}
    return st.one_of(st.sampled_from(sorted(e & U32 for e in edges)), st.integers(0, 64), st.integers(0, U32))


@st.composite
def placed(draw: st.DrawFn, harness: Harness, data: bytes) -> tuple[int, int]:
    """Write ``data`` in guest memory (at the start, at the very end, one byte
    past the end, or anywhere) and return (pointer, length); or return a
    garbage range instead (the bytes are whatever is there)."""
    size = harness.memory_size
    n = len(data)
    choice = draw(st.integers(0, 9))
    if choice <= 6:
        where = draw(
            st.one_of(
                st.sampled_from(sorted({0, max(size - n, 0), size - n + 1 if size - n + 1 >= 0 else 0, 0x8000})),
                st.integers(0, max(size - n, 0)),
            )
        )
        harness.write(where, data)
        return where, n
    ptr = draw(pointers(size, 1))
    return ptr, draw(lengths(size, ptr))


mallocs = st.one_of(
    st.builds(Malloc, st.just(MALLOC_RETURN), st.just(0), st.sampled_from([-1, 0, 0, 1])),
    st.builds(Malloc, st.just(MALLOC_RETURN), st.sampled_from([0x8000, 0x10, 1])),
    st.builds(Malloc, st.just(MALLOC_RETURN), st.integers(0, U32)),
    st.builds(Malloc, st.just(MALLOC_RETURN), st.sampled_from([0, PAGE - 1, PAGE - 2, PAGE - 8, PAGE - 40, PAGE, 2**31, U32, U32 - 3, 2**32 - PAGE])),
    st.builds(Malloc, st.sampled_from([MALLOC_TRAP, MALLOC_GROW]), st.just(0)),
    st.builds(Malloc, st.just(MALLOC_REENTER), st.sampled_from([0x8000, 0, U32])),
)

LEVELS = st.one_of(
    st.integers(0, 4), st.sampled_from([-(2**31), -1, 5, 6, 2**31 - 1]), st.integers(-(2**31), 2**31 - 1)
)
messages = st.one_of(st.binary(max_size=40), st.text(max_size=20).map(str.encode), st.just(b"caf\xc3"))


def draw_and_call(data: st.DataObject, harness: Harness, ops: list[str] | None = None) -> int:
    """Draw one call (op, arguments, bytes placed in memory) and perform it."""
    op = data.draw(
        st.sampled_from(ops) if ops else st.sampled_from(
            ["get_field"] * 4 + ["put_field"] * 4 + ["remove_field"] * 2 + ["time", "log", "abi_version", "grow"]
        ),
        label="op",
    )
    size = harness.memory_size
    if op in ("get_field", "put_field", "remove_field"):
        key = data.draw(keys_for(harness.model), label="key")
        kp, kl = data.draw(placed(harness, key), label="key range")
        if op == "remove_field":
            return harness.call(op, kp, kl)
        if op == "put_field":
            value = data.draw(value_bytes(), label="value")
            vp, vl = data.draw(placed(harness, value), label="value range")
            return harness.call(op, kp, kl, vp, vl)
        harness.set_malloc(data.draw(mallocs, label="malloc"))
        rp = data.draw(pointers(size, 4), label="ret_ptr_ptr")
        lp = data.draw(st.one_of(st.just((rp + 4) & U32), pointers(size, 4)), label="ret_len_ptr")
        return harness.call(op, kp, kl, rp, lp)
    if op == "time":
        return harness.call(op, data.draw(pointers(size, 8), label="ret_ptr"))
    if op == "log":
        level = data.draw(LEVELS, label="level")
        mp, ml = data.draw(placed(harness, data.draw(messages, label="message")), label="message range")
        return harness.call(op, level & U32, mp, ml)
    if op == "abi_version":
        return harness.call(op)
    return harness.call("grow", data.draw(st.integers(0, 2), label="pages"))


# ==========================================================================
# Tests
# ==========================================================================


@fuzz_settings(150)
@given(doc=documents, data=st.data())
def test_every_import_with_arbitrary_arguments(doc: dict[str, Any], data: st.DataObject) -> None:
    """Random documents, then up to 16 calls of any import with arguments
    biased toward the edges; every call checked by the oracle."""
    harness = Harness.create(doc)
    try:
        for _ in range(data.draw(st.integers(1, 16), label="calls")):
            draw_and_call(data, harness)  # Harness.call checks everything
    finally:
        harness.close()


@fuzz_settings(100)
@given(
    doc=documents,
    key_len=st.integers(1, 40),
    value=json_values,
    malloc_return=st.one_of(
        st.sampled_from([0, 1, 4, PAGE - 1, PAGE - 4, PAGE, PAGE + 1, 2**31 - 1, 2**31, U32, U32 - 1, 2**32 - PAGE]),
        st.integers(PAGE - 600, PAGE + 8),
        st.integers(0, U32),
    ),
    out=st.integers(0, PAGE - 8),
)
def test_malloc_returning_any_value_never_makes_get_field_write_outside_memory(
    doc: dict[str, Any], key_len: int, value: Any, malloc_return: int, out: int
) -> None:
    """``malloc`` answers with an arbitrary u32: the host writes the value only
    where it fits, else InternalFailure with memory untouched (checked byte for
    byte by the oracle), and never crashes."""
    doc = dict(doc)
    key = ("k" * key_len).encode()
    doc["k" * key_len] = value
    assume(ref_depth(doc) <= MAX_DEPTH)
    harness = Harness.create(doc)
    try:
        harness.write(0x100, key)
        harness.set_malloc(Malloc(MALLOC_RETURN, malloc_return))
        status = harness.call("get_field", 0x100, len(key), out, out + 4)
        text = orjson.dumps(value)
        fits = malloc_return != 0 and malloc_return + len(text) <= PAGE
        assert status == (OK if fits else INTERNAL)
        # The instance is still fine: a good malloc now succeeds.
        harness.write(0x100, key)
        harness.set_malloc(Malloc(MALLOC_RETURN, 0x8000))
        assert harness.call("get_field", 0x100, len(key), out, out + 4) == (OK if 0x8000 + len(text) <= PAGE else INTERNAL)
    finally:
        harness.close()


# The classic bounds-check bug, kept explicit: ranges whose end wraps to a
# small number in 32-bit arithmetic.
@pytest.mark.parametrize(
    "calls",
    [
        # ptr + len wraps to 0 in 32-bit arithmetic: must be out of bounds.
        [("remove_field", 0x10, 2**32 - 0x10)],
        [("put_field", 0x10, 1, 0x20, 2**32 - 0x20)],
        [("get_field", 0x10, 1, 2**32 - 2, 0x40)],
        [("time", 2**32 - 4)],
        [("log", 0, 2**32 - 1, 2)],
    ],
)
def test_wrapping_ranges_are_invalid(calls: list[tuple]) -> None:
    harness = Harness.create({"a": 1})
    try:
        harness.write(0x10, b"a")
        harness.write(0x20, b"1")
        for op, *args in calls:
            assert harness.call(op, *args) == INVALID
    finally:
        harness.close()


# --------------------------------------------------------------------------
# The state machine
# --------------------------------------------------------------------------


class AbiStateMachine(RuleBasedStateMachine):
    """Long sequences of host calls on one instance and one document, against
    :class:`RefDoc`; put-then-get of the same key returns the value put."""

    def __init__(self) -> None:
        super().__init__()
        self.harness: Harness | None = None

    @initialize(doc=documents)
    def start(self, doc: dict[str, Any]) -> None:
        self.harness = Harness.create(doc)

    @rule(data=st.data())
    def get(self, data: st.DataObject) -> None:
        self._valid_call(data, "get_field")

    @rule(data=st.data())
    def put(self, data: st.DataObject) -> None:
        self._valid_call(data, "put_field")

    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        self._valid_call(data, "remove_field")

    @rule(data=st.data())
    def put_then_get(self, data: st.DataObject) -> None:
        """A put of a valid value at a valid key, then get: the same value."""
        h = self.harness
        assert h is not None
        key = data.draw(keys_for(h.model), label="key")
        value = data.draw(json_values, label="value")
        text = orjson.dumps(value)
        h.write(0x100, key)
        h.write(0x4000, text)
        status = h.call("put_field", 0x100, len(key), 0x4000, len(text))
        if status != OK:
            return
        h.set_malloc(Malloc(MALLOC_RETURN, 0x8000))
        assert h.call("get_field", 0x100, len(key), 0x20, 0x24) == (OK if 0x8000 + len(text) <= h.memory_size else INTERNAL)
        if 0x8000 + len(text) <= h.memory_size:
            ptr, length = struct.unpack("<II", bytes(memoryview(h.exports.memory.buffer)[0x20:0x28]))
            got = bytes(memoryview(h.exports.memory.buffer)[ptr : ptr + length])
            ok, parsed = ref_parse_value(got)
            assert ok and canon(parsed) == canon(ref_parse_value(text)[1])

    @rule(data=st.data())
    def anything(self, data: st.DataObject) -> None:
        assert self.harness is not None
        draw_and_call(data, self.harness)

    @invariant()
    def document_matches_model(self) -> None:
        if self.harness is not None:
            assert self.harness.doc_state() == self.harness.model_state()

    def _valid_call(self, data: st.DataObject, op: str) -> None:
        """A call with in-bounds arguments and a good malloc: only the path rules decide."""
        h = self.harness
        assert h is not None
        key = data.draw(keys_for(h.model), label="key")
        h.write(0x100, key)
        if op == "get_field":
            h.set_malloc(Malloc(MALLOC_RETURN, 0x8000))
            h.call(op, 0x100, len(key), 0x20, 0x24)
        elif op == "put_field":
            value = data.draw(value_bytes(), label="value")
            h.write(0x4000, value)
            h.call(op, 0x100, len(key), 0x4000, len(value))
        else:
            h.call(op, 0x100, len(key))

    def teardown(self) -> None:
        if self.harness is not None:
            self.harness.close()


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")  # pragma: no cover


def test_abi_state_machine_against_the_reference_model_without_leaking() -> None:
    """The state machine in two passes (ci: 2 x 30 runs of 30 steps; long:
    2 x 600 runs of 60 steps). Hypothesis itself holds every example's choices
    until a pass ends, so the first pass brings the process to its plateau
    (measured: ~300 MiB of RSS for a long pass, all of it back to the
    allocator afterwards); the second pass, as big, may not grow RSS by
    200 MB: a host that leaked per instance, per document or per call would."""
    warm_up_start = rss_bytes()
    run_state_machine_as_test(AbiStateMachine, settings=fuzz_settings(30))
    before = rss_bytes()
    run_state_machine_as_test(AbiStateMachine, settings=fuzz_settings(30))
    growth = rss_bytes() - before
    print(
        f"RSS: {warm_up_start / 2**20:.0f} MiB, {before / 2**20:.0f} MiB after the first pass, "
        f"{growth / 2**20:+.1f} MiB across the second"
    )
    assert growth < 200 * 2**20


# --------------------------------------------------------------------------
# Bugs found by fuzzing, kept as plain tests
# --------------------------------------------------------------------------


def test_distinct_large_keys_do_not_grow_host_memory_without_bound() -> None:
    """A guest that sends many distinct large keys must not make the host hold
    them all. Found by fuzzing: the path cache was bounded by count (4096
    entries), not bytes, so distinct 1 MiB keys cost ~3 MiB each (raw bytes,
    text, segments): 200 of them grew the host by ~400 MiB, and 4096 of them
    would have held 12 GiB. 200 of them may not cost 64 MiB."""
    harness = Harness.create({"a": 1})
    try:
        assert harness.call("grow", 17) == 1
        key = bytearray(b"k" * (1 << 20))
        # warm up: first call allocates whatever the host keeps per instance
        harness.write(PAGE, bytes(key))
        assert harness.call("remove_field", PAGE, len(key)) == NOT_FOUND
        before = rss_bytes()
        for i in range(200):
            key[:8] = b"%08d" % i
            harness.write(PAGE, bytes(key))
            harness.exports.set_call(OPS["remove_field"], PAGE, len(key), 0, 0)
            harness.instance.process(harness.doc)
            assert harness.exports.result() == NOT_FOUND
        growth = rss_bytes() - before
        assert growth < 64 * 2**20, f"200 distinct 1 MiB keys grew the host by {growth / 2**20:.0f} MiB"
    finally:
        harness.close()
