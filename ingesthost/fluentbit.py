"""Fluent Bit filter modules: the host side of the ``fluentbit`` ABI.

A Fluent Bit wasm filter exports one function with the C signature
``char *f(char *tag, int tag_len, uint32 time_sec, uint32 time_nsec,
char *record, int record_len)`` (six i32 in, one i32 out) and no
``process``. Fluent Bit (``src/wasm/flb_wasm.c``, ``plugins/filter_wasm``)
copies the tag (NUL-terminated, the NUL not counted) and the record (JSON
text with an uncounted NUL, or MessagePack of exact length) into guest
memory, calls the function and reads back a NUL-terminated string.

This module provides, for one instance of such a module:

* the ``env`` libc functions that modules built for Fluent Bit's runtime
  (WAMR's built-in libc) import: the printf family (written to the log),
  ``malloc``/``calloc``/``realloc``/``free`` (a host-managed heap inside the
  guest's memory), and the ``str*``/``mem*`` functions of
  :data:`ENV_FUNCTIONS`; anything else is refused by name at load;
* WASI preview 1 with nothing granted (no files, no environment, no
  arguments; clocks and randomness work; what the guest writes to stdout or
  stderr goes to the log, never to the output) unless the processor has a
  ``wasi`` grant, which then uses the runtime's WASI as every other guest does;
* the record encoding (compact JSON, or MessagePack) and the checked
  decoding of the result (:meth:`FluentBitInstance.call`).

The processor itself is :mod:`ingesthost.processors.fluentbit`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import struct
import time
import weakref
from typing import Any, Callable

import orjson

from . import abi
from .document import MAX_DEPTH, json_type_phrase, nesting_depth
from .errors import IngestHostError, ModuleLoadError
from .jsonnumbers import line_number_problem, number_problem
from .runtime.errors import GuestInterrupted
from .runtime.types import Extern, GuestMemory, HostFunction, HostImports
from .wasi import WasiGrant

ABI_NAME = "fluentbit"
EVENT_FORMATS = ("json", "msgpack")
Type = str
_I32 = "i32"
_I64 = "i64"
#: ``char *f(char *tag, int tag_len, u32 sec, u32 nsec, char *record, int record_len)``
FILTER_SIGNATURE = ([_I32] * 6, [_I32])
#: Set-up exports called after instantiation, in this order (never ``_start``).
#: ``__wasm_call_ctors`` only when the module exports no ``_initialize``
#: (a reactor's ``_initialize`` already runs the constructors), as Fluent
#: Bit's runtime (WAMR) does.
SETUP_EXPORTS = ("_initialize", "__post_instantiate", "__wasm_call_ctors")
_NO_ARGS: tuple[list[Type], list[Type]] = ([], [])
WASI_MODULES = abi.WASI_MODULES
_U32 = 0xFFFFFFFF
_PAGE = 65536

#: The ``env`` functions provided, with their wasm32 signatures (varargs are
#: one pointer to the argument area, as clang passes them).
ENV_FUNCTIONS: dict[str, tuple[list[Type], list[Type]]] = {
    "printf": ([_I32, _I32], [_I32]),
    "vprintf": ([_I32, _I32], [_I32]),
    "sprintf": ([_I32, _I32, _I32], [_I32]),
    "vsprintf": ([_I32, _I32, _I32], [_I32]),
    "snprintf": ([_I32, _I32, _I32, _I32], [_I32]),
    "vsnprintf": ([_I32, _I32, _I32, _I32], [_I32]),
    "puts": ([_I32], [_I32]),
    "putchar": ([_I32], [_I32]),
    "malloc": ([_I32], [_I32]),
    "calloc": ([_I32, _I32], [_I32]),
    "realloc": ([_I32, _I32], [_I32]),
    "free": ([_I32], []),
    "strlen": ([_I32], [_I32]),
    "strcmp": ([_I32, _I32], [_I32]),
    "strncmp": ([_I32, _I32, _I32], [_I32]),
    "strcpy": ([_I32, _I32], [_I32]),
    "strncpy": ([_I32, _I32, _I32], [_I32]),
    "strcat": ([_I32, _I32], [_I32]),
    "strchr": ([_I32, _I32], [_I32]),
    "strdup": ([_I32], [_I32]),
    "memcpy": ([_I32, _I32, _I32], [_I32]),
    "memmove": ([_I32, _I32, _I32], [_I32]),
    "memset": ([_I32, _I32, _I32], [_I32]),
    "memcmp": ([_I32, _I32, _I32], [_I32]),
    "abort": ([], []),
}

#: Log budget of one call (as for elastic guests).
MAX_LOG_LINE_BYTES = abi.MAX_LOG_LINE_BYTES
MAX_LOG_LINES_PER_CALL = abi.MAX_LOG_LINES_PER_DOCUMENT


class GuestFault(IngestHostError):
    """The guest did something that ends its call (abort, proc_exit, a libc
    call on memory it does not have); raised through the guest like a trap."""


@dataclasses.dataclass(frozen=True)
class FluentBitShape:
    """What :func:`check_module` found in a Fluent Bit filter module."""

    #: Exported functions with the filter signature.
    filters: tuple[str, ...]
    has_malloc: bool
    has_free: bool
    setup: tuple[str, ...]
    imports: tuple[str, ...]
    imports_wasi: bool
    env_imports: tuple[str, ...]


def _signature(kind: Extern | None) -> tuple[list[Type], list[Type]] | None:
    if kind is None or kind.kind != "function" or kind.sig is None:
        return None
    return list(kind.sig[0]), list(kind.sig[1])


def filter_functions(module: Any) -> list[str]:
    """Exported functions of the Fluent Bit filter signature."""
    return [e.name for e in module.exports if _signature(e) == FILTER_SIGNATURE]


def check_module(module: Any, name: str) -> FluentBitShape:
    """Check a compiled module as a Fluent Bit filter; one error lists every problem."""
    problems: list[str] = []
    exports = {e.name: e for e in module.exports}
    memory = exports.get("memory")
    if memory is None or memory.kind != "memory":
        problems.append("missing required export `memory` (a Fluent Bit filter exports its memory)")
    has_malloc = _signature(exports.get("malloc")) == ([_I32], [_I32])
    has_free = has_malloc and _signature(exports.get("free")) == ([_I32], [])
    setup = tuple(n for n in SETUP_EXPORTS if n in exports)
    for export in setup:
        if _signature(exports[export]) != _NO_ARGS:
            problems.append(f"export `{export}` must be a function taking and returning nothing")
    if "_initialize" in setup and "__wasm_call_ctors" in setup:
        setup = tuple(n for n in setup if n != "__wasm_call_ctors")
    imports, unknown, env_imports = [], [], []
    imports_wasi = False
    for imp in module.imports:
        qualified = f"{imp.module}.{imp.name}"
        imports.append(qualified)
        if imp.module in WASI_MODULES:
            imports_wasi = True
            if imp.kind != "function":
                problems.append(f"imports `{qualified}`, which is not a function")
        elif imp.module == "env" and imp.name in ENV_FUNCTIONS:
            got = _signature(imp)
            expected = ENV_FUNCTIONS[imp.name]
            if got != expected:
                shown = abi.signature_text(*got) if got else imp.kind_text
                problems.append(f"imports `{qualified}` as {shown}, the host provides {abi.signature_text(*expected)}")
            env_imports.append(imp.name)
        else:
            unknown.append(qualified)
    if unknown:
        problems.append(
            f"imports what the host does not provide: {', '.join(unknown)} (a Fluent Bit filter may import "
            f"WASI and these env functions: {', '.join(ENV_FUNCTIONS)})"
        )
    filters = tuple(filter_functions(module))
    if problems:
        raise ModuleLoadError(name, "; ".join(problems))
    return FluentBitShape(
        filters=filters,
        has_malloc=has_malloc,
        has_free=has_free,
        setup=setup,
        imports=tuple(imports),
        imports_wasi=imports_wasi,
        env_imports=tuple(env_imports),
    )


def looks_like_filter(module: Any) -> list[str]:
    """The filter functions of a module that has no ``process`` (empty: not a Fluent Bit filter)."""
    if any(e.name == "process" for e in module.exports):
        return []
    return filter_functions(module)


def how_to_run(module_path: str, functions: list[str]) -> str:
    """The hint given for a Fluent Bit filter run as an elastic guest, or inspected."""
    function = functions[0] if len(functions) == 1 else "<one of " + ", ".join(functions) + ">"
    return (
        f'a Fluent Bit filter: run it with {{"wasm": {{"module": "{module_path}", "abi": "fluentbit", '
        f'"function_name": "{function}"}}}} in a pipeline, or --module {module_path} --fluentbit-function {function}'
    )


def refusal_hint(module: Any, module_path: str) -> str | None:
    """Why an elastic guest check failed, when the module is a Fluent Bit filter (else None)."""
    functions = looks_like_filter(module)
    if not functions:
        return None
    return f"no `process` export: this module is {how_to_run(module_path, functions)}"


def inspect_report(module: Any, module_path: str) -> dict[str, Any] | None:
    """What ``ingesthost inspect`` adds for a Fluent Bit filter (None: not one)."""
    functions = looks_like_filter(module)
    if not functions:
        return None
    report: dict[str, Any] = {"abi": ABI_NAME, "filter_functions": functions, "run": how_to_run(module_path, functions)}
    try:
        shape = check_module(module, module_path)
    except ModuleLoadError as exc:
        report["problem"] = exc.problem
        return report
    report["allocator"] = "the module's malloc/free" if shape.has_malloc else "host-managed region of its memory"
    report["setup"] = list(shape.setup)
    return report


# --------------------------------------------------------------------------
# Reading guest memory
# --------------------------------------------------------------------------


def find_nul(mem: memoryview, start: int) -> int:
    """Index of the first NUL at or after ``start``, or -1 when memory ends first."""
    size = len(mem)
    pos = start
    chunk = 4096
    while pos < size:
        end = min(size, pos + chunk)
        found = bytes(mem[pos:end]).find(b"\0")
        if found >= 0:
            return pos + found
        pos = end
        chunk = min(chunk * 4, 1 << 24)
    return -1


def to_i32(value: int) -> int:
    """An unsigned 32-bit value as the signed int a runtime takes for an i32."""
    value &= _U32
    return value - (1 << 32) if value >= 1 << 31 else value


# --------------------------------------------------------------------------
# The host heap: memory the host manages inside the guest's (for modules
# without malloc, and env.malloc)
# --------------------------------------------------------------------------

_ALIGN = 16


class HostHeap:
    """A first-fit allocator over pages the host grows the guest's memory by.

    Fluent Bit's runtime gives a module without its own ``malloc`` a heap
    inside its linear memory; this is that heap. Blocks are 16-byte aligned;
    freed blocks are merged with their neighbours.
    """

    def __init__(self, memory: GuestMemory) -> None:
        self.memory = memory
        self.free_ranges: list[list[int]] = []  # [start, end), sorted, disjoint
        self.blocks: dict[int, int] = {}  # ptr -> size

    def _grow(self, size: int) -> bool:
        pages = (size + _PAGE - 1) // _PAGE
        try:
            old = self.memory.grow(pages)
        except (RuntimeError, ValueError, OverflowError):
            return False
        self._release(old * _PAGE, (old + pages) * _PAGE)
        return True

    def _release(self, start: int, end: int) -> None:
        ranges = self.free_ranges
        index = 0
        while index < len(ranges) and ranges[index][0] < start:
            index += 1
        ranges.insert(index, [start, end])
        if index + 1 < len(ranges) and ranges[index][1] == ranges[index + 1][0]:
            ranges[index][1] = ranges.pop(index + 1)[1]
        if index > 0 and ranges[index - 1][1] == ranges[index][0]:
            ranges[index - 1][1] = ranges.pop(index)[1]

    def alloc(self, size: int) -> int:
        """A block of ``size`` bytes (0: none to be had within the memory cap)."""
        size = max(_ALIGN, (size + _ALIGN - 1) // _ALIGN * _ALIGN)
        for attempt in range(2):
            for entry in self.free_ranges:
                start = (entry[0] + _ALIGN - 1) // _ALIGN * _ALIGN
                if start == 0:
                    start = _ALIGN  # never hand out NULL
                if start + size <= entry[1]:
                    if start > entry[0]:
                        self._release(entry[0], start)  # keep the alignment gap usable
                        return self.alloc_at(start, size)
                    return self.alloc_at(start, size)
            if attempt == 0 and not self._grow(size + _ALIGN):
                return 0
        return 0

    def alloc_at(self, start: int, size: int) -> int:
        for index, entry in enumerate(self.free_ranges):
            if entry[0] <= start and start + size <= entry[1]:
                tail = (start + size, entry[1])
                if entry[0] == start:
                    del self.free_ranges[index]
                else:
                    entry[1] = start
                if tail[0] < tail[1]:
                    self._release(*tail)
                self.blocks[start] = size
                return start
        return 0

    def free(self, ptr: int) -> bool:
        size = self.blocks.pop(ptr, None)
        if size is None:
            return False
        self._release(ptr, ptr + size)
        return True

    def size_of(self, ptr: int) -> int | None:
        return self.blocks.get(ptr)


# --------------------------------------------------------------------------
# printf
# --------------------------------------------------------------------------

_FORMAT_RE = re.compile(rb"%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d*))?(hh|h|ll|l|j|z|t|L|q)?([diouxXcspfFeEgGaA%n])")


class _VaList:
    """The varargs area clang passes to a variadic function on wasm32."""

    def __init__(self, io: "GuestIO", ptr: int) -> None:
        self.io = io
        self.ptr = ptr

    def _take(self, size: int, fmt: str) -> Any:
        self.ptr = (self.ptr + size - 1) // size * size
        data = self.io.read(self.ptr, size)
        self.ptr += size
        return struct.unpack("<" + fmt, data)[0]

    def int32(self) -> int:
        return self._take(4, "i")

    def int64(self) -> int:
        return self._take(8, "q")

    def double(self) -> float:
        return self._take(8, "d")


def format_printf(io: "GuestIO", fmt_ptr: int, va_ptr: int) -> bytes:
    """C ``printf`` formatting of the guest's format string and varargs."""
    fmt = io.cstring(fmt_ptr)
    args = _VaList(io, va_ptr)
    out = bytearray()
    pos = 0
    for match in _FORMAT_RE.finditer(fmt):
        out += fmt[pos : match.start()]
        pos = match.end()
        flags, width, precision, length, conv = match.groups()
        if conv == b"%":
            out += b"%"
            continue
        if width == b"*":
            width = str(args.int32()).encode()
        if precision == b"*":
            precision = str(args.int32()).encode()
        spec = "%" + flags.decode() + (width or b"").decode()
        if precision is not None:
            spec += "." + (precision.decode() or "0")
        wide = length in (b"ll", b"j", b"q")
        if conv in b"di":
            value = args.int64() if wide else args.int32()
            if length == b"h":
                value = (value + 0x8000) % 0x10000 - 0x8000
            elif length == b"hh":
                value = (value + 0x80) % 0x100 - 0x80
            out += (spec + "d").encode() % (value,)
        elif conv in b"ouxX":
            value = args.int64() & 0xFFFFFFFFFFFFFFFF if wide else args.int32() & _U32
            if length == b"h":
                value &= 0xFFFF
            elif length == b"hh":
                value &= 0xFF
            out += (spec + ("d" if conv == b"u" else conv.decode())).encode() % (value,)
        elif conv == b"c":
            out += (spec.split(".")[0] + "c").encode() % (bytes([args.int32() & 0xFF]),)
        elif conv == b"s":
            ptr = args.int32() & _U32
            text = b"(null)" if ptr == 0 else io.cstring(ptr, None if precision is None else int(precision or 0))
            out += (spec + "s").encode() % (text,)
        elif conv == b"p":
            out += b"0x%x" % (args.int32() & _U32)
        elif conv == b"n":
            args.int32()  # writing through the guest's pointer is not supported: skipped
        else:  # floating point
            value = args.double()
            if conv in b"aA":
                text = value.hex().encode()
                out += text.upper() if conv == b"A" else text
            else:
                out += (spec + conv.decode()).encode() % (value,)
    out += fmt[pos:]
    return bytes(out)


# --------------------------------------------------------------------------
# GuestIO: the instance's memory, heap, log lines, env and WASI functions
# --------------------------------------------------------------------------


class GuestIO:
    """What the host functions of one instance share: its memory, the host
    heap, and the lines the guest writes (printf, WASI stdout/stderr), which
    go to ``logger`` line by line within a per-call budget."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self.memory: GuestMemory | None = None
        self._heap: HostHeap | None = None
        self._partial: dict[int, bytearray] = {}
        self.log_lines = 0
        self.log_dropped = 0

    # -- memory --------------------------------------------------------------

    def view(self) -> memoryview:
        assert self.memory is not None
        return memoryview(self.memory.buffer)

    @property
    def heap(self) -> HostHeap:
        if self._heap is None:
            assert self.memory is not None
            self._heap = HostHeap(self.memory)
        return self._heap

    def check(self, ptr: int, size: int, what: str = "memory") -> memoryview:
        mem = self.view()
        if ptr < 0 or ptr + size > len(mem):
            raise GuestFault(f"{what}: {size} bytes at 0x{ptr:x} lie outside the guest's memory ({len(mem):,} bytes)")
        return mem

    def read(self, ptr: int, size: int) -> bytes:
        return bytes(self.check(ptr, size)[ptr : ptr + size])

    def write(self, ptr: int, data: bytes) -> None:
        self.check(ptr, len(data))[ptr : ptr + len(data)] = data

    def cstring(self, ptr: int, limit: int | None = None) -> bytes:
        mem = self.view()
        if ptr >= len(mem):
            raise GuestFault(f"a string at 0x{ptr:x} lies outside the guest's memory ({len(mem):,} bytes)")
        if limit is not None:
            data = bytes(mem[ptr : min(len(mem), ptr + limit)])
            end = data.find(b"\0")
            return data if end < 0 else data[:end]
        end = find_nul(mem, ptr)
        if end < 0:
            raise GuestFault(f"the string at 0x{ptr:x} has no NUL before the end of the guest's memory")
        return bytes(mem[ptr:end])

    # -- log -----------------------------------------------------------------

    def emit(self, stream: int, data: bytes) -> None:
        """Text the guest wrote to ``stream`` (1: stdout, 2: stderr): logged by line."""
        buffer = self._partial.setdefault(stream, bytearray())
        buffer += data
        while True:
            newline = buffer.find(b"\n")
            if newline < 0:
                break
            self._log(stream, bytes(buffer[:newline]))
            del buffer[: newline + 1]
        if len(buffer) > MAX_LOG_LINE_BYTES:
            self._log(stream, bytes(buffer))
            buffer.clear()

    def _log(self, stream: int, line: bytes) -> None:
        if self.log_lines >= MAX_LOG_LINES_PER_CALL:
            self.log_dropped += 1
            return
        self.log_lines += 1
        text, omitted = abi.cut_utf8(line, MAX_LOG_LINE_BYTES)
        if omitted:
            text += abi.truncation_note(omitted)
        self.logger.log(logging.INFO if stream == 1 else logging.WARNING, "%s", text)

    def end_call(self) -> None:
        """End of a guest call: write unfinished lines, report dropped ones, reset the budget."""
        for stream, buffer in self._partial.items():
            if buffer:
                self._log(stream, bytes(buffer))
                buffer.clear()
        if self.log_dropped:
            self.logger.warning(
                "%d more lines the guest wrote were not logged: the budget is %d lines per call",
                self.log_dropped,
                MAX_LOG_LINES_PER_CALL,
            )
        self.log_lines = self.log_dropped = 0

    # -- env ------------------------------------------------------------------

    def env_printf(self, fmt: int, va: int) -> int:
        text = format_printf(self, fmt & _U32, va & _U32)
        self.emit(1, text)
        return len(text)

    def env_sprintf(self, buf: int, fmt: int, va: int) -> int:
        text = format_printf(self, fmt & _U32, va & _U32)
        self.write(buf & _U32, text + b"\0")
        return len(text)

    def env_snprintf(self, buf: int, size: int, fmt: int, va: int) -> int:
        text = format_printf(self, fmt & _U32, va & _U32)
        size &= _U32
        if size:
            self.write(buf & _U32, text[: size - 1] + b"\0")
        return len(text)

    def env_puts(self, ptr: int) -> int:
        self.emit(1, self.cstring(ptr & _U32) + b"\n")
        return 1

    def env_putchar(self, char: int) -> int:
        self.emit(1, bytes([char & 0xFF]))
        return char & 0xFF

    def env_malloc(self, size: int) -> int:
        return to_i32(self.heap.alloc(size & _U32))

    def env_calloc(self, count: int, size: int) -> int:
        total = (count & _U32) * (size & _U32)
        if total > _U32:
            return 0
        ptr = self.heap.alloc(total)
        if ptr:
            self.write(ptr, bytes(total))
        return to_i32(ptr)

    def env_realloc(self, ptr: int, size: int) -> int:
        ptr &= _U32
        size &= _U32
        if ptr == 0:
            return self.env_malloc(size)
        old = self.heap.size_of(ptr)
        if old is None:
            raise GuestFault(f"realloc(0x{ptr:x}): not a block env.malloc gave")
        new = self.heap.alloc(size)
        if new:
            self.write(new, self.read(ptr, min(old, size)))
            self.heap.free(ptr)
        return to_i32(new)

    def env_free(self, ptr: int) -> None:
        ptr &= _U32
        if ptr and not self.heap.free(ptr):
            raise GuestFault(f"free(0x{ptr:x}): not a block env.malloc gave (or freed twice)")

    def env_strlen(self, ptr: int) -> int:
        return len(self.cstring(ptr & _U32))

    def env_strcmp(self, a: int, b: int) -> int:
        x, y = self.cstring(a & _U32), self.cstring(b & _U32)
        return (x > y) - (x < y)

    def env_strncmp(self, a: int, b: int, n: int) -> int:
        n &= _U32
        x, y = self.cstring(a & _U32, n), self.cstring(b & _U32, n)
        return (x > y) - (x < y)

    def env_strcpy(self, dst: int, src: int) -> int:
        self.write(dst & _U32, self.cstring(src & _U32) + b"\0")
        return dst

    def env_strncpy(self, dst: int, src: int, n: int) -> int:
        n &= _U32
        text = self.cstring(src & _U32, n)
        self.write(dst & _U32, text + bytes(n - len(text)))
        return dst

    def env_strcat(self, dst: int, src: int) -> int:
        start = (dst & _U32) + len(self.cstring(dst & _U32))
        self.write(start, self.cstring(src & _U32) + b"\0")
        return dst

    def env_strchr(self, ptr: int, char: int) -> int:
        ptr &= _U32
        text = self.cstring(ptr) + b"\0"
        found = text.find(bytes([char & 0xFF]))
        return 0 if found < 0 else to_i32(ptr + found)

    def env_strdup(self, ptr: int) -> int:
        text = self.cstring(ptr & _U32) + b"\0"
        new = self.heap.alloc(len(text))
        if new:
            self.write(new, text)
        return to_i32(new)

    def env_memcpy(self, dst: int, src: int, n: int) -> int:
        n &= _U32
        self.write(dst & _U32, self.read(src & _U32, n))
        return dst

    env_memmove = env_memcpy  # the bytes are read before they are written

    def env_memset(self, dst: int, value: int, n: int) -> int:
        n &= _U32
        self.write(dst & _U32, bytes([value & 0xFF]) * n)
        return dst

    def env_memcmp(self, a: int, b: int, n: int) -> int:
        n &= _U32
        x, y = self.read(a & _U32, n), self.read(b & _U32, n)
        return (x > y) - (x < y)

    def env_abort(self) -> None:
        raise GuestFault("the guest called abort()")

    # -- WASI preview 1 with nothing granted ------------------------------------

    def wasi_fd_write(self, fd: int, iovs: int, count: int, written_ptr: int) -> int:
        if fd not in (1, 2):
            return _EBADF
        total = 0
        iovs &= _U32
        for index in range(count & _U32):
            ptr, size = struct.unpack("<II", self.read(iovs + 8 * index, 8))
            self.emit(fd, self.read(ptr, size))
            total += size
        self.write(written_ptr & _U32, struct.pack("<I", total & _U32))
        return 0

    def wasi_fd_read(self, fd: int, iovs: int, count: int, read_ptr: int) -> int:
        if fd != 0:
            return _EBADF
        self.write(read_ptr & _U32, b"\0\0\0\0")  # stdin is empty
        return 0

    def wasi_clock_time_get(self, clock: int, precision: int, out: int) -> int:
        now = time.time_ns() if clock == 0 else time.monotonic_ns()
        self.write(out & _U32, struct.pack("<Q", now))
        return 0

    def wasi_clock_res_get(self, clock: int, out: int) -> int:
        self.write(out & _U32, struct.pack("<Q", 1000))
        return 0

    def wasi_sizes_get(self, count_ptr: int, size_ptr: int) -> int:
        self.write(count_ptr & _U32, b"\0\0\0\0")
        self.write(size_ptr & _U32, b"\0\0\0\0")
        return 0

    def wasi_get(self, a: int, b: int) -> int:
        return 0

    def wasi_fd_fdstat_get(self, fd: int, out: int) -> int:
        if fd not in (0, 1, 2):
            return _EBADF
        # filetype character device, no flags, rights: read (stdin) or write
        rights = 0x2 if fd == 0 else 0x40
        self.write(out & _U32, struct.pack("<BxHxxxxQQ", 2, 0, rights, 0))
        return 0

    def wasi_random_get(self, ptr: int, size: int) -> int:
        self.write(ptr & _U32, os.urandom(size & _U32))
        return 0

    def wasi_proc_exit(self, code: int) -> None:
        raise GuestFault(f"the guest called proc_exit({code})")

    def wasi_sched_yield(self) -> int:
        return 0


_EBADF = 8
_ENOSYS = 52
_ESPIPE = 70
_ENOTCAPABLE = 76

#: WASI functions given a behaviour; every other WASI import answers ENOSYS
#: (fd_close, fd_seek, path_open... answer what "nothing granted" means).
_WASI_METHODS: dict[str, str] = {
    "fd_write": "wasi_fd_write",
    "fd_read": "wasi_fd_read",
    "clock_time_get": "wasi_clock_time_get",
    "clock_res_get": "wasi_clock_res_get",
    "args_sizes_get": "wasi_sizes_get",
    "environ_sizes_get": "wasi_sizes_get",
    "args_get": "wasi_get",
    "environ_get": "wasi_get",
    "fd_fdstat_get": "wasi_fd_fdstat_get",
    "random_get": "wasi_random_get",
    "proc_exit": "wasi_proc_exit",
    "sched_yield": "wasi_sched_yield",
}
_WASI_CONSTANT: dict[str, int] = {
    "fd_close": _EBADF,
    "fd_prestat_get": _EBADF,  # no preopened directories
    "fd_prestat_dir_name": _EBADF,
    "fd_seek": _ESPIPE,
    "path_open": _ENOTCAPABLE,
}


def _bound(io: GuestIO, method: str, nargs: int, returns: bool) -> Callable[..., Any]:
    """A closure calling ``io.<method>`` through a weak reference (the
    instance owns these functions; a strong reference would keep the
    instance's address space alive through a cycle the GC cannot see)."""
    ref = weakref.ref(io)

    def call(*args: Any) -> Any:
        target = ref()
        if target is None:
            raise GuestFault("the instance is closed")
        return getattr(target, method)(*args[:nargs])

    return call


def _constant(value: int) -> Callable[..., int]:
    def call(*args: Any) -> int:
        return value

    return call


def host_imports(io: GuestIO, module: Any, wasi_granted: bool) -> HostImports:
    """The imports of one instance: ``env`` functions it imports, and WASI
    stubs when it was granted no WASI (a granted one is the runtime's own)."""
    namespaces: HostImports = {}
    for imp in module.imports:
        sig = imp.sig
        if sig is None:
            continue  # check_module refused non-function imports already
        params, results = sig
        if imp.module == "env":
            fn = _bound(io, "env_" + imp.name, len(params), bool(results))
        elif imp.module in WASI_MODULES:
            if wasi_granted:
                continue
            if imp.name in _WASI_METHODS:
                fn = _bound(io, _WASI_METHODS[imp.name], len(params), bool(results))
            else:
                fn = _constant(_WASI_CONSTANT.get(imp.name, _ENOSYS)) if results else _constant(0)
        else:
            continue
        namespaces.setdefault(imp.module, {})[imp.name] = HostFunction(fn, sig)
    return namespaces


# --------------------------------------------------------------------------
# Records in, results out
# --------------------------------------------------------------------------


class ResultError(IngestHostError):
    """The filter's result cannot be used (fails the document)."""


def encode_record(source: dict[str, Any], event_format: str) -> bytes:
    if event_format == "json":
        return orjson.dumps(source)
    import msgpack

    return msgpack.packb(source, use_bin_type=True)


def decode_json_result(mem: memoryview, ptr: int) -> dict[str, Any] | None:
    """The document a JSON-mode filter returned at ``ptr`` (None: drop)."""
    size = len(mem)
    if ptr >= size:
        raise ResultError(f"returned pointer 0x{ptr:x}, outside its memory ({size:,} bytes)")
    end = find_nul(mem, ptr)
    if end < 0:
        raise ResultError(
            f"returned a string at 0x{ptr:x} with no NUL before the end of its memory ({size - ptr:,} bytes scanned)"
        )
    raw = bytes(mem[ptr:end])
    if not raw:
        return None
    problem = line_number_problem(raw)
    if problem is not None:
        raise ResultError(f"returned a record with {problem}")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ResultError(f"returned text that is not JSON ({exc.msg}): {_shown(raw)}") from None
    return _checked_object(value, len(raw))


def decode_msgpack_result(mem: memoryview, ptr: int) -> dict[str, Any]:
    """The document a MessagePack-mode filter returned at ``ptr``: one map,
    read to its end (not to a NUL), bounded by the end of memory."""
    import msgpack

    size = len(mem)
    if ptr >= size:
        raise ResultError(f"returned pointer 0x{ptr:x}, outside its memory ({size:,} bytes)")
    room = size - ptr  # the lengths are bounded by what memory holds, not by msgpack's defaults
    unpacker = msgpack.Unpacker(
        raw=False, strict_map_key=False, max_buffer_size=room, max_str_len=room, max_bin_len=room,
        max_array_len=room, max_map_len=room, max_ext_len=room,
    )
    pos = ptr
    chunk = 4096
    while True:
        if pos >= size:
            raise ResultError(
                f"returned MessagePack at 0x{ptr:x} that does not end before the end of its memory"
            )
        end = min(size, pos + chunk)
        unpacker.feed(bytes(mem[pos:end]))
        pos = end
        chunk = min(chunk * 4, 1 << 24)
        try:
            value = unpacker.unpack()
            break
        except msgpack.OutOfData:
            continue
        except (ValueError, msgpack.UnpackException, UnicodeDecodeError) as exc:
            raise ResultError(f"returned MessagePack that cannot be read: {exc}") from None
    value = _plain(value, 0)
    return _checked_object(value, None)


def _plain(value: Any, depth: int) -> Any:
    """A MessagePack value as JSON values (binary as UTF-8 text); refuses extension types."""
    import msgpack

    if depth > MAX_DEPTH:
        raise ResultError(f"returned a record nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if isinstance(key, bytes):
                key = _text(key)
            if not isinstance(key, str):
                raise ResultError(f"returned a map with a key that is not a string: {key!r:.80}")
            result[key] = _plain(item, depth + 1)
        return result
    if isinstance(value, list):
        return [_plain(item, depth + 1) for item in value]
    if isinstance(value, bytes):
        return _text(value)
    if isinstance(value, (msgpack.ExtType, msgpack.Timestamp)):
        code = value.code if isinstance(value, msgpack.ExtType) else -1
        raise ResultError(f"returned a MessagePack extension value (type {code}), which a JSON document cannot hold")
    return value


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ResultError(f"returned binary data that is not UTF-8 text: {_shown(data)}") from None


def _checked_object(value: Any, raw_len: int | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ResultError(f"returned {json_type_phrase(value)}, not a JSON object: a record must be an object")
    if raw_len is None or raw_len > 2 * MAX_DEPTH:
        if nesting_depth(value) > MAX_DEPTH:
            raise ResultError(f"returned a record nested deeper than {MAX_DEPTH} levels")
    problem = number_problem(value)
    if problem is not None:
        raise ResultError(f"returned a record with {problem}")
    return value


def _shown(raw: bytes, limit: int = 200) -> str:
    text = raw[:limit].decode("utf-8", "replace")
    return repr(text) + (f" ... ({len(raw):,} bytes)" if len(raw) > limit else "")


# --------------------------------------------------------------------------
# One instance
# --------------------------------------------------------------------------


class FluentBitInstance:
    """One live instance of a Fluent Bit filter module, kept across records.

    Construction instantiates (running the module's start function), then
    calls the set-up exports (:data:`SETUP_EXPORTS`), each under the load
    time limit when ``watch`` is set; failures raise ModuleLoadError.
    """

    def __init__(
        self,
        guest: Any,  # ingesthost.guest.GuestModule
        shape: FluentBitShape,
        function_name: str,
        logger: logging.Logger,
        wasi: WasiGrant | None = None,
        *,
        watch: Any = None,
        tag: str | None = None,
    ) -> None:
        from .guest import START_FUNCTION, _first_line, load_deadline, overran_load

        self.guest = guest
        self.shape = shape
        self.io = GuestIO(logger)
        self._watch = watch
        self._tag = tag
        self._instance: Any = None
        #: In-process on a runtime that can interrupt a guest: the set-up calls' deadline.
        self._load_deadline = deadline = load_deadline(guest.engine, watch)
        export = START_FUNCTION
        try:
            try:
                imports = host_imports(self.io, guest.module, wasi is not None)
                instance = self._setup_call(
                    START_FUNCTION,
                    lambda: guest.engine.impl.instantiate(
                        guest.module, imports, wasi=wasi, name=guest.name, max_memory=guest.max_memory,
                        deadline=deadline,
                    ),
                )
            except (RuntimeError, GuestFault) as exc:
                if isinstance(exc, GuestInterrupted) and deadline is not None:
                    raise ModuleLoadError(guest.name, overran_load(export, deadline, tag, guest.engine)) from None
                raise ModuleLoadError(guest.name, f"instantiation failed: {_first_line(exc)}") from exc
            self._instance = instance
            self.io.memory = instance.memory
            self._malloc = instance.export("malloc") if shape.has_malloc else None
            self._free = instance.export("free") if shape.has_free else None
            self._filter = instance.export(function_name)
            try:
                for export in shape.setup:
                    self._setup_call(export, instance.export(export))
            except (RuntimeError, GuestFault) as exc:
                self.close()
                if isinstance(exc, GuestInterrupted) and deadline is not None:
                    raise ModuleLoadError(guest.name, overran_load(export, deadline, tag, guest.engine)) from None
                raise ModuleLoadError(guest.name, f"trapped during set-up ({export}): {_first_line(exc)}") from exc
        finally:
            self._watch = None
            if deadline is not None and self._instance is not None:
                self._instance.set_deadline(None)
            self.io.end_call()

    def set_time_limit(self, seconds: float | None) -> None:
        """Interrupt the next filter calls ``seconds`` after each starts (None:
        no limit); only runtimes that can interrupt a guest (wasmtime) do."""
        if self._instance is not None:
            self._instance.set_deadline(seconds)

    def _setup_call(self, export: str, fn: Callable[..., Any], *args: Any) -> Any:
        watch = self._watch
        if watch is None:
            if self._load_deadline is not None and self._instance is not None:
                self._instance.set_deadline(self._load_deadline)
            return fn(*args)
        token = watch.enter_load(self.guest.name, export, self._tag)
        try:
            return fn(*args)
        finally:
            watch.leave(token)

    def _place(self, data: bytes) -> tuple[int, bool]:
        """Copy ``data`` into guest memory: (address, whether the guest's malloc gave it)."""
        size = max(1, len(data))
        if self._malloc is not None:
            ptr = self._malloc(to_i32(size)) & _U32
            if ptr == 0:
                raise ResultError(f"the guest's malloc returned NULL for {size:,} bytes")
            mem = self.io.view()
            if ptr + size > len(mem):
                raise ResultError(f"the guest's malloc returned 0x{ptr:x}, where {size:,} bytes do not fit in its memory")
            mem[ptr : ptr + len(data)] = data
            return ptr, True
        ptr = self.io.heap.alloc(size)
        if ptr == 0:
            raise ResultError(f"no room for {size:,} bytes in the guest's memory (its max_memory is reached)")
        self.io.write(ptr, data)
        return ptr, False

    def _release(self, ptr: int, guest_owned: bool) -> None:
        if guest_owned:
            if self._free is not None:
                self._free(to_i32(ptr))
        else:
            self.io.heap.free(ptr)

    def call(self, tag: bytes, sec: int, nsec: int, record: bytes, event_format: str) -> dict[str, Any] | None:
        """Run the filter on one record: the new document, or None (drop).

        Raises :class:`ingesthost.guest.GuestTrap` when the guest trapped (or
        faulted: the instance must be discarded) and :class:`ResultError` when
        its answer cannot be used.
        """
        from .guest import GuestTrap, _first_line, as_trap

        placed: list[tuple[int, bool]] = []
        try:
            try:
                placed.append(self._place(tag + b"\0"))
                tag_ptr = placed[-1][0]
                placed.append(self._place(record + b"\0" if event_format == "json" else record))
                record_ptr = placed[-1][0]
                result = self._filter(
                    to_i32(tag_ptr), len(tag), to_i32(sec), to_i32(nsec), to_i32(record_ptr), len(record)
                )
            except RuntimeError as exc:
                raise as_trap(exc, _first_line(exc)) from None
            except GuestFault as exc:
                raise GuestTrap(str(exc)) from None
            ptr = result & _U32
            if ptr == 0:
                return None
            mem = self.io.view()
            if event_format == "json":
                return decode_json_result(mem, ptr)
            return decode_msgpack_result(mem, ptr)
        finally:
            self.io.end_call()
            try:
                for ptr, owned in placed:
                    self._release(ptr, owned)
            except (RuntimeError, GuestFault) as exc:
                raise GuestTrap(f"the guest's free trapped: {_first_line(exc)}") from None

    def close(self) -> None:
        self.io.memory = None
        self.io._heap = None
        self._malloc = self._free = self._filter = None
        instance, self._instance = self._instance, None
        if instance is not None:
            instance.close()

