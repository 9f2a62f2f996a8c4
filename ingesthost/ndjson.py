"""Reading and writing newline-delimited JSON, one document per line.

The reader never stops at a bad line: it yields the line's number, its raw
bytes, and either the parsed object or the :class:`InputError` that says
what is wrong, so the caller can send it to the failure output.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import IO, Any, Iterator

import orjson

from .errors import InputError


@dataclasses.dataclass(frozen=True, slots=True)
class Record:
    """One input line. Exactly one of ``document`` and ``error`` is set."""

    line: int
    raw: bytes
    document: dict[str, Any] | None = None
    error: InputError | None = None


def read_records(stream: IO[bytes], source: str) -> Iterator[Record]:
    """Yield a :class:`Record` per line of ``stream`` (binary), numbered from 1.

    Accepts ``\\n`` and ``\\r\\n`` line ends and a missing final newline.
    Blank lines, invalid UTF-8, invalid JSON and non-objects become errors.
    """
    for number, raw in enumerate(stream, start=1):
        line = raw[:-1] if raw.endswith(b"\n") else raw
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line.strip():
            yield Record(number, line, error=InputError("blank line", source=source, line=number))
            continue
        try:
            doc = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield Record(number, line, error=InputError(_json_problem(line, exc), source=source, line=number))
            continue
        if not isinstance(doc, dict):
            yield Record(
                number,
                line,
                error=InputError(
                    f"a document must be a JSON object, found {type(doc).__name__}", source=source, line=number
                ),
            )
            continue
        yield Record(number, line, document=doc)


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
