"""The ``if`` condition language: the part of Painless that ingest conditions use.

Elasticsearch runs a processor's ``if`` as a Painless script over a
read-only ``ctx``. Nearly every condition people write is one expression::

    ctx.log?.level == 'debug' && !ctx.tags?.contains('keep')

This module parses that subset once, at load, with a hand-written
recursive-descent parser, and compiles it into Python closures; nothing is
ever handed to Python's ``eval``. What it does not support is refused at load
with the column where it stops (``column 12: unexpected '='; did you mean
'=='?``), so a pipeline never fails at run time on syntax.

Run-time rules follow Painless where users can tell the difference:

* ``ctx.missing`` is null; ``ctx.a.b`` when ``ctx.a`` is null is an error
  (a NullPointerException in Painless) unless written ``ctx.a?.b``.
* ``==`` compares numbers by value (``1 == 1.0``), anything else with Java's
  ``equals`` (``true != 1``, ``'1' != 1``); null equals only null.
* ``<``, ``<=``, ``>``, ``>=`` need numbers; ``&&``, ``||``, ``!`` and the
  result of the whole condition need booleans (null is an error there).

Errors during evaluation raise :class:`ConditionRuntimeError`, whose
``error_type`` names the Java exception Painless would have thrown.

The grammar (lowest precedence first)::

    condition  := ['return'] expression [';']
    expression := ternary ['?:' expression]                 (elvis: a ?: b)
    ternary    := or ['?' expression ':' expression]
    or         := and ('||' and)*
    and        := equality ('&&' equality)*
    equality   := relational (('==' | '!=') relational)*
    relational := additive (('<' | '<=' | '>' | '>=') additive | 'instanceof' TYPE)*
    additive   := multiplicative (('+' | '-') multiplicative)*
    multiplicative := unary (('*' | '/' | '%') unary)*
    unary      := ('!' | '-' | '+') unary | postfix
    postfix    := primary ( ('.' | '?.') NAME ['(' args ')'] | '[' expression ']' )*
    primary    := 'ctx' | literal | '(' expression ')' | '[' list or map literal ']'
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from dataclasses import dataclass
from typing import Any, Callable

__all__ = [
    "Condition",
    "ConditionRuntimeError",
    "ConditionSyntaxError",
    "STRING_METHODS",
    "LIST_METHODS",
    "MAP_METHODS",
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
_NUMBER_RE = re.compile(
    r"0[xX][0-9a-fA-F]+[lL]?"
    r"|(?:\d+\.\d*|\d+)(?:[eE][+-]?\d+)?[lLfFdD]?"
)
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


@dataclass(frozen=True)
class _Token:
    kind: str  # "ident", "number", "string", "op", "eof"
    text: str
    pos: int
    value: Any = None


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
            continue
        if source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if source.startswith("/*", i):
            end = source.find("*/", i + 2)
            if end < 0:
                raise ConditionSyntaxError("unterminated comment", source, i)
            i = end + 2
            continue
        if ch in "'\"":
            value, end = _read_string(source, i)
            tokens.append(_Token("string", source[i:end], i, value))
            i = end
            continue
        if ch.isdigit():
            match = _NUMBER_RE.match(source, i)
            assert match is not None
            text = match.group()
            if match.end() < n and (_IDENT_RE.match(source, match.end())):
                raise ConditionSyntaxError(f"invalid number [{source[i:match.end() + 1]}...]", source, i)
            tokens.append(_Token("number", text, i, _number_value(text, source, i)))
            i = match.end()
            continue
        match = _IDENT_RE.match(source, i)
        if match:
            tokens.append(_Token("ident", match.group(), i))
            i = match.end()
            continue
        for op in _OPERATORS:
            if source.startswith(op, i):
                tokens.append(_Token("op", op, i))
                i += len(op)
                break
        else:
            raise ConditionSyntaxError(f"unexpected character {ch!r}", source, i)
    tokens.append(_Token("eof", "", n))
    return tokens


def _read_string(source: str, start: int) -> tuple[str, int]:
    """A Painless string literal: ``'...'`` or ``"..."``; the only escapes are a
    backslash before the quote character and a doubled backslash."""
    quote = source[start]
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


def _number_value(text: str, source: str, pos: int) -> int | float:
    body = text
    if body[-1] in "lLfFdD" and not body.lower().startswith("0x"):
        suffix = body[-1].lower()
        body = body[:-1]
        if suffix in "fd":
            return float(body)
    elif body[-1] in "lL":
        body = body[:-1]
    if body.lower().startswith("0x"):
        return int(body, 16)
    if any(c in body for c in ".eE"):
        return float(body)
    return int(body)


# -- Java-flavoured value semantics ---------------------------------------------

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def java_type(value: Any) -> str:
    """The Java class name Painless would report for a JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer" if _INT_MIN <= value <= _INT_MAX else "Long"
    if isinstance(value, float):
        return "Double"
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
    """``a.equals(b)`` for JSON values as Elasticsearch holds them: an Integer
    never equals a Double or a Boolean; lists and maps compare element-wise."""
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, float) and isinstance(b, float):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(java_equals(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(java_equals(v, b[k]) for k, v in a.items())
    return False


def painless_equals(a: Any, b: Any) -> bool:
    """Painless ``==`` on dynamic values: numbers by value across types, else ``equals``."""
    if _is_number(a) and _is_number(b):
        return a == b
    return java_equals(a, b)


def java_string(value: Any) -> str:
    """``String.valueOf(value)`` for JSON values (used by ``+`` on strings)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(java_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_string(v)}" for k, v in value.items()) + "}"
    return str(value)


def java_double_string(value: float) -> str:
    """``Double.toString``: ``1.0``, ``0.001``, ``1.0E7``, ``1.5E-5``, ``NaN``, ``Infinity``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        return repr(value)  # Python and Java agree on the fixed notation in this range
    exact = Decimal(repr(value))
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
    if isinstance(value, int) and not isinstance(value, bool):
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
    return isinstance(v, int) and not isinstance(v, bool) and _INT_MIN <= v <= _INT_MAX


def _is_long(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and not _is_int(v)


_INSTANCEOF: dict[str, Callable[[Any], bool]] = {
    "String": lambda v: isinstance(v, str),
    "CharSequence": lambda v: isinstance(v, str),
    "Integer": _is_int,
    "Long": _is_long,
    "Double": lambda v: isinstance(v, float),
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


@dataclass(frozen=True)
class _Node:
    """A compiled sub-expression: its evaluator, its source text, and what is
    known about its type before running (``"boolean"``, ``"string"``,
    ``"number"``, ``"null"``, ``"list"``, ``"map"`` or ``"dynamic"``)."""

    fn: Evaluator
    text: str
    static: str = "dynamic"
    constant: bool = False


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokenize(source)
        self.i = 0

    # token helpers
    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

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

    def span(self, start: int) -> str:
        end = self.tokens[self.i - 1]
        return self.source[start : end.pos + len(end.text)].strip()

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
        start = self.tok.pos
        left = self.ternary()
        if self.at("?:"):
            self.advance()
            right = self.expression()
            lf, rf = left.fn, right.fn

            def elvis(ctx: dict) -> Any:
                value = lf(ctx)
                return value if value is not None else rf(ctx)

            return _Node(elvis, self.span(start))
        return left

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

    def or_(self) -> _Node:
        start = self.tok.pos
        left = self.and_()
        while self.at("||"):
            self.advance()
            right = self.and_()
            lf, rf, lt, rt = left.fn, right.fn, left.text, right.text

            def or_fn(ctx: dict, lf=lf, rf=rf, lt=lt, rt=rt) -> bool:
                return _truth(lf(ctx), lt) or _truth(rf(ctx), rt)

            left = _Node(or_fn, self.span(start), "boolean")
        return left

    def and_(self) -> _Node:
        start = self.tok.pos
        left = self.equality()
        while self.at("&&"):
            self.advance()
            right = self.equality()
            lf, rf, lt, rt = left.fn, right.fn, left.text, right.text

            def and_fn(ctx: dict, lf=lf, rf=rf, lt=lt, rt=rt) -> bool:
                return _truth(lf(ctx), lt) and _truth(rf(ctx), rt)

            left = _Node(and_fn, self.span(start), "boolean")
        return left

    def equality(self) -> _Node:
        start = self.tok.pos
        left = self.relational()
        while self.at("==", "!="):
            negate = self.advance().text == "!="
            right = self.relational()
            left = _Node(_make_equals(left.fn, right.fn, negate), self.span(start), "boolean")
        return left

    def relational(self) -> _Node:
        start = self.tok.pos
        left = self.additive()
        while True:
            if self.at("<", "<=", ">", ">="):
                op_tok = self.advance()
                right = self.additive()
                for side in (left, right):
                    if side.static in ("string", "boolean", "null", "list", "map"):
                        raise self.error(
                            f"'{op_tok.text}' compares numbers, but [{side.text}] is a {side.static}", op_tok
                        )
                left = _Node(_make_compare(op_tok.text, left, right), self.span(start), "boolean")
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
                lf = left.fn

                def instanceof(ctx: dict, lf=lf, test=test) -> bool:
                    return test(lf(ctx))

                left = _Node(instanceof, self.span(start), "boolean")
            else:
                return left

    def additive(self) -> _Node:
        start = self.tok.pos
        left = self.multiplicative()
        while self.at("+", "-"):
            op = self.advance().text
            right = self.multiplicative()
            static = "string" if op == "+" and "string" in (left.static, right.static) else "dynamic"
            left = _Node(_make_arith(op, left, right), self.span(start), static)
        return left

    def multiplicative(self) -> _Node:
        start = self.tok.pos
        left = self.unary()
        while self.at("*", "/", "%"):
            op = self.advance().text
            right = self.unary()
            left = _Node(_make_arith(op, left, right), self.span(start))
        return left

    def unary(self) -> _Node:
        start = self.tok.pos
        if self.at("!"):
            self.advance()
            operand = self.unary()
            if operand.static in ("string", "number", "null", "list", "map"):
                raise self.error(f"'!' needs a boolean, but [{operand.text}] is a {operand.static}")
            of, ot = operand.fn, operand.text

            def not_fn(ctx: dict) -> bool:
                return not _truth(of(ctx), ot)

            return _Node(not_fn, self.span(start), "boolean")
        if self.at("-", "+"):
            op = self.advance().text
            operand = self.unary()
            if operand.constant and _is_number(operand.fn({})):
                value = operand.fn({}) if op == "+" else -operand.fn({})
                return _Node(lambda ctx, v=value: v, self.span(start), "number", True)
            of, ot = operand.fn, operand.text

            def sign(ctx: dict) -> Any:
                value = of(ctx)
                if not _is_number(value):
                    if value is None:
                        raise _npe(f"[{ot}] is null where a number is needed")
                    raise ConditionRuntimeError(
                        "class_cast_exception", f"cannot apply [{op}] to a {java_type(value)} ([{ot}])"
                    )
                return value if op == "+" else -value

            return _Node(sign, self.span(start))
        if self.at("(") and self.peek().kind == "ident" and self.peek(2).kind == "op" and self.peek(2).text == ")":
            name = self.peek().text
            if name in _INSTANCEOF or name in ("int", "long", "double", "float", "boolean", "short", "byte", "char"):
                raise self.error(f"casts such as ({name}) are not supported")
        return self.postfix()

    def postfix(self) -> _Node:
        start = self.tok.pos
        node = self.primary()
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
                    node = self.method_call(node, name_tok, nullsafe, start)
                else:
                    node = _Node(_make_field(node, name_tok.text, nullsafe), self.span(start))
            elif self.at("["):
                self.advance()
                index = self.expression()
                self.expect("]", "to close the index")
                node = _Node(_make_index(node, index), self.span(start))
            else:
                return node

    def method_call(self, receiver: _Node, name_tok: _Token, nullsafe: bool, start: int) -> _Node:
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
        text = self.span(start)
        static_table = {"string": STRING_METHODS, "list": LIST_METHODS, "map": MAP_METHODS}.get(receiver.static)
        if static_table is not None and name not in static_table:
            raise self.error(f"a {receiver.static} has no method [{name}]", name_tok)
        return _Node(_make_method(receiver, name, [a.fn for a in args], nullsafe), text)

    def primary(self) -> _Node:
        tok = self.tok
        start = tok.pos
        if tok.kind == "number":
            self.advance()
            return _Node(lambda ctx, v=tok.value: v, tok.text, "number", True)
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


def _make_field(obj: _Node, name: str, nullsafe: bool) -> Evaluator:
    of, otext = obj.fn, obj.text
    if of is _ctx:
        # The most common shape by far: a top-level field.
        def top_field(ctx: dict) -> Any:
            return ctx.get(name)

        return top_field

    def field(ctx: dict) -> Any:
        value = of(ctx)
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


def _make_index(obj: _Node, index: _Node) -> Evaluator:
    of, xf, otext = obj.fn, index.fn, obj.text

    def subscript(ctx: dict) -> Any:
        value = of(ctx)
        key = xf(ctx)
        if isinstance(value, dict):
            return value.get(key) if isinstance(key, str) else None
        if isinstance(value, list):
            if not (isinstance(key, int) and not isinstance(key, bool)):
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


def _make_method(receiver: _Node, name: str, arg_fns: list[Evaluator], nullsafe: bool) -> Evaluator:
    rf, rtext, argc = receiver.fn, receiver.text, len(arg_fns)

    def call(ctx: dict) -> Any:
        value = rf(ctx)
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


def _make_equals(lf: Evaluator, rf: Evaluator, negate: bool) -> Evaluator:
    if negate:
        return lambda ctx: not painless_equals(lf(ctx), rf(ctx))
    return lambda ctx: painless_equals(lf(ctx), rf(ctx))


_COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _make_compare(op: str, left: _Node, right: _Node) -> Evaluator:
    lf, rf, lt, rt, cmp = left.fn, right.fn, left.text, right.text, _COMPARE[op]

    def compare(ctx: dict) -> bool:
        a, b = lf(ctx), rf(ctx)
        if _is_number(a) and _is_number(b):
            return cmp(a, b)
        for value, text in ((a, lt), (b, rt)):
            if value is None:
                raise _npe(f"cannot compare null with '{op}': [{text}] is null")
        raise ConditionRuntimeError(
            "class_cast_exception",
            f"cannot apply [{op}] to types [{java_type(a)}] and [{java_type(b)}] ([{lt}] {op} [{rt}])",
        )

    return compare


def _java_div(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        if b == 0:
            raise ConditionRuntimeError("arithmetic_exception", "/ by zero")
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _java_rem(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        if b == 0:
            raise ConditionRuntimeError("arithmetic_exception", "/ by zero")
        return a - b * _java_div(a, b)
    if b == 0:
        return math.nan
    return math.fmod(a, b)


_ARITH = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _java_div,
    "%": _java_rem,
}


def _make_arith(op: str, left: _Node, right: _Node) -> Evaluator:
    lf, rf, lt, rt, fn = left.fn, right.fn, left.text, right.text, _ARITH[op]

    def arith(ctx: dict) -> Any:
        a, b = lf(ctx), rf(ctx)
        if op == "+" and (isinstance(a, str) or isinstance(b, str)):
            return java_string(a) + java_string(b)
        if _is_number(a) and _is_number(b):
            return fn(a, b)
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
