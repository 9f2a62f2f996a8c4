"""Reading and writing newline-delimited JSON, one document per line.

The reader never stops at a bad line: it yields the line's number, its raw
bytes, and either the parsed object or the :class:`InputError` that says
what is wrong, so the caller can send it to the failure output.
"""

from __future__ import annotations

import base64
from typing import IO, Any, Iterator

import orjson

from .errors import InputError


class Record:
    """One input line. Exactly one of ``document`` and ``error`` is set.

    ``raw`` is the line as read, line ending included (see :attr:`text`).
    A plain slotted class: one is created per input line, on the hot path.
    """

    __slots__ = ("line", "raw", "document", "error")

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

    @property
    def text(self) -> bytes:
        """The line without its ``\\n`` or ``\\r\\n`` ending."""
        raw = self.raw
        if raw.endswith(b"\n"):
            raw = raw[:-1]
            if raw.endswith(b"\r"):
                raw = raw[:-1]
        return raw


def read_records(stream: IO[bytes], source: str) -> Iterator[Record]:
    """Yield a :class:`Record` per line of ``stream`` (binary), numbered from 1.

    Accepts ``\\n`` and ``\\r\\n`` line ends and a missing final newline.
    Blank lines, invalid UTF-8, invalid JSON and non-objects become errors.
    """
    loads = orjson.loads
    for number, raw in enumerate(stream, start=1):
        try:
            doc = loads(raw)  # JSON allows the trailing \r\n as whitespace
        except orjson.JSONDecodeError as exc:
            record = Record(number, raw)
            text = record.text
            problem = "blank line" if not text.strip() else _json_problem(text, exc)
            record.error = InputError(problem, source=source, line=number)
            yield record
            continue
        if type(doc) is not dict:
            yield Record(
                number,
                raw,
                error=InputError(
                    f"a document must be a JSON object, found {_json_type(doc)}", source=source, line=number
                ),
            )
            continue
        yield Record(number, raw, doc)


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


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
