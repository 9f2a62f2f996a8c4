"""Elasticsearch's ``dissect`` processor and its patterns (``libs/dissect``),
ported rule for rule.

A pattern is keys between delimiters: ``%{a} %{b},%{c}``. Matching walks
the input's UTF-8 bytes left to right looking for each delimiter in turn,
so the results (empty values between consecutive delimiters, the
``->`` padding skip, where a value may not start) are Elasticsearch's,
quirks included. Key modifiers:

* ``%{+a}`` appends to ``a`` (joined with ``append_separator``), ``%{+a/2}`` in that order;
* ``%{*a}`` ... ``%{&a}``: the first's value names the field, the second's is its value;
* ``%{?a}`` and ``%{}`` match and are dropped;
* ``%{a->}`` skips repeats of the delimiter that follows.

:class:`DissectProcessor` (the ``dissect`` processor) is at the end: a
:class:`~.field_base.FieldProcessor` writing each key the pattern yields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..document import IngestDocument
from ..errors import PipelineConfigError
from .builtins import read_string, set_field
from .field_base import FieldProcessor, cast_error, field_path

__all__ = ["DissectError", "DissectPattern", "DissectProcessor"]

_LEADING_DELIMITER = re.compile(r"^(.*?)%", re.S)
_KEY_DELIMITER = re.compile(r"%\{([^}]*?)}([^%]*)", re.S)
_LEFT_MODIFIER = re.compile(r"([+*&?])(.*?)(->)?$", re.S)
_RIGHT_PADDING = re.compile(r"^(.*?)(->)?$", re.S)
_APPEND_WITH_ORDER = re.compile(r"[+](.*?)(/)([0-9]+)(->)?$", re.S)
_MODIFIERS = re.compile(r"[/+*&?]")

NONE, APPEND_WITH_ORDER, APPEND, FIELD_NAME, FIELD_VALUE, NAMED_SKIP = "", "/", "+", "*", "&", "?"


class DissectError(ValueError):
    """A pattern that cannot be parsed, or an input it does not match (Elasticsearch's messages)."""


@dataclass(frozen=True)
class _Key:
    name: str
    modifier: str
    skip: bool
    skip_right_padding: bool
    append_position: int = 0

    @classmethod
    def parse(cls, key: str) -> "_Key":
        modifier = _find_modifier(key)
        name: str | None = None
        padding = False
        position = 0
        skip = not key
        if modifier == NONE:
            match = _RIGHT_PADDING.search(key)
            assert match is not None
            name, padding = match.group(1), match.group(2) is not None
            skip = not name
        elif modifier == APPEND_WITH_ORDER:
            match = _APPEND_WITH_ORDER.search(key)
            if match is not None:
                name, position, padding = match.group(1), int(match.group(3)), match.group(4) is not None
        else:
            match = _LEFT_MODIFIER.search(key)
            if match is not None:
                name, padding = match.group(2), match.group(3) is not None
            skip = skip or modifier == NAMED_SKIP
        if name is None or (not name and not skip):
            raise DissectError(f"Unable to parse key: {key} Reason: The key name could not be determined")
        return cls(name, modifier, skip, padding, position)


def _find_modifier(key: str) -> str:
    modifier = NONE
    for count, match in enumerate(_MODIFIERS.finditer(key), 1):
        prior, modifier = modifier, match.group()
        if count > 1 and not (prior == APPEND and modifier == APPEND_WITH_ORDER):
            raise DissectError(f"Unable to parse key: {key} Reason: multiple modifiers are not allowed.")
    return modifier


class DissectPattern:
    """A parsed pattern; :meth:`parse` gives ``{field: value}`` or raises :class:`DissectError`."""

    def __init__(self, pattern: str, append_separator: str = "") -> None:
        self.pattern = pattern
        self.append_separator = append_separator
        leading = _LEADING_DELIMITER.match(pattern)
        self.leading = leading.group(1) if leading else ""
        pairs = [
            (_Key.parse(m.group(1)), m.group(2).encode("utf-8"))
            for m in _KEY_DELIMITER.finditer(pattern, len(self.leading))
        ]
        self.max_matches = len(pairs)
        self.max_results = len({key.name for key, _ in pairs if not key.skip})
        if self.max_matches == 0 or self.max_results == 0:
            raise DissectError(f"Unable to parse pattern: {pattern} Reason: Unable to find any keys or delimiters.")
        appended = {key.name for key, _ in pairs if key.modifier in (APPEND, APPEND_WITH_ORDER)}
        # a plain key sharing its name with an appended one takes part in the append
        pairs = [
            (_Key(k.name, APPEND, k.skip, k.skip_right_padding, k.append_position), d)
            if k.modifier == NONE and k.name in appended
            else (k, d)
            for k, d in pairs
        ]
        references: dict[str, list[_Key]] = {}
        for key, _ in pairs:
            if key.modifier in (FIELD_NAME, FIELD_VALUE):
                references.setdefault(key.name, []).append(key)
        for keys in references.values():
            if len(keys) != 2:
                raise DissectError(
                    f"Unable to parse pattern: {pattern} Reason: Found invalid key/reference associations: "
                    f"'{','.join(k.name for k in keys)}' Please ensure each '*<key>' is matched with a matching '&<key>"
                )
        self.pairs = pairs

    def parse(self, text: str) -> dict[str, str]:
        match = _Match(self)
        leading = self.leading
        if len(text) > len(leading) and text.startswith(leading):
            data = text.encode("utf-8")
            pairs = iter(self.pairs)
            key, delimiter = next(pairs)
            i = len(leading.encode("utf-8"))
            value_start = i
            length = len(data)
            while i < length:
                if delimiter and data.startswith(delimiter, i):
                    match.add(key, data[value_start:i].decode("utf-8", "replace"))
                    i += len(delimiter)
                    while i < length and data.startswith(delimiter, i):  # consecutive delimiters
                        i += len(delimiter)
                        if not key.skip_right_padding:
                            following = next(pairs, None)
                            if following is None:
                                break
                            key = following[0]  # an empty value; the delimiter searched stays the same
                            match.add(key, "")
                    following = next(pairs, None)
                    if following is None:
                        break
                    key, delimiter = following
                    value_start = i
                i += 1  # as in Elasticsearch, the byte where a value starts is never a delimiter
            if not match.fully_matched() and not delimiter:
                match.add(key, data[value_start:].decode("utf-8", "replace"))
        results = match.results()
        if not match.fully_matched() or len(results) != self.max_results:
            raise DissectError(f"Unable to find match for dissect pattern: {self.pattern} against source: {text}")
        return results


class _Match:
    """What one input gave each key, then the results: appends joined in order,
    references resolved."""

    def __init__(self, pattern: DissectPattern) -> None:
        self.pattern = pattern
        self.matches = 0
        self.simple: dict[str, str] = {}
        self.appends: dict[str, list[tuple[int, int, str]]] = {}
        self.references: dict[str, dict[str, str]] = {}
        self.implicit_order = -1000

    def add(self, key: _Key, value: str) -> None:
        self.matches += 1
        if key.skip:
            return
        if key.modifier == NONE:
            self.simple[key.name] = value
        elif key.modifier in (APPEND, APPEND_WITH_ORDER):
            if key.modifier == APPEND:
                order = self.implicit_order
                self.implicit_order += 1
            else:
                order = key.append_position
            values = self.appends.setdefault(key.name, [])
            values.append((order, len(values), value))  # a stable sort, as Java's
        else:
            self.references.setdefault(key.name, {})[key.modifier] = value

    def fully_matched(self) -> bool:
        return self.matches == self.pattern.max_matches

    def results(self) -> dict[str, str]:
        results = dict(self.simple)
        for reference in self.references.values():
            results[reference.get(FIELD_NAME, "null")] = reference.get(FIELD_VALUE, "null")
        separator = self.pattern.append_separator
        for name, values in self.appends.items():
            results[name] = separator.join(v for _, _, v in sorted(values))
        return results


# -- the processor -------------------------------------------------------------------------------


class DissectProcessor(FieldProcessor):
    """``dissect``: split a string by a dissect ``pattern`` into fields."""

    type = "dissect"
    options = frozenset({"pattern", "append_separator"})
    takes_target = False

    def configure(self, options: dict[str, Any]) -> None:
        pattern = read_string(options, "pattern")
        separator = read_string(options, "append_separator", required=False) or ""
        assert pattern is not None
        try:
            self.pattern = DissectPattern(pattern, separator)
        except DissectError as exc:
            raise PipelineConfigError(f"[pattern] {exc}") from None

    def write(self, document: IngestDocument, value: Any, path: str, parts: list[str]) -> None:
        if not isinstance(value, str):
            raise cast_error(path, value, "string")
        for name, result in self.pattern.parse(value).items():
            set_field(document, field_path(name), name, result)

