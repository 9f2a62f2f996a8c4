"""Elasticsearch's ``uri_parts`` processor: a URI's scheme, domain, port, path... as an object.

Elasticsearch's ``UriPartsProcessor`` hands the text to ``java.net.URI``
and, when that refuses it (a space, a ``|``, a bad ``%`` escape...), to
``java.net.URL``; when both refuse it the document fails with ``unable to
parse URI [text]``. Which parts come out, and how they read, are those two
classes' rules, so both parsers are written here after their
specification and behaviour (``urllib.parse`` splits differently: it never
refuses a text, and knows no registry-based authorities):

- :func:`parse_java_uri`: RFC 2396 as ``java.net.URI`` reads it (with its
  deviations: IPv6 literals with a ``%scope``, empty authorities and
  paths, non-ASCII characters that are visible are allowed unescaped). A
  host that is not a valid hostname or IP address (``my_host``,
  ``999.1.1.1``, ``bücher.de``) makes the authority registry-based: the URI
  parses, with no host, no port and no user info. Path, query, fragment and
  user info come out decoded (``%20`` is a space; escapes read as UTF-8,
  a malformed sequence replaced where Java's decoder replaces it); the host
  does not. An IPv4 number overflowing an ``int`` inside an IPv6 literal
  makes ``URI`` throw a ``NumberFormatException``, which Elasticsearch does
  not catch: the document fails with Java's message for it.
- :func:`parse_java_url`: ``java.net.URL``'s lenient parser, for the
  protocols a JDK knows (``http``, ``https``, ``ftp``, ``file``, ``jar``,
  ``mailto``, ``jrt``, ``jmod``; others fail): leading and trailing control
  characters and spaces are dropped, the protocol is lowercased, a host
  holding an ASCII control character is refused, and nothing is decoded.

Both were checked against OpenJDK 17's classes on 60,000 generated texts
(every part, and which texts each refuses), with no difference.

Then Elasticsearch's own rules: ``domain`` and ``scheme`` are always there
(``null`` for a relative reference such as ``foo/bar``), ``path`` unless the
URI is opaque (``mailto:x@y``), ``extension`` is what follows the last dot of
the path's last segment (not lowercased; none when the path has no ``/``),
``port`` only when given, ``username`` and ``password`` only when the user
info has a ``:``; ``original`` (``keep_original``, default true) is the
text as read; ``remove_if_successful`` removes ``field`` unless it is the
target. The object's keys come in the order Elasticsearch writes them (its
``HashMap``'s), so documents serialize byte for byte alike.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from ..document import IngestDocument
from .builtins import check_options, read_bool, read_string, remove_field, set_field
from .field_base import FieldProcessor, cast_error

__all__ = [
    "JavaNumberFormatError",
    "JavaUriParts",
    "UriPartsProcessor",
    "UriSyntaxError",
    "parse_java_uri",
    "parse_java_url",
    "uri_parts",
]


class UriSyntaxError(ValueError):
    """Where ``java.net.URI`` (``URISyntaxException``) or ``java.net.URL``
    (``MalformedURLException``) refuses a text: the reason, and for URI the index."""


class JavaNumberFormatError(ValueError):
    """Java's ``NumberFormatException`` escaping ``new URI(text)``: an IPv4 part of
    an IPv6 literal whose number overflows an ``int`` (``[::1.2.3.99999999999]``).
    Elasticsearch catches only ``URISyntaxException``, so the document fails
    with this message, not ``unable to parse URI``."""


def _check_int(digits: str) -> None:
    """``Integer.parseInt`` of ASCII digits: JavaNumberFormatError with Java's
    message (``Error at index 9 in: "99999999999"``, the digit where it overflows)."""
    if len(digits) < 10:
        return
    value = 0
    for index, digit in enumerate(digits):
        if value > 214748364 or value * 10 + int(digit) > _INT_MAX:
            raise JavaNumberFormatError(f'Error at index {index} in: "{digits}"')
        value = value * 10 + int(digit)


class JavaUriParts(NamedTuple):
    """What ``getScheme``/``getHost``/``getPort``/``getPath``/``getQuery``/
    ``getFragment``/``getUserInfo`` (``getProtocol``/``getRef`` for URL) return."""

    scheme: str | None
    host: str | None
    port: int
    path: str | None
    query: str | None
    fragment: str | None
    user_info: str | None


# == java.net.URI =================================================================================

_ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGIT = "0123456789"
_ALPHANUM = _ALPHA + _DIGIT
_HEX = _DIGIT + "abcdefABCDEF"
_MARK = "-_.!~*'()"
_UNRESERVED = _ALPHANUM + _MARK
_RESERVED = ";/?:@&=+$,[]"
_URIC = _RESERVED + _UNRESERVED  # and escapes
_PATH = _UNRESERVED + ":@&=+$," + ";/"  # and escapes
_USERINFO = _UNRESERVED + ";:&=+$,"  # and escapes
_REG_NAME = _UNRESERVED + "$,;:@&=+"  # and escapes
_SERVER = _USERINFO + _ALPHANUM + "-" + ".:@[]"  # and escapes
_SERVER_PERCENT = _SERVER + "%"  # and escapes
_SCHEME = _ALPHANUM + "+-."
_SCOPE_ID = _ALPHANUM + "_."

#: Characters above U+0080 that java.net.URI lets through unescaped where escapes are allowed:
#: neither ISO controls (U+0080-U+009F) nor space characters (Zs, Zl, Zp).
_OTHER = (
    "\u00a1-\u167f\u1681-\u1fff\u200b-\u2027\u202a-\u202e\u2030-\u205e\u2060-\u2fff\u3001-\U0010ffff"
)


def _run(chars: str, escapes: bool) -> re.Pattern[str]:
    """The longest run of ``chars`` (and, with ``escapes``, ``%XX`` pairs and
    visible non-ASCII characters) at a position: URI's ``scan`` with a mask."""
    allowed = "[" + re.escape("".join(sorted(set(chars)))) + "]"
    if escapes:
        return re.compile(f"(?:{allowed}|%[0-9A-Fa-f]{{2}}|[{_OTHER}])*")
    return re.compile(f"{allowed}*")


_SCAN_URIC = _run(_URIC, True)
_SCAN_PATH = _run(_PATH, True)
_SCAN_USERINFO = _run(_USERINFO, True)
_SCAN_REG_NAME = _run(_REG_NAME, True)
_SCAN_SERVER = _run(_SERVER, True)
_SCAN_SERVER_PERCENT = _run(_SERVER_PERCENT, True)
_SCAN_SCHEME = _run(_SCHEME, False)
_SCAN_SCOPE_ID = _run(_SCOPE_ID, False)
_SCAN_DIGITS = _run(_DIGIT, False)
_SCAN_DIGITS_DOTS = _run(_DIGIT + ".", False)
_SCAN_ALPHANUM = _run(_ALPHANUM, False)
_SCAN_ALPHANUM_DASH = _run(_ALPHANUM + "-", False)
_SCAN_HEX = _run(_HEX, False)
_ESCAPING = {_SCAN_URIC, _SCAN_PATH, _SCAN_USERINFO, _SCAN_REG_NAME, _SCAN_SERVER, _SCAN_SERVER_PERCENT}

_INT_MAX = 2**31 - 1
_STOPS = {
    "/?#:": re.compile(r"[/?#:]"),
    "/?#": re.compile(r"[/?#]"),
    "?#": re.compile(r"[?#]"),
    "/?#@": re.compile(r"[/?#@]"),
    "/?#]": re.compile(r"[/?#\]]"),
}


class _UriParser:
    """``java.net.URI.Parser``, one instance per text."""

    __slots__ = ("fragment", "host", "ipv6_bytes", "path", "port", "query", "scheme", "text", "user_info")

    def __init__(self, text: str) -> None:
        self.text = text
        self.scheme: str | None = None
        self.host: str | None = None
        self.port = -1
        self.path: str | None = None
        self.query: str | None = None
        self.fragment: str | None = None
        self.user_info: str | None = None
        self.ipv6_bytes = 0

    # -- scanning ------------------------------------------------------------------------------

    def fail(self, reason: str, index: int = -1) -> UriSyntaxError:
        where = f" at index {index}" if index >= 0 else ""
        return UriSyntaxError(f"{reason}{where}: {self.text}")

    def scan(self, start: int, end: int, run: re.Pattern[str]) -> int:
        """Past the characters ``run`` accepts from ``start`` (a bad ``%`` escape fails)."""
        stop = run.match(self.text, start, end).end()  # type: ignore[union-attr]
        if stop < end and run in _ESCAPING and self.text[stop] == "%":
            raise self.fail("Malformed escape pair", stop)
        return stop

    def check(self, start: int, end: int, run: re.Pattern[str], what: str) -> None:
        stop = self.scan(start, end, run)
        if stop < end:
            raise self.fail(f"Illegal character in {what}", stop)

    def find(self, start: int, end: int, stops: str, errors: str = "") -> int:
        """The first of ``stops`` from ``start`` (``end`` if none); -1 if one of
        ``errors`` comes first (URI's ``scan(start, end, err, stop)``)."""
        found = _STOPS[errors + stops].search(self.text, start, end)
        if found is None:
            return end
        return -1 if found.group() in errors else found.start()

    def at(self, index: int, end: int, char: str) -> bool:
        return index < end and self.text[index] == char

    # -- the grammar -----------------------------------------------------------------------------

    def parse(self) -> None:
        text = self.text
        n = len(text)
        p = self.find(0, n, ":", "/?#")
        if p >= 0 and self.at(p, n, ":"):
            if p == 0:
                raise self.fail("Expected scheme name", 0)
            if text[0] not in _ALPHA:
                raise self.fail("Illegal character in scheme name", 0)
            self.check(1, p, _SCAN_SCHEME, "scheme name")
            self.scheme = text[:p]
            p += 1
            if self.at(p, n, "/"):
                p = self.parse_hierarchical(p, n)
            else:  # opaque: no path, no query
                q = text.find("#", p)
                q = n if q < 0 else q
                if q <= p:
                    raise self.fail("Expected scheme-specific part", p)
                self.check(p, q, _SCAN_URIC, "opaque part")
                p = q
        else:
            p = self.parse_hierarchical(0, n)
        if self.at(p, n, "#"):
            self.check(p + 1, n, _SCAN_URIC, "fragment")
            self.fragment = text[p + 1:]
            p = n
        if p < n:
            raise self.fail("Expected end of URI", p)

    def parse_hierarchical(self, start: int, n: int) -> int:
        text = self.text
        p = start
        if self.at(p, n, "/") and self.at(p + 1, n, "/"):
            p += 2
            q = self.find(p, n, "/?#")
            if q > p:
                p = self.parse_authority(p, q)
            elif q >= n:  # an empty authority is fine before a path, query or fragment
                raise self.fail("Expected authority", p)
        q = self.find(p, n, "?#")
        self.check(p, q, _SCAN_PATH, "path")
        self.path = text[p:q]
        p = q
        if self.at(p, n, "?"):
            p += 1
            q = text.find("#", p)
            q = n if q < 0 else q
            self.check(p, q, _SCAN_URIC, "query")
            self.query = text[p:q]
            p = q
        return p

    def parse_authority(self, start: int, n: int) -> int:
        # java.net.URI looks for a "]" to decide whether "%" is a character of the
        # server part; it stops at the first "]" or the end, so any authority not
        # starting with "]" takes the branch meant for IPv6 literals. Kept as it is.
        bracket = self.text.find("]", start, n)
        if (n if bracket < 0 else bracket) > start:
            server_chars = self.scan(start, n, _SCAN_SERVER_PERCENT) == n
        else:
            server_chars = self.scan(start, n, _SCAN_SERVER) == n
        reg_chars = self.scan(start, n, _SCAN_REG_NAME) == n
        if reg_chars and not server_chars:
            return n  # registry-based: no host, port or user info
        q = start
        refused: UriSyntaxError | None = None
        if server_chars:
            try:
                q = self.parse_server(start, n)
                if q < n:
                    raise self.fail("Expected end of authority", q)
            except UriSyntaxError as exc:
                self.user_info, self.host, self.port = None, None, -1
                refused, q = exc, start
        if q < n:
            if reg_chars:
                return n
            if refused is not None:
                raise refused
            raise self.fail("Illegal character in authority", q)
        return n

    def parse_server(self, start: int, n: int) -> int:
        text = self.text
        p = start
        q = self.find(p, n, "@", "/?#")
        if q >= p and self.at(q, n, "@"):
            self.check(p, q, _SCAN_USERINFO, "user info")
            self.user_info = text[p:q]
            p = q + 1
        if self.at(p, n, "["):
            p += 1
            q = self.find(p, n, "]", "/?#")
            if q > p and self.at(q, n, "]"):
                r = text.find("%", p, q)
                r = q if r < 0 else r
                if r > p:
                    self.parse_ipv6_reference(p, r)
                    if r + 1 == q:
                        raise self.fail("scope id expected")
                    if r < q:
                        self.check(r + 1, q, _SCAN_SCOPE_ID, "scope id")
                else:
                    self.parse_ipv6_reference(p, q)
                self.host = text[p - 1:q + 1]
                p = q + 1
            else:
                raise self.fail("Expected closing bracket for IPv6 address", q)
        else:
            q = self.parse_ipv4_address(p, n)
            if q <= p:
                q = self.parse_hostname(p, n)
            p = q
        if self.at(p, n, ":"):
            p += 1
            q = n  # the authority ends at the first "/": the rest of it is the port
            if q > p:
                self.check(p, q, _SCAN_DIGITS, "port number")
                if q - p > 10 or int(text[p:q]) > _INT_MAX:
                    raise self.fail("Malformed port number", p)
                self.port = int(text[p:q])
                p = q
        if p < n:
            raise self.fail("Expected port number", p)
        return p

    def scan_byte(self, start: int, n: int) -> int:
        q = self.scan(start, n, _SCAN_DIGITS)
        if q <= start:
            return q
        _check_int(self.text[start:q])
        if int(self.text[start:q]) > 255:
            return start
        return q

    def scan_ipv4_address(self, start: int, n: int, strict: bool) -> int:
        m = self.scan(start, n, _SCAN_DIGITS_DOTS)
        if m <= start or (strict and m != n):
            return -1
        p = q = start
        for step in range(7):  # byte . byte . byte . byte
            q = self.scan_byte(p, m) if step % 2 == 0 else (p + 1 if self.at(p, m, ".") else p)
            if q <= p:
                break
            p = q
        else:
            if q >= m:
                return q
        raise self.fail("Malformed IPv4 address", q)

    def take_ipv4_address(self, start: int, n: int, expected: str) -> int:
        p = self.scan_ipv4_address(start, n, True)
        if p <= start:
            raise self.fail(f"Expected {expected}", start)
        return p

    def parse_ipv4_address(self, start: int, n: int) -> int:
        try:
            p = self.scan_ipv4_address(start, n, False)
        except (UriSyntaxError, JavaNumberFormatError):
            return -1
        if start < p < n and self.text[p] != ":":
            p = -1
        if p > start:
            self.host = self.text[start:p]
        return p

    def parse_hostname(self, start: int, n: int) -> int:
        text = self.text
        p = start
        last = -1  # where the last label starts
        while True:
            q = self.scan(p, n, _SCAN_ALPHANUM)
            if q <= p:
                break
            last = p
            p = q
            q = self.scan(p, n, _SCAN_ALPHANUM_DASH)
            if q > p:
                if text[q - 1] == "-":
                    raise self.fail("Illegal character in hostname", q - 1)
                p = q
            if not self.at(p, n, "."):
                break
            p += 1
            if p >= n:
                break
        if p < n and not self.at(p, n, ":"):
            raise self.fail("Illegal character in hostname", p)
        if last < 0:
            raise self.fail("Expected hostname", start)
        if last > start and text[last] not in _ALPHA:  # a qualified name's last label starts with a letter
            raise self.fail("Illegal character in hostname", last)
        self.host = text[start:p]
        return p

    def parse_ipv6_reference(self, start: int, n: int) -> int:
        p = start
        compressed = False
        q = self.scan_hex_seq(p, n)
        if q > p:
            p = q
            if self.text.startswith("::", p) and p + 2 <= n:
                compressed = True
                p = self.scan_hex_post(p + 2, n)
            elif self.at(p, n, ":"):
                p = self.take_ipv4_address(p + 1, n, "IPv4 address")
                self.ipv6_bytes += 4
        elif self.text.startswith("::", p) and p + 2 <= n:
            compressed = True
            p = self.scan_hex_post(p + 2, n)
        if p < n:
            raise self.fail("Malformed IPv6 address", start)
        if self.ipv6_bytes > 16:
            raise self.fail("IPv6 address too long", start)
        if not compressed and self.ipv6_bytes < 16:
            raise self.fail("IPv6 address too short", start)
        if compressed and self.ipv6_bytes == 16:
            raise self.fail("Malformed IPv6 address", start)
        return p

    def scan_hex_post(self, start: int, n: int) -> int:
        p = start
        if p == n:
            return p
        q = self.scan_hex_seq(p, n)
        if q > p:
            p = q
            if self.at(p, n, ":"):
                p = self.take_ipv4_address(p + 1, n, "hex digits or IPv4 address")
                self.ipv6_bytes += 4
        else:
            p = self.take_ipv4_address(p, n, "hex digits or IPv4 address")
            self.ipv6_bytes += 4
        return p

    def scan_hex_seq(self, start: int, n: int) -> int:
        p = start
        q = self.scan(p, n, _SCAN_HEX)
        if q <= p or self.at(q, n, "."):  # nothing, or the start of an IPv4 address
            return -1
        if q > p + 4:
            raise self.fail("IPv6 hexadecimal digit sequence too long", p)
        self.ipv6_bytes += 2
        p = q
        while p < n:
            if not self.at(p, n, ":") or self.at(p + 1, n, ":"):
                break
            p += 1
            q = self.scan(p, n, _SCAN_HEX)
            if q <= p:
                raise self.fail("Expected digits for an IPv6 address", p)
            if self.at(q, n, "."):  # the IPv4 address at the end
                p -= 1
                break
            if q > p + 4:
                raise self.fail("IPv6 hexadecimal digit sequence too long", p)
            self.ipv6_bytes += 2
            p = q
        return p


def _decode(text: str | None) -> str | None:
    """URI's decoding of a component: runs of ``%XX`` escapes read as UTF-8
    as Java's decoder reads it (a malformed sequence becomes U+FFFD). The
    parser has checked every escape."""
    if text is None or "%" not in text:
        return text
    out: list[str] = []
    index, length = 0, len(text)
    while index < length:
        percent = text.find("%", index)
        if percent < 0:
            out.append(text[index:])
            break
        out.append(text[index:percent])
        data = bytearray()
        index = percent
        while index < length and text[index] == "%":
            data.append(int(text[index + 1:index + 3], 16))
            index += 3
        out.append(_java_utf8(bytes(data)))
    return "".join(out)


def _continuation(byte: int) -> bool:
    return byte & 0xC0 == 0x80


def _java_utf8(data: bytes) -> str:
    """UTF-8 as Java's decoder reads it with malformed input replaced: U+FFFD
    per malformed sequence, the sequences cut where Java cuts them (an encoded
    surrogate, ``ED A0 80``, is one replacement where Python makes three)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    out: list[str] = []
    i, n = 0, len(data)
    while i < n:
        b1 = data[i]
        if b1 < 0x80:
            out.append(chr(b1))
            i += 1
        elif 0xC2 <= b1 <= 0xDF:
            if i + 1 >= n:
                out.append("\ufffd")
                break
            if not _continuation(data[i + 1]):
                out.append("\ufffd")
                i += 1
            else:
                out.append(chr(((b1 & 0x1F) << 6) | (data[i + 1] & 0x3F)))
                i += 2
        elif 0xE0 <= b1 <= 0xEF:
            if n - i < 3:
                if n - i > 1 and ((b1 == 0xE0 and data[i + 1] & 0xE0 == 0x80) or not _continuation(data[i + 1])):
                    out.append("\ufffd")
                    i += 1
                    continue
                out.append("\ufffd")  # cut short by the end: one replacement for the rest
                break
            b2, b3 = data[i + 1], data[i + 2]
            if (b1 == 0xE0 and b2 & 0xE0 == 0x80) or not _continuation(b2) or not _continuation(b3):
                out.append("\ufffd")
                i += 1 if (b1 == 0xE0 and b2 & 0xE0 == 0x80) or not _continuation(b2) else 2
                continue
            code = ((b1 & 0x0F) << 12) | ((b2 & 0x3F) << 6) | (b3 & 0x3F)
            out.append("\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code))
            i += 3
        elif 0xF0 <= b1 <= 0xF7:
            if n - i < 4:
                b2 = data[i + 1] if n - i > 1 else 0x80
                if b1 > 0xF4 or (n - i > 1 and _bad_second_of_four(b1, b2)):
                    out.append("\ufffd")
                    i += 1
                    continue
                if n - i > 2 and not _continuation(data[i + 2]):
                    out.append("\ufffd")
                    i += 2
                    continue
                out.append("\ufffd")
                break
            b2, b3, b4 = data[i + 1], data[i + 2], data[i + 3]
            code = ((b1 & 0x07) << 18) | ((b2 & 0x3F) << 12) | ((b3 & 0x3F) << 6) | (b4 & 0x3F)
            if not (_continuation(b2) and _continuation(b3) and _continuation(b4)) or not 0x10000 <= code <= 0x10FFFF:
                out.append("\ufffd")
                if b1 > 0xF4 or _bad_second_of_four(b1, b2):
                    i += 1
                elif not _continuation(b3):
                    i += 2
                else:
                    i += 3
                continue
            out.append(chr(code))
            i += 4
        else:  # a continuation byte, C0, C1, F8-FF
            out.append("\ufffd")
            i += 1
    return "".join(out)


def _bad_second_of_four(b1: int, b2: int) -> bool:
    return (b1 == 0xF0 and not 0x90 <= b2 <= 0xBF) or (b1 == 0xF4 and b2 & 0xF0 != 0x80) or not _continuation(b2)


def _class(chars: str) -> str:
    return "[" + "".join(re.escape(char) for char in sorted(set(chars))) + "]"


_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
#: The common case, parsed in one match: scheme://[user info@]host[:port][/path][?query][#fragment]
#: with a host name (its last label starting with a letter), a single label or an IPv4
#: address, no escapes and no non-ASCII character. Whatever it matches, the full parser
#: would read the same way; anything else goes to the full parser.
_PLAIN_URI = re.compile(
    f"([A-Za-z]{_class(_SCHEME)}*)://"
    f"(?:({_class(_USERINFO)}*)@)?"
    f"((?:{_LABEL}\\.)*[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?\\.?|{_LABEL}|{_OCTET}(?:\\.{_OCTET}){{3}})"
    f"(?::([0-9]{{1,9}}))?"
    f"(/{_class(_PATH)}*)?"
    f"(?:\\?({_class(_URIC)}*))?"
    f"(?:#({_class(_URIC)}*))?"
)


def parse_java_uri(text: str) -> JavaUriParts:
    """``new URI(text)`` and its getters (path, query, fragment and user info
    decoded); UriSyntaxError where Java throws ``URISyntaxException``."""
    plain = _PLAIN_URI.fullmatch(text)
    if plain is not None:
        scheme, user_info, host, port, path, query, fragment = plain.groups()
        return JavaUriParts(scheme, host, -1 if port is None else int(port), path or "", query, fragment, user_info)
    parser = _UriParser(text)
    parser.parse()
    return JavaUriParts(
        parser.scheme,
        parser.host,
        parser.port,
        _decode(parser.path),
        _decode(parser.query),
        _decode(parser.fragment),
        _decode(parser.user_info),
    )


# == java.net.URL =================================================================================

#: The protocols a JDK has handlers for (``sun.net.www.protocol.*``); others are "unknown protocol".
URL_PROTOCOLS = frozenset({"file", "ftp", "http", "https", "jar", "jmod", "jrt", "mailto"})

_JAVA_INT = re.compile(r"[+-]?\d+\Z")
_CONTROL = re.compile("[\x00-\x1f\x7f]")
#: Character.isWhitespace: Unicode spaces but the no-break ones, and the ASCII controls it names.
_JAVA_WHITESPACE = frozenset(
    "\t\n\u000b\f\r\u001c\u001d\u001e\u001f \u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a"
    "\u2028\u2029\u205f\u3000"
)


def _java_parse_int(text: str) -> int:
    """``Integer.parseInt``: an optional sign and decimal digits (any script), in range."""
    if not _JAVA_INT.match(text) or len(text.lstrip("+-")) > 10:
        raise UriSyntaxError(f'For input string: "{text}"')
    value = int(text)
    if not -(2**31) <= value <= _INT_MAX:
        raise UriSyntaxError(f'For input string: "{text}"')
    return value


def _ascii_digit(char: str, radix: int) -> int:
    """The value of an ASCII digit or letter in ``radix`` (-1: none), as the
    JDK's address parser reads digits (ASCII only)."""
    value = int(char, 36) if char.isascii() and char.isalnum() else -1
    return value if value < radix else -1


def _is_ipv4_literal(text: str) -> bool:
    """``IPAddressUtil.textToNumericFormatV4`` on an address with three dots."""
    if not text or len(text) > 15:
        return False
    value, octets, fresh = 0, 0, True
    for char in text:
        if char == ".":
            if fresh or value > 0xFF or octets == 3:
                return False
            octets, value, fresh = octets + 1, 0, True
            continue
        digit = _ascii_digit(char, 10)
        if digit < 0:
            return False
        value, fresh = value * 10 + digit, False
    return not fresh and value < (1 << ((4 - octets) * 8))


def is_ipv6_literal(text: str) -> bool:
    """``IPAddressUtil.isIPv6LiteralAddress``: what ``java.net.URL`` accepts between brackets."""
    if len(text) < 2:
        return False
    scope = text.find("%")
    if scope == len(text) - 1:
        return False
    end = scope if scope >= 0 else len(text)
    i = 0
    if text[0] == ":":
        i = 1
        if text[1] != ":":
            return False
    token = i
    seen_digit = False
    value = 0
    count = 0  # bytes written
    compressed = -1
    while i < end:
        char = text[i]
        i += 1
        digit = _ascii_digit(char, 16)
        if digit >= 0:
            value = (value << 4) | digit
            if value > 0xFFFF:
                return False
            seen_digit = True
            continue
        if char == ":":
            token = i
            if not seen_digit:
                if compressed >= 0:
                    return False
                compressed = count
                continue
            if i == end:
                return False
            if count + 2 > 16:
                return False
            count += 2
            seen_digit, value = False, 0
            continue
        if char == "." and count + 4 <= 16:
            quad = text[token:end]
            if quad.count(".") != 3 or not _is_ipv4_literal(quad):
                return False
            count += 4
            seen_digit = False
            break
        return False
    if seen_digit:
        if count + 2 > 16:
            return False
        count += 2
    if compressed >= 0:
        if count == 16:
            return False
        count = 16
    return count == 16


def _valid_protocol(name: str) -> bool:
    return bool(name) and name[0].isalpha() and all(c.isalnum() or c in ".+-" for c in name[1:])


def _index_of_bang_slash(spec: str) -> int:
    """Where the ``/`` of the last ``!/`` is (-1: none), as the jar handler looks."""
    index = spec.rfind("!/")
    return -1 if index < 0 else index + 1


def _split_file(file: str) -> tuple[str, str | None]:
    """``URL.set``: path and query from a file part, at its last ``?``."""
    mark = file.rfind("?")
    return (file, None) if mark < 0 else (file[:mark], file[mark + 1:])


def parse_java_url(spec: str) -> JavaUriParts:
    """``new URL(spec)`` and its getters (``getProtocol``, ``getHost``,
    ``getPort``, ``getPath``, ``getQuery``, ``getRef``, ``getUserInfo``),
    nothing decoded; UriSyntaxError where Java throws ``MalformedURLException``."""
    limit = len(spec)
    while limit > 0 and spec[limit - 1] <= " ":
        limit -= 1
    start = 0
    while start < limit and spec[start] <= " ":
        start += 1
    if spec[start:start + 4].lower() == "url:" and start + 4 <= len(spec):
        start += 4
    protocol = None
    if not (start < len(spec) and spec[start] == "#"):
        for index in range(start, limit):
            char = spec[index]
            if char == "/":
                break
            if char == ":":
                name = spec[start:index].lower()
                if _valid_protocol(name):
                    protocol, start = name, index + 1
                break
    if protocol is None:
        raise UriSyntaxError(f"no protocol: {spec}")
    if protocol not in URL_PROTOCOLS:
        raise UriSyntaxError(f"unknown protocol: {protocol}")
    ref = None
    mark = spec.find("#", start)
    if mark >= 0:
        ref, limit = spec[mark + 1:limit], mark
    if protocol == "jar":
        return _parse_jar(spec, start, limit, ref)
    if protocol == "mailto":
        address = spec[start:limit]
        if not address or all(char in _JAVA_WHITESPACE for char in address):
            raise UriSyntaxError("No email address")
        path, query = _split_file(address)
        return JavaUriParts(protocol, "", -1, path, query, None, None)  # the mailto handler drops the ref
    return _parse_hierarchical_url(protocol, spec, start, limit, ref)


def _parse_jar(spec: str, start: int, limit: int, ref: str | None) -> JavaUriParts:
    """The jar handler: ``jar:<url>!/<entry>``, the inner URL checked."""
    if spec.find("#", limit) >= 0:
        ref = spec[spec.find("#", limit) + 1:]  # the handler takes it to the very end
    if spec[:4].lower() != "jar:":  # a spec relative to a context URL: there is none
        raise UriSyntaxError("no context for a relative jar URL")
    file = spec[start:limit]
    bang = _index_of_bang_slash(file)
    if bang < 0:
        raise UriSyntaxError("no !/ in spec")
    parse_java_url(file[:bang - 1])
    path, query = _split_file(file)
    return JavaUriParts("jar", "", -1, path, query, ref, None)


def _parse_hierarchical_url(protocol: str, spec: str, start: int, limit: int, ref: str | None) -> JavaUriParts:
    """``URLStreamHandler.parseURL`` without a context URL."""
    authority = user_info = host = path = query = None
    port = -1
    query_only = False
    if start < limit:
        mark = spec.find("?")
        query_only = mark == start
        if 0 <= mark < limit:
            query = spec[mark + 1:limit]
            limit = mark
            spec = spec[:mark]
    unc = start <= limit - 4 and spec.startswith("////", start)
    if not unc and start <= limit - 2 and spec.startswith("//", start):
        start += 2
        end = spec.find("/", start)
        if end < 0 or end > limit:
            end = spec.find("?", start)
            if end < 0 or end > limit:
                end = limit
        host = authority = spec[start:end]
        at = authority.find("@")
        if at >= 0:
            if at != authority.rfind("@"):  # more than one "@": not server-based
                user_info = host = None
            else:
                user_info, host = authority[:at], authority[at + 1:]
        if host is not None:
            if host.startswith("["):
                close = host.find("]")
                if close <= 2:
                    raise UriSyntaxError(f"Invalid authority field: {authority}")
                whole, host = host, host[:close + 1]
                if not is_ipv6_literal(host[1:close]):
                    raise UriSyntaxError(f"Invalid host: {host}")
                port = -1
                if len(whole) > close + 1:
                    if whole[close + 1] != ":":
                        raise UriSyntaxError(f"Invalid authority field: {authority}")
                    if len(whole) > close + 2:
                        port = _java_parse_int(whole[close + 2:])
            else:
                colon = host.find(":")
                port = -1
                if colon >= 0:
                    if len(host) > colon + 1:
                        port = _java_parse_int(host[colon + 1:])
                    host = host[:colon]
                if _CONTROL.search(host):  # the JDK refuses ASCII controls in a host name
                    raise UriSyntaxError(f"Illegal character found in host: {host!r}")
        else:
            host = ""
        if port < -1:
            raise UriSyntaxError(f"Invalid port number :{port}")
        start = end
        if authority:
            path = ""
    if host is None:
        host = ""
    if start < limit:
        if spec[start] == "/":
            path = spec[start:limit]
        else:
            path = spec[start:limit]
            if authority is not None:
                path = "/" + path
    elif query_only and path is not None:
        slash = max(path.rfind("/"), 0)
        path = path[:slash] + "/"
    if path is None:
        path = ""
    return JavaUriParts(protocol, host, port, path, query, ref, user_info)


# == the processor ===============================================================================

#: The keys in the order Elasticsearch's HashMap (16 buckets) iterates them.
_KEY_ORDER = (
    "path", "fragment", "extension", "password", "original", "scheme", "port", "user_info", "domain", "query", "username",
)


def uri_parts(text: str, original: bool = False) -> dict[str, Any]:
    """Elasticsearch's ``UriPartsProcessor.apply``: the parts of ``text`` (with
    ``original`` when asked), or ValueError ``unable to parse URI [text]``."""
    try:
        parts = parse_java_uri(text)
    except UriSyntaxError:
        try:
            parts = parse_java_url(text)
        except UriSyntaxError:
            raise ValueError(f"unable to parse URI [{text}]") from None
    found: dict[str, Any] = {"domain": parts.host, "scheme": parts.scheme}
    if parts.fragment is not None:
        found["fragment"] = parts.fragment
    path = parts.path
    if path is not None:
        found["path"] = path
        slash = path.rfind("/")
        if slash >= 0:
            dot = path.rfind(".", slash)
            if dot >= 0:
                found["extension"] = path[dot + 1:]
    if parts.port != -1:
        found["port"] = parts.port
    if parts.query is not None:
        found["query"] = parts.query
    user_info = parts.user_info
    if user_info is not None:
        found["user_info"] = user_info
        colon = user_info.find(":")
        if colon >= 0:
            found["username"] = user_info[:colon]
            found["password"] = user_info[colon + 1:]
    if original:
        found["original"] = text
    return {key: found[key] for key in _KEY_ORDER if key in found}


class UriPartsProcessor(FieldProcessor):
    """``uri_parts``: the parts of the URI in ``field``, as an object at ``target_field`` (``url``)."""

    type = "uri_parts"
    options = frozenset({"remove_if_successful", "keep_original"})
    null_message = "field [{field}] is null, cannot parse a URI from it."

    keep_original: bool
    remove_if_successful: bool

    @classmethod
    def create(cls, options: dict[str, Any], tag: str | None, description: str | None) -> UriPartsProcessor:
        check_options(cls.type, options, {"field", "target_field", "ignore_missing"} | set(cls.options))
        field = read_string(options, "field")
        target = read_string(options, "target_field", required=False)
        remove_if_successful = read_bool(options, "remove_if_successful", False)
        keep_original = read_bool(options, "keep_original", True)
        ignore_missing = read_bool(options, "ignore_missing", False)
        assert field is not None
        processor = cls(
            field, target_field="url" if target is None else target, ignore_missing=ignore_missing,
            tag=tag, description=description,
        )
        processor.keep_original = keep_original
        processor.remove_if_successful = remove_if_successful
        return processor

    def write(self, document: IngestDocument, value: Any, path: str, parts: list[str]) -> None:
        if not isinstance(value, str):
            raise cast_error(path, value, "string")
        found = uri_parts(value, self.keep_original)
        assert self.target_field is not None
        target, target_parts = self.target_field.resolve(document)
        if self.remove_if_successful and target != path:
            remove_field(document, parts, path)
        set_field(document, target_parts, target, found)

