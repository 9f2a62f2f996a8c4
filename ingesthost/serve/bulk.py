"""Elasticsearch's ``_bulk`` protocol: the request body in, the answer out.

Pure functions, no I/O: :func:`parse_bulk` turns an NDJSON body into
:class:`Action` objects (or raises :class:`BulkRequestError` with the exact
body Elasticsearch answers for a request it refuses whole), and the item
builders, :func:`response`, :func:`apply_filter_path` and :func:`dumps`
produce the answer byte for byte as Elasticsearch writes it.

Which Elasticsearch
-------------------
Matched against the Elasticsearch sources of 8.x/9.x (REST API 9 by default;
``compatible_with`` selects the leniencies of REST API 8 and 7):

* ``server/.../action/bulk/BulkRequestParser.java`` (9.x incremental
  parser): line splitting on ``\\n``, ``\\r`` trimmed from document lines
  only, blank action lines skipped, every message of the action-line parser
  (``Malformed action/metadata line [N], expected ...``, ``Action/metadata
  line [N] contains an unknown parameter [x]``, ``explicit index in bulk is
  not allowed``, ``Update requests do not support versioning...``,
  ``Delete|Update request in line [N] does not accept dynamic_templates``),
  and ``checkBulkActionIsProperlyClosed`` (REST API 9: extra keys, a
  missing closing brace or trailing data refuse the request; API 8 and 7:
  accepted, Elasticsearch only logs a deprecation). ``_type`` is an unknown
  parameter except with ``compatible_with=7`` (Elasticsearch 8 serving a 7.x
  client), where it is accepted and dropped. An unknown action is refused in
  every API version (``BulkRequestParserTests.testFailOnInvalidAction``).
  A trailing action whose document line never comes is ignored silently, as
  the parser stops at the last newline.
* ``rest/action/document/RestBulkAction.java``: an empty body is
  ``parse_exception`` "request body is required"; a parse failure that is
  not an ``IllegalArgumentException`` (invalid JSON, an unclosed action) is
  wrapped as ``parse_exception`` "could not parse bulk request body" with
  the parser's exception as ``caused_by``.
* ``BulkRequest.validate`` and the ``validate()`` of ``IndexRequest``,
  ``DeleteRequest``, ``UpdateRequest`` and ``DocWriteRequest``: one
  ``action_request_validation_exception`` "Validation Failed: 1: ...;2: ...;"
  for the whole request (``no requests added``, ``index is missing``,
  ``id is missing``, ``script or doc is missing``, create/version and
  compare-and-set rules, ``id [..] is too long``, ``pipeline cannot be an
  empty string``), checked after parsing, before any pipeline runs.
* ``ElasticsearchException.generateFailureXContent`` / ``innerToXContent``:
  a refused request is ``{"error": {"root_cause": [...], "type", "reason",
  <metadata>, "caused_by", "header"}, "status"}``; ``root_cause`` entries are
  rendered without ``caused_by``. Item errors have no ``root_cause``
  (``BulkItemResponse.toXContent`` uses ``generateThrowableXContent``).
* ``DocWriteResponse.innerToXContent`` + ``BulkItemResponse.toXContent``:
  ``_index, _id, _version, result, [forced_refresh], _shards, [_seq_no,
  _primary_term when seq_no >= 0], [extra such as get], status``; a failed
  item is ``_index, _id, status, error``.
* ``BulkRequestModifier.markItemAsDropped`` / ``markItemAsFailed``: a dropped
  document is an ``UpdateResponse`` with ``result: noop``, the request's
  version (``-3`` = ``Versions.MATCH_ANY``; ``-4`` = ``MATCH_DELETED`` for
  ``create``, ``IndexRequest.resolveVersionDefaults``), ``_shards`` all 0, no
  ``_seq_no``, status 200, under the request's op; both use the id
  ``auto-generated`` when the request had none.
* Ingest failures: the processor's exception is wrapped in
  ``IngestProcessorException``, an ``ElasticsearchWrapperException`` that
  rendering and status unwrap (PR #48810, 7.5), so the item shows the cause
  only (``fail_processor_exception``, status 500, for a ``fail``
  processor; ``illegal_argument_exception``, 400, for field errors): the
  ``processor_type``/``processor_tag`` headers are *not* in bulk items.
  ``pipeline with id [x] does not exist`` is ``illegal_argument_exception``,
  400 (``rest-api-spec/.../bulk/90_pipeline.yml``).
* ``BulkResponse.toXContentChunked`` (since the chunked REST response,
  PR #104310, January 2024; before it ``took`` came first):
  ``errors, took, [ingest_took], items``.
* Response filtering (``filter_path``): ``AbstractRestChannel`` (comma
  tokens trimmed, ``-`` marks exclusions, error bodies never filtered),
  ``FilterPath`` (``*`` globs, ``**`` any depth, ``\\.`` a literal dot),
  ``FilterPathBasedFilter`` as changed by #109668 (mid-2024) and Jackson's
  ``FilteringGeneratorDelegate``: inclusions then exclusions, array elements
  filtered like their array, emptied objects/arrays removed, the root object
  always written (``{}``). Cases from ``FilterPathGeneratorFilteringTests``
  and the ``docs/reference/docs/bulk.asciidoc`` example are in the tests.

Documents (``index``/``create`` source lines) are not parsed by
Elasticsearch's bulk parser at all; an ingest pipeline reads them with
``XContentHelper.convertToMap``, whose reader is lenient: a JSON value that
is not an object (``[1]``, ``"x"``, an empty line) is read as ``{}``, text
after the object is ignored, and only invalid JSON (or a duplicate key:
Jackson's ``STRICT_DUPLICATE_DETECTION`` is on) fails, as ``parse_exception``
"Failed to parse content to map". Since PR #138624 (November 2025, backported
to the 8.19, 9.1 and 9.2 branches) that failure is per item (status 400),
which is what :attr:`Action.source_error` holds; earlier releases refused the
whole request. Without a pipeline the
target parses :attr:`Action.raw` itself and answers for it.

What is approximate (chosen here, not established)
--------------------------------------------------
* The ``caused_by`` of a JSON syntax error: the type
  (``x_content_parse_exception``, ``x_content_e_o_f_exception`` with
  "Unexpected end of file") and the ``[line:column]`` prefix follow
  ``JsonXContentParser``, but Jackson's wording and columns are imitated for
  the common cases only, and Jackson's own exception (a further nested
  ``caused_by``) is left out.
* ``UpdateRequest`` body errors: only "not an object", unknown fields
  (``[UpdateRequest] unknown field [x]``, without Elasticsearch's "did you
  mean" suggestion) and non-object ``doc``/``upsert`` are detected, inside
  that approximate ``caused_by``.
* Values Elasticsearch would fail to coerce (``"version": "abc"``) are
  passed through in :attr:`Action.params` unchecked; the target decides.
* REST API 7 responses carry ``_type: _doc`` in items; not produced here.
* Jackson escapes control characters with upper-case hex (``\\u001F``),
  :func:`dumps` (orjson) with lower-case.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

import orjson

__all__ = [
    "AUTO_GENERATED_ID",
    "Action",
    "BulkRequestError",
    "apply_filter_path",
    "dropped_item",
    "dumps",
    "error_body",
    "error_object",
    "ingest_failure_item",
    "item_result",
    "parse_bulk",
    "response",
    "unknown_pipeline_item",
]

#: The operations of a bulk body, in the order Elasticsearch's messages list them.
OPS = ("create", "delete", "index", "update")
#: ``Versions.MATCH_ANY``: the version of a request that names none.
MATCH_ANY_VERSION = -3
#: ``Versions.MATCH_DELETED``: the version a ``create`` resolves to.
MATCH_DELETED_VERSION = -4
#: ``SequenceNumbers.UNASSIGNED_SEQ_NO`` / ``UNASSIGNED_PRIMARY_TERM``.
UNASSIGNED_SEQ_NO = -2
UNASSIGNED_PRIMARY_TERM = 0
#: ``DocWriteRequest.MAX_DOCUMENT_ID_LENGTH_IN_BYTES``.
MAX_ID_BYTES = 512
#: The ``_id`` of a dropped or ingest-failed item whose request had none.
AUTO_GENERATED_ID = "auto-generated"
#: The REST API version of the current Elasticsearch major.
CURRENT_REST_API = 9

#: ``VersionType.fromString``: accepted names and the type they mean.
_VERSION_TYPES = {"internal": "INTERNAL", "external": "EXTERNAL", "external_gt": "EXTERNAL", "external_gte": "EXTERNAL_GTE"}
#: Action-line fields kept verbatim in :attr:`Action.params` (scalar values).
_SCALAR_PARAMS = frozenset(
    {"version", "if_seq_no", "if_primary_term", "retry_on_conflict", "_source", "require_alias",
     "require_data_stream", "list_executed_pipelines"}
)
#: Fields ``UpdateRequest``'s parser declares.
_UPDATE_FIELDS = frozenset(
    {"script", "scripted_upsert", "upsert", "doc", "doc_as_upsert", "detect_noop", "_source", "if_seq_no", "if_primary_term"}
)
_BOM = b"\xef\xbb\xbf"


class BulkRequestError(Exception):
    """A whole request Elasticsearch refuses (status 400 mostly)."""

    status: int
    body: dict

    def __init__(self, status: int, body: dict) -> None:
        super().__init__(body.get("error", {}).get("reason", "bulk request refused"))
        self.status = status
        self.body = body


@dataclass
class Action:
    """One action of a bulk body, with the values Elasticsearch's parser keeps.

    ``op`` is the key of the answer's item: an ``index`` action with
    ``op_type: create`` is a ``create``. ``pipeline`` and ``routing`` are the
    action's values, or :func:`parse_bulk`'s defaults when given (as the
    ``?pipeline=``/``?routing=`` request parameters are in Elasticsearch);
    ``None`` also for an explicit JSON ``null``. A ``delete`` has no pipeline.
    ``source`` is the document as an ingest pipeline reads it (``{}`` for a
    JSON value that is not an object), the update body for ``update``,
    ``None`` for ``delete``. ``raw`` is the document line exactly as sent
    (``\\r`` trimmed), and ``source_error`` the per-item error Elasticsearch
    answers when a pipeline cannot read it (then ``source`` is ``{}``).
    """

    op: str
    index: str | None
    id: str | None
    routing: str | None
    pipeline: str | None
    source: dict | None
    params: dict
    line: int
    raw: bytes | None = None
    source_error: dict | None = None


# ---------------------------------------------------------------------------
# Error bodies


def error_object(error_type: str, reason: str, **fields: Any) -> dict:
    """An exception as Elasticsearch renders it inside an item or a cause:
    ``type``, ``reason``, metadata fields, then ``caused_by`` and ``header``."""
    caused_by = fields.pop("caused_by", None)
    header = fields.pop("header", None)
    obj: dict[str, Any] = {"type": error_type, "reason": reason, **fields}
    if caused_by is not None:
        obj["caused_by"] = caused_by
    if header is not None:
        obj["header"] = header
    return obj


def error_body(status: int, error_type: str, reason: str, **fields: Any) -> dict:
    """The body of a refused request: ``{"error": {"root_cause": [...], ...}, "status"}``.

    ``root_cause`` is the error itself without its ``caused_by``, which is
    what Elasticsearch guesses when the cause is not an Elasticsearch
    exception (all the cases this module produces); pass ``root_cause=[...]``
    to state it explicitly."""
    root_cause = fields.pop("root_cause", None)
    top = error_object(error_type, reason, **fields)
    if root_cause is None:
        root_cause = [{key: value for key, value in top.items() if key != "caused_by"}]
    return {"error": {"root_cause": root_cause, **top}, "status": status}


def _illegal_argument(reason: str) -> BulkRequestError:
    """An ``IllegalArgumentException`` of the parser: ``RestBulkAction`` answers it as is, 400."""
    return BulkRequestError(400, error_body(400, "illegal_argument_exception", reason))


def _malformed(line: int, detail: str) -> BulkRequestError:
    return _illegal_argument(f"Malformed action/metadata line [{line}], {detail}")


def _unknown_parameter(line: int, name: str) -> BulkRequestError:
    return _illegal_argument(f"Action/metadata line [{line}] contains an unknown parameter [{name}]")


# ---------------------------------------------------------------------------
# A JSON tokenizer with Jackson's grammar as Elasticsearch configures it

_START_OBJECT = "START_OBJECT"
_END_OBJECT = "END_OBJECT"
_START_ARRAY = "START_ARRAY"
_END_ARRAY = "END_ARRAY"
_FIELD_NAME = "FIELD_NAME"
_VALUE_STRING = "VALUE_STRING"
_VALUE_NUMBER = "VALUE_NUMBER"
_VALUE_BOOLEAN = "VALUE_BOOLEAN"
_VALUE_NULL = "VALUE_NULL"
#: Tokens ``XContentParser.Token.isValue()`` is true for.
_SCALARS = frozenset({_VALUE_STRING, _VALUE_NUMBER, _VALUE_BOOLEAN})
_VALID_VALUE = "expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
_TOKEN_EXPECTED = "was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"

_SIMPLE_STRING = re.compile(rb'"([^"\\\x00-\x1f]*)"')
_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_WORD = re.compile(rb"[A-Za-z0-9_$]+")
_ESCAPES = {0x22: '"', 0x5C: "\\", 0x2F: "/", 0x62: "\b", 0x66: "\f", 0x6E: "\n", 0x72: "\r", 0x74: "\t"}

Token = tuple  # (kind, value): value is the name, the string, the number's text, the boolean or None

# Frame states: just opened, waiting for a field's value (objects), after a value.
_OPENED, _EXPECT_VALUE, _AFTER_VALUE = 0, 1, 2


class _JsonSyntaxError(Exception):
    """A JSON error where Jackson raises it: ``eof`` for ``JsonEOFException``,
    ``jackson`` False for errors of Elasticsearch's own object parsers."""

    def __init__(self, message: str, column: int, *, eof: bool = False, jackson: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.eof = eof
        self.jackson = jackson


class _Frame:
    """An open object or array, with the field names seen (duplicates are errors)."""

    __slots__ = ("is_object", "state", "names")

    def __init__(self, is_object: bool) -> None:
        self.is_object = is_object
        self.state = _OPENED
        self.names: set[str] = set()


class _Lexer:
    """A pull tokenizer over one line, like Jackson's ``nextToken``: errors are
    raised at the token where Jackson raises them, so what precedes an error is
    seen first (Elasticsearch refuses an unknown parameter before invalid JSON
    further on). Comments are allowed and duplicate field names refused, as
    ``JsonXContentImpl`` configures Jackson."""

    __slots__ = ("data", "pos", "frames")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 3 if data.startswith(_BOM) else 0
        self.frames: list[_Frame] = []

    # -- errors --------------------------------------------------------------

    def _eof(self) -> _JsonSyntaxError:
        return _JsonSyntaxError("Unexpected end-of-input", len(self.data) + 1, eof=True)

    def _char_desc(self) -> str:
        """Jackson's ``_getCharDesc``: ``'x' (code 120)``."""
        raw = self.data[self.pos:self.pos + 4]
        try:
            char = raw.decode("utf-8")[:1]
        except UnicodeDecodeError:
            char = ""
            for size in (3, 2, 1):
                try:
                    char = raw[:size].decode("utf-8")[:1]
                    break
                except UnicodeDecodeError:
                    continue
        if not char:
            return f"(code {raw[0]} / 0x{raw[0]:x})"
        code = ord(char)
        if code < 32:
            return f"(CTRL-CHAR, code {code})"
        if code > 255:
            return f"'{char}' (code {code} / 0x{code:x})"
        return f"'{char}' (code {code})"

    def _unexpected(self, detail: str) -> _JsonSyntaxError:
        return _JsonSyntaxError(f"Unexpected character ({self._char_desc()}): {detail}", self.pos + 2)

    # -- whitespace and comments --------------------------------------------

    def skip_blank(self) -> bool:
        """Skip white space and comments; whether a character is left."""
        data, pos, end = self.data, self.pos, len(self.data)
        while pos < end:
            c = data[pos]
            if c in (0x20, 0x09, 0x0A, 0x0D):
                pos += 1
            elif c == 0x2F:  # '/': a comment
                after = data[pos + 1] if pos + 1 < end else None
                if after == 0x2A:
                    close = data.find(b"*/", pos + 2)
                    if close < 0:
                        self.pos = end
                        raise self._eof()
                    pos = close + 2
                elif after == 0x2F:
                    pos = end
                else:
                    self.pos = pos + 1
                    if after is None:
                        raise self._eof()
                    raise self._unexpected("was expecting either '*' or '/' for a comment")
            elif c < 0x20:
                self.pos = pos
                raise _JsonSyntaxError(
                    f"Illegal character ((CTRL-CHAR, code {c})): only regular white space (\\r, \\n, \\t) is allowed between tokens",
                    pos + 2,
                )
            else:
                break
        self.pos = pos
        return pos < end

    # -- tokens ----------------------------------------------------------------

    def next_token(self) -> Token | None:
        """The next token; ``None`` only at the end of input outside any object or array."""
        if not self.frames:
            return self._value(None) if self.skip_blank() else None
        frame = self.frames[-1]
        if not self.skip_blank():
            raise self._eof()
        c = self.data[self.pos]
        if frame.is_object:
            if frame.state == _EXPECT_VALUE:
                return self._value(frame)
            if c == 0x7D:  # '}'
                return self._close()
            if frame.state == _AFTER_VALUE:
                if c != 0x2C:
                    raise self._unexpected("was expecting comma to separate Object entries")
                self.pos += 1
                if not self.skip_blank():
                    raise self._eof()
            return self._field_name(frame)
        if c == 0x5D:  # ']'
            return self._close()
        if frame.state == _AFTER_VALUE:
            if c != 0x2C:
                raise self._unexpected("was expecting comma to separate Array entries")
            self.pos += 1
            if not self.skip_blank():
                raise self._eof()
        return self._value(frame)

    def _close(self) -> Token:
        frame = self.frames.pop()
        self.pos += 1
        return (_END_OBJECT if frame.is_object else _END_ARRAY, None)

    def _field_name(self, frame: _Frame) -> Token:
        if self.data[self.pos] != 0x22:
            raise self._unexpected("was expecting double-quote to start field name")
        name = self._string()
        if not self.skip_blank():
            raise self._eof()
        if self.data[self.pos] != 0x3A:
            raise self._unexpected("was expecting a colon to separate field name and value")
        self.pos += 1
        if name in frame.names:
            raise _JsonSyntaxError(f"Duplicate field '{name}'", self.pos + 1)
        frame.names.add(name)
        frame.state = _EXPECT_VALUE
        return (_FIELD_NAME, name)

    def _value(self, frame: _Frame | None) -> Token:
        data = self.data
        c = data[self.pos]
        if frame is not None:
            frame.state = _AFTER_VALUE
        if c == 0x7B or c == 0x5B:  # '{' '['
            self.pos += 1
            self.frames.append(_Frame(c == 0x7B))
            return (_START_OBJECT, None) if c == 0x7B else (_START_ARRAY, None)
        if c == 0x22:
            return (_VALUE_STRING, self._string())
        if c == 0x2D or 0x30 <= c <= 0x39:
            return self._number()
        word = _WORD.match(data, self.pos)
        if word is None:
            raise self._unexpected(_VALID_VALUE)
        text = word.group()
        self.pos = word.end()
        if text == b"true":
            return (_VALUE_BOOLEAN, True)
        if text == b"false":
            return (_VALUE_BOOLEAN, False)
        if text == b"null":
            return (_VALUE_NULL, None)
        raise _JsonSyntaxError(f"Unrecognized token '{text.decode('utf-8', 'replace')}': {_TOKEN_EXPECTED}", self.pos + 1)

    def _number(self) -> Token:
        data = self.data
        match = _NUMBER.match(data, self.pos)
        if match is None:  # a lone minus sign
            self.pos += 1
            if self.pos >= len(data):
                raise self._eof()
            raise _JsonSyntaxError(
                f"Unexpected character ({self._char_desc()}) in numeric value: expected digit (0-9) to follow minus sign, "
                "for valid numeric value",
                self.pos + 2,
            )
        text = match.group()
        end = match.end()
        if text in (b"0", b"-0") and end < len(data) and 0x30 <= data[end] <= 0x39:
            raise _JsonSyntaxError("Invalid numeric value: Leading zeroes not allowed", end + 1)
        self.pos = end
        return (_VALUE_NUMBER, text.decode("ascii"))

    def _string(self) -> str:
        """A string starting at the current quote; the position moves past its end."""
        data = self.data
        simple = _SIMPLE_STRING.match(data, self.pos)
        if simple is not None:
            try:
                text = simple.group(1).decode("utf-8")
            except UnicodeDecodeError as exc:
                self.pos += 1 + exc.start
                raise _JsonSyntaxError(f"Invalid UTF-8 start byte 0x{data[self.pos]:x}", self.pos + 2) from None
            self.pos = simple.end()
            return text
        return self._escaped_string()

    def _escaped_string(self) -> str:
        data, end = self.data, len(self.data)
        pos = self.pos + 1
        chunks: list[str] = []
        start = pos
        while True:
            if pos >= end:
                self.pos = end
                raise self._eof()
            c = data[pos]
            if c == 0x22:
                chunks.append(self._decode(start, pos))
                self.pos = pos + 1
                return _join_surrogates("".join(chunks))
            if c < 0x20:
                self.pos = pos
                raise _JsonSyntaxError(
                    f"Illegal unquoted character ((CTRL-CHAR, code {c})): has to be escaped using backslash to be "
                    "included in string value",
                    pos + 2,
                )
            if c != 0x5C:
                pos += 1
                continue
            chunks.append(self._decode(start, pos))
            if pos + 1 >= end:
                self.pos = end
                raise self._eof()
            escape = data[pos + 1]
            if escape in _ESCAPES:
                chunks.append(_ESCAPES[escape])
                pos += 2
            elif escape == 0x75:  # \uXXXX
                digits = data[pos + 2:pos + 6]
                if len(digits) < 4:
                    self.pos = end
                    raise self._eof()
                try:
                    chunks.append(chr(int(digits, 16)))
                except ValueError:
                    self.pos = pos + 2
                    raise _JsonSyntaxError(
                        "Unexpected character (" + self._char_desc() + "): expected a hex-digit for character escape sequence",
                        pos + 4,
                    ) from None
                pos += 6
            else:
                self.pos = pos + 1
                raise _JsonSyntaxError(f"Unrecognized character escape {self._char_desc()}", pos + 3)
            start = pos

    def _decode(self, start: int, end: int) -> str:
        try:
            return self.data[start:end].decode("utf-8")
        except UnicodeDecodeError as exc:
            self.pos = start + exc.start
            raise _JsonSyntaxError(f"Invalid UTF-8 start byte 0x{self.data[self.pos]:x}", self.pos + 2) from None

    def read_value(self, token: Token) -> Any:
        """The JSON value starting with ``token``, as Python objects."""
        return _read_value(self, token)


class _Replay:
    """The tokens of a line that :func:`json.loads` already parsed (strict JSON,
    no duplicate keys), in the same order :class:`_Lexer` gives them: the fast
    path for the common case, with the very same semantics downstream."""

    __slots__ = ("_tokens",)

    def __init__(self, value: Any) -> None:
        self._tokens = _tokens_of(value)

    def next_token(self) -> Token | None:
        return next(self._tokens, None)

    def read_value(self, token: Token) -> Any:
        return _read_value(self, token)


class _Number(str):
    """A JSON number as written (``json.loads``' ``parse_int``/``parse_float``)."""

    __slots__ = ()


class _Pairs(list):
    """A JSON object as its ``(name, value)`` pairs, in order."""

    __slots__ = ()


def _ordered_pairs(pairs: list[tuple[str, Any]]) -> _Pairs:
    if len({name for name, _ in pairs}) != len(pairs):
        raise _DuplicateField()
    return _Pairs(pairs)


def _tokens_of(value: Any) -> Iterator[Token]:
    """The token stream of a parsed value."""
    if isinstance(value, _Pairs):
        yield (_START_OBJECT, None)
        for name, item in value:
            yield (_FIELD_NAME, name)
            yield from _tokens_of(item)
        yield (_END_OBJECT, None)
    elif isinstance(value, list):
        yield (_START_ARRAY, None)
        for item in value:
            yield from _tokens_of(item)
        yield (_END_ARRAY, None)
    elif isinstance(value, _Number):
        yield (_VALUE_NUMBER, str(value))
    elif isinstance(value, str):
        yield (_VALUE_STRING, value)
    elif value is None:
        yield (_VALUE_NULL, None)
    else:
        yield (_VALUE_BOOLEAN, value)


def _tokens(data: bytes) -> _Lexer | _Replay:
    """A token source for one line: :class:`_Replay` when the line is strict
    JSON without duplicate keys, else the :class:`_Lexer`, which also accepts
    comments and places errors where Jackson does."""
    try:
        return _Replay(_ACTION_DECODER.decode(_utf8(data)))
    except (ValueError, RecursionError):
        return _Lexer(data)


def _utf8(data: bytes) -> str:
    """A line as text, without the byte order mark Jackson's bootstrapper skips (invalid UTF-8 raises)."""
    return data[3:].decode("utf-8") if data.startswith(_BOM) else data.decode("utf-8")


def _read_value(tokens: _Lexer | _Replay, token: Token) -> Any:
    """The JSON value starting with ``token``, as Python objects."""
    kind = token[0]
    if kind == _START_OBJECT:
        obj: dict[str, Any] = {}
        while True:
            name = tokens.next_token()
            if name[0] == _END_OBJECT:  # type: ignore[index]
                return obj
            obj[name[1]] = _read_value(tokens, tokens.next_token())  # type: ignore[index,arg-type]
    if kind == _START_ARRAY:
        items: list[Any] = []
        while True:
            item = tokens.next_token()
            if item[0] == _END_ARRAY:  # type: ignore[index]
                return items
            items.append(_read_value(tokens, item))  # type: ignore[arg-type]
    if kind == _VALUE_NUMBER:
        return _number_value(token[1])
    return token[1]


def _join_surrogates(text: str) -> str:
    """Combine UTF-16 surrogate pairs written as two ``\\u`` escapes into one character."""
    if not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")


def _number_value(text: str) -> int | float:
    """A JSON number's value (integers stay exact, as Jackson reads them as long or BigInteger)."""
    if "." in text or "e" in text or "E" in text:
        return float(text)
    return int(text)


def _text(token: Token) -> str:
    """``XContentParser.text()`` of a scalar: the number as written, ``true``/``false``."""
    kind, value = token
    if kind == _VALUE_BOOLEAN:
        return "true" if value else "false"
    return value


def _scalar(token: Token) -> Any:
    """A scalar token's value for :attr:`Action.params`."""
    return _number_value(token[1]) if token[0] == _VALUE_NUMBER else token[1]


def _cause(exc: _JsonSyntaxError, data: bytes) -> dict:
    """The ``caused_by`` Elasticsearch shows for a JSON error (see the module notes: approximate)."""
    location = f"[1:{exc.column}]"
    if exc.eof:
        return error_object("x_content_e_o_f_exception", f"{location} Unexpected end of file")
    if not exc.jackson:
        return error_object("x_content_parse_exception", f"{location} {exc.message}")
    text = data.decode("utf-8", "replace")
    if len(data) > 500:
        text = data[:500].decode("utf-8", "replace") + f'"[truncated {len(data) - 500} bytes]'
        source = f"(byte[])\"{text}"
    else:
        source = f'(byte[])"{text}"'
    return error_object(
        "x_content_parse_exception",
        f"{location} {exc.message}\n at [Source: {source}; line: 1, column: {exc.column}]",
    )


def _unparsable(exc: _JsonSyntaxError, data: bytes) -> BulkRequestError:
    """``RestBulkAction.parseFailureException``: a failure other than an IllegalArgumentException."""
    return BulkRequestError(
        400, error_body(400, "parse_exception", "could not parse bulk request body", caused_by=_cause(exc, data))
    )


# ---------------------------------------------------------------------------
# Parsing


@dataclass
class _Options:
    default_index: str | None
    default_routing: str | None
    default_pipeline: str | None
    api: int
    allow_explicit_index: bool


@dataclass
class _Meta:
    """What an action line sets, before the request is built."""

    index: str | None
    routing: str | None
    pipeline: str | None
    id: str | None = None
    op_type: str | None = None
    params: dict = field(default_factory=dict)


def parse_bulk(
    body: bytes,
    default_index: str | None = None,
    *,
    default_routing: str | None = None,
    default_pipeline: str | None = None,
    compatible_with: int | None = None,
    allow_explicit_index: bool = True,
) -> list[Action]:
    """The actions of an NDJSON bulk body, or :class:`BulkRequestError` as Elasticsearch refuses it.

    ``default_index`` is the path's ``{index}``; ``default_routing`` and
    ``default_pipeline`` the ``routing``/``pipeline`` request parameters
    (both optional: when left ``None`` an action's values are its own);
    ``compatible_with`` the ``compatible-with`` of the request's
    ``Accept``/``Content-Type`` (``None``: the current REST API, 9);
    ``allow_explicit_index`` the cluster's
    ``rest.action.multi.allow_explicit_index``."""
    if not body:
        raise BulkRequestError(400, error_body(400, "parse_exception", "request body is required"))
    options = _Options(
        default_index, default_routing, default_pipeline,
        CURRENT_REST_API if compatible_with is None else compatible_with, allow_explicit_index,
    )
    actions: list[Action] = []
    pending: Action | None = None
    line = 0
    start = 0
    size = len(body)
    while True:
        newline = body.find(b"\n", start)
        if newline < 0:
            if start != size:
                raise _illegal_argument("The bulk request must be terminated by a newline [\\n]")
            break
        line += 1
        chunk = body[start:newline]
        start = newline + 1
        if pending is None:
            action = _parse_action_line(chunk, line, options)
            if action is None:
                continue
            if action.op == "delete":
                actions.append(action)
            else:
                pending = action
        else:
            _read_document_line(pending, chunk[:-1] if chunk.endswith(b"\r") else chunk)
            actions.append(pending)
            pending = None
    # A trailing action whose document line never came is ignored, as Elasticsearch's parser does.
    _validate(actions)
    return actions


#: Action-line fields the fast path takes (string values only).
_FAST_FIELDS = frozenset(("_index", "_id", "routing", "pipeline"))


def _fast_action(data: bytes, line: int, options: _Options) -> Action | None:
    """The action lines shippers send (``{"index":{"_index":"logs","_id":"x"}}``)
    read by orjson; None for anything else, which the tokenizer then reads
    with all of Elasticsearch's rules and messages. Only a line both would
    read alike is taken: one action, string values of the common fields, and
    as many ``":`` as keys (a duplicate key, which orjson would silently
    merge, has one more)."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if type(value) is not dict or len(value) != 1:
        return None
    (op, fields), = value.items()
    if op not in ("index", "create") or type(fields) is not dict or not fields.keys() <= _FAST_FIELDS:
        return None
    if data.count(b'":') != len(fields) + 1 or any(type(v) is not str for v in fields.values()):
        return None
    if "_index" in fields and not options.allow_explicit_index:
        return None
    return Action(
        op,
        fields.get("_index", options.default_index),
        fields.get("_id"),
        fields.get("routing", options.default_routing),
        fields.get("pipeline", options.default_pipeline),
        None,
        {},
        line,
    )


def _parse_action_line(data: bytes, line: int, options: _Options) -> Action | None:
    """One action line; ``None`` for a blank line (Elasticsearch skips those)."""
    fast = _fast_action(data, line, options)
    if fast is not None:
        return fast
    lexer = _tokens(data)
    try:
        token = lexer.next_token()
        if token is None:
            return None
        if token[0] != _START_OBJECT:
            raise _malformed(line, f"expected START_OBJECT but found [{token[0]}]")
        token = lexer.next_token()
        if token[0] != _FIELD_NAME:  # type: ignore[index]
            raise _malformed(line, f"expected FIELD_NAME but found [{token[0]}]")  # type: ignore[index]
        op = token[1]  # type: ignore[index]
        if op not in OPS:
            raise _malformed(line, f"expected field [create], [delete], [index] or [update] but found [{op}]")
        meta = _Meta(options.default_index, options.default_routing, options.default_pipeline)
        token = lexer.next_token()
        if token[0] == _START_OBJECT:  # type: ignore[index]
            _read_metadata(lexer, line, options, meta)
        elif token[0] != _END_OBJECT:  # type: ignore[index]
            raise _malformed(line, f"expected START_OBJECT or END_OBJECT but found [{token[0]}]")  # type: ignore[index]
        _check_closed(lexer, line, options.api)
    except _JsonSyntaxError as exc:
        raise _unparsable(exc, data) from None
    return _build_action(op, meta, line)


def _read_metadata(lexer: _Lexer | _Replay, line: int, options: _Options, meta: _Meta) -> None:
    """The fields of ``{"index": {...}}``, in order, as ``BulkRequestParser`` reads them."""
    name: str | None = None
    while True:
        token = lexer.next_token()
        kind = token[0]  # type: ignore[index]
        if kind == _END_OBJECT:
            return
        if kind == _FIELD_NAME:
            name = token[1]  # type: ignore[index]
        elif kind in _SCALARS:
            _apply_field(meta, name, token, line, options)  # type: ignore[arg-type]
        elif kind == _START_ARRAY:
            raise _malformed(line, f"expected a simple value for field [{name}] but found [START_ARRAY]")
        elif kind == _START_OBJECT and name in ("dynamic_templates", "_source"):
            meta.params[name] = lexer.read_value(token)  # type: ignore[arg-type]
        elif kind != _VALUE_NULL:
            raise _malformed(line, f"expected a simple value for field [{name}] but found [{kind}]")


def _apply_field(meta: _Meta, name: str, token: Token, line: int, options: _Options) -> None:
    """One scalar field of an action line."""
    if name == "_index":
        if not options.allow_explicit_index:
            raise _illegal_argument("explicit index in bulk is not allowed")
        meta.index = _text(token)
    elif name == "_type":
        if options.api >= 8:
            raise _unknown_parameter(line, name)
        # REST API 7 compatibility: accepted (Elasticsearch logs a deprecation) and dropped.
    elif name == "_id":
        meta.id = _text(token)
    elif name == "routing":
        meta.routing = _text(token)
    elif name == "op_type":
        meta.op_type = _text(token)
    elif name == "pipeline":
        meta.pipeline = _text(token)
    elif name == "version_type":
        if _text(token) not in _VERSION_TYPES:
            raise _illegal_argument(f"No version type match [{_text(token)}]")
        meta.params[name] = _text(token)
    elif name in _SCALAR_PARAMS:
        meta.params[name] = _scalar(token)
    else:
        raise _unknown_parameter(line, name)


def _check_closed(lexer: _Lexer | _Replay, line: int, api: int) -> None:
    """``checkBulkActionIsProperlyClosed``: strict for REST API 9, a deprecation only before."""
    try:
        token = lexer.next_token()
    except _JsonSyntaxError as exc:
        if exc.eof and api < 9:
            return
        raise
    if token is None or token[0] != _END_OBJECT:
        if api < 9:
            return
        raise _malformed(line, f"expected END_OBJECT but found [{token[0] if token else None}]")
    if lexer.next_token() is not None and api >= 9:
        raise _malformed(line, "unexpected data after the closing brace")


def _as_long(value: Any) -> int | None:
    """``parser.longValue()`` for the values it can read; ``None`` otherwise (left to the target)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    try:
        return int(str(value))
    except ValueError:
        try:
            return int(float(str(value)))
        except (ValueError, OverflowError):
            return None


def _is_true(value: Any) -> bool:
    """``parser.booleanValue()`` of a value (``true`` or the string ``"true"``)."""
    return value is True or value == "true"


def _build_action(op: str, meta: _Meta, line: int) -> Action:
    """The request the action line describes, with the checks Elasticsearch makes while building it."""
    params = meta.params
    if op == "delete":
        if params.get("dynamic_templates"):
            raise _illegal_argument(f"Delete request in line [{line}] does not accept dynamic_templates")
        _check_sequence_params(params)
        return Action("delete", meta.index, meta.id, meta.routing, None, None, params, line)
    if op == "update":
        version = _as_long(params.get("version"))
        version_type = _VERSION_TYPES.get(params.get("version_type", "internal"), "INTERNAL")
        if (version is not None and version != MATCH_ANY_VERSION) or version_type != "INTERNAL":
            raise _illegal_argument(
                "Update requests do not support versioning. Please use `if_seq_no` and `if_primary_term` instead"
            )
        if _is_true(params.get("require_data_stream")):
            raise _illegal_argument(
                "Update requests do not support the `require_data_stream` flag, as data streams do not support update operations"
            )
        if params.get("dynamic_templates"):
            raise _illegal_argument(f"Update request in line [{line}] does not accept dynamic_templates")
    elif op == "index" and meta.op_type == "create":
        op = "create"
    _check_sequence_params(params)
    return Action(op, meta.index, meta.id, meta.routing, meta.pipeline, None, params, line)


def _check_sequence_params(params: dict) -> None:
    """``setIfSeqNo``/``setIfPrimaryTerm`` refuse negative values while the request is built."""
    seq_no = _as_long(params.get("if_seq_no"))
    if seq_no is not None and seq_no < 0 and seq_no != UNASSIGNED_SEQ_NO:
        raise _illegal_argument(f"sequence numbers must be non negative. got [{seq_no}].")
    term = _as_long(params.get("if_primary_term"))
    if term is not None and term < 0:
        raise _illegal_argument(f"primary term must be non negative. got [{term}]")


def _read_document_line(action: Action, data: bytes) -> None:
    """The line after an ``index``/``create``/``update`` action."""
    if action.op == "update":
        action.source = _read_update_body(data)
        return
    action.raw = data
    action.source, action.source_error = _read_document(data)


def _read_update_body(data: bytes) -> dict:
    """An update body, parsed (as Elasticsearch does while parsing the bulk body): errors refuse the request.

    Always the tokenizer: update lines are rare, and its position locates the
    errors of ``UpdateRequest``'s own parser."""
    lexer = _Lexer(data)
    try:
        token = lexer.next_token()
        if token is None or token[0] != _START_OBJECT:
            found = token[0] if token else "null"
            raise _JsonSyntaxError(f"[UpdateRequest] Expected START_OBJECT but was: {found}", 1, jackson=False)
        body: dict[str, Any] = {}
        while True:
            token = lexer.next_token()
            if token[0] == _END_OBJECT:  # type: ignore[index]
                return body
            name = token[1]  # type: ignore[index]
            if name not in _UPDATE_FIELDS:
                raise _JsonSyntaxError(f"[UpdateRequest] unknown field [{name}]", lexer.pos, jackson=False)
            value = lexer.next_token()
            if name in ("doc", "upsert") and value[0] != _START_OBJECT:  # type: ignore[index]
                raise _JsonSyntaxError(
                    f"[UpdateRequest] {name} doesn't support values of type: {value[0]}", lexer.pos, jackson=False  # type: ignore[index]
                )
            body[name] = lexer.read_value(value)  # type: ignore[arg-type]
    except _JsonSyntaxError as exc:
        raise _unparsable(exc, data) from None
    except RecursionError:
        raise _unparsable(_JsonSyntaxError("Document nesting depth exceeds the maximum allowed", 1), data) from None


class _DuplicateField(ValueError):
    """A repeated key: Jackson's strict duplicate detection refuses it."""


def _unique_object(pairs: list[tuple[str, Any]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _DuplicateField()
    return obj


def _non_standard(name: str) -> Any:
    raise ValueError(name)


#: Stateless decoders, built once (building one per line costs more than decoding the line).
_ACTION_DECODER = json.JSONDecoder(
    object_pairs_hook=_ordered_pairs, parse_int=_Number, parse_float=_Number, parse_constant=_non_standard
)
_DOCUMENT_DECODER = json.JSONDecoder(object_pairs_hook=_unique_object, parse_constant=_non_standard)


def _read_document(data: bytes) -> tuple[dict, dict | None]:
    """The document as an ingest pipeline reads it (``XContentHelper.convertToMap``), or its per-item error.

    Fast path: strict JSON without duplicate keys; anything else goes through
    the tokenizer, which reproduces the lenient reader and its errors."""
    try:
        value = _DOCUMENT_DECODER.decode(_utf8(data))
    except (ValueError, RecursionError):
        return _read_document_slowly(data)
    return (value if isinstance(value, dict) else {}), None


def _read_document_slowly(data: bytes) -> tuple[dict, dict | None]:
    """``readMapSafe``: a first token other than ``{`` gives ``{}`` (strings and
    arrays are not even read), text after the object is never read."""
    lexer = _Lexer(data)
    try:
        if not lexer.skip_blank() or data[lexer.pos] in b'"[':
            return {}, None
        token = lexer.next_token()
        if token is None or token[0] != _START_OBJECT:
            return {}, None
        return lexer.read_value(token), None
    except _JsonSyntaxError as exc:
        return {}, error_object("parse_exception", "Failed to parse content to map", caused_by=_cause(exc, data))
    except RecursionError:
        exc = _JsonSyntaxError("Document nesting depth exceeds the maximum allowed", 1)
        return {}, error_object("parse_exception", "Failed to parse content to map", caused_by=_cause(exc, data))


# ---------------------------------------------------------------------------
# Validation (TransportAction.execute validates before anything runs)


def _validate(actions: list[Action]) -> None:
    """``BulkRequest.validate``: every request's errors, numbered, in one exception."""
    errors: list[str] = [] if actions else ["no requests added"]
    for action in actions:
        errors.extend(_request_errors(action))
    if errors:
        reason = "Validation Failed: " + "".join(f"{n}: {error};" for n, error in enumerate(errors, 1))
        raise BulkRequestError(400, error_body(400, "action_request_validation_exception", reason))


def _request_errors(action: Action) -> list[str]:
    """One request's ``validate()``, in Elasticsearch's order."""
    errors = ["index is missing"] if action.index is None else []
    params = action.params
    seq_no = _as_long(params.get("if_seq_no"))
    seq_no = UNASSIGNED_SEQ_NO if seq_no is None else seq_no
    term = _as_long(params.get("if_primary_term"))
    term = UNASSIGNED_PRIMARY_TERM if term is None else term
    if action.op == "delete":
        if not action.id:
            errors.append("id is missing")
        version = _as_long(params.get("version"))
        errors += _cas_errors(MATCH_ANY_VERSION if version is None else version, _version_type(params), seq_no, term)
        return errors
    if action.op == "update":
        return errors + _update_errors(action, seq_no, term)
    return errors + _index_errors(action, seq_no, term)


def _version_type(params: dict) -> str:
    return _VERSION_TYPES.get(params.get("version_type", "internal"), "INTERNAL")


def _index_errors(action: Action, seq_no: int, term: int) -> list[str]:
    """``IndexRequest.validate`` (source and content type are always present here)."""
    params = action.params
    version = _as_long(params.get("version"))
    version = MATCH_ANY_VERSION if version is None else version
    version_type = _version_type(params)
    if action.op == "create" and version == MATCH_ANY_VERSION:
        version = MATCH_DELETED_VERSION
    if action.op == "create":
        if version_type != "INTERNAL":
            return ["create operations only support internal versioning. use index instead"]
        if version != MATCH_DELETED_VERSION:
            return ["create operations do not support explicit versions. use index instead"]
        if seq_no != UNASSIGNED_SEQ_NO or term != UNASSIGNED_PRIMARY_TERM:
            return ["create operations do not support compare and set. use index instead"]
    errors: list[str] = []
    if action.id is None and (version_type != "INTERNAL" or version not in (MATCH_DELETED_VERSION, MATCH_ANY_VERSION)):
        errors.append("an id must be provided if version type or value are set")
    errors += _cas_errors(version, version_type, seq_no, term)
    errors += _id_length_errors(action.id)
    if action.pipeline == "":
        errors.append("pipeline cannot be an empty string")
    return errors


def _update_errors(action: Action, seq_no: int, term: int) -> list[str]:
    """``UpdateRequest.validate`` (the body's ``if_seq_no``/``if_primary_term`` win, as its parser sets them last)."""
    body = action.source or {}
    if _as_long(body.get("if_seq_no")) is not None:
        seq_no = _as_long(body["if_seq_no"])  # type: ignore[assignment]
    if _as_long(body.get("if_primary_term")) is not None:
        term = _as_long(body["if_primary_term"])  # type: ignore[assignment]
    errors = [] if action.id else ["id is missing"]
    errors += _cas_errors(MATCH_ANY_VERSION, "INTERNAL", seq_no, term)
    if seq_no != UNASSIGNED_SEQ_NO:
        if (_as_long(action.params.get("retry_on_conflict")) or 0) > 0:
            errors.append("compare and write operations can not be retried")
        if _is_true(body.get("doc_as_upsert")):
            errors.append("compare and write operations can not be used with upsert")
        if "upsert" in body:
            errors.append("upsert requests don't support `if_seq_no` and `if_primary_term`")
    if "script" not in body and "doc" not in body:
        errors.append("script or doc is missing")
    if "script" in body and "doc" in body:
        errors.append("can't provide both script and doc")
    if "doc" not in body and _is_true(body.get("doc_as_upsert")):
        errors.append("doc must be specified if doc_as_upsert is enabled")
    return errors + _id_length_errors(action.id)


def _cas_errors(version: int, version_type: str, seq_no: int, term: int) -> list[str]:
    """``DocWriteRequest.validateSeqNoBasedCASParams``."""
    errors = []
    if version_type == "INTERNAL":
        valid = version > 0 or version in (MATCH_ANY_VERSION, MATCH_DELETED_VERSION)
    else:
        valid = version >= 0
    if not valid:
        errors.append(f"illegal version value [{version}] for version type [{version_type}]")
    if version_type == "INTERNAL" and version not in (MATCH_ANY_VERSION, MATCH_DELETED_VERSION):
        errors.append(
            "internal versioning can not be used for optimistic concurrency control. "
            "Please use `if_seq_no` and `if_primary_term` instead"
        )
    if seq_no != UNASSIGNED_SEQ_NO and (version_type != "INTERNAL" or version != MATCH_ANY_VERSION):
        errors.append("compare and write operations can not use versioning")
    if term == UNASSIGNED_PRIMARY_TERM and seq_no != UNASSIGNED_SEQ_NO:
        errors.append("ifSeqNo is set, but primary term is [0]")
    if term != UNASSIGNED_PRIMARY_TERM and seq_no == UNASSIGNED_SEQ_NO:
        errors.append(f"ifSeqNo is unassigned, but primary term is [{term}]")
    return errors


def _id_length_errors(doc_id: str | None) -> list[str]:
    """``DocWriteRequest.validateDocIdLength``."""
    if doc_id is not None and len(doc_id.encode("utf-8")) > MAX_ID_BYTES:
        length = len(doc_id.encode("utf-8"))
        return [f"id [{doc_id}] is too long, must be no longer than {MAX_ID_BYTES} bytes but was: {length}"]
    return []


# ---------------------------------------------------------------------------
# Items and the response

_SUCCESS_KEYS = frozenset({"_index", "_id", "_version", "result", "forced_refresh", "_shards", "_seq_no", "_primary_term", "status"})
_ERROR_KEYS = frozenset({"_index", "_id", "status", "error"})


def item_result(
    op: str,
    index: str,
    id: str | None,
    status: int,
    *,
    result: str | None = None,
    version: int | None = None,
    seq_no: int | None = None,
    primary_term: int | None = None,
    shards: dict | None = None,
    error: dict | None = None,
    extra: dict | None = None,
    forced_refresh: bool = False,
) -> dict:
    """One entry of ``items``, fields in Elasticsearch's order.

    Success: ``_index, _id, _version, result, [forced_refresh], _shards,
    [_seq_no, _primary_term] (only when seq_no >= 0), [extra...], status``
    (``extra`` holds what a response subclass appends, such as an update's
    ``get``); ``result``, ``version`` and ``shards`` are required. Failure
    (``error`` given): ``_index, _id, [extra...], status, error``; ``_id``
    may be ``None`` (written as ``null``, as Elasticsearch does)."""
    if op not in OPS:
        raise ValueError(f"unknown bulk op {op!r}")
    extra = extra or {}
    reserved = _ERROR_KEYS if error is not None else _SUCCESS_KEYS
    clash = reserved.intersection(extra)
    if clash:
        raise ValueError(f"extra fields {sorted(clash)} are written by item_result itself")
    body: dict[str, Any] = {"_index": index, "_id": id}
    if error is not None:
        body.update(extra)
        body["status"] = status
        body["error"] = error
        return {op: body}
    if result is None or version is None or shards is None:
        raise ValueError("a successful item needs result, version and shards")
    body["_version"] = version
    body["result"] = result
    if forced_refresh:
        body["forced_refresh"] = True
    body["_shards"] = shards
    if seq_no is not None and seq_no >= 0:
        if primary_term is None:
            raise ValueError("seq_no without primary_term")
        body["_seq_no"] = seq_no
        body["_primary_term"] = primary_term
    body.update(extra)
    body["status"] = status
    return {op: body}


def _item_id(action: Action) -> str:
    """The ``_id`` of an item answered before indexing: the request's, else ``auto-generated``."""
    return AUTO_GENERATED_ID if action.id is None else action.id


def dropped_item(action: Action) -> dict:
    """What Elasticsearch answers for a document an ingest pipeline dropped
    (``BulkRequestModifier.markItemAsDropped``, Elasticsearch 8.x/9.x)."""
    if action.op == "update":
        version = MATCH_ANY_VERSION
    else:
        version = _as_long(action.params.get("version"))
        version = MATCH_ANY_VERSION if version is None else version
        if action.op == "create" and version == MATCH_ANY_VERSION:
            version = MATCH_DELETED_VERSION
    return item_result(
        action.op, action.index, _item_id(action), 200,  # type: ignore[arg-type]
        result="noop", version=version, shards={"total": 0, "successful": 0, "failed": 0},
    )


def ingest_failure_item(
    action: Action,
    *,
    error_type: str,
    reason: str,
    status: int,
    processor_type: str | None = None,
    processor_tag: str | None = None,
    pipeline: str | None = None,
    caused_by: dict | None = None,
    failure_store: str | None = None,
) -> dict:
    """What Elasticsearch answers for a document whose ingest pipeline failed.

    The error is the processor's own exception: Elasticsearch wraps it in an
    ``IngestProcessorException`` carrying ``processor_type``,
    ``processor_tag`` and ``pipeline_origin`` headers, but that wrapper is
    unwrapped when the item is rendered (and for its status), so those
    headers never reach a bulk answer; the arguments are accepted for
    callers that log them. ``status`` is the cause's: 500 for a ``fail``
    processor (``FailProcessorException`` is a plain ``RuntimeException``),
    400 for an ``IllegalArgumentException``. ``failure_store`` is the
    ``"failure_store"`` status Elasticsearch appends for data streams
    (``used``, ``not_enabled``, ``failed``); omitted otherwise."""
    del processor_type, processor_tag, pipeline  # not in Elasticsearch's rendering (see above)
    error = error_object(error_type, reason, caused_by=caused_by)
    if failure_store is not None:
        error["failure_store"] = failure_store
    return item_result(action.op, action.index, _item_id(action), status, error=error)  # type: ignore[arg-type]


def unknown_pipeline_item(action: Action, pipeline: str) -> dict:
    """The item for a document naming a pipeline that does not exist (400, per item)."""
    return ingest_failure_item(
        action, error_type="illegal_argument_exception", reason=f"pipeline with id [{pipeline}] does not exist", status=400
    )


def response(took_ms: int, items: list[dict], *, ingest_took_ms: int | None = None) -> dict:
    """The bulk answer: ``errors, took, [ingest_took], items`` (``ingest_took``
    is present when ingest ran, as ``BulkRequestModifier`` sets it)."""
    answer: dict[str, Any] = {"errors": any("error" in body for item in items for body in item.values()), "took": took_ms}
    if ingest_took_ms is not None:
        answer["ingest_took"] = ingest_took_ms
    answer["items"] = items
    return answer


def dumps(value: Any) -> bytes:
    """Compact JSON, the bytes sent on the wire (non-ASCII as UTF-8, as Jackson writes it)."""
    try:
        return orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):  # e.g. integers beyond 64 bits
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


# ---------------------------------------------------------------------------
# filter_path

_MATCH = object()


class _FilterNode:
    """A ``FilterPath`` node: children by exact name, children with ``*``, and whether a path ends here."""

    __slots__ = ("final", "terms", "wildcards", "regex", "double")

    def __init__(self, pattern: str, final: bool) -> None:
        self.final = final
        self.terms: dict[str, _FilterNode] = {}
        self.wildcards: list[_FilterNode] = []
        self.double = pattern == "**"
        self.regex = re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL) if "*" in pattern else None


class _Build:
    __slots__ = ("final", "children")

    def __init__(self, final: bool) -> None:
        self.final = final
        self.children: dict[str, _Build] = {}


def _java_trim(text: str) -> str:
    """``String.trim()``: every character up to U+0020 off both ends."""
    start, end = 0, len(text)
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return text[start:end]


def _insert(path: str, node: _Build) -> None:
    """``FilterPathBuilder.insertNode``: split at the first unescaped dot (not at
    position 0), ``\\.`` is a literal dot, and a path that ends higher up wins."""
    split = -1
    escapes = False
    i = 0
    while i < len(path):
        if path[i] == ".":
            split = i
            break
        if path[i] == "\\" and i + 1 < len(path) and path[i + 1] == ".":
            i += 1
            escapes = True
        i += 1
    if split > 0:
        name = re.sub(r"\\.", ".", path[:split]) if escapes else path[:split]
        child = node.children.get(name)
        if child is None:
            child = node.children[name] = _Build(False)
        if not child.final:
            _insert(path[split + 1:], child)
    else:
        node.children[re.sub(r"\\.", ".", path) if escapes else path] = _Build(True)


def _freeze(pattern: str, build: _Build) -> _FilterNode:
    node = _FilterNode(pattern, build.final)
    for name, child in build.children.items():
        frozen = _freeze(name, child)
        if "*" in name:
            node.wildcards.append(frozen)
        else:
            node.terms[name] = frozen
    return node


def _compile_filters(paths: Iterable[str]) -> _FilterNode:
    """``FilterPath.compile``: paths trimmed, empty ones ignored."""
    root = _Build(False)
    for path in paths:
        path = _java_trim(path)
        if path:
            _insert(path, root)
    return _freeze("", root)


def _advance(nodes: list[_FilterNode], name: str) -> Any:
    """``FilterPath.matches`` over the current nodes: ``_MATCH`` when a path
    ends at ``name``, else the nodes that continue below it (``**`` stays)."""
    following: list[_FilterNode] = []
    for node in nodes:
        term = node.terms.get(name)
        if term is not None:
            if term.final:
                return _MATCH
            following.append(term)
        for wildcard in node.wildcards:
            if wildcard.regex.fullmatch(name):  # type: ignore[union-attr]
                if wildcard.final:
                    return _MATCH
                following.append(wildcard)
        if node.double:
            following.append(node)
    return following


def _filter_container(value: Any, nodes: list[_FilterNode], inclusive: bool) -> Any:
    """An object or array under a partial path: properties kept, dropped or
    filtered further; array elements filtered like the array itself."""
    if isinstance(value, dict):
        kept: dict[str, Any] = {}
        for key, item in value.items():
            step = _advance(nodes, key)
            if step is _MATCH:
                if inclusive:
                    kept[key] = item
            elif not step:
                if not inclusive:
                    kept[key] = item
            else:
                keep, filtered = _filter_child(item, step, inclusive)
                if keep:
                    kept[key] = filtered
        return kept
    elements = []
    for item in value:
        keep, filtered = _filter_child(item, nodes, inclusive)
        if keep:
            elements.append(filtered)
    return elements


def _filter_child(value: Any, nodes: list[_FilterNode], inclusive: bool) -> tuple[bool, Any]:
    """Whether a value under a partial path is written, and what of it.

    Scalars: only when excluding (Jackson's ``_includeScalar``). Containers
    left empty: never when including; when excluding, only if they were
    empty to begin with (``includeEmptyObject/Array(contentsFiltered)``)."""
    if isinstance(value, (dict, list, tuple)):
        filtered = _filter_container(value, nodes, inclusive)
        if filtered:
            return True, filtered
        return (not inclusive and not value), filtered
    return not inclusive, value


def _filter_root(value: Any, root: _FilterNode, inclusive: bool) -> Any:
    """The root object is always written (``JsonXContentGenerator`` bypasses the filter for it)."""
    if isinstance(value, (dict, list, tuple)):
        return _filter_container(value, [root], inclusive)
    return value


def apply_filter_path(value: Any, filter_path: str | None) -> Any:
    """Elasticsearch's ``filter_path`` applied to a response body (success bodies
    only: Elasticsearch never filters an error body). Inclusions first, then
    exclusions (``-path``), as ``JsonXContentGenerator`` stacks the filters."""
    if not filter_path:
        return value
    tokens = {_java_trim(token) for token in filter_path.split(",")}
    tokens.discard("")
    includes = {token for token in tokens if not token.startswith("-")}
    excludes = {token[1:] for token in tokens if token.startswith("-")}
    if includes:
        value = _filter_root(value, _compile_filters(includes), True)
    if excludes:
        value = _filter_root(value, _compile_filters(excludes), False)
    return value
