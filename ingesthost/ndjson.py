"""Reading and writing newline-delimited JSON, one document per line.

The reader never stops at a bad line: it yields the line's number, its raw
bytes, and either the parsed object or the :class:`InputError` that says
what is wrong, so the caller can send it to the failure output.
"""

from __future__ import annotations

import base64
import io
from typing import IO, Any, Iterator

import orjson

from .document import MAX_DEPTH, json_type_phrase, nesting_depth
from .errors import InputError
from .jsonnumbers import WIDE_INTEGER_DIGITS, line_number_problem, text_number_problem


class Record:
    """One input line. At most one of ``document`` and ``error`` is set;
    neither for a blank (whitespace-only) line, which is skipped and counted.

    ``raw`` is the line as read, line ending included (see :attr:`text`).
    A plain slotted class: one is created per input line, on the hot path.
    """

    __slots__ = ("line", "raw", "document", "error", "truncated_size")

    def __init__(
        self,
        line: int,
        raw: bytes,
        document: dict[str, Any] | None = None,
        error: InputError | None = None,
    ) -> None:
        self.line = line
        self.raw = raw
        self.document = document
        self.error = error
        #: Set when ``raw`` holds only the start of an over-long line: its full size.
        self.truncated_size: int | None = None

    @property
    def blank(self) -> bool:
        return self.document is None and self.error is None

    @property
    def text(self) -> bytes:
        """The line without its ``\\n`` or ``\\r\\n`` ending."""
        raw = self.raw
        if raw.endswith(b"\n"):
            raw = raw[:-1]
            if raw.endswith(b"\r"):
                raw = raw[:-1]
        return raw


#: Longest accepted line (bytes, without its line ending).
DEFAULT_MAX_LINE_BYTES = 32 * 1024 * 1024
#: How much of an over-long line the failure record keeps.
OVERSIZE_KEEP = 1024 * 1024
#: A UTF-8 byte order mark, accepted (and dropped) at the start of an input, as JSON Lines readers do.
BOM = b"\xef\xbb\xbf"
#: What JSON counts as whitespace (RFC 8259): a line of only these is blank.
JSON_WHITESPACE = b" \t\r\n"


def read_records(
    stream: IO[bytes],
    source: str,
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    max_depth: int = MAX_DEPTH,
    first_line: int = 1,
) -> Iterator[Record]:
    """Yield a :class:`Record` per line of ``stream`` (binary), numbered from ``first_line``.

    Accepts ``\\n`` and ``\\r\\n`` line ends, a missing final newline and a
    UTF-8 byte order mark before line 1 (``first_line`` > 1: the stream
    continues another, no mark expected). Blank (whitespace-only) lines
    come out as records with neither document nor error: skipped, but
    counted. Invalid UTF-8, invalid JSON, non-objects, lines longer than
    ``max_line_bytes`` (never held in memory whole) and documents nested
    deeper than ``max_depth`` become errors; reading goes on after each.
    """
    loads = orjson.loads
    readline = stream.readline
    max_depth = min(max_depth, MAX_DEPTH)
    number = first_line - 1
    while True:
        raw = readline(max_line_bytes + 2)  # room for the line's own \r\n
        if not raw:
            return
        number += 1
        if number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM) :]
        if len(raw) > max_line_bytes and (
            # the read stopped mid-line: at least max_line_bytes + 1 bytes of content
            not raw.endswith(b"\n")
            and len(raw) == max_line_bytes + 2
            # or a whole line whose content (without \n or \r\n) is too long
            or len(raw) - (2 if raw.endswith(b"\r\n") else 1 if raw.endswith(b"\n") else 0) > max_line_bytes
        ):
            yield _oversize(stream, raw, number, source, max_line_bytes)
            continue
        try:
            doc = loads(raw)  # JSON allows the trailing \r\n as whitespace
        except orjson.JSONDecodeError as exc:
            record = Record(number, raw)
            text = record.text
            if text.strip(JSON_WHITESPACE):
                record.error = InputError(_json_problem(text, exc), source=source, line=number)
            yield record  # a blank line when no error is set
            continue
        # Cheap bounds first: a level takes two bytes at least, and fewer
        # brackets than the limit cannot nest deeper.
        if len(raw) > 2 * max_depth and raw.count(b"{") + raw.count(b"[") > max_depth and nesting_depth(doc) > max_depth:
            yield Record(
                number, raw, error=InputError(f"document nested deeper than {max_depth} levels", source=source, line=number)
            )
            continue
        if type(doc) is not dict:
            yield Record(
                number,
                raw,
                error=InputError(
                    f"a document must be a JSON object, found {json_type_phrase(doc)}", source=source, line=number
                ),
            )
            continue
        problem = line_number_problem(raw)  # an integer beyond 64 bits, which orjson read as a float
        if problem is not None:
            yield Record(number, raw, error=InputError(problem, source=source, line=number))
            continue
        yield Record(number, raw, doc)


def parse_block(block: bytes, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, max_depth: int = MAX_DEPTH) -> tuple[list[bytes], list[Any]] | None:
    """The lines of ``block`` (whole NDJSON lines, as :func:`read_blocks`
    cuts them) and their documents, when every line is a document that
    :func:`read_records` would accept as is; None when any line needs its
    line-by-line rules (a blank or bad line, a byte order mark, a long
    line, a deep document, a long run of digits), and the caller reads the
    block with :func:`read_records`.

    The checks run over the whole block at C speed (one ``split``, one
    ``orjson.loads`` per line through ``map``, one type set, block-level
    bracket and digit scans), so a clean block costs little more than its
    parse: the common case of a production log stream.
    """
    lines = block.split(b"\n")
    if lines[-1]:
        if lines[-1].isspace():
            return None
    else:
        lines.pop()
    if not lines or max(map(len, lines)) > max_line_bytes:
        return None
    max_depth = min(max_depth, MAX_DEPTH)
    try:
        if len(block) > _LONG_LINE * len(lines):
            documents = _parse_long_lines(lines, max_depth)
        else:
            documents = _parse_short_lines(block, lines, max_depth)
    except orjson.JSONDecodeError:
        return None
    return None if documents is None else (lines, documents)


#: Average line length (bytes) from which :func:`parse_block` checks line by
#: line: each line is scanned while it is still in the processor's cache,
#: where a pass over a whole block of long lines (megabytes) is not.
_LONG_LINE = 1024


def _parse_short_lines(block: bytes, lines: list[bytes], max_depth: int) -> list[Any] | None:
    """Every scan over the whole block at once: per line, only its parse."""
    documents = list(map(orjson.loads, lines))
    if set(map(type, documents)) != {dict}:
        return None
    shape = block.translate(_SHAPE_MAP)  # brackets, digits and line ends: one pass for both scans
    if len(block) > 2 * max_depth and shape.count(b"{") > max_depth:
        # Fewer brackets than the limit cannot nest deeper: walk only the lines that have more.
        for shape_line, document in zip(shape.split(b"\n"), documents):
            if shape_line.count(b"{") > max_depth and nesting_depth(document) > max_depth:
                return None
    if shape.find(_WIDE_RUN) >= 0 and any(map(line_number_problem, lines)):
        return None
    return documents


def _parse_long_lines(lines: list[bytes], max_depth: int) -> list[Any] | None:
    """The same checks, line after line."""
    documents = []
    append = documents.append
    loads = orjson.loads
    for line in lines:
        document = loads(line)
        if type(document) is not dict:
            return None
        shape = line.translate(_SHAPE_MAP)
        if shape.count(b"{") > max_depth and nesting_depth(document) > max_depth:
            return None
        if shape.find(_WIDE_RUN) >= 0 and line_number_problem(line) is not None:
            return None
        append(document)
    return documents


#: For :func:`parse_block`: ``{`` and ``[`` become ``{``, digits ``0``, a
#: newline stays, anything else is a space.
_SHAPE_MAP = bytes(
    123 if byte in b"{[" else 48 if 48 <= byte <= 57 else 10 if byte == 10 else 32 for byte in range(256)
)
#: Digits the shortest integer beyond 64 bits has: see :func:`~ingesthost.jsonnumbers.line_number_problem`.
_WIDE_RUN = b"0" * WIDE_INTEGER_DIGITS


def _oversize(stream: IO[bytes], head: bytes, number: int, source: str, limit: int) -> Record:
    """Skip the rest of an over-long line; keep its first bytes for the failure record."""
    size = len(head)
    while not head.endswith(b"\n"):
        chunk = stream.readline(1 << 20)
        if not chunk:
            break
        size += len(chunk)
        if chunk.endswith(b"\n"):
            break
    record = Record(number, head[:OVERSIZE_KEEP])
    record.error = InputError(
        f"line of {size:,} bytes is longer than the {limit:,}-byte limit (see --max-line-bytes)",
        source=source,
        line=number,
    )
    record.truncated_size = size
    return record


def _json_problem(line: bytes, exc: orjson.JSONDecodeError) -> str:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"not valid UTF-8 (byte {bad.start})"
    return text_number_problem(line) or f"invalid JSON: {exc.msg} (column {exc.colno})"


def dumps_line(doc: Any) -> bytes:
    """One NDJSON line (compact JSON + ``\\n``)."""
    return orjson.dumps(doc, option=orjson.OPT_APPEND_NEWLINE)


def raw_fields(raw: bytes) -> dict[str, str]:
    """The original line for a failure record: as text when it is UTF-8, else base64,
    so that nothing of the input is lost."""
    try:
        return {"raw": raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {"raw_base64": base64.b64encode(raw).decode("ascii")}


def read_blocks(
    stream: IO[bytes], source: str, batch_size: int, batch_bytes: int, max_line_bytes: int, *, first_line: int = 1
) -> Iterator[tuple]:
    """Cut the input into blocks of whole lines: ``("batch", number of the
    first line, block, lines in it, ready)``, and ``("oversize", record)``
    for a line too long to hold. ``ready`` is False when asking for the next
    block would wait for the input (a pipe with nothing more yet).

    Blocks are what a run processes, commits and reports at a time; the
    reader never looks at lines one by one: it reads what the stream has
    (``read1``: a pipe's available bytes, a file's next chunk), cuts after
    the ``batch_size``-th newline (or at ``batch_bytes``), and hands the
    block on. Memory stays bounded by the batch settings whatever the input
    size, and a short read hands on what is complete at once, so a slow
    stream is not held back until a batch fills. A line still without its
    newline after ``max_line_bytes`` is reported here exactly as
    :func:`read_records` reports it (the rest is skipped, never held);
    shorter over-long lines inside a block are ``read_records``' to report.
    A byte order mark at the very start is dropped. ``first_line`` > 1:
    the stream continues another (its lines are numbered from there, and
    no byte order mark is expected).
    """
    read = getattr(stream, "read1", None) or stream.read
    buffer = bytearray()
    tail = 0  # offset just after the buffer's last newline: whole lines are buffer[:tail]
    hint = batch_size * 256  # bytes per batch, re-estimated from the lines seen
    first = first_line
    eof = short = False
    at_start = first_line == 1
    while True:
        if not eof:
            want = max(batch_bytes - len(buffer), 65536)
            chunk = read(want)
            if chunk:
                if at_start:
                    buffer += chunk
                    if len(buffer) < len(BOM) and BOM.startswith(bytes(buffer)):
                        continue  # too little to tell yet
                    at_start = False
                    if buffer.startswith(BOM):
                        del buffer[: len(BOM)]
                    chunk = bytes(buffer)
                    buffer.clear()
                newline = chunk.rfind(b"\n")
                if newline >= 0:
                    tail = len(buffer) + newline + 1
                buffer += chunk
                short = len(chunk) < want
            else:
                eof = True
        tail_too_long = len(buffer) - tail > max_line_bytes + 2
        while tail:
            end, count = _cut(buffer, tail, batch_size, hint)
            if not (count >= batch_size or end >= batch_bytes or short or eof or tail_too_long):
                break  # wait for more lines: fuller blocks cost less per line
            hint = max(batch_size * (end // count), 1)
            with memoryview(buffer) as view:  # one copy (a bytearray slice would be a second)
                block = bytes(view[:end])
            del buffer[:end]
            tail -= end
            # ready: reading on will not wait (more whole lines here, or the last read was full)
            yield ("batch", first, block, count, bool(tail) or not short or eof)
            first += count
        if eof:
            if buffer:  # a last line without its newline
                if len(buffer.rstrip(b"\r\n")) > max_line_bytes:
                    yield ("oversize", _oversize(io.BytesIO(), bytes(buffer), first, source, max_line_bytes))
                else:
                    yield ("batch", first, bytes(buffer), 1, True)
            return
        if tail_too_long:  # buffer holds only the start of an over-long line
            record = _oversize(stream, bytes(buffer), first, source, max_line_bytes)
            buffer.clear()
            yield ("oversize", record)
            first += 1


def _cut(buffer: bytearray, tail: int, limit: int, hint: int) -> tuple[int, int]:
    """(offset just after the last whole line to send, how many lines): at most
    ``limit`` lines of ``buffer[:tail]``, found with C-speed searches from
    ``hint``, a guess of the bytes ``limit`` lines take.

    When the guess falls short of ``limit`` lines and more whole lines are
    there, they are taken too: a block must reach ``limit`` lines whenever
    the buffer holds them, or a reader that never sees a short read (a
    regular file) would keep reading, waiting for a fuller block, to the end
    of its input.
    """
    end = buffer.rfind(b"\n", 0, min(hint, tail)) + 1
    if end == 0:  # the first line is longer than the guess
        end = buffer.find(b"\n", 0, tail) + 1
        return (end, 1) if end else (0, 0)
    count = buffer.count(b"\n", 0, end)
    find = buffer.find
    if count < limit:
        # Walk only the lines still missing (the guess is usually a line or
        # two short): counting the rest of the buffer, megabytes, per block
        # cost more than everything else the reader does.
        position = end - 1
        while count < limit:
            found = find(b"\n", position + 1, tail)
            if found < 0:
                break
            position = found
            count += 1
        return position + 1, count
    if count == limit:
        return end, count
    position = -1  # the guess was too generous: walk exactly ``limit`` lines
    for _ in range(limit):
        position = find(b"\n", position + 1)
    return position + 1, limit
