"""Elasticsearch's ``grok`` processor: named regular expressions, ``%{NAME:field:type}``.

Grok expressions are expanded as Elasticsearch's ``Grok.toRegex`` expands
them (``libs/grok``): ``%{NAME}`` becomes the named pattern in a
non-capturing group, ``%{NAME:field}`` a capture named ``field``,
``%{NAME:field:type}`` one converted to ``int``, ``long``, ``float``,
``double`` or ``boolean`` (another type name means string, as there).
Several patterns are combined into one alternation, so "first match wins"
means what it means in Elasticsearch: the leftmost match of any pattern,
the earlier pattern on a tie. A field captured more than once becomes a
list; captures that did not take part in the match are left out.

Elasticsearch compiles with Joni (Oniguruma's Ruby syntax); here Python's
``re`` runs the expression after :func:`translate_oniguruma` rewrote what
differs: ``(?<name>...)`` captures (renamed, since Python forbids a name
twice), atomic groups ``(?>...)`` (emulated with a lookahead and a
backreference, which Python 3.10 lacks), mid-pattern flags ``(?i)``
(scoped to their group, as in Oniguruma; ``m`` is Ruby's dot-all), ``\\h``
(a hex digit in Oniguruma), POSIX brackets ``[[:alpha:]]``, ``\\z``.
Possessive quantifiers, ``\\p{..}``, ``\\k<name>`` and nested classes are
refused at load rather than misread. ``^`` and ``$`` are line anchors, as in
Ruby syntax, and ``.`` does not cross a line end unless ``(?m)`` says so.

The pattern banks are data files of ingesthost's own, one directory per
``ecs_compatibility`` mode (see :mod:`.grok_bank`): ``disabled`` (the
default, Logstash's legacy names) or ``v1`` (Elastic Common Schema names);
any other value is refused as Elasticsearch refuses it.

A capture's field is what Elasticsearch makes of it (``GrokCaptureConfig``,
``GrokProcessor``): the group name split on ``:``, its second part (the
whole name for a plain ``(?<name>...)``), written to the document as an
ingest field path, so dots nest (``source.address`` is
``{"source": {"address": ...}}``) and ``_ingest.`` reaches the ingest
metadata. Nothing else is read into the name: Elasticsearch's ecs-v1 bank
writes its ECS fields with dots, and Logstash's field-reference syntax
``[source][address]`` is not converted, in either mode, but kept as a field
of that literal name, as there; a name with a character outside
``[A-Za-z0-9@[]_:.-]`` (``a(b)``, ``code?``) is no reference at all, so
``%{NAME:a(b)}`` stays literal text in the expression (Elasticsearch's
``[:alnum:]`` also takes the letters of other scripts, ``%{WORD:métadata}``;
here only ASCII ones do).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from ..document import IngestDocument
from ..errors import PipelineConfigError
from . import wasm as _wasm
from .builtins import read_bool, read_string, set_field
from .field_base import FieldProcessor, cast_error, field_error, field_path
from .grok_bank import ECS_COMPATIBILITY_MODES, builtin_patterns
from .javaisms import parse_java_double, parse_java_float, parse_java_int

__all__ = ["GrokExpression", "GrokProcessor", "translate_oniguruma"]


# -- grok expressions -----------------------------------------------------------------------------

# Elasticsearch's GROK_PATTERN: %{NAME}, %{NAME:sub[:type]}, %{NAME=definition} (definitions ignored, as there).
_GROK_REF = re.compile(
    r"%\{(?P<name>(?P<pattern>[A-z0-9]+)(?::(?P<subname>[A-Za-z0-9@\[\]_:.-]+))?)(?:=(?P<definition>(?:[^{}]+|\.+)+))?\}"
)
_MAX_EXPANSIONS = 100_000


class GrokError(ValueError):
    pass


def expand(grok: str, bank: Mapping[str, str]) -> str:
    """``Grok.toRegex``: references replaced, left to right, until none is left."""
    out: list[str] = []
    for _ in range(_MAX_EXPANSIONS):
        match = _GROK_REF.search(grok)
        if match is None:
            out.append(grok)
            return "".join(out)
        name, subname = match.group("pattern"), match.group("subname")
        pattern = bank.get(name)
        if pattern is None:
            raise GrokError(f"Unable to find pattern [{name}] in Grok's pattern dictionary")
        if f"%{{{name}}}" in pattern or f"%{{{name}:" in pattern:
            raise GrokError(f"circular reference in pattern back [{name}]")
        part = f"(?<{match.group('name')}>{pattern})" if subname is not None else f"(?:{pattern})"
        out.append(grok[: match.start()])
        grok = part + grok[match.end():]
    raise GrokError("Can not convert grok patterns to regular expression")


def forbid_circular_references(bank: Mapping[str, str], names: "list[str] | None" = None) -> None:
    """``Grok.forbidCircularReferences`` for the given definitions (default: all)."""

    def visit(name: str, path: list[str]) -> None:
        pattern = bank.get(name)
        if pattern is None:
            return
        for match in re.finditer(r"%\{([^}:]*)", pattern):
            other = match.group(1)
            if other == path[0]:
                via = f" via patterns [{'=>'.join(path[1:])}]" if len(path) > 1 else ""
                if len(path) == 1:
                    raise GrokError(f"circular reference in pattern [{name}][{pattern}]")
                raise GrokError(f"circular reference in pattern [{name}][{pattern}] back to pattern [{path[0]}]{via}")
            if other in path or len(path) > 100:
                continue
            visit(other, path + [other])

    for name in names if names is not None else list(bank):
        visit(name, [name])


_POSIX = {
    "alnum": r"0-9A-Za-z", "alpha": r"A-Za-z", "digit": r"0-9", "lower": r"a-z", "upper": r"A-Z",
    "space": r"\s", "blank": r" \t", "xdigit": r"0-9A-Fa-f", "word": r"\w", "punct": r"!-/:-@\[-`{-~",
    "cntrl": r"\x00-\x1f\x7f", "print": r"\x20-\x7e", "graph": r"\x21-\x7e",
}
_FLAGS = re.compile(r"\(\?([imx]*)(?:-([imx]*))?(\)|:)")


def _python_flags(on: str, off: str) -> str:
    """Ruby's ``m`` is dot-all (Python's ``s``)."""
    on, off = on.replace("m", "s"), (off or "").replace("m", "s")
    return on + (f"-{off}" if off else "")


def translate_oniguruma(pattern: str) -> "tuple[str, list[tuple[str, str]]]":
    """An Oniguruma (Ruby syntax) regex as a Python one, and its named captures in
    order as (Python group name, Oniguruma name). Raises GrokError for syntax
    Python cannot express."""
    out: list[str] = []
    captures: list[tuple[str, str]] = []
    # one entry per open group: extra text to write when it closes
    closers: list[str] = []
    scoped = [0]  # per group depth: how many "(?i:" opened by a bare flag group are pending
    i, n = 0, len(pattern)
    prev_quantifier = False
    atomic = 0
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise GrokError("too short escape sequence")
            nxt = pattern[i + 1]
            if nxt == "h":
                out.append("[0-9a-fA-F]")
            elif nxt == "H":
                out.append("[^0-9a-fA-F]")
            elif nxt == "z":
                out.append(r"\Z")
            elif nxt == "Z":
                out.append(r"(?=\n?\Z)")
            elif nxt in "pPkgGXRK":
                raise GrokError(f"\\{nxt} is not supported by ingesthost's grok")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            prev_quantifier = False
            continue
        if c == "[":
            j, body = _char_class(pattern, i)
            out.append(body)
            i = j
            prev_quantifier = False
            continue
        if c == "(":
            prev_quantifier = False
            if pattern.startswith("(?#", i):
                end = pattern.find(")", i)
                i = n if end < 0 else end + 1
                continue
            flags = _FLAGS.match(pattern, i)
            if flags and (flags.group(1) or flags.group(2)):
                text = _python_flags(flags.group(1), flags.group(2) or "")
                if flags.group(3) == ")":  # bare: applies to the rest of the enclosing group
                    out.append(f"(?{text}:")
                    scoped[-1] += 1
                else:
                    out.append(f"(?{text}:")
                    closers.append(")")
                    scoped.append(0)
                i = flags.end()
                continue
            named = re.compile(r"\(\?(?:<([A-Za-z_][^>]*)>|'([^']+)')").match(pattern, i)
            if named and not pattern.startswith(("(?<=", "(?<!"), i):
                name = named.group(1) or named.group(2)
                internal = f"_g{len(captures)}"
                captures.append((internal, name))
                out.append(f"(?P<{internal}>")
                closers.append(")")
                scoped.append(0)
                i = named.end()
                continue
            if pattern.startswith("(?>", i):
                atomic += 1
                name = f"_a{atomic}"
                out.append(f"(?:(?=(?P<{name}>")
                closers.append(f"))(?P={name}))")
                scoped.append(0)
                i += 3
                continue
            head = re.compile(r"\(\?(?:[:=!]|<[=!])").match(pattern, i)
            if pattern.startswith("(?", i) and head is None:
                raise GrokError(f"unsupported group syntax at {pattern[i:i + 4]!r}")
            text = head.group(0) if head else "("
            out.append(text)
            closers.append(")")
            scoped.append(0)
            i += len(text)
            continue
        if c == ")":
            if not closers:
                raise GrokError("unmatched close parenthesis")
            out.append(")" * scoped.pop())
            out.append(closers.pop())
            i += 1
            prev_quantifier = False
            continue
        if c in "*+?":
            if prev_quantifier and c == "+":
                raise GrokError("possessive quantifiers are not supported by ingesthost's grok")
            out.append(c)
            prev_quantifier = not (prev_quantifier and c == "?")  # "*?" is lazy: nothing may follow
            i += 1
            continue
        if c == "{":
            brace = re.compile(r"\{\d*,?\d*\}").match(pattern, i)
            if brace and brace.group(0) != "{,}" and brace.group(0) != "{}":
                out.append(brace.group(0))
                i = brace.end()
                prev_quantifier = True
                continue
            out.append(r"\{")
            i += 1
            prev_quantifier = False
            continue
        if c == "}":
            out.append(r"\}")
            i += 1
            prev_quantifier = False
            continue
        out.append(c)
        i += 1
        prev_quantifier = False
    if closers:
        raise GrokError("end pattern with unmatched parenthesis")
    out.append(")" * scoped[0])
    return "".join(out), captures


def _char_class(pattern: str, start: int) -> "tuple[int, str]":
    """A bracket expression from ``start`` (the ``[``): its end and its Python text."""
    out = ["["]
    i = start + 1
    if pattern.startswith("^", i):
        out.append("^")
        i += 1
    first = True
    while i < len(pattern):
        c = pattern[i]
        if c == "]" and not first:
            out.append("]")
            return i + 1, "".join(out)
        first = False
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "h":
                out.append("0-9a-fA-F")
            elif nxt in "pP":
                raise GrokError(f"\\{nxt} is not supported by ingesthost's grok")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[":
            posix = re.compile(r"\[:(\^?)([a-z]+):\]").match(pattern, i)
            if posix and posix.group(2) in _POSIX and not posix.group(1):
                out.append(_POSIX[posix.group(2)])
                i = posix.end()
                continue
            raise GrokError("nested character classes are not supported by ingesthost's grok")
        if c == "&" and pattern.startswith("&&", i):
            raise GrokError("character class intersections (&&) are not supported by ingesthost's grok")
        if c in "-&~|" and pattern.startswith(c * 2, i):
            out.append("\\" + c)  # Python warns about (and may one day read) doubled set operators
            i += 1
            continue
        out.append(c)
        i += 1
    raise GrokError("premature end of char-class")


def _java_boolean(text: str) -> bool:
    return text.lower() == "true"


def _number_error(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError:
            raise ValueError(f'For input string: "{text}"') from None

    return convert


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "int": _number_error(lambda text: parse_java_int(text, 32, decode=False)),
    "long": _number_error(lambda text: parse_java_int(text, 64, decode=False)),
    "float": _number_error(parse_java_float),
    "double": _number_error(parse_java_double),
    "boolean": _java_boolean,
}


class GrokExpression:
    """One grok expression compiled: :meth:`captures` gives field -> value, or None."""

    def __init__(self, grok: str, bank: Mapping[str, str]) -> None:
        self.grok = grok
        expression = expand(grok, bank)
        python, named = translate_oniguruma(expression)
        try:
            # Oniguruma's Ruby syntax (Joni's default) reads ^ and $ as line anchors, Python's re.M
            self.regex = re.compile(python, re.MULTILINE)
        except re.error as exc:
            raise GrokError(str(exc)) from None
        self.fields: list[tuple[str, str, Callable[[str], Any] | None]] = []
        for internal, name in named:
            parts = name.split(":")
            field = parts[1] if len(parts) >= 2 else parts[0]
            kind = parts[2] if len(parts) == 3 else "string"
            self.fields.append((internal, field, _CONVERTERS.get(kind)))

    def captures(self, text: str) -> "dict[str, Any] | None":
        match = self.regex.search(text)
        if match is None:
            return None
        result: dict[str, Any] = {}
        for internal, field, convert in self.fields:
            value = match.group(internal)
            if value is None:
                continue
            value = convert(value) if convert is not None else value
            if field in result:
                previous = result[field]
                if isinstance(previous, _Values):
                    previous.append(value)
                else:
                    result[field] = _Values([previous, value])
            else:
                result[field] = value
        return {k: list(v) if isinstance(v, _Values) else v for k, v in result.items()}


class _Values(list):  # type: ignore[type-arg]
    """Several captures of one name (told apart from a captured list, which cannot happen, for clarity)."""


# -- the processor ---------------------------------------------------------------------------------

_MATCH_KEY = "_ingest._grok_match_index"


def combine_patterns(patterns: list[str], trace_match: bool) -> str:
    """``GrokProcessor.combinePatterns``: one alternation, each branch tagged with its index when tracing."""
    if len(patterns) == 1:
        return patterns[0]
    if trace_match:
        return "|".join(f"(?<{_MATCH_KEY}.{i}>{p})" for i, p in enumerate(patterns))
    return "|".join(f"(?:{p})" for p in patterns)


class GrokProcessor(FieldProcessor):
    """``grok``: match ``field`` against ``patterns``, write the named captures as fields."""

    type = "grok"
    options = frozenset({"patterns", "pattern_definitions", "trace_match", "ecs_compatibility"})
    takes_target = False

    def _captures(self, value: str) -> Any:
        """The match, under the time limit of a guest call where one is kept
        (a worker process): a pattern that backtracks without end on some
        input fails that document when the worker is replaced, instead of
        hanging the run."""
        watch = _wasm.watchdog
        if watch is None:
            return self.expression.captures(value)
        token = watch.enter(self)
        try:
            return self.expression.captures(value)
        finally:
            watch.leave(token)

    def configure(self, options: dict[str, Any]) -> None:
        patterns = options.get("patterns")
        if patterns is None:
            raise PipelineConfigError("[patterns] required property is missing")
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise PipelineConfigError("[patterns] property isn't a list of strings")
        self.trace_match = read_bool(options, "trace_match", False)
        mode = read_string(options, "ecs_compatibility", required=False)
        if mode is None:  # absent (or null): the default; "" is a mode name like any other, and refused
            mode = "disabled"
        if mode not in ECS_COMPATIBILITY_MODES:  # checked before the empty list, as in GrokProcessor.Factory
            raise PipelineConfigError(f"[ecs_compatibility] unsupported mode '{mode}'")
        if not patterns:
            raise PipelineConfigError("[patterns] List of patterns must not be empty")
        definitions = options.get("pattern_definitions")
        if definitions is not None and (
            not isinstance(definitions, dict) or not all(isinstance(v, str) for v in definitions.values())
        ):
            raise PipelineConfigError("[pattern_definitions] property isn't a map of strings")
        bank = {**builtin_patterns(mode), **(definitions or {})}
        self.patterns = patterns
        try:
            forbid_circular_references(bank, list(definitions or {}))
            self.expression = GrokExpression(combine_patterns(patterns, self.trace_match), bank)
        except GrokError as exc:
            shown = "[" + ", ".join(patterns) + "]"
            raise PipelineConfigError(f"[patterns] Invalid regex pattern found in: {shown}. {exc}") from None

    def write(self, document: IngestDocument, value: Any, path: str, parts: list[str]) -> None:
        if not isinstance(value, str):
            raise cast_error(path, value, "string")
        matches = self._captures(value)
        if matches is None:
            raise field_error(f"Provided Grok expressions do not match field value: [{value}]")
        index = "0"
        for name, captured in matches.items():
            if name.startswith(_MATCH_KEY + "."):
                index = name[len(_MATCH_KEY) + 1:]
                continue
            set_field(document, field_path(name), name, captured)
        if self.trace_match:
            set_field(document, field_path(_MATCH_KEY), _MATCH_KEY, index)
