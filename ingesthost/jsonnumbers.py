"""Numbers a document may carry, the same rule for every way in.

JSON text has no limit on numbers, Python has big integers and NaN, and the
JSON engine under ingesthost (orjson, and the guests' JSON) has 64 bits. So
ingesthost accepts integers from -2^63 to 2^64-1 and finite 64-bit floats,
and refuses a document holding any other number, naming the field:

* an integer beyond 64 bits (``18446744073709551616``, Python's ``2**70``):
  orjson would silently read the text as a float (losing digits) and refuses
  to write the Python int;
* a float beyond 64-bit range (``1e400``) and the non-JSON ``NaN``,
  ``Infinity``, ``-Infinity`` (or Python's ``float("nan")``/``float("inf")``,
  which orjson would silently write as ``null``).

Library documents (dicts) are checked by :func:`number_problem` after orjson
says something is off, or when its output contains ``null`` (where NaN and
infinities went), so a clean document costs one substring search. NDJSON
lines are checked by :func:`line_number_problem`: a C-speed look for a run of
19 or more digits, the only way an integer beyond 64 bits can be written, and
a slow exact parse only when such a run is out of range. A line orjson
refuses (``1e400``, ``NaN``) is named by :func:`text_number_problem`.
"""

from __future__ import annotations

import json
import math
from typing import Any

#: The smallest and largest integers a document may hold (int64 min, uint64 max).
MIN_INTEGER = -(2**63)
MAX_INTEGER = 2**64 - 1
#: The rule, for error messages.
RULE = "numbers must be integers from -2^63 to 2^64-1 or finite 64-bit floats"
#: Deeper than any document the JSON writer accepts: the walk stops there (cycles).
_MAX_WALK_DEPTH = 300
#: Digits the shortest integer beyond 64 bits has (-9223372036854775809).
_WIDE_DIGITS = WIDE_INTEGER_DIGITS = 19
_DIGIT_MAP = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))  # digit -> "0", else " "
_WIDE_RUN = b"0" * _WIDE_DIGITS


class _Literal(str):
    """A number's text that Python's json would turn into something else (an
    integer too long to convert, ``inf`` for ``1e400``, NaN): kept as written."""

    __slots__ = ("problem",)


def _literal(text: str, problem: str) -> _Literal:
    literal = _Literal(text)
    literal.problem = problem
    return literal


def _shown(text: str) -> str:
    return text if len(text) <= 40 else f"{text[:20]}...{text[-8:]} ({len(text.lstrip('-'))} digits)"


def _integer_problem(text: str) -> str:
    return f"integer {_shown(text)} does not fit in 64 bits ({RULE})"


def _parse_int(text: str) -> Any:
    if len(text.lstrip("-")) > 20:  # beyond 64 bits for sure; int() could refuse the length
        return _literal(text, _integer_problem(text))
    return int(text)


def _parse_float(text: str) -> Any:
    value = float(text)
    if math.isfinite(value):
        return value
    return _literal(text, f"number {_shown(text)} is beyond the range of a 64-bit float ({RULE})")


def _parse_constant(text: str) -> Any:
    return _literal(text, f"{text} is not a JSON number ({RULE})")


def _value_problem(value: Any) -> str | None:
    kind = type(value)
    if kind is int or (isinstance(value, int) and not isinstance(value, bool)):
        if MIN_INTEGER <= value <= MAX_INTEGER:
            return None
        return _integer_problem(str(value))
    if kind is float or isinstance(value, float):
        if math.isfinite(value):
            return None
        name = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return f"{name} is not a JSON number ({RULE})"
    if kind is _Literal:
        return value.problem
    return None


def number_problem(value: Any) -> str | None:
    """``field [a.b.0]: <what is wrong>`` for the first number in ``value`` that
    breaks the rule (depth first, in order), None when there is none."""
    found = _find(value, [], 0)
    if found is None:
        return None
    path, problem = found
    where = ".".join(path)
    return f"field [{where}]: {problem}" if where else problem


def _find(value: Any, path: list[str], depth: int) -> tuple[list[str], str] | None:
    if isinstance(value, dict):
        if depth >= _MAX_WALK_DEPTH:
            return None
        for key, item in value.items():
            path.append(str(key))
            found = _find(item, path, depth + 1)
            if found is not None:
                return found
            path.pop()
        return None
    if isinstance(value, (list, tuple)):
        if depth >= _MAX_WALK_DEPTH:
            return None
        for index, item in enumerate(value):
            path.append(str(index))
            found = _find(item, path, depth + 1)
            if found is not None:
                return found
            path.pop()
        return None
    problem = _value_problem(value)
    return None if problem is None else (list(path), problem)


def has_non_finite_float(value: Any) -> bool:
    """Whether ``value`` holds NaN or an infinity anywhere: a quick look,
    without paths (:func:`number_problem` then says where)."""
    stack = [value]
    pop, extend = stack.pop, stack.extend
    isfinite = math.isfinite
    seen = 0
    while stack:
        item = pop()
        kind = type(item)
        if kind is dict:
            extend(item.values())
        elif kind is list:
            extend(item)
        elif kind is float:
            if not isfinite(item):
                return True
        elif isinstance(item, (dict, list, tuple)):  # subclasses, tuples: the slow way
            return number_problem(item) is not None
        elif isinstance(item, float) and not isfinite(item):
            return True
        seen += 1
        if seen > 10_000_000:  # a cycle (orjson refuses those before we get here)
            return number_problem(value) is not None
    return False


def text_number_problem(text: bytes | str) -> str | None:
    """The :func:`number_problem` of a JSON text, read exactly (Python's json,
    keeping what it could not represent as written); None when the text has
    no such number or is not JSON at all. Slow: for suspected lines, and for
    lines orjson refused (``1e400``, ``NaN``, ``-Infinity``), to say which
    field and number rather than "invalid JSON"."""
    try:
        value = json.loads(
            text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant
        )
    except (ValueError, RecursionError):
        return None
    return number_problem(value)


def line_number_problem(raw: bytes) -> str | None:
    """For an NDJSON line that orjson parsed: the problem when it holds an
    integer beyond 64 bits (which orjson read as a float), else None.

    Cheap for ordinary lines (one ``translate`` and one substring search,
    ~0.4 µs for 200 bytes): only a run of 19 or more digits whose value is
    out of range, not followed by a fraction or exponent, leads to the exact
    parse (runs inside strings are then told apart from numbers).
    """
    if len(raw) < _WIDE_DIGITS:
        return None
    mapped = raw.translate(_DIGIT_MAP)
    start = mapped.find(_WIDE_RUN)
    size = len(raw)
    while start >= 0:
        end = start + _WIDE_DIGITS
        while end < size and mapped[end] == 48:
            end += 1
        if end >= size or raw[end] not in b".eE":
            value = int(raw[start:end]) if end - start <= 20 else MAX_INTEGER + 1
            negative = start > 0 and raw[start - 1] == 45  # "-"
            if value > MAX_INTEGER or (negative and -value < MIN_INTEGER):
                problem = text_number_problem(raw)
                if problem is not None:
                    return problem
                return None  # the run was inside a string: the exact parse looked at all of them
        start = mapped.find(_WIDE_RUN, end)
    return None

