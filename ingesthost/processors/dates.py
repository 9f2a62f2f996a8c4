"""Elasticsearch's ``date`` processor, with Java's date patterns parsed here.

Elasticsearch parses dates with ``java.time``'s ``DateTimeFormatter``
patterns (``dd/MMM/yyyy:HH:mm:ss Z``) and four special formats
(``ISO8601``, ``UNIX``, ``UNIX_MS``, ``TAI64N``; ``DateFormat.java`` in
``modules/ingest-common``). Python has no parser for Java patterns, so a
pattern is tokenized here (pattern letters, ``'quoted'`` literals,
``[optional]`` sections, ``||`` between alternatives) and turned into a
regular expression whose groups are assembled into a date. The same
tokens print ``output_format``. Times carry nanoseconds, as Java's do.

Elasticsearch's rules kept:

- formats are tried in order; the first that parses wins; when none does,
  the document fails with ``unable to parse date [text]`` (a format that is
  not a valid pattern only fails when it is reached, as in Elasticsearch);
- a date without a year (``dd/MM``) takes the current year (UTC) and is
  read in ``timezone``, the parsed offset being ignored, as
  ``DateFormat.Java`` does; a missing month or day is 1, a missing time 0;
- a date with an offset or zone keeps its instant and is moved to
  ``timezone`` (default UTC); one without is read in ``timezone``;
- ``UNIX`` is ``(long) (Double.parseDouble(text) * 1000)`` milliseconds,
  ``UNIX_MS`` ``Long.parseLong``, ``TAI64N`` Elasticsearch's arithmetic;
- week dates (``YYYY-ww``) follow ISO weeks (Monday first), as
  Elasticsearch's root locale does.

Month and day names exist for the root locale and English, Italian,
German, French and Spanish (see :data:`_NAMES`); another language fails
the document as an unknown locale does in Elasticsearch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..condition import java_string
from ..document import IngestDocument
from ..errors import PipelineConfigError
from .builtins import Template, _FieldName, read_string, set_field
from .field_base import FieldProcessor, field_error
from .javaisms import parse_java_double, parse_java_int

__all__ = ["DateProcessor", "JavaDateFormat", "ZonedTime", "parse_date", "zone_of"]

DEFAULT_OUTPUT_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"


class DateError(ValueError):
    """A text that a format does not parse, or a pattern/zone/locale that is invalid."""


# -- a point in time, in a zone, with nanoseconds -------------------------------------------


@dataclass(frozen=True)
class ZonedTime:
    """Java's ``ZonedDateTime``: ``moment`` is aware (microseconds), ``nano`` the full fraction."""

    moment: datetime
    nano: int
    zone_id: str

    def in_zone(self, zone: "tuple[tzinfo, str]") -> "ZonedTime":
        return ZonedTime(self.moment.astimezone(zone[0]), self.nano, zone[1])

    @classmethod
    def from_epoch_nanos(cls, nanos: int, zone: "tuple[tzinfo, str]") -> "ZonedTime":
        seconds, nano = divmod(nanos, 1_000_000_000)
        try:
            moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=seconds, microseconds=nano // 1000)
        except OverflowError:
            raise DateError("instant out of range") from None
        return cls(moment, nano, "Z").in_zone(zone)


# -- zones and locales -----------------------------------------------------------------------

_UTC = (timezone.utc, "Z")
_OFFSET = re.compile(r"([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?")


def _offset_zone(text: str) -> "tuple[tzinfo, str]":
    match = _OFFSET.fullmatch(text)
    if not match or (len(match.group(2)) == 1 and match.group(3)):
        raise DateError(f"Invalid ID for ZoneOffset, invalid format: {text}")
    sign, hours, minutes, seconds = match.groups()
    total = int(hours) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
    if int(hours) > 18 or int(minutes or 0) > 59 or int(seconds or 0) > 59 or total > 18 * 3600:
        raise DateError(f"Zone offset not in valid range: {text}")
    total = -total if sign == "-" else total
    return _fixed(total)


def _fixed(total: int) -> "tuple[tzinfo, str]":
    if total == 0:
        return _UTC
    sign = "-" if total < 0 else "+"
    hours, rest = divmod(abs(total), 3600)
    minutes, seconds = divmod(rest, 60)
    name = f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")
    return timezone(timedelta(seconds=total)), name


def zone_of(text: str) -> "tuple[tzinfo, str]":
    """Java's ``ZoneId.of``: ``Z``, ``+01:00``/``+0100``/``+1``, ``UTC``/``GMT``
    (with an offset: ``GMT+2``), or a region (``Europe/Amsterdam``)."""
    if text == "Z":
        return _UTC
    if text[:1] in "+-":
        return _offset_zone(text)
    for prefix in ("UTC", "GMT", "UT"):
        if text.startswith(prefix) and text[len(prefix):][:1] in ("+", "-"):
            tz, offset_id = _offset_zone(text[len(prefix):])
            return tz, prefix + (offset_id if offset_id != "Z" else "")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9~/._+-]+", text):
        raise DateError(f"Invalid ID for region-based ZoneId, invalid format: {text}")
    try:
        return ZoneInfo(text), text
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise DateError(f"Unknown time-zone ID: {text}") from None


#: Month and day names (format forms, as CLDR gives them to Java 11+): full and short.
_ENGLISH = (
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
     "November", "December"],
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
)
_NAMES: dict[str, tuple[list[str], list[str], list[str], list[str]]] = {
    "": _ENGLISH,
    "en": _ENGLISH,
    "it": (
        ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre",
         "novembre", "dicembre"],
        ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"],
        ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"],
        ["lun", "mar", "mer", "gio", "ven", "sab", "dom"],
    ),
    "de": (
        ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November",
         "Dezember"],
        ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."],
        ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
        ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."],
    ),
    "fr": (
        ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
         "décembre"],
        ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."],
        ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
        ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
    ),
    "es": (
        ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
         "noviembre", "diciembre"],
        ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"],
        ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
        ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"],
    ),
}


def locale_of(text: str | None) -> str:
    """Elasticsearch's ``LocaleUtils.parse`` reduced to what names dates: the language."""
    if text is None or text.upper() == "ROOT" or text == "":
        return ""
    language = re.split(r"[-_]", text)[0].lower()
    if language not in _NAMES:
        if not re.fullmatch(r"[a-z]{2,3}", language):
            raise DateError(f"Unknown language: {text.split('_')[0].split('-')[0]}")
        raise DateError(f"Language [{language}] has no month and day names in ingesthost")
    return language


# -- Java patterns ------------------------------------------------------------------------------

#: Letters java.time knows; those not handled below are refused as unsupported.
_KNOWN_LETTERS = set("GuyDMLdQqYwWEecFaBhKkHmsSAnNVvzOXxZp")
_SUPPORTED = set("GuyDMLdYwEecahKkHmsSnVzOXxZ")


@dataclass(frozen=True)
class _Token:
    letter: str  # "" for a literal, "[" / "]" for optional sections
    count: int = 0
    text: str = ""


def _tokenize(pattern: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(pattern)
    depth = 0
    while i < n:
        c = pattern[i]
        if c.isascii() and c.isalpha():
            j = i
            while j < n and pattern[j] == c:
                j += 1
            if c not in _KNOWN_LETTERS:
                raise DateError(f"Invalid format: [{pattern}]: Unknown pattern letter: {c}")
            if c not in _SUPPORTED:
                raise DateError(f"Invalid format: [{pattern}]: pattern letter {c} is not supported by ingesthost")
            tokens.append(_Token(c, j - i))
            i = j
        elif c == "'":
            j = i + 1
            text = []
            while True:
                if j >= n:
                    raise DateError(f"Invalid format: [{pattern}]: Pattern ends with an incomplete string literal")
                if pattern[j] == "'":
                    if j + 1 < n and pattern[j + 1] == "'":
                        text.append("'")
                        j += 2
                        continue
                    break
                text.append(pattern[j])
                j += 1
            tokens.append(_Token("", text="".join(text) if text or j > i + 1 else "'"))
            i = j + 1
        elif c == "[":
            depth += 1
            tokens.append(_Token("["))
            i += 1
        elif c == "]":
            if depth == 0:
                raise DateError(f"Invalid format: [{pattern}]: Pattern invalid as it contains ] without previous [")
            depth -= 1
            tokens.append(_Token("]"))
            i += 1
        elif c in "{}#":
            raise DateError(f"Invalid format: [{pattern}]: Pattern includes reserved character: '{c}'")
        else:
            tokens.append(_Token("", text=c))
            i += 1
    tokens.extend(_Token("]") for _ in range(depth))
    return tokens


def _alternatives(names: list[str]) -> str:
    return "(?:" + "|".join(re.escape(name) for name in sorted(set(names), key=len, reverse=True)) + ")"


def _number(count: int, pad_max: int = 2) -> str:
    return r"\d{%d,%d}" % (count, max(count, pad_max)) if count < pad_max else r"\d{%d}" % count


class JavaDateFormat:
    """One Java pattern (``||`` alternatives allowed), compiled for a locale."""

    def __init__(self, pattern: str, language: str = "") -> None:
        self.pattern = pattern
        self.language = language
        self.alternatives = [self._compile(part) for part in pattern.split("||")]

    def _compile(self, pattern: str) -> "tuple[re.Pattern[str], list[tuple[str, _Token]]]":
        months, short_months, days, short_days = _NAMES[self.language]
        regex: list[str] = []
        groups: list[tuple[str, _Token]] = []
        for token in _tokenize(pattern):
            letter, count = token.letter, token.count
            if letter == "":
                regex.append(re.escape(token.text))
                continue
            if letter == "[":
                regex.append("(?:")
                continue
            if letter == "]":
                regex.append(")?")
                continue
            name = f"g{len(groups)}"
            groups.append((name, token))
            if letter in "yuY":
                body = r"\d{2}" if count == 2 else (r"[+-]?\d{%d,10}" % max(count, 1) if letter == "u" else r"\d{%d,10}" % max(count, 1))
            elif letter in "ML":
                body = _number(count) if count <= 2 else _alternatives(months if count == 4 else short_months)
            elif letter in "ec" and count <= 2:
                body = r"\d{%d}" % count
            elif letter in "Eec":
                body = _alternatives(days if count == 4 else short_days)
            elif letter == "D":
                body = r"\d{%d,3}" % count
            elif letter in "dwHhKkms":
                body = _number(count)
            elif letter == "S":
                body = r"\d{%d}" % count
            elif letter == "n":
                body = r"\d{%d,9}" % count
            elif letter == "a":
                body = "(?:AM|PM)"
            elif letter == "G":
                body = "(?:AD|BC)" if count <= 3 else "(?:Anno Domini|Before Christ)"
            elif letter == "V":
                body = r"[A-Za-z][A-Za-z0-9~/._+-]+|Z|[+-]\d{2}:\d{2}"
            elif letter == "z":
                body = r"[A-Za-z][A-Za-z0-9~/._+-]*"
            elif letter == "O":
                body = r"GMT(?:[+-]\d{1,2}(?::\d{2})?)?"
            elif letter == "Z" and count == 4:
                body = r"GMT(?:[+-]\d{2}:\d{2})?"
            elif letter == "Z" and count == 5 or letter in "Xx" and count >= 3:
                body = ("Z|" if letter != "x" else "") + r"[+-]\d{2}:\d{2}(?::\d{2})?"
            elif letter == "Z":
                body = r"[+-]\d{4}"
            else:  # X, x with one or two letters
                body = ("Z|" if letter == "X" else "") + (r"[+-]\d{2}(?:\d{2})?" if count == 1 else r"[+-]\d{4}")
            regex.append(f"(?P<{name}>{body})")
        return re.compile("".join(regex)), groups

    def parse(self, text: str, zone: "tuple[tzinfo, str]") -> ZonedTime:
        for compiled, groups in self.alternatives:
            match = compiled.fullmatch(text)
            if match:
                return self._assemble(match, groups, zone)
        raise DateError(f"Text '{text}' could not be parsed")

    def _assemble(self, match: "re.Match[str]", groups: list[tuple[str, _Token]], zone: "tuple[tzinfo, str]") -> ZonedTime:
        months, short_months, days, short_days = _NAMES[self.language]
        f: dict[str, Any] = {}
        parsed_zone: tuple[tzinfo, str] | None = None
        for name, token in groups:
            value = match.group(name)
            if value is None:
                continue
            letter, count = token.letter, token.count
            if letter in "yuY":
                number = int(value)
                f[letter] = 2000 + number if count == 2 else number
            elif letter in "ML":
                f["M"] = int(value) if count <= 2 else (months if count == 4 else short_months).index(value) + 1
            elif letter in "Eec":
                f["E"] = int(value) if value.isdigit() else (days if count == 4 else short_days).index(value) + 1
            elif letter == "S":
                f["nano"] = int(value.ljust(9, "0"))
            elif letter == "n":
                f["nano"] = int(value)
            elif letter in "aG":
                f[letter] = value
            elif letter in "VzOXxZ":
                parsed_zone = _parsed_zone(letter, value)
            else:
                f[letter] = int(value)
        return _resolve(f, parsed_zone, zone)


def _parsed_zone(letter: str, value: str) -> "tuple[tzinfo, str]":
    if value == "Z" or value == "GMT":
        return _UTC
    if value.startswith("GMT"):
        return zone_of(value[3:])
    if letter in "XxZ":
        return _offset_zone(value)
    try:
        return zone_of(value)
    except DateError:
        if letter == "z":
            raise DateError(f"unknown zone name [{value}]") from None
        raise


def _resolve(f: dict[str, Any], parsed_zone: "tuple[tzinfo, str] | None", zone: "tuple[tzinfo, str]") -> ZonedTime:
    try:
        hour = f.get("H", 0)
        if "k" in f:
            if not 1 <= f["k"] <= 24:
                raise DateError("Invalid value for ClockHourOfDay")
            hour = f["k"] % 24
        if "h" in f or "K" in f:
            half = f["h"] % 12 if "h" in f else f["K"]
            if ("h" in f and not 1 <= f["h"] <= 12) or half > 11:
                raise DateError("Invalid value for hour of am-pm")
            hour = half + (12 if f.get("a") == "PM" else 0)
        nano = f.get("nano", 0)
        clock = (hour, f.get("m", 0), f.get("s", 0), nano // 1000)
        if not any(k in f for k in "yuY"):
            # DateFormat.Java: the current year (UTC), fields copied onto it, read in the zone.
            year = datetime.now(timezone.utc).year
            month = f.get("M", 1)
            if not 1 <= month <= 12:
                raise DateError("Invalid value for MonthOfYear")
            day = f.get("d", 1)
            if not 1 <= day <= 31:
                raise DateError("Invalid value for DayOfMonth")
            last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
            local = datetime(year, month, min(day, last), *clock)
            return _localize(local, nano, zone)
        if "Y" in f and "y" not in f and "u" not in f:
            day_date = date.fromisocalendar(f["Y"], f.get("w", 1), f.get("E", 1))
        else:
            year = f["u"] if "u" in f else f["y"]
            if "u" not in f and f.get("G") in ("BC", "Before Christ"):
                year = 1 - year
            if "D" in f and "M" not in f:
                day_date = date(year, 1, 1) + timedelta(days=f["D"] - 1)
                if day_date.year != year:
                    raise DateError("Invalid date 'DayOfYear 366' as it is not a leap year")
            else:
                day_date = date(year, f.get("M", 1), f.get("d", 1))
            if "E" in f and day_date.isoweekday() != f["E"]:
                raise DateError("Conflict found: day of week differs")
        local = datetime(day_date.year, day_date.month, day_date.day, *clock)
    except ValueError as exc:
        raise DateError(str(exc)) from None
    if parsed_zone is not None:
        return _localize(local, nano, parsed_zone).in_zone(zone)
    return _localize(local, nano, zone)


def _localize(local: datetime, nano: int, zone: "tuple[tzinfo, str]") -> ZonedTime:
    """``LocalDateTime.atZone``: the earlier offset in an overlap, shifted forward in a gap."""
    moment = local.replace(tzinfo=zone[0], fold=0)
    moment = moment.astimezone(timezone.utc).astimezone(zone[0])
    return ZonedTime(moment, nano, zone[1])


# -- printing ---------------------------------------------------------------------------------


def _offset_text(seconds: int, colon: bool, zero: str, minutes: str = "always") -> str:
    if seconds == 0 and zero:
        return zero
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    mins, secs = divmod(rest, 60)
    sep = ":" if colon else ""
    text = f"{sign}{hours:02d}"
    if minutes == "always" or mins or secs:
        text += f"{sep}{mins:02d}"
    if secs:
        text += f"{sep}{secs:02d}"
    return text



#: Pattern letters printed as a number padded to the letter count, and their value.
_PADDED_NUMBERS: dict[str, Callable[[datetime], int]] = {
    "d": lambda m: m.day,
    "D": lambda m: m.timetuple().tm_yday,
    "w": lambda m: m.isocalendar()[1],
    "H": lambda m: m.hour,
    "k": lambda m: m.hour or 24,
    "h": lambda m: (m.hour % 12) or 12,
    "K": lambda m: m.hour % 12,
    "m": lambda m: m.minute,
    "s": lambda m: m.second,
}

class JavaDateFormatter:
    """Prints a :class:`ZonedTime` with a Java pattern (names in the root locale: English)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.tokens = _tokenize(pattern.split("||")[0])

    def format(self, t: ZonedTime) -> str:
        out: list[str] = []
        m = t.moment
        offset = int(m.utcoffset().total_seconds())  # type: ignore[union-attr]
        months, short_months, days, short_days = _ENGLISH
        for token in self.tokens:
            letter, count = token.letter, token.count
            if letter in ("[", "]"):
                continue  # optional sections print when their fields exist: all of them do here
            if letter == "":
                out.append(token.text)
            elif letter in "yuY":
                year = m.isocalendar()[0] if letter == "Y" else m.year
                if letter == "y" and year <= 0:
                    year = 1 - year
                out.append(f"{year % 100:02d}" if count == 2 else f"{year:0{count}d}")
            elif letter in "ML":
                out.append(f"{m.month:0{count}d}" if count <= 2 else (months if count == 4 else short_months)[m.month - 1])
            elif letter in "Eec":
                if letter != "E" and count <= 2:
                    out.append(f"{m.isoweekday():0{count}d}")
                else:
                    out.append((days if count == 4 else short_days)[m.weekday()])
            elif letter in _PADDED_NUMBERS:
                out.append(f"{_PADDED_NUMBERS[letter](m):0{count}d}")
            elif letter == "S":
                out.append(f"{t.nano:09d}"[:count] if count <= 9 else f"{t.nano:09d}".ljust(count, "0"))
            elif letter == "n":
                out.append(f"{t.nano:0{count}d}")
            elif letter == "a":
                out.append("AM" if m.hour < 12 else "PM")
            elif letter == "G":
                out.append(("AD" if m.year > 0 else "BC") if count <= 3 else ("Anno Domini" if m.year > 0 else "Before Christ"))
            elif letter == "V":
                out.append(t.zone_id)
            elif letter == "z":
                out.append(m.tzname() or t.zone_id)
            elif letter == "O":
                if offset == 0:
                    out.append("GMT")
                elif count == 4:
                    out.append("GMT" + _offset_text(offset, True, ""))
                else:
                    hours, rest = divmod(abs(offset), 3600)
                    sign = "-" if offset < 0 else "+"
                    out.append(f"GMT{sign}{hours}" + (f":{rest // 60:02d}" if rest else ""))
            elif letter == "Z":
                if count <= 3:
                    out.append(_offset_text(offset, False, ""))
                elif count == 4:
                    out.append("GMT" + _offset_text(offset, True, "") if offset else "GMT")
                else:
                    out.append(_offset_text(offset, True, "Z"))
            elif letter in "Xx":
                zero = "Z" if letter == "X" else ""
                if count == 1:
                    out.append(_offset_text(offset, False, zero, "nonzero"))
                else:
                    out.append(_offset_text(offset, count >= 3, zero))
        return "".join(out)


# -- Elasticsearch's formats --------------------------------------------------------------------

_ISO = re.compile(
    r"(?P<y>[+-]?\d{4,9})(?:-(?P<M>\d{2})(?:-(?P<d>\d{2})(?:T(?P<H>\d{2})(?::(?P<m>\d{2})(?::(?P<s>\d{2})"
    r"(?:[.,](?P<f>\d{1,9}))?)?)?(?P<z>Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?"
)


def _iso8601(text: str, zone: "tuple[tzinfo, str]") -> ZonedTime:
    """Elasticsearch's ``iso8601``: ``yyyy[-MM[-dd[THH[:mm[:ss[.fraction]]][offset]]]]``."""
    match = _ISO.fullmatch(text)
    if not match:
        raise DateError(f"failed to parse date field [{text}] with format [iso8601]")
    g = match.groupdict()
    f: dict[str, Any] = {"u": int(g["y"])}
    for key in "MdHms":
        if g[key] is not None:
            f[key] = int(g[key])
    if g["f"]:
        f["nano"] = int(g["f"].ljust(9, "0"))
    parsed = _parsed_zone("X", g["z"]) if g["z"] else None
    return _resolve(f, parsed, zone)


def _epoch(text: str, unit: int, max_fraction: int) -> int:
    """``epoch_millis`` / ``epoch_second``: nanoseconds since the epoch."""
    if not re.fullmatch(r"-?\d{1,19}(?:\.\d{1,%d})?" % max_fraction, text):
        raise DateError(f"failed to parse date field [{text}]")
    try:
        return int(Decimal(text) * unit)
    except InvalidOperation:
        raise DateError(f"failed to parse date field [{text}]") from None


def _unix(text: str, zone: "tuple[tzinfo, str]") -> ZonedTime:
    millis = int(parse_java_double(text) * 1000.0)  # Java's (long) cast truncates toward zero
    return ZonedTime.from_epoch_nanos(millis * 1_000_000, zone)


def _unix_ms(text: str, zone: "tuple[tzinfo, str]") -> ZonedTime:
    return ZonedTime.from_epoch_nanos(parse_java_int(text, 64, decode=False) * 1_000_000, zone)


def _tai64n(text: str, zone: "tuple[tzinfo, str]") -> ZonedTime:
    if text.startswith("@"):
        text = text[1:]
    if len(text) < 24 or not re.fullmatch(r"[0-9a-fA-F]+", text[1:24]):
        raise DateError(f"invalid TAI64N label [{text}]")
    base = int(text[1:16], 16)
    rest = int(text[16:24], 16)
    return ZonedTime.from_epoch_nanos(((base * 1000) - 10000 + rest // 1_000_000) * 1_000_000, zone)


#: Elasticsearch's special formats (exact, upper case: ``unix`` is a Java pattern, as there).
SPECIAL_FORMATS: dict[str, Callable[[str, "tuple[tzinfo, str]"], ZonedTime]] = {
    "ISO8601": _iso8601,
    "UNIX": _unix,
    "UNIX_MS": _unix_ms,
    "TAI64N": _tai64n,
}

#: Some of Elasticsearch's named date formats (``DateFormatters``), as parsers.
NAMED_FORMATS: dict[str, Callable[[str, "tuple[tzinfo, str]"], ZonedTime]] = {
    "iso8601": _iso8601,
    "strict_date_optional_time": _iso8601,
    "date_optional_time": _iso8601,
    "epoch_millis": lambda text, zone: ZonedTime.from_epoch_nanos(_epoch(text, 1_000_000, 6), zone),
    "epoch_second": lambda text, zone: ZonedTime.from_epoch_nanos(_epoch(text, 1_000_000_000, 9), zone),
}
_NAMED_PATTERNS = {
    "strict_date": "yyyy-MM-dd",
    "date": "yyyy-MM-dd",
    "basic_date": "yyyyMMdd",
    "strict_date_time": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "date_time": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "strict_date_hour_minute_second": "yyyy-MM-dd'T'HH:mm:ss",
    "date_hour_minute_second": "yyyy-MM-dd'T'HH:mm:ss",
}
_NAMED_OUTPUT = {
    "iso8601": DEFAULT_OUTPUT_FORMAT,
    "strict_date_optional_time": DEFAULT_OUTPUT_FORMAT,
    "date_optional_time": DEFAULT_OUTPUT_FORMAT,
    **_NAMED_PATTERNS,
}


def parse_date(fmt: str, text: str, zone: "tuple[tzinfo, str]", language: str = "") -> ZonedTime:
    """Parse ``text`` with one of the processor's ``formats`` (raises DateError)."""
    special = SPECIAL_FORMATS.get(fmt)
    if special is not None:
        return special(text, zone)
    if fmt.startswith("8"):
        fmt = fmt[1:]
    named = NAMED_FORMATS.get(fmt)
    if named is not None:
        return named(text, zone)
    return JavaDateFormat(_NAMED_PATTERNS.get(fmt, fmt), language).parse(text, zone)


# -- the processor ----------------------------------------------------------------------------

class DateProcessor(FieldProcessor):
    """``date``: parse ``field`` with the first of ``formats`` that fits, write it to
    ``target_field`` (default ``@timestamp``) as ``output_format`` in ``timezone``."""

    type = "date"
    options = frozenset({"formats", "timezone", "locale", "output_format"})
    takes_ignore_missing = False
    _CACHE_SIZE: ClassVar[int] = 256

    def null_error(self, path: str) -> str:
        return "unable to parse date [null]"

    def configure(self, options: dict[str, Any]) -> None:
        if self.target_field is None:
            self.target_field = _FieldName("@timestamp", "target_field")
        formats = options.get("formats")
        if formats is None:
            raise PipelineConfigError("[formats] required property is missing")
        if not isinstance(formats, list) or not all(isinstance(v, str) for v in formats):
            raise PipelineConfigError("[formats] property isn't a list, but of type [" + type(formats).__name__ + "]")
        self.formats: list[str] = formats
        timezone_text = read_string(options, "timezone", required=False)
        locale_text = read_string(options, "locale", required=False)
        self.timezone = Template(timezone_text) if timezone_text is not None else None
        self.locale = Template(locale_text) if locale_text is not None else None
        output = read_string(options, "output_format", required=False) or DEFAULT_OUTPUT_FORMAT
        try:
            self.formatter = JavaDateFormatter(_NAMED_OUTPUT.get(output, output))
        except DateError:
            raise PipelineConfigError(f"[output_format] invalid output format [{output}]") from None
        self._parsers: dict[tuple[str, str], JavaDateFormat | DateError] = {}

    def _java(self, fmt: str, language: str) -> "JavaDateFormat | DateError":
        key = (fmt, language)
        parser = self._parsers.get(key)
        if parser is None:
            if len(self._parsers) >= self._CACHE_SIZE:
                self._parsers.clear()
            try:
                parser = JavaDateFormat(_NAMED_PATTERNS.get(fmt, fmt), language)
            except DateError as exc:
                parser = exc
            self._parsers[key] = parser
        return parser

    def _parse(self, fmt: str, text: str, zone: "tuple[tzinfo, str]", language: str) -> ZonedTime:
        special = SPECIAL_FORMATS.get(fmt)
        if special is not None:
            return special(text, zone)
        if fmt.startswith("8"):
            fmt = fmt[1:]
        named = NAMED_FORMATS.get(fmt)
        if named is not None:
            return named(text, zone)
        parser = self._java(fmt, language)
        if isinstance(parser, DateError):
            raise parser
        return parser.parse(text, zone)

    def write(self, document: IngestDocument, value: Any, path: str, parts: list[str]) -> None:
        text = java_string(value)
        result: ZonedTime | None = None
        try:
            zone = zone_of(self.timezone.render(document)) if self.timezone is not None else _UTC
            language = locale_of(self.locale.render(document)) if self.locale is not None else ""
        except DateError:
            raise field_error(f"unable to parse date [{text}]") from None
        for fmt in self.formats:
            try:
                result = self._parse(fmt, text, zone, language)
                break
            except (DateError, ValueError, OverflowError):
                continue
        if result is None:
            raise field_error(f"unable to parse date [{text}]")
        assert self.target_field is not None
        target, target_parts = self.target_field.resolve(document)
        set_field(document, target_parts, target, self.formatter.format(result))
