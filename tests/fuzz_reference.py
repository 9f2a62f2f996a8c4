"""A reference reader of JSON values for the fuzz tests, written from RFC 8259
and abi_spec/ABI.md rather than from ingesthost's code (which uses orjson).

* :func:`ref_parse_value`: UTF-8 JSON text to a Python value, or a refusal.
  ``NaN``/``Infinity`` and numbers beyond a double are refused; integers
  outside the signed and unsigned 64-bit ranges become floats (ABI.md);
  strings must be Unicode text (a lone surrogate escape is refused).
* :func:`ref_depth`: levels of objects and arrays, iteratively.
* :func:`canon`: type-preserving text of a value, for comparisons where
  ``1``, ``1.0`` and ``true`` must differ.
"""

from __future__ import annotations

import json
import math
from typing import Any


def _reject(_: str) -> Any:
    raise ValueError("NaN and Infinity are not JSON")


def _int(text: str) -> Any:
    # "Integers in JSON values are exact within the signed and unsigned 64-bit
    # ranges; larger integers are read as 64-bit floats."
    number = int(text)
    if -(2**63) <= number <= 2**64 - 1:
        return number
    result = float(number)  # OverflowError beyond a double: not a finite number
    return result


def _float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError("a number beyond the range of a double")
    return number


def _check_strings(value: Any) -> None:
    """Strings must be Unicode text: a lone surrogate escape is not."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            node.encode("utf-8")
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def ref_parse_value(raw: bytes) -> tuple[bool, Any]:
    """(True, value) for UTF-8 RFC 8259 JSON text; (False, None) otherwise."""
    try:
        text = raw.decode("utf-8")
        value = json.loads(text, parse_constant=_reject, parse_int=_int, parse_float=_float)
        _check_strings(value)
    except (ValueError, OverflowError, RecursionError, UnicodeError):
        return False, None
    return True, value


def ref_depth(value: Any) -> int:
    """Levels of objects and arrays (a scalar is 0), iteratively."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def canon(value: Any) -> str:
    """Type-preserving text of a JSON value (1, 1.0 and true differ)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)
