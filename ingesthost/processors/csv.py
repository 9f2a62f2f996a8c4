"""Elasticsearch's ``csv`` processor: one line of CSV into the fields named by ``target_fields``.

Python's ``csv`` module is not used: Elasticsearch has its own small parser
(``CsvParser`` in ``modules/ingest-common``) whose rules differ from it in
ways a moved pipeline would notice, so the same state machine is written
here, rule for rule:

- a field is unquoted, or starts with ``quote`` (by default ``"``); inside
  quotes a doubled quote is one quote, and separators, line breaks and
  spaces are text;
- spaces and tabs before an opening quote are skipped, and after a closing
  quote they are allowed before the separator (whatever ``trim`` says);
  anything else after a closing quote fails (``character 'x' after quoted
  field at N``), as does a quote, a line feed or a carriage return inside an
  unquoted field (``Illegal character inside unquoted field at N``; the
  field's first character is not checked) and a quote never closed
  (``Unmatched quote``);
- ``trim`` drops spaces and tabs around unquoted fields, except after the
  line's last field (Elasticsearch does not trim that one's end);
- empty fields (two separators in a row, ``""``) are left out, or set to
  ``empty_value`` when the option is there; a separator ending the line
  makes no field at all;
- values past the last target field are ignored (even malformed ones),
  target fields past the last value are not set;
- fields are written as they are parsed, so a line failing half way leaves
  the fields before the failure set (what ``on_failure`` and
  ``ignore_failure`` then see), as in Elasticsearch;
- without ``trim``, blanks before a separator that ends an empty field
  shift where the next field starts: ``x, ,y`` gives ``x`` for the first
  target, nothing for the second and ``,y`` for the third. That is
  Elasticsearch's index arithmetic (``startIndex++`` on a separator between
  fields), kept on purpose.

Positions in messages count UTF-16 code units, as Java's do. Field options
(``field`` and each of ``target_fields``) may be templates, as everywhere
in ingesthost (Elasticsearch reads them literally).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar

from ..document import IngestDocument
from ..errors import PipelineConfigError
from .builtins import (
    _FieldName,
    check_json,
    check_options,
    deep_copy,
    read_bool,
    read_string,
    set_field,
)
from .field_base import FieldProcessor, cast_error, read_strings

__all__ = ["CsvProcessor", "csv_fields"]

_BLANK = " \t"  # what the parser calls whitespace: space and tab only
_ABSENT = object()


def _utf16_index(line: str, index: int) -> int:
    """``index`` counted in UTF-16 code units, as Java counts string positions."""
    if line.isascii():
        return index
    return index + sum(1 for char in line[:index] if ord(char) > 0xFFFF)


def _specials(separator: str, quote: str) -> re.Pattern[str]:
    """What ends an unquoted field's run of ordinary characters."""
    return re.compile("[" + re.escape("\n\r" + quote + separator) + "]")


def csv_fields(
    line: str,
    *,
    separator: str = ",",
    quote: str = '"',
    trim: bool = False,
    limit: int,
    specials: re.Pattern[str] | None = None,
) -> Iterator[str]:
    """The fields of ``line`` in order, as Elasticsearch's ``CsvParser`` reads
    them ("" for an empty field), at most ``limit``; ValueError with
    Elasticsearch's message where it fails. A generator: the fields before a
    failure come out before the error, so a caller writing them as they come
    leaves what Elasticsearch leaves.

    The loop runs once per field rather than once per character (the parser's
    states are the places in it: between fields, in an unquoted field, in a
    quoted one, after a closing quote); ``start`` is where the current field's
    text starts, moved exactly as Elasticsearch's ``startIndex`` moves."""
    if quote not in line and separator not in _BLANK and "\n" not in line and "\r" not in line:
        plain = _plain_fields(line, separator, trim, limit)
        if plain is not None:
            yield from plain
            return
    if specials is None:
        specials = _specials(separator, quote)
    length = len(line)
    produced = 0
    start = index = 0
    while index < length:  # between fields
        char = line[index]
        if char == quote:
            start = search = index + 1
            pieces: list[str] = []
            while True:
                close = line.find(quote, search)
                if close < 0:
                    raise ValueError("Unmatched quote")
                after = close + 1
                if after < length and line[after] == quote:  # a doubled quote: one quote of text
                    pieces.append(line[start:close])
                    pieces.append(quote)
                    start = search = after + 1
                    continue
                break
            text = "".join(pieces) + line[start:close] if pieces else line[start:close]
            if after == length:
                yield text
                return
            char = line[after]
            if char == separator:
                yield text
                produced += 1
                if produced == limit:
                    return
                start = index = after + 1
                continue
            if char not in _BLANK:
                raise ValueError(f"character '{char}' after quoted field at {_utf16_index(line, after)}")
            yield text  # blanks may follow a closing quote, up to the separator
            produced += 1
            if produced == limit:
                return
            index = after + 1
            while index < length:
                char = line[index]
                if char == separator:
                    break
                if char not in _BLANK:
                    raise ValueError(f"character '{char}' after quoted field at {_utf16_index(line, index)}")
                index += 1
            else:
                return  # blanks to the end of the line
            start = index = index + 1
        elif char == separator:
            start += 1  # one step, whatever blanks were not skipped (see the module docstring)
            index += 1
            yield ""
            produced += 1
            if produced == limit:
                return
        elif char in _BLANK:
            if trim:
                start += 1
            index += 1
        else:  # an unquoted field; its first character is not checked
            found = specials.search(line, index + 1)
            if found is None:
                yield line[start:length]  # not trimmed at its end: Elasticsearch's rule for the last field
                return
            at = found.start()
            char = line[at]
            if char == "\n" or char == "\r" or char == quote:
                raise ValueError(f"Illegal character inside unquoted field at {_utf16_index(line, at)}")
            end = at  # the separator
            if trim:
                end = index + 1 + len(line[index + 1:at].rstrip(_BLANK))
            yield line[start:end]
            produced += 1
            if produced == limit:
                return
            start = index = at + 1


def _plain_fields(line: str, separator: str, trim: bool, limit: int) -> list[str] | None:
    """The fields of a line without quotes or line breaks (and a separator that is
    not a blank), split at once: what the state machine gives for it, or None
    when a blank-only field makes the state machine's index arithmetic matter."""
    pieces = line.split(separator, limit)
    last = len(pieces) - 1 if len(pieces) <= limit else -1  # the line's last field, if it is among them
    if len(pieces) > limit:
        del pieces[limit:]
    out = []
    for index, piece in enumerate(pieces):
        if index == last:
            # the end of the line: blanks before it make no field; trim strips only the start
            stripped = piece.lstrip(_BLANK)
            if not stripped:
                break
            out.append(stripped if trim else piece)
        elif trim:
            out.append(piece.strip(_BLANK))
        elif piece and not piece.strip(_BLANK):
            return None  # blanks then a separator: Elasticsearch's shifted start (see the module docstring)
        else:
            out.append(piece)
    return out


def _java_length(text: str) -> int:
    """``String.length()``: UTF-16 code units."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


class CsvProcessor(FieldProcessor):
    """``csv``: the CSV line in ``field`` split into ``target_fields``."""

    type = "csv"
    options = frozenset({"target_fields", "separator", "quote", "trim", "empty_value"})
    takes_target = False

    #: Every option the factory accepts besides the common ones (it reads them in Elasticsearch's order).
    OPTIONS: ClassVar[frozenset[str]] = frozenset({"field", "ignore_missing"}) | options

    @classmethod
    def create(cls, options: dict[str, Any], tag: str | None, description: str | None) -> CsvProcessor:
        check_options(cls.type, options, set(cls.OPTIONS))
        field = read_string(options, "field")
        quote = read_string(options, "quote", required=False)
        quote = '"' if quote is None else quote
        if _java_length(quote) != 1:
            raise PipelineConfigError("[quote] quote has to be single character like \" or '")
        separator = read_string(options, "separator", required=False)
        separator = "," if separator is None else separator
        if _java_length(separator) != 1:
            raise PipelineConfigError("[separator] separator has to be single character like , or ;")
        trim = read_bool(options, "trim", False)
        empty_value: Any = _ABSENT
        if "empty_value" in options:
            empty_value = options["empty_value"]
            if empty_value is None:
                raise PipelineConfigError("[empty_value] required property is missing")
            check_json(empty_value, "empty_value")
        ignore_missing = read_bool(options, "ignore_missing", False)
        targets = read_strings(options, "target_fields", required=True)
        assert field is not None and targets is not None
        if not targets:
            raise PipelineConfigError("[target_fields] target fields list can't be empty")
        processor = cls(field, ignore_missing=ignore_missing, tag=tag, description=description)
        processor.targets = [_FieldName(target, "target_fields") for target in targets]
        processor.separator = separator
        processor.quote = quote
        processor.trim = trim
        processor.empty_value = empty_value
        processor.specials = _specials(separator, quote)
        return processor

    targets: list[_FieldName]
    separator: str
    quote: str
    trim: bool
    empty_value: Any
    specials: re.Pattern[str]

    def write(self, document: IngestDocument, value: Any, path: str, parts: list[str]) -> None:
        if not isinstance(value, str):
            raise cast_error(path, value, "string")
        targets = self.targets
        empty_value = self.empty_value
        fields = csv_fields(
            value, separator=self.separator, quote=self.quote, trim=self.trim, limit=len(targets), specials=self.specials
        )
        for target, text in zip(targets, fields):
            if not text:
                if empty_value is _ABSENT:
                    continue
                text = deep_copy(empty_value)
            if target.parts is not None:
                set_field(document, target.parts, target.path, text)
            else:
                target_path, target_parts = target.resolve(document)
                set_field(document, target_parts, target_path, text)
