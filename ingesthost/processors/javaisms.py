"""Java's rules, in Python, where Elasticsearch's processors lean on them.

Elasticsearch's processors are thin layers over the JDK: ``String.split``
(regex, trailing empty strings dropped), ``Matcher.replaceAll`` (``$1``
replacements), ``Integer.parseInt``/``Double.parseDouble`` (what counts as a
number), ``URLDecoder``, ``ByteSizeValue``, Lucene's HTML stripper, Murmur3.
A pipeline moved from Elasticsearch must give the same documents, so these
are reproduced here rather than replaced by their Python near-equivalents
(``int()`` accepts ``" 1_0 "``; ``str.split`` is not a regex; ``str.strip``
trims Unicode spaces where ``String.trim`` trims only ``<= ' '``).

Everything raises :class:`ValueError` with the message Elasticsearch would
give (or close to it); the processors turn it into their failure.
"""

from __future__ import annotations

import html
import math
import re
import struct
from decimal import ROUND_UP, Decimal
from typing import Callable, Match, Pattern

__all__ = [
    "compile_java_regex",
    "java_replacement",
    "java_split",
    "java_trim",
    "parse_java_double",
    "parse_java_float",
    "parse_java_int",
    "parse_byte_size",
    "url_decode",
    "html_strip",
    "murmur3_x64_128",
    "utf16_key",
]

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1


def utf16_key(text: str) -> bytes:
    """A sort key giving Java's ``String.compareTo`` order (UTF-16 code units,
    which differs from code point order above U+FFFF)."""
    return text.encode("utf-16-be", "surrogatepass")


def java_trim(text: str) -> str:
    """``String.trim()``: strips characters up to U+0020 only, not Unicode spaces."""
    start, end = 0, len(text)
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return text[start:end]


# -- regular expressions ---------------------------------------------------------------

_HORIZONTAL_SPACE = "[ \\t\\xa0\\u1680\\u180e\\u2000-\\u200a\\u202f\\u205f\\u3000]"


def compile_java_regex(pattern: str) -> Pattern[str]:
    """A Java regex, translated to Python's ``re`` where the syntax differs.

    Translated: named groups ``(?<name>...)``, ``\\Q...\\E`` quoting, ``\\z``,
    ``\\Z``, ``\\h``. What Python's ``re`` lacks (possessive quantifiers,
    atomic groups, ``\\p{...}`` classes, class intersections ``&&``) is
    refused with :class:`ValueError` instead of silently meaning something else.
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt == "Q":
                end = pattern.find("\\E", i + 2)
                literal = pattern[i + 2 :] if end < 0 else pattern[i + 2 : end]
                out.append(re.escape(literal))
                i = n if end < 0 else end + 2
                continue
            if nxt in "pP":
                raise ValueError(f"\\{nxt}{{...}} character classes are not supported")
            if not in_class and nxt == "z":
                out.append("\\Z")
            elif not in_class and nxt == "Z":
                out.append("(?=\\n?\\Z)")
            elif nxt == "h":
                out.append(_HORIZONTAL_SPACE if not in_class else _HORIZONTAL_SPACE[1:-1])
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c == "&" and pattern.startswith("&&", i):
                raise ValueError("character class intersections (&&) are not supported")
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":  # a leading ] is literal, in Java as in Python
                out.append("\\]")
                i += 1
            continue
        if pattern.startswith("(?<", i) and i + 3 < n and pattern[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
            continue
        if pattern.startswith("(?>", i):
            raise ValueError("atomic groups (?>...) are not supported")
        if c in "*+?}" and i + 1 < n and pattern[i + 1] == "+":
            raise ValueError("possessive quantifiers (*+, ++, ?+, {n}+) are not supported")
        out.append(c)
        i += 1
    try:
        return re.compile("".join(out))
    except re.error as exc:
        raise ValueError(str(exc)) from None


def java_replacement(replacement: str, pattern: Pattern[str]) -> Callable[[Match[str]], str]:
    """``Matcher.replaceAll``'s replacement string: ``$n`` and ``${name}`` are
    groups (an unmatched one gives nothing), ``\\x`` is ``x``. Checked against
    the pattern's groups now, so that a bad reference fails at load."""
    parts: list[str | int] = []
    literal: list[str] = []
    i, n = 0, len(replacement)
    while i < n:
        c = replacement[i]
        if c == "\\":
            if i + 1 >= n:
                raise ValueError("character to be escaped is missing")
            literal.append(replacement[i + 1])
            i += 2
            continue
        if c != "$":
            literal.append(c)
            i += 1
            continue
        i += 1
        if i >= n:
            raise ValueError("Illegal group reference: group index is missing")
        if replacement[i] == "{":
            end = replacement.find("}", i)
            if end < 0:
                raise ValueError("named capturing group is missing trailing '}'")
            name = replacement[i + 1 : end]
            if name not in pattern.groupindex:
                raise ValueError(f"No group with name {{{name}}}")
            group = pattern.groupindex[name]
            i = end + 1
        else:
            if not replacement[i].isdigit() or not replacement[i].isascii():
                raise ValueError("Illegal group reference")
            group = int(replacement[i])
            i += 1
            # Java takes more digits while the number still names a group.
            while i < n and replacement[i].isascii() and replacement[i].isdigit():
                longer = group * 10 + int(replacement[i])
                if longer > pattern.groups:
                    break
                group = longer
                i += 1
            if group > pattern.groups:
                raise ValueError(f"No group {group}")
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(group)
    if literal:
        parts.append("".join(literal))
    if all(isinstance(p, str) for p in parts):
        text = "".join(p for p in parts if isinstance(p, str))
        return lambda match: text

    def expand(match: Match[str]) -> str:
        return "".join(p if isinstance(p, str) else (match.group(p) or "") for p in parts)

    return expand


def java_split(pattern: Pattern[str], text: str, limit: int = 0) -> list[str]:
    """``Pattern.split(text, limit)``: no leading empty string for a zero-width
    match at the start; with ``limit`` 0, trailing empty strings are dropped;
    with a positive ``limit``, at most that many parts."""
    parts: list[str] = []
    index = 0
    for match in pattern.finditer(text):
        if limit > 0 and len(parts) >= limit - 1:
            break
        if index == 0 and match.start() == 0 and match.end() == 0:
            continue
        parts.append(text[index : match.start()])
        index = match.end()
    if index == 0 and not parts:
        return [text]
    parts.append(text[index:])
    if limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    return parts


# -- numbers ---------------------------------------------------------------------------

_DECIMAL_INT = re.compile(r"[+-]?[0-9]+\Z")
_HEX_DIGITS = re.compile(r"[0-9a-fA-F]+\Z")
_JAVA_DOUBLE = re.compile(
    r"[+-]?(NaN|Infinity|"
    r"((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)|"
    r"(0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+))[fFdD]?\Z",
    re.ASCII,
)


def parse_java_int(text: str, bits: int = 32, *, decode: bool = True) -> int:
    """``Integer.parseInt`` (``bits`` 32) or ``Long.parseLong`` (64); with
    ``decode``, their ``decode`` for text starting with ``0x`` or ``-0x``, as
    Elasticsearch's convert does. Raises ValueError where Java raises
    NumberFormatException."""
    low, high = (_INT_MIN, _INT_MAX) if bits == 32 else (_LONG_MIN, _LONG_MAX)
    if decode and text.startswith(("0x", "-0x")):
        negative = text.startswith("-")
        digits = text[3:] if negative else text[2:]
        if not _HEX_DIGITS.match(digits):
            raise ValueError(text)
        value = int(digits, 16)
        value = -value if negative else value
    else:
        if not _DECIMAL_INT.match(text):
            raise ValueError(text)
        value = int(text)
    if not low <= value <= high:
        raise ValueError(text)
    return value


def _java_double_text(text: str) -> float:
    trimmed = java_trim(text)
    if not _JAVA_DOUBLE.match(trimmed):
        raise ValueError(text)
    body = trimmed.rstrip("fFdD") if not trimmed.endswith("Infinity") else trimmed
    if "x" in body or "X" in body:
        sign = -1.0 if body.startswith("-") else 1.0
        return sign * float.fromhex(body.lstrip("+-"))
    return float(body.replace("Infinity", "inf"))


def parse_java_double(text: str) -> float:
    """``Double.parseDouble``: surrounding control characters and spaces allowed,
    ``1.5d``/``1.5f`` suffixes, ``NaN``, ``Infinity``, hexadecimal ``0x1p3``."""
    return _java_double_text(text)


def parse_java_float(text: str) -> float:
    """``Float.parseFloat``, returned as the double that prints as Java prints the
    float (``1.1``, not ``1.100000023841858``): the shortest decimal that rounds
    to the same 32-bit float."""
    value = _java_double_text(text)
    if math.isnan(value) or math.isinf(value) or value == 0:
        return value
    try:
        single = struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)
    for digits in range(1, 10):
        shortest = float(f"{single:.{digits - 1}e}")
        if struct.unpack("<f", struct.pack("<f", shortest))[0] == single:
            return shortest
    return single


# -- byte sizes (ByteSizeValue.parseBytesSizeValue) ------------------------------------

#: Suffixes in the order Elasticsearch tries them (``k`` before ``kb``; ``b`` last).
_BYTE_UNITS = (
    ("k", 1024), ("kb", 1024), ("m", 1024**2), ("mb", 1024**2), ("g", 1024**3), ("gb", 1024**3),
    ("t", 1024**4), ("tb", 1024**4), ("p", 1024**5), ("pb", 1024**5),
)
_EXACT_BYTE_SIZES = {"0": 0, "0b": 0, "0B": 0, "1b": 1, "1B": 1, "-1": -1, "-1b": -1, "-1B": -1}
_BIG_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z", re.ASCII)


def parse_byte_size(text: str, setting: str = "Ingest Field") -> int:
    """``ByteSizeValue.parseBytesSizeValue``: ``1kb`` is 1024, units k(b), m(b),
    g(b), t(b), p(b) and b in any case; only ``0`` and ``-1`` may lack one; a
    fraction of at most two decimals is rounded up to whole bytes (``1.1kb``
    is 1127). Messages name the setting as Elasticsearch's ``bytes`` does."""
    if text in _EXACT_BYTE_SIZES:
        return _EXACT_BYTE_SIZES[text]
    lowered = java_trim(text.lower())
    as_size = f"failed to parse setting [{setting}] with value [{text}] as a size in bytes"
    if lowered.endswith("b") and not lowered.endswith(tuple(s for s, _ in _BYTE_UNITS)):
        number = java_trim(lowered[:-1])
        try:
            value = parse_java_int(number, 64, decode=False)
        except ValueError:
            raise ValueError(f"failed to parse setting [{setting}] with value [{text}]") from None
        if value < -1:
            raise ValueError(f"{as_size}: Values less than -1 bytes are not supported: {value}b")
        return value
    for suffix, multiplier in _BYTE_UNITS:
        if lowered.endswith(suffix):
            return _byte_count(java_trim(lowered[: -len(suffix)]), multiplier, text, setting, as_size)
    raise ValueError(f"{as_size}: unit is missing or unrecognized")


def _byte_count(number: str, multiplier: int, text: str, setting: str, as_size: str) -> int:
    """``number`` units of ``multiplier`` bytes: a long, else a decimal (two
    decimals at most, not negative) rounded up, as ``ByteSizeValue.parse``."""
    try:
        whole: int | None = parse_java_int(number, 64, decode=False)
    except ValueError:
        whole = None
    if whole is not None:
        if whole <= -1:  # -1 is allowed only without a unit
            raise ValueError(f"{as_size}: Values less than -1 bytes are not supported: {text}")
        if whole > _LONG_MAX // multiplier:
            raise ValueError(f"{as_size}: Values greater than {_LONG_MAX} bytes are not supported: {text}")
        return whole * multiplier
    if not _BIG_DECIMAL.match(number):
        raise ValueError(f"failed to parse setting [{setting}] with value [{text}]")
    decimal = Decimal(number)
    if decimal < 0:
        raise ValueError(f"failed to parse setting [{setting}] with value [{text}]")
    if -decimal.as_tuple().exponent > 2:  # BigDecimal's scale
        raise ValueError(f"failed to parse setting [{setting}] with more than two decimals in value [{text}]")
    total = int((decimal * multiplier).to_integral_value(rounding=ROUND_UP))
    if total > _LONG_MAX:
        raise ValueError(f"failed to parse setting [{setting}] with value beyond {_LONG_MAX}: [{text}]")
    return total


# -- URL decoding (java.net.URLDecoder) ------------------------------------------------


def url_decode(text: str) -> str:
    """``URLDecoder.decode(text, UTF-8)``: ``+`` is a space, ``%XX`` bytes are
    UTF-8 (malformed sequences become U+FFFD), a bad escape is an error."""
    if "%" not in text and "+" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "+":
            out.append(" ")
            i += 1
        elif c == "%":
            raw = bytearray()
            while i < n and text[i] == "%":
                pair = text[i + 1 : i + 3]
                if len(pair) < 2:
                    raise ValueError("URLDecoder: Incomplete trailing escape (%) pattern")
                if not _HEX_DIGITS.match(pair):
                    raise ValueError(f'URLDecoder: Illegal hex characters in escape (%) pattern - For input string: "{pair}"')
                raw.append(int(pair, 16))
                i += 3
            out.append(raw.decode("utf-8", "replace"))
        else:
            out.append(c)
            i += 1
    return "".join(out)


# -- HTML stripping (an approximation of Lucene's HTMLStripCharFilter) ---------------------

#: Elements Lucene's HTMLStripCharFilter replaces by a line break (block-level elements).
_BLOCK_ELEMENTS = frozenset(
    "address article aside blockquote body br caption center col colgroup dd dir div dl dt fieldset figcaption "
    "figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html iframe isindex li map menu "
    "nav noframes noscript ol optgroup option output p pre section table tbody td tfoot th thead title tr ul".split()
)
_HTML_TOKEN = re.compile(
    r"<!--.*?-->"
    r"|<(script|style)\b[^>]*>.*?</\1\s*>"
    r"|<![^>]*>|<\?.*?\?>"
    r"|</?([A-Za-z][A-Za-z0-9]*)\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>",
    re.S | re.I,
)


def html_strip(text: str) -> str:
    """Tags removed, block-level ones (``<p>``, ``<br>``, ``<title>``...) as a
    line break, comments, ``<script>`` and ``<style>`` removed with their
    content, character entities decoded."""

    def replace(match: Match[str]) -> str:
        name = match.group(2)
        return "\n" if name is not None and name.lower() in _BLOCK_ELEMENTS else ""

    return html.unescape(_HTML_TOKEN.sub(replace, text))


# -- MurmurHash3 (x64, 128 bits, seed 0), as Elasticsearch's Murmur3Hasher -------------------

_MASK64 = 0xFFFFFFFFFFFFFFFF
_C1, _C2 = 0x87C37B91114253D5, 0x4CF5AD432745937F


def _rotl64(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _MASK64


def _fmix64(k: int) -> int:
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & _MASK64
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & _MASK64
    return k ^ (k >> 33)


def murmur3_x64_128(data: bytes, seed: int = 0) -> bytes:
    """MurmurHash3_x64_128 of ``data``; the digest is h1 then h2, each big-endian
    (what Elasticsearch's ``Murmur3Hasher.digest()`` returns)."""
    h1 = h2 = seed & _MASK64
    length = len(data)
    blocks = length // 16
    for block in range(blocks):
        k1, k2 = struct.unpack_from("<QQ", data, block * 16)
        k1 = (_rotl64((k1 * _C1) & _MASK64, 31) * _C2) & _MASK64
        h1 ^= k1
        h1 = (_rotl64(h1, 27) + h2) & _MASK64
        h1 = (h1 * 5 + 0x52DCE729) & _MASK64
        k2 = (_rotl64((k2 * _C2) & _MASK64, 33) * _C1) & _MASK64
        h2 ^= k2
        h2 = (_rotl64(h2, 31) + h1) & _MASK64
        h2 = (h2 * 5 + 0x38495AB5) & _MASK64
    tail = data[blocks * 16 :]
    k1 = k2 = 0
    for index in range(len(tail) - 1, 7, -1):
        k2 ^= tail[index] << (8 * (index - 8))
    if len(tail) > 8:
        k2 = (_rotl64((k2 * _C2) & _MASK64, 33) * _C1) & _MASK64
        h2 ^= k2
    for index in range(min(len(tail), 8) - 1, -1, -1):
        k1 ^= tail[index] << (8 * index)
    if tail:
        k1 = (_rotl64((k1 * _C1) & _MASK64, 31) * _C2) & _MASK64
        h1 ^= k1
    h1 ^= length
    h2 ^= length
    h1 = (h1 + h2) & _MASK64
    h2 = (h2 + h1) & _MASK64
    h1 = _fmix64(h1)
    h2 = _fmix64(h2)
    h1 = (h1 + h2) & _MASK64
    h2 = (h2 + h1) & _MASK64
    return struct.pack(">QQ", h1, h2)
