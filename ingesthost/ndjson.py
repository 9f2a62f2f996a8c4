"""Reading and writing newline-delimited JSON, one document per line.

The reader never stops at a bad line: it yields the line's number, its raw
bytes, and either the parsed object or the :class:`InputError` that says
what is wrong, so the caller can send it to the failure output.
"""

from __future__ import annotations

import base64
from typing import IO, Any, Iterator

import orjson

from .document import MAX_DEPTH, json_type_phrase, nesting_depth
from .errors import InputError


class Record:
    """One input line. Exactly one of ``document`` and ``error`` is set.

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


def read_records(
    stream: IO[bytes],
    source: str,
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    max_depth: int = MAX_DEPTH,
) -> Iterator[Record]:
    """Yield a :class:`Record` per line of ``stream`` (binary), numbered from 1.

    Accepts ``\\n`` and ``\\r\\n`` line ends and a missing final newline.
    Blank lines, invalid UTF-8, invalid JSON, non-objects, lines longer than
    ``max_line_bytes`` (never held in memory whole) and documents nested
    deeper than ``max_depth`` become errors; reading goes on after each.
    """
    loads = orjson.loads
    readline = stream.readline
    max_depth = min(max_depth, MAX_DEPTH)
    number = 0
    while True:
        raw = readline(max_line_bytes + 2)  # room for the line's own \r\n
        if not raw:
            return
        number += 1
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
            problem = "blank line" if not text.strip() else _json_problem(text, exc)
            record.error = InputError(problem, source=source, line=number)
            yield record
            continue
        # Cheap bound first: fewer brackets than the limit cannot nest deeper.
        if raw.count(b"{") + raw.count(b"[") > max_depth and nesting_depth(doc) > max_depth:
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
        yield Record(number, raw, doc)


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
    return f"invalid JSON: {exc.msg} (column {exc.colno})"


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
