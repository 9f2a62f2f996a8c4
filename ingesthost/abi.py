"""ABI 1.0 between ingesthost and its guests: the one Python module that implements it.

``abi_spec/ABI.md`` is the contract; this module is its executable form:

* the constants (statuses, log levels, ``process`` result codes, version),
* the shape a guest must have (:func:`check_module`),
* the host functions of the ``elastic`` import module (:class:`HostCalls`).

Everything a guest hands the host is untrusted. Every pointer and length is
masked to u32 and checked against the memory's current size; every failure
becomes a status code returned to the guest. No Python exception escapes
into the runtime from here, and the host never traps a guest for a bad argument.
"""

from __future__ import annotations

import enum
import logging
import re
import struct
import sys
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable

import orjson
from .runtime.types import Extern, HostFunction, HostImports, GuestMemory

from .document import MAX_DEPTH, MISSING, IngestDocument, nesting_depth, parse_path
from .errors import FieldPathError, ModuleLoadError

ABI_MAJOR = 1
ABI_MINOR = 1
#: What ``elastic_abi_version`` returns: ``(major << 16) | minor``.
ABI_VERSION_WORD = (ABI_MAJOR << 16) | ABI_MINOR

IMPORT_MODULE = "elastic"
MARKER_PREFIX = "elastic_ingest_wasm_abi_"
_MARKER_RE = re.compile(r"^elastic_ingest_wasm_abi_(\d+)_(\d+)$")

_U32 = 0xFFFFFFFF


class Status(enum.IntEnum):
    """What every host function returns."""

    OK = 0
    INTERNAL_FAILURE = 1
    INVALID_ARGUMENT = 2
    NOT_FOUND = 3

    @property
    def label(self) -> str:
        """The spec's name: ``Ok``, ``InternalFailure``, ``InvalidArgument``, ``NotFound``."""
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    Status.OK: "Ok",
    Status.INTERNAL_FAILURE: "InternalFailure",
    Status.INVALID_ARGUMENT: "InvalidArgument",
    Status.NOT_FOUND: "NotFound",
}


class LogLevel(enum.IntEnum):
    DEBUG = 0
    INFO = 1
    WARN = 2
    ERROR = 3
    CRITICAL = 4


_PY_LEVELS = {
    LogLevel.DEBUG: logging.DEBUG,
    LogLevel.INFO: logging.INFO,
    LogLevel.WARN: logging.WARNING,
    LogLevel.ERROR: logging.ERROR,
    LogLevel.CRITICAL: logging.CRITICAL,
}
#: ``_PY_LEVELS`` indexed by the guest's level (0-4).
_PY_LEVEL_LIST = tuple(_PY_LEVELS[LogLevel(level)] for level in range(5))

# Limits on what a guest can make the host log or keep (ABI.md, *Limits*).
#: Longest log line written, in bytes of the guest's text; the rest is cut
#: and counted: ``... [truncated, 4,186,112 more bytes]``.
MAX_LOG_LINE_BYTES = 8 * 1024
#: Log budget of one guest call on one document (and of one instance's
#: set-up: start function, ``_initialize`` and ``configure`` together):
#: once a line would pass either bound, that line and every later one of
#: the call are dropped, and one line afterwards says how many were.
MAX_LOG_LINES_PER_DOCUMENT = 100
MAX_LOG_BYTES_PER_DOCUMENT = 64 * 1024
#: Longest failure message kept from a guest's Error/Critical log line (the
#: ``message`` of a failure record, the reason a ``configure`` refused).
MAX_FAILURE_MESSAGE_BYTES = 4 * 1024
#: Longest key quoted in a trap message's "last host call" note.
_MAX_KEY_CHARS_SHOWN = 200

#: ``process`` return codes. Anything else fails the document.
PROCESS_KEEP = 0
PROCESS_DROP = 4


def cut_utf8(data: bytes | memoryview, limit: int) -> tuple[str, int]:
    """The first ``limit`` bytes of ``data`` as text (invalid bytes replaced),
    cut before a character that would straddle the limit; with how many bytes
    of ``data`` were left out."""
    size = len(data)
    if size <= limit:
        return str(data, "utf-8", "replace"), 0
    end = limit
    # Back off over continuation bytes (at most 3) to the start of the cut character.
    back = 0
    while back < 3 and end > 0 and (data[end] & 0xC0) == 0x80:
        end -= 1
        back += 1
    if back == 3 and (data[end] & 0xC0) == 0x80:  # not UTF-8 here anyway: cut at the limit
        end = limit
    return str(data[:end], "utf-8", "replace"), size - end


def truncation_note(omitted: int) -> str:
    """What a cut text ends with."""
    return f" [truncated, {omitted:,} more bytes]"


def describe_failed_call(entry: tuple[str, Any, int, str | None]) -> str:
    """``elastic_get_field("user.name") -> NotFound`` for a recorded non-Ok host call.

    ``entry`` is :attr:`HostCalls.last_failed_call`: (import name, the key
    as text, or the raw arguments as a tuple, status, why or None).
    """
    name, detail, status, why = entry
    if isinstance(detail, str):
        shown = orjson.dumps(detail[:_MAX_KEY_CHARS_SHOWN]).decode()
        if len(detail) > _MAX_KEY_CHARS_SHOWN:
            shown += "..."
    elif detail:
        shown = ", ".join(str(a) for a in detail)
    else:
        shown = ""
    try:
        label = Status(status).label
    except ValueError:
        label = str(status)
    text = f"{name}({shown}) -> {label}"
    return f"{text} ({why})" if why else text


def describe_process_code(code: int, export: str = "process") -> str:
    """The failure text for a ``process`` (or ``configure``) return code when the
    guest logged no error."""
    try:
        return f"{export} returned {code} ({Status(code).label})"
    except ValueError:
        return f"{export} returned {code}"


# --------------------------------------------------------------------------
# Module shape
# --------------------------------------------------------------------------

_I32 = "i32"
#: A signature as lists of value type names: (params, results).
Type = str

#: Host imports of ABI 1.0: name -> (params, results).
IMPORT_SIGNATURES: dict[str, tuple[list[Type], list[Type]]] = {
    "elastic_get_field": ([_I32, _I32, _I32, _I32], [_I32]),
    "elastic_put_field": ([_I32, _I32, _I32, _I32], [_I32]),
    "elastic_remove_field": ([_I32, _I32], [_I32]),
    "elastic_get_current_time_nanoseconds": ([_I32], [_I32]),
    "elastic_log": ([_I32, _I32, _I32], [_I32]),
    "elastic_abi_version": ([], [_I32]),
}

REQUIRED_FUNCTIONS: dict[str, tuple[list[Type], list[Type]]] = {
    "malloc": ([_I32], [_I32]),
    "process": ([], [_I32]),
}

#: ABI 1.1: whole documents, many per call (used only when the guest declares 1.1 or later).
BATCH_EXPORT = "process_batch"
BATCH_SIGNATURE = ([_I32, _I32], [_I32])
#: ``process_batch`` result codes besides keep (0) and drop (4): kept, not changed.
BATCH_UNCHANGED = 5
#: The ``process_batch`` statuses that are not a failure.
_BATCH_ANSWERS = frozenset((PROCESS_KEEP, PROCESS_DROP, BATCH_UNCHANGED))

#: ``register`` is the name the proof of concept's later design used for ``configure``.
CONFIGURE_EXPORTS = ("configure", "register")
CONFIGURE_SIGNATURE = ([_I32, _I32], [_I32])
INITIALIZE_EXPORT = "_initialize"
INITIALIZE_SIGNATURE: tuple[list[Type], list[Type]] = ([], [])
MARKER_SIGNATURE: tuple[list[Type], list[Type]] = ([], [])


@dataclass(frozen=True)
class GuestShape:
    """What :func:`check_module` learned about a guest."""

    abi_major: int
    abi_minor: int
    #: False for pre-1.0 guests (no marker export), which run as 1.0.
    declared_version: bool
    configure_export: str | None
    has_initialize: bool
    imports: tuple[str, ...] = field(default_factory=tuple)
    exports: tuple[str, ...] = field(default_factory=tuple)
    #: ABI 1.1: the guest takes batches of whole documents (``process_batch``).
    batch: bool = False

    @property
    def version_text(self) -> str:
        text = f"{self.abi_major}.{self.abi_minor}"
        return text if self.declared_version else f"{text} (no marker: pre-1.0 guest, run as 1.0)"


def signature_text(params: list[Type], results: list[Type]) -> str:
    return f"({', '.join(params)}) -> ({', '.join(results)})"


def _check_function(name: str, kind: Extern, expected: tuple[list[Type], list[Type]]) -> str | None:
    if kind.kind != "function" or kind.sig is None:
        return f"export `{name}` must be a function, found {kind.kind_text}"
    if list(kind.sig[0]) != expected[0] or list(kind.sig[1]) != expected[1]:
        return (
            f"export `{name}` has signature {signature_text(list(kind.sig[0]), list(kind.sig[1]))}, "
            f"expected {signature_text(*expected)}"
        )
    return None


#: Import modules of WASI, provided only to processors granted ``wasi``.
WASI_MODULES = frozenset({"wasi_snapshot_preview1", "wasi_unstable"})


def check_module(module: Any, name: str, allow_wasi: bool = False) -> GuestShape:
    """Check a compiled module against ABI 1.0; raise one error listing every problem.

    Guests get the ``elastic`` module and nothing else: WASI imports (files,
    clocks, environment, randomness) are refused unless ``allow_wasi``
    (the processor was granted ``wasi``).
    """
    problems: list[str] = []
    exports = {e.name: e for e in module.exports}
    if "memory" not in exports:
        problems.append("missing required export `memory`")
    elif exports["memory"].kind != "memory":
        problems.append("export `memory` must be a memory")
    for fname, sig in REQUIRED_FUNCTIONS.items():
        if fname not in exports:
            problems.append(f"missing required export `{fname}`")
        else:
            problem = _check_function(fname, exports[fname], sig)
            if problem:
                problems.append(problem)

    configure_export = None
    for cname in CONFIGURE_EXPORTS:
        if cname in exports:
            problem = _check_function(cname, exports[cname], CONFIGURE_SIGNATURE)
            if problem:
                problems.append(problem)
            elif configure_export is None:
                configure_export = cname
    has_initialize = INITIALIZE_EXPORT in exports
    if has_initialize:
        problem = _check_function(INITIALIZE_EXPORT, exports[INITIALIZE_EXPORT], INITIALIZE_SIGNATURE)
        if problem:
            problems.append(problem)

    markers = [n for n in exports if n.startswith(MARKER_PREFIX)]
    major, minor, declared = 1, 0, False  # no marker: a pre-1.0 guest, run as 1.0
    if len(markers) > 1:
        problems.append(f"declares several ABI versions: {', '.join(sorted(markers))}")
    elif markers:
        match = _MARKER_RE.match(markers[0])
        if not match:
            problems.append(
                f"ABI marker `{markers[0]}` is malformed, expected {MARKER_PREFIX}<major>_<minor>"
            )
        else:
            major, minor, declared = int(match.group(1)), int(match.group(2)), True
            if major != ABI_MAJOR:
                problems.append(
                    f"declares ABI {major}.{minor}; this host implements ABI {ABI_MAJOR}.{ABI_MINOR} "
                    f"and runs only ABI {ABI_MAJOR}.x guests"
                )
            elif minor > ABI_MINOR:
                problems.append(
                    f"declares ABI {major}.{minor}, newer than this host's ABI {ABI_MAJOR}.{ABI_MINOR}: "
                    "upgrade ingesthost"
                )
            problem = _check_function(markers[0], exports[markers[0]], MARKER_SIGNATURE)
            if problem:
                problems.append(problem.replace("export", "ABI marker", 1))

    imports = []
    unprovided = []
    ungranted = []
    for imp in module.imports:
        qualified = f"{imp.module}.{imp.name}"
        imports.append(qualified)
        if imp.module == IMPORT_MODULE and imp.name in IMPORT_SIGNATURES:
            expected = IMPORT_SIGNATURES[imp.name]
            sig = imp.sig
            if imp.kind != "function" or sig is None or list(sig[0]) != expected[0] or list(sig[1]) != expected[1]:
                got = signature_text(list(sig[0]), list(sig[1])) if sig is not None else imp.kind_text
                problems.append(f"imports `{qualified}` as {got}, the host provides {signature_text(*expected)}")
        elif imp.module in WASI_MODULES:
            if not allow_wasi:
                ungranted.append(qualified)
        else:
            unprovided.append(qualified)
    if unprovided:
        problems.append(f"imports what the host does not provide: {', '.join(unprovided)}")
    if ungranted:
        problems.append(
            f"imports WASI functions the processor was not granted: {', '.join(ungranted)} "
            "(grant them with the processor option `wasi`, e.g. wasi: {} or wasi: {env: {...}, preopens: {...}})"
        )

    batch = False
    if BATCH_EXPORT in exports:
        problem = _check_function(BATCH_EXPORT, exports[BATCH_EXPORT], BATCH_SIGNATURE)
        if problem:
            problems.append(problem)
        # Only a guest that declares 1.1 promises the batch semantics; an older
        # guest's export of that name is just an export.
        batch = declared and (major, minor) >= (1, 1)

    if problems:
        raise ModuleLoadError(name, "; ".join(problems))
    return GuestShape(
        abi_major=major,
        abi_minor=minor,
        declared_version=declared,
        configure_export=configure_export,
        has_initialize=has_initialize,
        imports=tuple(imports),
        exports=tuple(exports),
        batch=batch,
    )


# --------------------------------------------------------------------------
# ABI 1.1 batches (the layouts of abi_spec/ABI.md, "ABI 1.1")
# --------------------------------------------------------------------------

_U32_STRUCT = struct.Struct("<I")
_U32X2 = struct.Struct("<II")


class BatchError(Exception):
    """``process_batch`` answered something the host cannot use (the message
    says what); the batch's documents are run again one at a time."""


def failure_message(data: bytes | memoryview) -> str:
    """A failed document's message as the host keeps it: UTF-8 (bad bytes
    replaced), at most :data:`MAX_FAILURE_MESSAGE_BYTES`, a cut marked."""
    text, omitted = cut_utf8(data, MAX_FAILURE_MESSAGE_BYTES)
    return text + truncation_note(omitted) if omitted else text


def encode_batch(sources: list[bytes], own_metas: list[bytes | None], batch_meta: bytes) -> bytes:
    """The input of one ``process_batch`` call: documents as JSON objects,
    each with its own ``_ingest`` metadata or none (the batch's then applies)."""
    pack = _U32_STRUCT.pack
    parts = [pack(len(sources)), pack(len(batch_meta)), batch_meta]
    append = parts.append
    for source, meta in zip(sources, own_metas):
        append(pack(len(source)))
        append(source)
        if meta is None:
            append(b"\0\0\0\0")
        else:
            append(pack(len(meta)))
            append(meta)
    return b"".join(parts)


def decode_batch_results(
    memory: memoryview, ptr: int, count: int
) -> list[tuple[int, memoryview | None, memoryview | None]]:
    """Read ``count`` results at ``ptr``: (status, bytes or None, metadata bytes or None).

    Every offset is checked against the end of memory; a wrong count or a
    length past the end raises :class:`BatchError` naming the problem. For
    a kept, dropped or unchanged document the bytes are views of guest
    memory (parse or copy them before the guest runs again); for a failed
    one, the message as the host keeps it (:func:`failure_message`), UTF-8.
    """
    size = len(memory)
    ptr &= _U32
    if ptr == 0:
        raise BatchError("process_batch returned 0 (the whole batch failed)")
    if ptr + 4 > size:
        raise BatchError(f"process_batch returned {ptr:#x}, outside memory ({size:#x} bytes)")
    (returned,) = _U32_STRUCT.unpack_from(memory, ptr)
    if returned != count:
        raise BatchError(f"process_batch returned {returned} results for {count} documents")
    results: list[tuple[int, memoryview | None, memoryview | None]] = []
    append = results.append
    offset = ptr + 4
    unpack = _U32X2.unpack_from
    unpack1 = _U32_STRUCT.unpack_from
    for index in range(count):
        if offset + 8 > size:
            raise BatchError(f"result {index} of process_batch lies outside memory")
        status, length = unpack(memory, offset)
        offset += 8
        end = offset + length
        if end + 4 > size:
            raise BatchError(f"result {index} of process_batch ({length:,} bytes) runs past the end of memory")
        data = memory[offset:end] if length else None
        (meta_length,) = unpack1(memory, end)
        offset = end + 4
        meta = None
        if meta_length:
            if offset + meta_length > size:
                raise BatchError(f"the metadata of result {index} of process_batch runs past the end of memory")
            meta = memory[offset : offset + meta_length]
            offset += meta_length
        if status not in _BATCH_ANSWERS:
            data = (failure_message(data) if data is not None else describe_process_code(status)).encode()
            meta = None
        append((status, data, meta))
    return results


# --------------------------------------------------------------------------
# Host functions
# --------------------------------------------------------------------------

_pack_u32 = struct.Struct("<I").pack_into
_pack_u64 = struct.Struct("<Q").pack_into

_OK = int(Status.OK)
_INTERNAL = int(Status.INTERNAL_FAILURE)
_INVALID = int(Status.INVALID_ARGUMENT)
_NOT_FOUND = int(Status.NOT_FOUND)


#: Distinct keys remembered per instance (their split paths); a guest that
#: sends ever-new keys only costs a cache reset, never unbounded memory.
PATH_CACHE_SIZE = 4096
#: Longer keys are split on every call instead of cached (~1 MiB cache at most).
PATH_CACHE_KEY_BYTES = 256
_BAD_PATH = ((), "")
#: See :meth:`HostCalls._fits`.
STABLE_MEMORY_BASE = sys.maxsize > 2**32


class HostCalls:
    """The ``elastic`` host functions for one guest instance.

    The host functions built by :meth:`host_imports` hold only a weak
    reference to this object: the instance owns them, and this object owns
    the instance's memory and ``malloc``. A strong reference would close a
    cycle through the runtime's native objects that Python's garbage collector
    cannot see, and every discarded instance would keep its ~6 GB address
    space reservation forever.
    """

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self.memory: GuestMemory | None = None
        self.malloc: Callable[[int], int] | None = None
        #: The document of the current ``process`` call, None outside one.
        self.document: IngestDocument | None = None
        #: Last Error/Critical log line of the current call: the failure message
        #: (at most MAX_FAILURE_MESSAGE_BYTES of it).
        self.last_error: str | None = None
        #: The last host call of the current guest call that did not return Ok:
        #: (import name, key text or raw arguments, status, why or None); see
        #: :func:`describe_failed_call`. Only the non-Ok paths write it.
        self.last_failed_call: tuple[str, Any, int, str | None] | None = None
        #: Error/Critical lines of the current call not yet logged, each with the
        #: failure message it would make (see release_held_errors).
        self.held_errors: list[tuple[int, str, str, str | None]] = []
        #: True during a ``process_batch`` call (every Error line is held).
        self.batching = False
        #: Documents the current call's log budget is for (a batch has n budgets).
        self.log_documents = 1
        #: Log lines written / bytes of guest text written in the current guest
        #: call, and lines dropped once its budget was spent (see end_log_budget).
        self.log_lines = 0
        self.log_bytes = 0
        self.log_suppressed = 0
        self.log_suppressed_bytes = 0
        self._log_suppressed_level = logging.DEBUG
        self._in_malloc = False
        self._view: memoryview | None = None
        self._view_size = -1
        self._paths: dict[bytes, tuple[tuple[str, ...], str]] = {}

    def bind(self, memory: GuestMemory, malloc: Callable[[int], int]) -> None:
        self.memory = memory
        self.malloc = malloc
        self._view = None
        self._view_size = -1

    def unbind(self) -> None:
        self.memory = None
        self.malloc = None
        self.document = None
        self._view = None
        self._view_size = -1

    # -- memory helpers ----------------------------------------------------

    def _refresh(self) -> memoryview:
        assert self.memory is not None
        self._view = memoryview(self.memory.buffer)
        self._view_size = len(self._view)
        return self._view

    def view(self) -> memoryview:
        """All of guest memory as it is now (it may have grown since the last access)."""
        return self._refresh()

    def _fits(self, end: int) -> bool:
        """Whether ``[0, end)`` lies in guest memory; leaves ``self._view`` usable.

        The view is cached across calls. On 64-bit hosts both runtimes reserve
        the whole 4 GiB range of every wasm32 memory up front (wasmtime is told
        ``memory_may_move = False``), so growing never moves the memory: a cached view can only be too short, never stale,
        and is taken again when an access falls past its end
        (``tests/test_abi_hostcalls.py`` checks that the base stays put).
        Elsewhere the view is taken again on every call.
        """
        if end <= self._view_size and STABLE_MEMORY_BASE:
            return True
        return end <= len(self._refresh())

    def _path(self, mem: memoryview, ptr: int, length: int) -> tuple[tuple[str, ...], str]:
        """The split path for the key bytes at ``ptr`` (cached), or ``_BAD_PATH``."""
        raw = mem[ptr : ptr + length].tobytes()
        entry = self._paths.get(raw)
        if entry is None:
            try:
                text = raw.decode("utf-8")
                entry = (tuple(parse_path(text)), text)
            except (UnicodeDecodeError, FieldPathError):
                entry = _BAD_PATH
            if length <= PATH_CACHE_KEY_BYTES:  # bounded in bytes as well as entries
                if len(self._paths) >= PATH_CACHE_SIZE:
                    self._paths.clear()
                self._paths[raw] = entry
        return entry

    def guest_alloc(self, data: bytes) -> int | None:
        """Copy ``data`` into memory obtained from the guest's ``malloc``.

        Returns the address, or None when ``malloc`` failed, returned 0 or an
        address whose range does not fit in memory, or trapped.
        """
        size = len(data)
        if self._in_malloc or self.malloc is None:
            return None
        self._in_malloc = True
        try:
            ptr = self.malloc(size)
        except RuntimeError as exc:  # a trap inside the guest's malloc
            self.logger.debug("guest malloc(%d) trapped: %s", size, exc)
            return None
        finally:
            self._in_malloc = False
        ptr &= _U32
        if ptr == 0 or not self._fits(ptr + size):  # malloc may have grown memory
            return None
        self._view[ptr : ptr + size] = data  # type: ignore[index]
        return ptr

    # -- the imports -------------------------------------------------------

    # The non-Ok paths record the call in ``last_failed_call`` (for trap
    # messages); the Ok paths do no extra work.

    def _failed(self, name: str, detail: Any, status: int, why: str | None = None) -> int:
        self.last_failed_call = (name, detail, status, why)
        return status

    def _outside(self, name: str, args: tuple) -> int:
        why = "called from inside the guest's malloc" if self._in_malloc else "called outside process"
        return self._failed(name, args, _INVALID, why)

    def _bad_key(self, name: str, key_ptr: int, key_len: int) -> int:
        """InvalidArgument for a key that is not UTF-8 or not a valid path (in bounds)."""
        shown = min(key_len, _MAX_KEY_CHARS_SHOWN * 4)
        text = str(self._view[key_ptr : key_ptr + shown], "utf-8", "replace")  # type: ignore[index]
        return self._failed(name, text, _INVALID, "not UTF-8 or not a valid field path")

    def get_field(self, key_ptr: int, key_len: int, ret_ptr_ptr: int, ret_len_ptr: int) -> int:
        doc = self.document
        if doc is None or self._in_malloc:
            return self._outside("elastic_get_field", (key_ptr, key_len, ret_ptr_ptr, ret_len_ptr))
        key_ptr &= _U32
        key_len &= _U32
        ret_ptr_ptr &= _U32
        ret_len_ptr &= _U32
        if not self._fits(max(key_ptr + key_len, ret_ptr_ptr + 4, ret_len_ptr + 4)):
            return self._failed(
                "elastic_get_field", (key_ptr, key_len, ret_ptr_ptr, ret_len_ptr), _INVALID, "out of bounds"
            )
        parts, key = self._path(self._view, key_ptr, key_len)
        if not parts:
            return self._bad_key("elastic_get_field", key_ptr, key_len)
        try:
            value = doc.get_path(parts, key)
        except FieldPathError:
            return self._failed("elastic_get_field", key, _INVALID, "invalid path")
        if value is MISSING:
            self.last_failed_call = ("elastic_get_field", key, _NOT_FOUND, None)
            return _NOT_FOUND
        data = orjson.dumps(value)
        ptr = self.guest_alloc(data)
        if ptr is None:
            return self._failed("elastic_get_field", key, _INTERNAL, f"the guest's malloc({len(data)}) failed")
        mem = self._view  # guest_alloc made sure it covers the new memory
        _pack_u32(mem, ret_ptr_ptr, ptr)
        _pack_u32(mem, ret_len_ptr, len(data))
        return _OK

    def put_field(self, key_ptr: int, key_len: int, value_ptr: int, value_len: int) -> int:
        doc = self.document
        if doc is None or self._in_malloc:
            return self._outside("elastic_put_field", (key_ptr, key_len, value_ptr, value_len))
        key_ptr &= _U32
        key_len &= _U32
        value_ptr &= _U32
        value_len &= _U32
        key_end = key_ptr + key_len
        value_end = value_ptr + value_len
        end = key_end if key_end > value_end else value_end
        if (end > self._view_size or not STABLE_MEMORY_BASE) and not self._fits(end):
            return self._failed(
                "elastic_put_field", (key_ptr, key_len, value_ptr, value_len), _INVALID, "out of bounds"
            )
        mem = self._view
        entry = self._paths.get(mem[key_ptr:key_end].tobytes())  # the path cache, inline: the hot path
        parts, key = entry if entry is not None else self._path(mem, key_ptr, key_len)
        if not parts:
            return self._bad_key("elastic_put_field", key_ptr, key_len)
        try:
            value = orjson.loads(mem[value_ptr : value_ptr + value_len])
            # A value needs 2 bytes per level: short ones cannot nest too deep.
            if value_len >= 2 * (MAX_DEPTH - len(parts)) and nesting_depth(value) + len(parts) > MAX_DEPTH:
                return self._failed("elastic_put_field", key, _INVALID, f"nested deeper than {MAX_DEPTH} levels")
            doc.put_path(parts, key, value)
        except orjson.JSONDecodeError:
            return self._failed("elastic_put_field", key, _INVALID, "the value is not UTF-8 JSON")
        except FieldPathError:
            return self._failed("elastic_put_field", key, _INVALID, "the path cannot be set")
        return _OK

    def remove_field(self, key_ptr: int, key_len: int) -> int:
        doc = self.document
        if doc is None or self._in_malloc:
            return self._outside("elastic_remove_field", (key_ptr, key_len))
        key_ptr &= _U32
        key_len &= _U32
        if not self._fits(key_ptr + key_len):
            return self._failed("elastic_remove_field", (key_ptr, key_len), _INVALID, "out of bounds")
        parts, key = self._path(self._view, key_ptr, key_len)
        if not parts:
            return self._bad_key("elastic_remove_field", key_ptr, key_len)
        try:
            if doc.remove_path(parts, key):
                return _OK
        except FieldPathError:
            return self._failed("elastic_remove_field", key, _INVALID, "invalid path")
        self.last_failed_call = ("elastic_remove_field", key, _NOT_FOUND, None)
        return _NOT_FOUND

    def get_current_time_nanoseconds(self, ret_ptr: int) -> int:
        ret_ptr &= _U32
        if not self._fits(ret_ptr + 8):
            return self._failed("elastic_get_current_time_nanoseconds", (ret_ptr,), _INVALID, "out of bounds")
        _pack_u64(self._view, ret_ptr, time.time_ns())
        return _OK

    def log(self, level: int, msg_ptr: int, msg_len: int) -> int:
        msg_ptr &= _U32
        msg_len &= _U32
        if not 0 <= level <= 4:
            return self._failed("elastic_log", (level, msg_ptr, msg_len), _INVALID, "no such level")
        if not self._fits(msg_ptr + msg_len):
            return self._failed("elastic_log", (level, msg_ptr, msg_len), _INVALID, "out of bounds")
        py_level = _PY_LEVEL_LIST[level]
        is_error = level >= 3  # Error, Critical: the failure message even when not written
        if not self.logger.isEnabledFor(py_level) and not is_error:
            return _OK  # not written: nothing read, nothing counted
        data = self._view[msg_ptr : msg_ptr + msg_len]  # type: ignore[index]
        if is_error:
            text, omitted = cut_utf8(data, MAX_FAILURE_MESSAGE_BYTES)
            self.last_error = text + truncation_note(omitted) if omitted else text
            if not self.logger.isEnabledFor(py_level):
                return _OK
        written = msg_len if msg_len <= MAX_LOG_LINE_BYTES else MAX_LOG_LINE_BYTES
        if (
            self.log_suppressed  # once spent, the budget stays spent for this call: no gaps
            or self.log_lines >= MAX_LOG_LINES_PER_DOCUMENT * self.log_documents
            or self.log_bytes + written > MAX_LOG_BYTES_PER_DOCUMENT * self.log_documents
        ):
            self.log_suppressed += 1
            self.log_suppressed_bytes += msg_len
            if py_level > self._log_suppressed_level:
                self._log_suppressed_level = py_level
            return _OK
        # Lenient on purpose: a log line with a bad byte is still worth reading.
        if msg_len <= MAX_LOG_LINE_BYTES:
            message = str(data, "utf-8", "replace")
        else:
            message, omitted = cut_utf8(data, MAX_LOG_LINE_BYTES)
            message += truncation_note(omitted)
        self.log_lines += 1
        self.log_bytes += written
        if is_error:
            # Held until the call's outcome is known: when a document fails with
            # this line as its message (in the failure record), it is not also
            # logged. One call, one document: only the last line can be its
            # message; a batch holds them all.
            held = self.held_errors
            if held and not self.batching:
                self.logger.log(*held.pop()[:3])
            held.append((py_level, "%s", message, self.last_error))
            return _OK
        self.logger.log(py_level, "%s", message)
        return _OK

    def release_held_errors(self, messages: set[str] | frozenset[str] = frozenset()) -> None:
        """End of a guest call: log the held Error lines, except those that
        became a failed document's message (``messages``)."""
        held, self.held_errors = self.held_errors, []
        for level, fmt, message, reason in held:
            if reason not in messages:
                self.logger.log(level, fmt, message)

    def end_log_budget(self, what: str = "this document") -> None:
        """Close the log budget of a guest call: say how many lines were dropped
        (if any), and give the next call a fresh budget."""
        if self.log_suppressed:
            self.logger.log(
                max(self._log_suppressed_level, logging.WARNING),
                "%s more log lines (%s bytes) of %s were not written: the log budget is %d lines "
                "or %d KiB per document",
                f"{self.log_suppressed:,}",
                f"{self.log_suppressed_bytes:,}",
                what,
                MAX_LOG_LINES_PER_DOCUMENT,
                MAX_LOG_BYTES_PER_DOCUMENT // 1024,
            )
        self.log_lines = self.log_bytes = self.log_suppressed = self.log_suppressed_bytes = 0
        self._log_suppressed_level = logging.DEBUG

    def abi_version(self) -> int:
        return ABI_VERSION_WORD

    # -- wiring ------------------------------------------------------------

    def host_imports(self) -> HostImports:
        """The ``elastic`` import module, bound weakly to this object, for a
        runtime to instantiate the guest with.

        One small closure per import (no ``*args``: these run several times
        per document). Each turns any Python error into InternalFailure, so
        nothing escapes into the runtime; KeyboardInterrupt still propagates.
        """
        ref = weakref.ref(self)
        logger = self.logger

        def failed(name: str) -> int:
            logger.exception("host function %s failed", name)
            host = ref()
            if host is not None:
                host.last_failed_call = (name, None, _INTERNAL, "host error")
            return _INTERNAL

        def get_field(a: int, b: int, c: int, d: int) -> int:
            host = ref()
            try:
                return host.get_field(a, b, c, d) if host else _INTERNAL
            except Exception:
                return failed("elastic_get_field")

        def put_field(a: int, b: int, c: int, d: int) -> int:
            host = ref()
            try:
                return host.put_field(a, b, c, d) if host else _INTERNAL
            except Exception:
                return failed("elastic_put_field")

        def remove_field(a: int, b: int) -> int:
            host = ref()
            try:
                return host.remove_field(a, b) if host else _INTERNAL
            except Exception:
                return failed("elastic_remove_field")

        def get_current_time_nanoseconds(a: int) -> int:
            host = ref()
            try:
                return host.get_current_time_nanoseconds(a) if host else _INTERNAL
            except Exception:
                return failed("elastic_get_current_time_nanoseconds")

        def log(a: int, b: int, c: int) -> int:
            host = ref()
            try:
                return host.log(a, b, c) if host else _INTERNAL
            except Exception:
                return failed("elastic_log")

        def abi_version() -> int:
            return ABI_VERSION_WORD

        implementations = {
            "elastic_get_field": get_field,
            "elastic_put_field": put_field,
            "elastic_remove_field": remove_field,
            "elastic_get_current_time_nanoseconds": get_current_time_nanoseconds,
            "elastic_log": log,
            "elastic_abi_version": abi_version,
        }
        assert implementations.keys() == IMPORT_SIGNATURES.keys()
        return {
            IMPORT_MODULE: {
                name: HostFunction(fn, (tuple(IMPORT_SIGNATURES[name][0]), tuple(IMPORT_SIGNATURES[name][1])))
                for name, fn in implementations.items()
            }
        }
