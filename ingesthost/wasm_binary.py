"""The little of the wasm binary format the host reads and rewrites itself.

wasmer-python has no API to cap an instance's memory (no tunables), so the
host enforces ``max_memory`` in the module: it rewrites the maximum of each
memory the module defines before compiling it. ``memory.grow`` past the cap
then fails inside the guest (returns -1, its allocator reports failure)
instead of taking the host's memory. Only the memory section changes; every
other byte is kept.
"""

from __future__ import annotations

import dataclasses

WASM_PAGE = 65536
MAX_PAGES_32 = 65536  # 4 GiB: the most a wasm32 memory can address
_MEMORY_SECTION = 5


class WasmFormatError(ValueError):
    """The bytes are not a wasm binary this module can read."""


def _read_u32(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    for _ in range(5):
        if pos >= len(data):
            raise WasmFormatError("truncated LEB128 integer")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if result > 0xFFFFFFFF:
                raise WasmFormatError("LEB128 integer out of u32 range")
            return result, pos
        shift += 7
    raise WasmFormatError("LEB128 integer too long")


def _write_u32(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


@dataclasses.dataclass(frozen=True)
class MemoryLimits:
    """A defined memory's limits in pages, as declared and as the host applied them."""

    minimum: int
    declared_maximum: int | None
    applied_maximum: int


def _sections(data: bytes) -> list[tuple[int, int, int, int]]:
    """(id, start of the section, start of its content, end) for each section."""
    if data[:4] != b"\0asm" or len(data) < 8:
        raise WasmFormatError("missing the \\0asm header")
    sections = []
    pos = 8
    while pos < len(data):
        start = pos
        section_id = data[pos]
        size, content = _read_u32(data, pos + 1)
        end = content + size
        if end > len(data):
            raise WasmFormatError(f"section {section_id} runs past the end of the module")
        sections.append((section_id, start, content, end))
        pos = end
    return sections


def cap_memory(data: bytes, max_pages: int) -> tuple[bytes, list[MemoryLimits]]:
    """``data`` with every defined memory's maximum lowered to ``max_pages``.

    Returns the new bytes and the limits of each memory. A memory whose
    declared *minimum* is above ``max_pages`` cannot be capped: the caller
    refuses the module (the limits tell it why).
    """
    max_pages = min(max_pages, MAX_PAGES_32)
    for section_id, start, content, end in _sections(data):
        if section_id != _MEMORY_SECTION:
            continue
        count, pos = _read_u32(data, content)
        body = bytearray(_write_u32(count))
        limits = []
        for _ in range(count):
            if pos >= end:
                raise WasmFormatError("truncated memory section")
            flags = data[pos]
            if flags not in (0x00, 0x01):
                raise WasmFormatError(f"unsupported memory limits flags 0x{flags:02x} (shared or 64-bit memory)")
            minimum, pos = _read_u32(data, pos + 1)
            declared = None
            if flags == 0x01:
                declared, pos = _read_u32(data, pos)
            applied = max_pages if declared is None else min(declared, max_pages)
            limits.append(MemoryLimits(minimum, declared, applied))
            body += b"\x01" + _write_u32(minimum) + _write_u32(max(applied, minimum))
        if pos != end:
            raise WasmFormatError("memory section has trailing bytes")
        section = bytes([_MEMORY_SECTION]) + _write_u32(len(body)) + bytes(body)
        return data[:start] + section + data[end:], limits
    return data, []


def parse_size(value: object, what: str = "size") -> int:
    """Bytes from an int or a string like ``256MiB``, ``64mb``, ``1 GiB``, ``65536``."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number of bytes or a string like 256MiB")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(f"{what} must be positive")
        return value
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a number of bytes or a string like 256MiB")
    text = value.strip().lower().replace(" ", "")
    units = {"gib": 1 << 30, "gb": 1 << 30, "g": 1 << 30, "mib": 1 << 20, "mb": 1 << 20, "m": 1 << 20,
             "kib": 1 << 10, "kb": 1 << 10, "k": 1 << 10, "b": 1, "": 1}
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit):
            number = text[: len(text) - len(unit)] if unit else text
            try:
                result = int(float(number) * units[unit])
            except (ValueError, OverflowError):  # not a number, inf, nan
                break
            if result <= 0:
                raise ValueError(f"{what} must be positive")
            return result
    raise ValueError(f"{what}: cannot read {value!r}; use bytes or a unit like 256MiB")
