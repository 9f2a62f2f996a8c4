"""The ``if`` condition language: the part of Painless that ingest conditions use.

Elasticsearch runs a processor's ``if`` as a Painless script over a
read-only ``ctx``. Nearly every condition people write is one expression::

    ctx.log?.level == 'debug' && !ctx.tags?.contains('keep')

This module parses that subset once, at load, with a hand-written
recursive-descent parser, and compiles it into Python closures; nothing is
ever handed to Python's ``eval``. What it does not support is refused at load
with the column where it stops (``column 12: unexpected '='; did you mean
'=='?``), so a pipeline never fails at run time on syntax. (A parser library
such as lark was weighed and not taken: it would be a new dependency, and the
hints, literal ranges, load-time type checks and nesting limit below would
still be this module's code, on top of mapping its errors back to these.)

Size limits are decided at load too. A chain of one precedence level
(``a || b || c``, ``a + b - c``, ``ctx.a.b[0].c``) becomes one node evaluated
by a loop, so an allow-list of 100,000 terms loads in linear time and memory
and evaluates without touching Python's recursion limit. Nesting
(parentheses, calls, indexes, list items, ternary branches, unary operators)
is refused past :data:`MAX_NESTING` levels, which keeps the closures shallow
enough that whatever loads also evaluates, from however deep a caller.

Run-time rules follow Painless where users can tell the difference:

* ``ctx.missing`` is null; ``ctx.a.b`` when ``ctx.a`` is null is an error
  (a NullPointerException in Painless) unless written ``ctx.a?.b``.
* ``==`` compares numbers by value after Java's promotion (``1 == 1L``,
  ``1 == 1.0``), anything else with Java's ``equals`` (``true != 1``,
  ``'1' != 1``); null equals only null.
* ``<``, ``<=``, ``>``, ``>=`` need numbers; ``&&``, ``||``, ``!`` and the
  result of the whole condition need booleans (null is an error there).
* Numbers are Java's. A literal is an ``int`` (``10``, ``0x1F``, octal
  ``017``), a ``long`` with ``L``, a ``double`` with a point, an exponent or
  ``d``, a ``float`` with ``f``; one outside its type's range is refused at
  load (``2147483648`` needs the ``L``, as in Painless). A document's JSON
  integer is an Integer when it fits 32 bits, a Long when it fits 64 and a
  BigInteger beyond; a JSON fraction is a Double (Elasticsearch's own
  mapping). Arithmetic promotes as Painless's dynamic operators do (double >
  float > long > int): ``int`` results wrap at 32 bits, ``long`` ones at 64,
  integer ``/`` truncates toward zero and ``%`` keeps the dividend's sign,
  integer division by zero is an ``arithmetic_exception``; doubles are IEEE.

Errors during evaluation raise :class:`ConditionRuntimeError`, whose
``error_type`` names the Java exception Painless would have thrown.

The grammar (lowest precedence first)::

    condition  := ['return'] expression [';']
    expression := ternary ('?:' ternary)*                   (elvis: a ?: b)
    ternary    := or ['?' expression ':' expression]
    or         := and ('||' and)*
    and        := equality ('&&' equality)*
    equality   := relational (('==' | '!=') relational)*
    relational := additive (('<' | '<=' | '>' | '>=') additive | 'instanceof' TYPE)*
    additive   := multiplicative (('+' | '-') multiplicative)*
    multiplicative := unary (('*' | '/' | '%') unary)*
    unary      := '-' NUMBER | ('!' | '-' | '+') unary | postfix   (-NUMBER is one literal)
    postfix    := primary ( ('.' | '?.') NAME ['(' args ')'] | '[' expression ']' )*
    primary    := 'ctx' | literal | '(' expression ')' | '[' list or map literal ']'
"""

from __future__ import annotations

import math
import operator
import re
import struct
from decimal import Decimal
from typing import Any, Callable, NamedTuple

__all__ = [
    "Condition",
    "ConditionRuntimeError",
    "ConditionSyntaxError",
    "STRING_METHODS",
    "LIST_METHODS",
    "MAP_METHODS",
    "MAX_NESTING",
]

Evaluator = Callable[[dict], Any]


class ConditionSyntaxError(ValueError):
    """A condition that cannot be parsed, or uses what the subset lacks.

    ``str()`` reads ``column 12: unexpected '='; did you mean '=='?`` (with the
    line too when the condition spans several lines).
    """

    def __init__(self, message: str, source: str, position: int) -> None:
        self.message = message
        self.source = source
        self.position = position
        line = source.count("\n", 0, position) + 1
        column = position - (source.rfind("\n", 0, position) + 1) + 1
        self.line = line
        self.column = column
        where = f"line {line}, column {column}" if "\n" in source.strip() else f"column {column}"
        super().__init__(f"{where}: {message}")


class ConditionRuntimeError(Exception):
    """Evaluating a condition failed. ``error_type`` is the Elasticsearch name of
    the Java exception Painless would raise (``null_pointer_exception``,
    ``class_cast_exception``, ``illegal_argument_exception``...)."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


# -- tokens -----------------------------------------------------------------

_IDENT_RE = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
# Painless's lexer rules: a leading 0 makes an octal int, a point needs digits
# on both sides, ``L`` goes on integers only.
_NUMBER_RE = re.compile(
    r"0[xX][0-9a-fA-F]+[lL]?"
    r"|0[0-7]+[lL]?"
    r"|(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)[fFdD]?"
    r"|(?:0|[1-9][0-9]*)[lLfFdD]?"
)
# What may not run on from a number (``09``, ``1.5L``, ``0x1.5``), and the run
# to quote when it does.
_NUMBER_TAIL_RE = re.compile(r"[0-9A-Za-z_$]|\.[0-9]")
_NUMBER_RUN_RE = re.compile(r"[0-9A-Za-z_$.]+")
# Longest first, so that "==" wins over "=" and "?." over "?".
_OPERATORS = sorted(
    [
        "===", "!==", "==~", ">>>", "?.", "?:", "==", "!=", "<=", ">=", "&&", "||", "=~", "<<", ">>",
        "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "->", "::",
        "<", ">", "!", "(", ")", "[", "]", ".", ",", "?", ":", "+", "-", "*", "/", "%", "=",
        "&", "|", "^", "~", ";", "{", "}",
    ],
    key=len,
    reverse=True,
)

# What to say when a token the subset lacks shows up.
_HINTS = {
    "=": "did you mean '=='?",
    "===": "reference equality is not supported; use '=='",
    "!==": "reference inequality is not supported; use '!='",
    "=~": "regular expressions are not supported in conditions",
    "==~": "regular expressions are not supported in conditions",
    "&": "did you mean '&&'?",
    "|": "did you mean '||'?",
    "^": "bitwise operators are not supported",
    "~": "bitwise operators are not supported",
    "<<": "bitwise operators are not supported",
    ">>": "bitwise operators are not supported",
    ">>>": "bitwise operators are not supported",
    "++": "a condition cannot change values",
    "--": "a condition cannot change values",
    "+=": "a condition cannot assign",
    "-=": "a condition cannot assign",
    "*=": "a condition cannot assign",
    "/=": "a condition cannot assign",
    "%=": "a condition cannot assign",
    "&=": "a condition cannot assign",
    "|=": "a condition cannot assign",
    "^=": "a condition cannot assign",
    "->": "lambdas are not supported",
    "::": "method references are not supported",
    "{": "blocks are not supported; a condition is one expression",
    "}": "blocks are not supported; a condition is one expression",
    ";": "a condition is one expression; statements are not supported",
}

_STATEMENT_KEYWORDS = {"if", "else", "for", "while", "do", "def", "var", "try", "catch", "throw", "break", "continue"}

# Whitespace and complete comments, skipped in one match; an operator in one
# match too (the alternation is longest first). A long condition is mostly
# these, and a character-by-character loop made tokenizing the slowest part.
_SKIP_RE = re.compile(r"(?:\s+|//[^\n]*\n?|/\*.*?\*/)+", re.DOTALL)
_OPERATOR_RE = re.compile("|".join(re.escape(op) for op in _OPERATORS))


class _Token(NamedTuple):
    kind: str  # "ident", "number", "string", "op", "eof"
    text: str
    pos: int
    value: Any = None


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(source)
    while i < n:
        skip = _SKIP_RE.match(source, i)
        if skip:
            i = skip.end()
            if i == n:
                break
        ch = source[i]
        if ch in "'\"":
            value, end = _read_string(source, i)
            tokens.append(_Token("string", source[i:end], i, value))
            i = end
            continue
        if "0" <= ch <= "9":
            match = _NUMBER_RE.match(source, i)
            assert match is not None
            if _NUMBER_TAIL_RE.match(source, match.end()):
                run = _NUMBER_RUN_RE.match(source, i).group()  # type: ignore[union-attr]
                octal = run[0] == "0" and run[1:2].isdigit()
                hint = "; a number starting with 0 is octal (digits 0-7)" if octal else ""
                raise ConditionSyntaxError(f"invalid number [{run}]{hint}", source, i)
            # The value waits for the parser, which knows whether a '-' is part of it.
            tokens.append(_Token("number", match.group(), i))
            i = match.end()
            continue
        match = _IDENT_RE.match(source, i)
        if match:
            tokens.append(_Token("ident", match.group(), i))
            i = match.end()
            continue
        if source.startswith("/*", i):
            raise ConditionSyntaxError("unterminated comment", source, i)
        match = _OPERATOR_RE.match(source, i)
        if match is None:
            raise ConditionSyntaxError(f"unexpected character {ch!r}", source, i)
        tokens.append(_Token("op", match.group(), i))
        i = match.end()
    tokens.append(_Token("eof", "", n))
    return tokens


def _read_string(source: str, start: int) -> tuple[str, int]:
    """A Painless string literal: ``'...'`` or ``"..."``; the only escapes are a
    backslash before the quote character and a doubled backslash."""
    quote = source[start]
    end = source.find(quote, start + 1)
    if end > 0 and "\\" not in source[start + 1 : end]:
        return source[start + 1 : end], end + 1  # no escapes: the common case, in one step
    out: list[str] = []
    i = start + 1
    while i < len(source):
        ch = source[i]
        if ch == quote:
            return "".join(out), i + 1
        if ch == "\\":
            nxt = source[i + 1 : i + 2]
            if nxt in (quote, "\\"):
                out.append(nxt)
                i += 2
                continue
            raise ConditionSyntaxError(
                f"invalid escape [\\{nxt}] in a string; only \\{quote} and \\\\ are allowed", source, i
            )
        out.append(ch)
        i += 1
    raise ConditionSyntaxError("unterminated string", source, start)


# -- Java numbers ---------------------------------------------------------------

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_FLOAT32 = struct.Struct("<f")


class _Long(int):
    """A Java ``long`` whose value may also fit an ``int``.

    A document's integers need no tag (Elasticsearch types them by value), but
    ``1L`` and the result of long arithmetic stay long whatever their value:
    ``(1L + 1) * 2147483647`` must not wrap at 32 bits.
    """

    __slots__ = ()


class _Float(float):
    """A Java ``float`` (``2.5f`` and arithmetic on it), its value rounded to 32 bits."""

    __slots__ = ()


def _java_number_type(value: int | float) -> str:
    """``Integer``, ``Long``, ``BigInteger``, ``Float`` or ``Double``: the boxed
    class Painless sees, which decides promotion, ``instanceof`` and ``equals``."""
    if isinstance(value, float):
        return "Float" if type(value) is _Float else "Double"
    if type(value) is _Long:
        return "Long"
    if _INT_MIN <= value <= _INT_MAX:
        return "Integer"
    return "Long" if _LONG_MIN <= value <= _LONG_MAX else "BigInteger"


def _wrap_int(value: int) -> int:
    """Java's ``(int)`` of an integer: its low 32 bits, two's complement
    (``intValue()`` of a Long or BigInteger too)."""
    return ((value - _INT_MIN) & 0xFFFFFFFF) + _INT_MIN


def _wrap_long(value: int) -> _Long:
    """Java's ``(long)`` of an integer: its low 64 bits, two's complement."""
    return _Long(((value - _LONG_MIN) & 0xFFFFFFFFFFFFFFFF) + _LONG_MIN)


def _as_double(value: int | float) -> float:
    """``doubleValue()``: rounds to nearest like Java; a BigInteger past the
    double range is an infinity, not Python's OverflowError."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _to_float(value: float) -> _Float:
    """A double rounded to the nearest float, infinities past the float range."""
    try:
        return _Float(_FLOAT32.unpack(_FLOAT32.pack(value))[0])
    except OverflowError:
        return _Float(math.copysign(math.inf, value))


def _as_float(value: int | float) -> _Float:
    """``floatValue()``. An integer of more than 53 bits is first cut to 24
    significant bits (ties to even) so that it is rounded once, as Java does,
    not through a double."""
    if isinstance(value, float):
        return value if type(value) is _Float else _to_float(value)
    extra = abs(value).bit_length() - 24
    if extra > 29:
        magnitude = abs(value)
        quotient, remainder = divmod(magnitude, 1 << extra)
        half = 1 << (extra - 1)
        if remainder > half or (remainder == half and quotient & 1):
            quotient += 1
        value = (quotient << extra) * (1 if value > 0 else -1)
    return _to_float(_as_double(value))


def _promoted(a: int | float, b: int | float) -> tuple[str, Any, Any]:
    """Binary numeric promotion of Painless's dynamic operators: double if
    either is a Double, else float, else long, else int; a BigInteger counts as
    neither Long nor Double, so Painless reads it with ``intValue()`` next to an
    int and ``longValue()`` next to a long (its low bits)."""
    ta, tb = _java_number_type(a), _java_number_type(b)
    if ta == "Double" or tb == "Double":
        return "double", _as_double(a), _as_double(b)
    if ta == "Float" or tb == "Float":
        return "float", _as_float(a), _as_float(b)
    if ta == "Long" or tb == "Long":
        return "long", _wrap_long(a), _wrap_long(b)
    return "int", _wrap_int(a), _wrap_int(b)


def _int_quotient(a: int, b: int) -> int:
    """Integer division truncating toward zero (Python's ``//`` floors)."""
    if b == 0:
        raise ConditionRuntimeError("arithmetic_exception", "/ by zero")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _double_divide(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _double_remainder(a: float, b: float) -> float:
    """Java's ``%`` on doubles: C's fmod (the dividend's sign), NaN where fmod
    has no answer instead of Python's ValueError."""
    if b == 0 or math.isinf(a):
        return math.nan
    return math.fmod(a, b)


_INT_OPS: dict[str, Callable[[int, int], int]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _int_quotient,
    "%": lambda a, b: a - b * _int_quotient(a, b),
}
_DOUBLE_OPS: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _double_divide,
    "%": _double_remainder,
}


def java_arithmetic(op: str, a: int | float, b: int | float) -> int | float:
    """``a op b`` for two Java numbers (``+ - * / %``), typed and wrapped as
    Painless computes it: the operands are promoted, the exact result is cut
    back to the promoted type (so an int overflow wraps, not grows)."""
    if type(a) is int and type(b) is int and _INT_MIN <= a <= _INT_MAX and _INT_MIN <= b <= _INT_MAX:
        result = _INT_OPS[op](a, b)  # int op int, the common case
        return result if _INT_MIN <= result <= _INT_MAX else _wrap_int(result)
    kind, x, y = _promoted(a, b)
    if kind == "int":
        return _wrap_int(_INT_OPS[op](x, y))
    if kind == "long":
        return _wrap_long(_INT_OPS[op](x, y))
    result = _DOUBLE_OPS[op](x, y)
    # A float op computed in double and rounded once is the float op's result.
    return _to_float(result) if kind == "float" else result


def _java_negate(value: int | float) -> int | float | None:
    """Unary minus keeping the type (``-Integer.MIN_VALUE`` wraps to itself);
    None for a BigInteger, which Painless's dynamic minus refuses."""
    kind = _java_number_type(value)
    if kind == "Integer":
        return _wrap_int(-value)
    if kind == "Long":
        return _wrap_long(-value)
    if kind == "Float":
        return _Float(-value)
    if kind == "Double":
        return -value
    return None


def _numbers_equal(a: int | float, b: int | float) -> bool:
    """Painless ``==`` on numbers: promoted values compared, so ``1 == 1L`` and
    ``1 == 1.0``, a long compared with a double after rounding it to one; two
    BigIntegers compare with ``equals``."""
    if type(a) is int and type(b) is int and _LONG_MIN <= a <= _LONG_MAX and _LONG_MIN <= b <= _LONG_MAX:
        return a == b  # the common case, and exact: promotion keeps the values
    if _java_number_type(a) == "BigInteger" and _java_number_type(b) == "BigInteger":
        return a == b
    _, x, y = _promoted(a, b)
    return x == y


def _number_literal(text: str, negative: bool, source: str, pos: int) -> int | float:
    """The value of a numeric literal, typed and range-checked as Painless does.

    An unsuffixed integer must fit an int, sign included (``-2147483648`` is an
    int, ``2147483648`` is refused with a hint to write ``2147483648L``);
    ``0x`` and octal literals too (``0xFFFFFFFF`` is not ``-1`` as in Java
    source: Painless parses it as a signed number). A double or float that
    would overflow to infinity or underflow to zero is refused: Painless lets
    those through as Infinity or 0.0, javac refuses them, and either way the
    literal is not what was written.
    """
    shown = ("-" if negative else "") + (text if len(text) <= 40 else f"{text[:20]}...{text[-8:]}")
    lower = text.lower()
    hexadecimal = lower.startswith("0x")
    suffix = lower[-1] if lower[-1] == "l" or (not hexadecimal and lower[-1] in "fd") else ""
    body = lower[: len(lower) - len(suffix)]
    if suffix in ("f", "d") or (not hexadecimal and ("." in body or "e" in body)):
        return _floating_literal(body, negative, suffix == "f", shown, source, pos)
    digits = body[2:] if hexadecimal else body
    # int("9" * 5000) is an error of its own in Python; no int or long is this long.
    value = None if len(digits) > 24 else int(digits, 16 if hexadecimal else 8 if body[0] == "0" else 10)
    if value is not None and negative:
        value = -value
    if suffix == "l":
        if value is None or not _LONG_MIN <= value <= _LONG_MAX:
            raise ConditionSyntaxError(
                f"invalid long constant [{shown}]: out of range ({_LONG_MIN} to {_LONG_MAX})", source, pos
            )
        return _Long(value)
    if value is not None and _INT_MIN <= value <= _INT_MAX:
        return value
    if value is not None and _LONG_MIN <= value <= _LONG_MAX:
        raise ConditionSyntaxError(f"invalid int constant [{shown}]; write [{shown}L] for a long", source, pos)
    raise ConditionSyntaxError(f"invalid int constant [{shown}]: out of range even for a long", source, pos)


def _floating_literal(body: str, negative: bool, single: bool, shown: str, source: str, pos: int) -> float:
    value = float(body)
    if negative:
        value = -value
    kind, largest = ("float", "3.4028235E38") if single else ("double", "1.7976931348623157E308")
    typed = _to_float(value) if single else value
    if math.isinf(typed):
        raise ConditionSyntaxError(
            f"invalid {kind} constant [{shown}]: too large (the largest {kind} is {largest})", source, pos
        )
    if typed == 0 and any(c in "123456789" for c in body.split("e")[0]):
        raise ConditionSyntaxError(f"invalid {kind} constant [{shown}]: too small (it would be 0)", source, pos)
    return typed


# -- Java-flavoured value semantics ---------------------------------------------


def java_type(value: Any) -> str:
    """The Java class name Painless would report for a JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, (int, float)):
        return _java_number_type(value)
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "ArrayList"
    if isinstance(value, dict):
        return "HashMap"
    return type(value).__name__


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def java_equals(a: Any, b: Any) -> bool:
    """``a.equals(b)`` for JSON values as Elasticsearch holds them: numbers are
    equal only within one class (an Integer never equals a Long, a Double or a
    Boolean; Double's equals holds NaN equal to itself and 0.0 apart from
    -0.0); lists and maps compare element-wise."""
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        if _java_number_type(a) != _java_number_type(b):
            return False
        if isinstance(a, float):
            if math.isnan(a) or math.isnan(b):
                return math.isnan(a) and math.isnan(b)
            return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(java_equals(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(java_equals(v, b[k]) for k, v in a.items())
    return False


def painless_equals(a: Any, b: Any) -> bool:
    """Painless ``==`` on dynamic values: numbers by promoted value across
    types, else ``equals``."""
    kind = type(a)
    if kind is type(b):
        # The common cases first, and exact: strings (allow-lists), two doubles
        # (IEEE ==), two document integers on the same side of the long range.
        if kind is str or kind is float:
            return a == b
        if kind is int and (_LONG_MIN <= a <= _LONG_MAX) is (_LONG_MIN <= b <= _LONG_MAX):
            return a == b
    if _is_number(a) and _is_number(b):
        return _numbers_equal(a, b)
    return java_equals(a, b)


def _painless_not_equals(a: Any, b: Any) -> bool:
    return not painless_equals(a, b)


def java_string(value: Any) -> str:
    """``String.valueOf(value)`` for JSON values (used by ``+`` on strings)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if type(value) is _Float:
        return java_float_string(value)
    if isinstance(value, float):
        return java_double_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(java_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_string(v)}" for k, v in value.items()) + "}"
    return str(value)


def java_double_string(value: float) -> str:
    """``Double.toString``: ``1.0``, ``0.001``, ``1.0E7``, ``1.5E-5``, ``NaN``, ``Infinity``."""
    if math.isnan(value) or math.isinf(value) or value == 0:
        return _java_special_string(value)
    if 1e-3 <= abs(value) < 1e7:
        return repr(value)  # Python and Java agree on the fixed notation in this range
    return _java_scientific(value, repr(value))


def java_float_string(value: float) -> str:
    """``Float.toString``: as ``Double.toString`` but with the fewest digits that
    tell this float from its neighbours (``0.1``, not the double ``0.10000000149011612``)."""
    if math.isnan(value) or math.isinf(value) or value == 0:
        return _java_special_string(value)
    for digits in range(1, 10):
        shortest = f"{value:.{digits - 1}e}"
        if _to_float(float(shortest)) == value:
            break
    if 1e-3 <= abs(value) < 1e7:
        text = format(Decimal(shortest).normalize(), "f")
        return text if "." in text else text + ".0"
    return _java_scientific(value, shortest)


def _java_special_string(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"


def _java_scientific(value: float, shortest: str) -> str:
    """Java's ``1.5E-5`` form of a value from its shortest decimal digits.

    Java writes at least one digit after the point and picks the closest such
    digits, which differs from the one-digit shortest form only for subnormals
    (``4.9E-324``, not ``5.0E-324``)."""
    exact = Decimal(shortest)
    if len(exact.normalize().as_tuple().digits) == 1:
        exact = Decimal(f"{value:.1e}")
    digits = "".join(map(str, exact.as_tuple().digits)).rstrip("0") or "0"
    sign = "-" if value < 0 else ""
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exact.adjusted()}"


_JAVA_WHITESPACE = "".join(chr(c) for c in range(33))


def _npe(what: str) -> ConditionRuntimeError:
    return ConditionRuntimeError("null_pointer_exception", what)


def _cast_error(value: Any, target: str) -> ConditionRuntimeError:
    return ConditionRuntimeError("class_cast_exception", f"cannot cast {java_type(value)} to {target}")


def _truth(value: Any, text: str) -> bool:
    if value is True or value is False:
        return value
    if value is None:
        raise _npe(f"[{text}] is null where a boolean is needed")
    raise ConditionRuntimeError(
        "class_cast_exception", f"[{text}] is a {java_type(value)}, not a boolean"
    )


# -- methods ----------------------------------------------------------------


def _arg_string(value: Any, method: str) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        raise _npe(f"{method}: argument is null")
    raise _cast_error(value, "String")


def _arg_int(value: Any, method: str) -> int:
    """A Java ``int`` argument: a Long does not narrow to one implicitly."""
    if _is_int(value):
        return value
    if value is None:
        raise _npe(f"{method}: argument is null")
    raise _cast_error(value, "int")


def _str_substring(s: str, begin: Any, end: Any = None) -> str:
    b = _arg_int(begin, "substring")
    e = len(s) if end is None else _arg_int(end, "substring")
    if b < 0 or e > len(s) or b > e:
        raise ConditionRuntimeError(
            "string_index_out_of_bounds_exception", f"begin {b}, end {e}, length {len(s)}"
        )
    return s[b:e]


def _str_starts_with(s: str, prefix: Any, offset: Any = None) -> bool:
    p = _arg_string(prefix, "startsWith")
    if offset is None:
        return s.startswith(p)
    o = _arg_int(offset, "startsWith")
    return 0 <= o <= len(s) and s.startswith(p, o)


def _list_get(lst: list, index: Any) -> Any:
    i = _arg_int(index, "get")
    if not 0 <= i < len(lst):
        raise ConditionRuntimeError(
            "index_out_of_bounds_exception", f"Index {i} out of bounds for length {len(lst)}"
        )
    return lst[i]


def _index_of(lst: list, value: Any) -> int:
    for i, item in enumerate(lst):
        if java_equals(item, value):
            return i
    return -1


def _map_get_or_default(m: dict, key: Any, default: Any) -> Any:
    return m[key] if isinstance(key, str) and key in m else default


#: name -> (minimum argc, maximum argc, function(receiver, *args))
STRING_METHODS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "contains": (1, 1, lambda s, x: _arg_string(x, "contains") in s),
    "startsWith": (1, 2, _str_starts_with),
    "endsWith": (1, 1, lambda s, x: s.endswith(_arg_string(x, "endsWith"))),
    "isEmpty": (0, 0, lambda s: not s),
    "length": (0, 0, lambda s: len(s.encode("utf-16-le")) // 2),
    "equals": (1, 1, java_equals),
    "equalsIgnoreCase": (1, 1, lambda s, x: isinstance(x, str) and s.casefold() == x.casefold()),
    "toLowerCase": (0, 0, lambda s: s.lower()),
    "toUpperCase": (0, 0, lambda s: s.upper()),
    "trim": (0, 0, lambda s: s.strip(_JAVA_WHITESPACE)),
    "substring": (1, 2, _str_substring),
    "indexOf": (1, 1, lambda s, x: s.find(_arg_string(x, "indexOf"))),
    "toString": (0, 0, lambda s: s),
}
LIST_METHODS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "contains": (1, 1, lambda lst, x: any(java_equals(item, x) for item in lst)),
    "isEmpty": (0, 0, lambda lst: not lst),
    "size": (0, 0, len),
    "get": (1, 1, _list_get),
    "indexOf": (1, 1, _index_of),
    "equals": (1, 1, java_equals),
    "toString": (0, 0, java_string),
}
MAP_METHODS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "containsKey": (1, 1, lambda m, k: isinstance(k, str) and k in m),
    "containsValue": (1, 1, lambda m, v: any(java_equals(x, v) for x in m.values())),
    "isEmpty": (0, 0, lambda m: not m),
    "size": (0, 0, len),
    "get": (1, 1, lambda m, k: m.get(k) if isinstance(k, str) else None),
    "getOrDefault": (2, 2, _map_get_or_default),
    "keySet": (0, 0, lambda m: list(m)),
    "values": (0, 0, lambda m: list(m.values())),
    "equals": (1, 1, java_equals),
    "toString": (0, 0, java_string),
}
_SCALAR_METHODS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "equals": (1, 1, java_equals),
    "toString": (0, 0, java_string),
}
_ALL_METHOD_NAMES = set(STRING_METHODS) | set(LIST_METHODS) | set(MAP_METHODS)


def _methods_for(value: Any) -> dict[str, tuple[int, int, Callable[..., Any]]]:
    if isinstance(value, str):
        return STRING_METHODS
    if isinstance(value, dict):
        return MAP_METHODS
    if isinstance(value, list):
        return LIST_METHODS
    return _SCALAR_METHODS


# -- instanceof ---------------------------------------------------------------


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and _java_number_type(v) == "Integer"


def _number_of_type(name: str) -> Callable[[Any], bool]:
    return lambda v: _is_number(v) and _java_number_type(v) == name


_INSTANCEOF: dict[str, Callable[[Any], bool]] = {
    "String": lambda v: isinstance(v, str),
    "CharSequence": lambda v: isinstance(v, str),
    "Integer": _is_int,
    "Long": _number_of_type("Long"),
    "BigInteger": _number_of_type("BigInteger"),
    "Float": _number_of_type("Float"),
    "Double": _number_of_type("Double"),
    "Number": _is_number,
    "Boolean": lambda v: isinstance(v, bool),
    "List": lambda v: isinstance(v, list),
    "ArrayList": lambda v: isinstance(v, list),
    "Collection": lambda v: isinstance(v, list),
    "Map": lambda v: isinstance(v, dict),
    "HashMap": lambda v: isinstance(v, dict),
    "Object": lambda v: v is not None,
    "def": lambda v: v is not None,
}


# -- the parser ---------------------------------------------------------------


#: How deeply parentheses, calls, indexes, list and map items, ternary
#: branches and unary operators may nest, all counted together. The parser
#: takes about a dozen Python frames per level and evaluation two or three, so
#: this keeps both far below Python's recursion limit; real conditions nest a
#: handful of levels. Chains (``a || b || ...``) do not nest and have no limit.
MAX_NESTING = 64


class _Span:
    """The source text of a sub-expression, cut out only when a message needs
    it: holding the text of every prefix of a chain of n terms would take
    memory quadratic in n."""

    __slots__ = ("end", "source", "start")

    def __init__(self, source: str, start: int, end: int) -> None:
        self.source = source
        self.start = start
        self.end = end

    def __str__(self) -> str:
        return self.source[self.start : self.end].strip()

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


class _Node(NamedTuple):
    """A compiled sub-expression: its evaluator, its source text, and what is
    known about its type before running (``"boolean"``, ``"string"``,
    ``"number"``, ``"null"``, ``"list"``, ``"map"`` or ``"dynamic"``)."""

    fn: Evaluator
    text: str | _Span
    static: str = "dynamic"
    constant: bool = False


#: One postfix operation (``.name``, ``[index]``, ``.method(...)``): the
#: receiver's value in, the result out; ``ctx`` for the arguments.
Step = Callable[[dict, Any], Any]
#: One binary operation of a chain: the value so far and the next operand's.
Combine = Callable[[Any, Any], Any]


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokenize(source)
        self.i = 0
        self.depth = 0
        #: The current token (an attribute, not a property: it is read for every decision).
        self.tok = self.tokens[0]

    # token helpers
    def peek(self, offset: int = 1) -> _Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def at(self, *ops: str) -> bool:
        tok = self.tok
        return tok.kind == "op" and tok.text in ops

    def at_ident(self, *names: str) -> bool:
        return self.tok.kind == "ident" and self.tok.text in names

    def advance(self) -> _Token:
        tok = self.tok
        self.i += 1
        self.tok = self.tokens[min(self.i, len(self.tokens) - 1)]
        return tok

    def expect(self, op: str, context: str) -> _Token:
        if not self.at(op):
            raise self.unexpected(f"expected '{op}' {context}")
        return self.advance()

    def error(self, message: str, tok: _Token | None = None) -> ConditionSyntaxError:
        return ConditionSyntaxError(message, self.source, (tok or self.tok).pos)

    def unexpected(self, expected: str | None = None, tok: _Token | None = None) -> ConditionSyntaxError:
        tok = tok or self.tok
        if tok.kind == "eof":
            what = "unexpected end of condition"
        else:
            what = f"unexpected '{tok.text}'"
        hint = _HINTS.get(tok.text) if tok.kind == "op" else None
        if hint:
            return self.error(f"{what}; {hint}", tok)
        if expected:
            return self.error(f"{what}; {expected}", tok)
        return self.error(what, tok)

    def span(self, start: int) -> _Span:
        end = self.tokens[self.i - 1]
        return _Span(self.source, start, end.pos + len(end.text))

    def nest(self, tok: _Token) -> None:
        """Enter one level of nesting at ``tok``; past :data:`MAX_NESTING` the
        condition is refused, pointing at the construct that went too deep."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(
                f"the condition is nested too deeply (more than {MAX_NESTING} levels of parentheses, "
                "calls, indexes, ternaries or unary operators)",
                tok,
            )

    # entry
    def parse(self) -> _Node:
        if self.tok.kind == "eof":
            raise self.error("the condition is empty")
        if self.at_ident("return"):
            self.advance()
        node = self.expression()
        if self.at(";"):
            self.advance()
        if self.tok.kind != "eof":
            raise self.unexpected("a condition is one expression")
        return node

    # expression levels, lowest precedence first
    def expression(self) -> _Node:
        """Every nested sub-expression comes through here, so this is where
        nesting is counted. ``a ?: b ?: c`` is one chain (the first non-null)."""
        self.nest(self.tok)
        start = self.tok.pos
        operands = [self.ternary()]
        while self.at("?:"):
            self.advance()
            operands.append(self.ternary())
        self.depth -= 1
        if len(operands) == 1:
            return operands[0]
        head, last = tuple(node.fn for node in operands[:-1]), operands[-1].fn

        def elvis(ctx: dict) -> Any:
            for fn in head:
                value = fn(ctx)
                if value is not None:
                    return value
            return last(ctx)

        return _Node(elvis, self.span(start))

    def ternary(self) -> _Node:
        start = self.tok.pos
        cond = self.or_()
        if not self.at("?"):
            return cond
        self.advance()
        then = self.expression()
        self.expect(":", "in a conditional (a ? b : c)")
        other = self.expression()
        cf, tf, of, ctext = cond.fn, then.fn, other.fn, cond.text

        def conditional(ctx: dict) -> Any:
            return tf(ctx) if _truth(cf(ctx), ctext) else of(ctx)

        return _Node(conditional, self.span(start))

    # Each binary level below collects its whole chain (``a || b || c``,
    # ``a + b - c``) into one node, evaluated by a loop: a chain of any length
    # costs one Python frame, and its text is a span, not a copy per operator.

    def or_(self) -> _Node:
        start = self.tok.pos
        operands = [self.and_()]
        while self.at("||"):
            self.advance()
            operands.append(self.and_())
        if len(operands) == 1:
            return operands[0]
        return _Node(_make_logic(operands, True), self.span(start), "boolean")

    def and_(self) -> _Node:
        start = self.tok.pos
        operands = [self.equality()]
        while self.at("&&"):
            self.advance()
            operands.append(self.equality())
        if len(operands) == 1:
            return operands[0]
        return _Node(_make_logic(operands, False), self.span(start), "boolean")

    def equality(self) -> _Node:
        start = self.tok.pos
        first = self.relational()
        steps: list[tuple[Combine, _Node]] = []
        while self.at("==", "!="):
            negate = self.advance().text == "!="
            steps.append((_painless_not_equals if negate else painless_equals, self.relational()))
        if not steps:
            return first
        return _Node(_make_binary(first, steps), self.span(start), "boolean")

    def relational(self) -> _Node:
        start = self.tok.pos
        first = self.additive()
        left_text, left_static = first.text, first.static
        steps: list[tuple[Combine, _Node]] = []
        while True:
            if self.at("<", "<=", ">", ">="):
                op_tok = self.advance()
                right = self.additive()
                for text, static in ((left_text, left_static), (right.text, right.static)):
                    if static in ("string", "boolean", "null", "list", "map"):
                        raise self.error(f"'{op_tok.text}' compares numbers, but [{text}] is a {static}", op_tok)
                steps.append((_make_compare(op_tok.text, left_text, right.text), right))
            elif self.at_ident("instanceof"):
                self.advance()
                type_tok = self.tok
                if type_tok.kind != "ident":
                    raise self.unexpected("expected a type name after instanceof")
                self.advance()
                test = _INSTANCEOF.get(type_tok.text)
                if test is None:
                    raise self.error(
                        f"unknown type [{type_tok.text}] for instanceof; known: {', '.join(sorted(_INSTANCEOF))}",
                        type_tok,
                    )
                steps.append((lambda value, _none, test=test: test(value), _NULL_NODE))
            else:
                break
            left_text, left_static = self.span(start), "boolean"
        if not steps:
            return first
        return _Node(_make_binary(first, steps), self.span(start), "boolean")

    def additive(self) -> _Node:
        start = self.tok.pos
        first = self.multiplicative()
        left_text, static = first.text, first.static
        steps: list[tuple[Combine, _Node]] = []
        while self.at("+", "-"):
            op = self.advance().text
            right = self.multiplicative()
            steps.append((_make_arith(op, left_text, right.text), right))
            static = "string" if op == "+" and "string" in (static, right.static) else "dynamic"
            left_text = self.span(start)
        if not steps:
            return first
        return _Node(_make_binary(first, steps), self.span(start), static)

    def multiplicative(self) -> _Node:
        start = self.tok.pos
        first = self.unary()
        left_text = first.text
        steps: list[tuple[Combine, _Node]] = []
        while self.at("*", "/", "%"):
            op = self.advance().text
            right = self.unary()
            steps.append((_make_arith(op, left_text, right.text), right))
            left_text = self.span(start)
        if not steps:
            return first
        return _Node(_make_binary(first, steps), self.span(start))

    def unary(self) -> _Node:
        start = self.tok.pos
        if self.at("-") and self.peek().kind == "number" and not self.postfix_at(2):
            # Painless reads a minus before a literal as part of it: -2147483648 is an int.
            minus, number = self.advance(), self.advance()
            value = _number_literal(number.text, True, self.source, minus.pos)
            return _Node(lambda ctx, v=value: v, self.span(start), "number", True)
        if self.at("!"):
            self.nest(self.advance())
            operand = self.unary()
            self.depth -= 1
            if operand.static in ("string", "number", "null", "list", "map"):
                raise self.error(f"'!' needs a boolean, but [{operand.text}] is a {operand.static}")
            of, ot = operand.fn, operand.text

            def not_fn(ctx: dict) -> bool:
                return not _truth(of(ctx), ot)

            return _Node(not_fn, self.span(start), "boolean")
        if self.at("-", "+"):
            op_tok = self.advance()
            self.nest(op_tok)
            op = op_tok.text
            operand = self.unary()
            self.depth -= 1
            if operand.constant and _is_number(operand.fn({})):
                value = operand.fn({}) if op == "+" else _java_negate(operand.fn({}))
                return _Node(lambda ctx, v=value: v, self.span(start), "number", True)
            of, ot = operand.fn, operand.text

            def sign(ctx: dict) -> Any:
                value = of(ctx)
                if _is_number(value) and _java_number_type(value) != "BigInteger":
                    return value if op == "+" else _java_negate(value)
                if value is None:
                    raise _npe(f"[{ot}] is null where a number is needed")
                raise ConditionRuntimeError(
                    "class_cast_exception", f"cannot apply [{op}] to a {java_type(value)} ([{ot}])"
                )

            return _Node(sign, self.span(start))
        if self.at("(") and self.peek().kind == "ident" and self.peek(2).kind == "op" and self.peek(2).text == ")":
            name = self.peek().text
            if name in _INSTANCEOF or name in ("int", "long", "double", "float", "boolean", "short", "byte", "char"):
                raise self.error(f"casts such as ({name}) are not supported")
        return self.postfix()

    def postfix_at(self, offset: int) -> bool:
        tok = self.peek(offset)
        return tok.kind == "op" and tok.text in (".", "?.", "[")

    def postfix(self) -> _Node:
        """``ctx.a?.b[0].c()``: a chain of steps applied in a loop to the
        primary's value, however long the path."""
        start = self.tok.pos
        node = self.primary()
        first, static, receiver = node.fn, node.static, node.text
        steps: list[Step] = []
        while True:
            if self.at(".", "?."):
                dot = self.advance()
                nullsafe = dot.text == "?."
                name_tok = self.tok
                if name_tok.kind != "ident":
                    if name_tok.kind == "number":
                        raise self.error(
                            f"unexpected number after '{dot.text}'; index a list with [{name_tok.text}]", name_tok
                        )
                    raise self.unexpected(f"expected a field or method name after '{dot.text}'")
                self.advance()
                if self.at("("):
                    steps.append(self.method_call(receiver, static, name_tok, nullsafe))
                elif first is _ctx and not steps:
                    first = _top_field(name_tok.text)  # the most common shape by far, in one call
                else:
                    steps.append(_field_step(name_tok.text, nullsafe, receiver))
            elif self.at("["):
                self.advance()
                index = self.expression()
                self.expect("]", "to close the index")
                steps.append(_index_step(index.fn, receiver))
            else:
                break
            static, receiver = "dynamic", self.span(start)
        if first is node.fn and not steps:
            return node
        return _Node(_make_chain(first, steps), receiver, static)

    def method_call(self, receiver: str | _Span, static: str, name_tok: _Token, nullsafe: bool) -> Step:
        name = name_tok.text
        if name not in _ALL_METHOD_NAMES:
            raise self.error(
                f"unknown method [{name}]; conditions support {', '.join(sorted(_ALL_METHOD_NAMES))}", name_tok
            )
        self.expect("(", "to call a method")
        args: list[_Node] = []
        if not self.at(")"):
            while True:
                args.append(self.expression())
                if self.at(","):
                    self.advance()
                    continue
                break
        self.expect(")", "to close the method call")
        static_table = {"string": STRING_METHODS, "list": LIST_METHODS, "map": MAP_METHODS}.get(static)
        if static_table is not None and name not in static_table:
            raise self.error(f"a {static} has no method [{name}]", name_tok)
        return _method_step(name, [a.fn for a in args], nullsafe, receiver)

    def primary(self) -> _Node:
        tok = self.tok
        start = tok.pos
        if tok.kind == "number":
            self.advance()
            value = _number_literal(tok.text, False, self.source, tok.pos)
            return _Node(lambda ctx, v=value: v, tok.text, "number", True)
        if tok.kind == "string":
            self.advance()
            return _Node(lambda ctx, v=tok.value: v, tok.text, "string", True)
        if tok.kind == "ident":
            name = tok.text
            if name in ("true", "false"):
                self.advance()
                value = name == "true"
                return _Node(lambda ctx, v=value: v, name, "boolean", True)
            if name == "null":
                self.advance()
                return _Node(lambda ctx: None, name, "null", True)
            if name == "ctx":
                self.advance()
                return _Node(_ctx, name, "map")
            if name == "new":
                raise self.error("creating objects with 'new' is not supported")
            if name in _STATEMENT_KEYWORDS:
                raise self.error(f"'{name}' statements are not supported; a condition is one expression")
            if name == "params":
                raise self.error("script params are not supported; write the value in the condition")
            raise self.error(f"unknown variable [{name}]; a condition reads the document through ctx (ctx.{name}?)")
        if self.at("("):
            self.advance()
            inner = self.expression()
            self.expect(")", "to close the parenthesis")
            return _Node(inner.fn, self.span(start), inner.static, inner.constant)
        if self.at("["):
            return self.collection_literal()
        raise self.unexpected("expected a value, ctx, or '('")

    def collection_literal(self) -> _Node:
        start = self.tok.pos
        self.advance()  # [
        if self.at(":"):
            self.advance()
            self.expect("]", "to close the empty map [:]")
            return _Node(lambda ctx: {}, self.span(start), "map")
        if self.at("]"):
            self.advance()
            return _Node(lambda ctx: [], self.span(start), "list")
        first = self.expression()
        if self.at(":"):
            pairs = [(first, self._after_colon())]
            while self.at(","):
                self.advance()
                key = self.expression()
                pairs.append((key, self._after_colon()))
            self.expect("]", "to close the map literal")
            fns = [(k.fn, v.fn) for k, v in pairs]

            def map_literal(ctx: dict) -> dict:
                return {kf(ctx): vf(ctx) for kf, vf in fns}

            return _Node(map_literal, self.span(start), "map")
        items = [first]
        while self.at(","):
            self.advance()
            items.append(self.expression())
        self.expect("]", "to close the list literal")
        item_fns = [item.fn for item in items]

        def list_literal(ctx: dict) -> list:
            return [f(ctx) for f in item_fns]

        return _Node(list_literal, self.span(start), "list")

    def _after_colon(self) -> _Node:
        self.expect(":", "between a map key and its value")
        return self.expression()


# -- evaluator builders -------------------------------------------------------


def _ctx(ctx: dict) -> dict:
    return ctx


def _null(ctx: dict) -> None:
    return None


#: The right-hand side of ``instanceof``, which has no value of its own.
_NULL_NODE = _Node(_null, "null", "null", True)


def _make_logic(operands: list[_Node], stop_on: bool) -> Evaluator:
    """``a || b || ...`` (``stop_on`` True) or ``a && b && ...`` (False) as one
    loop: the first operand equal to ``stop_on`` decides, the rest are not
    evaluated (short-circuit), and a null or non-boolean operand met on the
    way is an error naming that operand, as in the nested form."""
    terms = tuple((node.fn, node.text) for node in operands)
    go_on = not stop_on

    def logic(ctx: dict) -> bool:
        for fn, text in terms:
            value = fn(ctx)
            if value is stop_on:
                return stop_on
            if value is not go_on:
                _truth(value, text)  # raises: null or not a boolean
        return go_on

    return logic


def _make_binary(first: _Node, steps: list[tuple[Combine, _Node]]) -> Evaluator:
    """A left-associative chain ``first op1 x1 op2 x2 ...`` folded in a loop
    (operands evaluated left to right, as Java does); one operator, the usual
    case, gets a closure without the loop."""
    lf = first.fn
    if len(steps) == 1:
        combine, rf = steps[0][0], steps[0][1].fn
        return lambda ctx: combine(lf(ctx), rf(ctx))
    pairs = tuple((combine, right.fn) for combine, right in steps)

    def chain(ctx: dict) -> Any:
        value = lf(ctx)
        for combine, rf in pairs:
            value = combine(value, rf(ctx))
        return value

    return chain


def _make_chain(first: Evaluator, steps: list[Step]) -> Evaluator:
    """A postfix chain (``ctx.a.b[0].c()``) applied step by step in a loop."""
    if not steps:
        return first
    if len(steps) == 1:
        step = steps[0]
        return lambda ctx: step(ctx, first(ctx))
    if len(steps) == 2:
        step1, step2 = steps
        return lambda ctx: step2(ctx, step1(ctx, first(ctx)))
    all_steps = tuple(steps)

    def chain(ctx: dict) -> Any:
        value = first(ctx)
        for step in all_steps:
            value = step(ctx, value)
        return value

    return chain


def _top_field(name: str) -> Evaluator:
    def top_field(ctx: dict) -> Any:
        return ctx.get(name)

    return top_field


def _field_step(name: str, nullsafe: bool, otext: str | _Span) -> Step:
    def field(ctx: dict, value: Any) -> Any:
        if type(value) is dict:
            return value.get(name)
        if value is None:
            if nullsafe:
                return None
            raise _npe(f"cannot read [{name}] of null: [{otext}] is null (write {otext}?.{name} to allow it)")
        if isinstance(value, list):
            raise ConditionRuntimeError(
                "illegal_argument_exception",
                f"cannot read field [{name}] of a list ([{otext}]); use [index] or a method such as size()",
            )
        raise ConditionRuntimeError(
            "illegal_argument_exception",
            f"cannot read field [{name}] of a {java_type(value)} ([{otext}])",
        )

    return field


def _index_step(xf: Evaluator, otext: str | _Span) -> Step:
    def subscript(ctx: dict, value: Any) -> Any:
        key = xf(ctx)
        if isinstance(value, dict):
            return value.get(key) if isinstance(key, str) else None
        if isinstance(value, list):
            if not _is_int(key):
                if key is None:
                    raise _npe(f"null index into [{otext}]")
                raise _cast_error(key, "int")
            i = key + len(value) if key < 0 else key  # Painless counts negative indexes from the end
            if not 0 <= i < len(value):
                raise ConditionRuntimeError(
                    "index_out_of_bounds_exception", f"Index {key} out of bounds for length {len(value)}"
                )
            return value[i]
        if value is None:
            raise _npe(f"cannot index null: [{otext}] is null")
        raise ConditionRuntimeError(
            "illegal_argument_exception", f"cannot index a {java_type(value)} ([{otext}])"
        )

    return subscript


def _method_step(name: str, arg_fns: list[Evaluator], nullsafe: bool, rtext: str | _Span) -> Step:
    argc = len(arg_fns)

    def call(ctx: dict, value: Any) -> Any:
        if value is None:
            if nullsafe:
                return None
            raise _npe(f"cannot call [{name}()] on null: [{rtext}] is null (write {rtext}?.{name}(...) to allow it)")
        entry = _methods_for(value).get(name)
        if entry is None or not entry[0] <= argc <= entry[1]:
            raise ConditionRuntimeError(
                "illegal_argument_exception",
                f"dynamic method [{java_type(value)}, {name}/{argc}] not found ([{rtext}] is a {java_type(value)})",
            )
        return entry[2](value, *[f(ctx) for f in arg_fns])

    return call


_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _make_compare(op: str, lt: str | _Span, rt: str | _Span) -> Combine:
    cmp = _COMPARE[op]

    def compare(a: Any, b: Any) -> bool:
        kind = type(a)
        if kind is type(b) and (
            kind is float or (kind is int and _LONG_MIN <= a <= _LONG_MAX and _LONG_MIN <= b <= _LONG_MAX)
        ):
            return cmp(a, b)  # two doubles, or two integers that promotion leaves as they are
        if _is_number(a) and _is_number(b):
            _, x, y = _promoted(a, b)  # a long meets a double as a double, as in Java
            return cmp(x, y)
        for value, text in ((a, lt), (b, rt)):
            if value is None:
                raise _npe(f"cannot compare null with '{op}': [{text}] is null")
        raise ConditionRuntimeError(
            "class_cast_exception",
            f"cannot apply [{op}] to types [{java_type(a)}] and [{java_type(b)}] ([{lt}] {op} [{rt}])",
        )

    return compare


def _make_arith(op: str, lt: str | _Span, rt: str | _Span) -> Combine:
    int_op = _INT_OPS[op]

    def arith(a: Any, b: Any) -> Any:
        if type(a) is int and type(b) is int and _INT_MIN <= a <= _INT_MAX and _INT_MIN <= b <= _INT_MAX:
            result = int_op(a, b)  # int op int, inline: the common case
            return result if _INT_MIN <= result <= _INT_MAX else _wrap_int(result)
        if op == "+" and (isinstance(a, str) or isinstance(b, str)):
            return java_string(a) + java_string(b)
        if _is_number(a) and _is_number(b):
            return java_arithmetic(op, a, b)
        for value, text in ((a, lt), (b, rt)):
            if value is None:
                raise _npe(f"[{text}] is null where a number is needed")
        raise ConditionRuntimeError(
            "class_cast_exception",
            f"cannot apply [{op}] to types [{java_type(a)}] and [{java_type(b)}] ([{lt}] {op} [{rt}])",
        )

    return arith


# -- the public object ------------------------------------------------------------


class Condition:
    """A parsed ``if`` condition, ready to evaluate against documents.

    Parsing happens once, here; :meth:`evaluate` runs compiled closures, so a
    condition costs a few hundred nanoseconds per document.
    """

    __slots__ = ("source", "_fn", "_text")

    def __init__(self, source: str) -> None:
        if not isinstance(source, str):
            raise TypeError("a condition is a string")
        self.source = source
        try:
            node = _Parser(source).parse()
        except RecursionError:
            raise ConditionSyntaxError("the condition is nested too deeply", source, 0) from None
        if node.static in ("string", "number", "null", "list", "map"):
            raise ConditionSyntaxError(
                f"a condition must be true or false, but [{node.text}] is a {node.static}", source, 0
            )
        self._fn = node.fn
        self._text = node.text

    def evaluate(self, ctx: dict[str, Any]) -> bool:
        """True or False for the document source ``ctx`` (read, never modified).

        Raises :class:`ConditionRuntimeError` where Painless would throw: a
        null where a value is needed, a comparison of non-numbers, a
        condition whose result is not a boolean.
        """
        try:
            result = self._fn(ctx)
        except ConditionRuntimeError:
            raise
        except (ArithmeticError, TypeError, ValueError, RecursionError) as exc:
            # e.g. an integer too large for a float; Painless would overflow or throw
            raise ConditionRuntimeError("arithmetic_exception", f"{type(exc).__name__}: {exc}") from None
        if result is True or result is False:
            return result
        if result is None:
            raise _npe(f"the condition [{self._text}] returned null, not true or false")
        raise ConditionRuntimeError(
            "class_cast_exception",
            f"the condition [{self._text}] returned a {java_type(result)}, not true or false",
        )

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"
