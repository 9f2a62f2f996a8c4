"""Elasticsearch's ``community_id`` processor: one ID for both directions of a network flow.

The Community ID (https://github.com/corelight/community-id-spec, version 1)
lets events from different tools about the same connection be joined: it is
``"1:"`` and the base64 of a SHA-1 over the seed (two bytes, big-endian),
the two addresses in a canonical order (the smaller one first, or the
smaller port when they are equal), the IANA protocol number, a zero
padding byte and, for TCP, UDP, SCTP, ICMP and ICMPv6, the two ports in the
same order. ICMP has no ports: its type and code stand in for them, and a
type with a counterpart (echo request and echo reply...) takes the
counterpart's type as its "destination port", so that both halves of the
exchange get the same ID; types without one (one-way messages) keep the
addresses in the order given.

The rules here are Elasticsearch's ``CommunityIdProcessor``, because a
pipeline moved from Elasticsearch must give the same IDs and the same
failures: the ECS field names by default, ``iana_number`` preferred to
``transport``, ports and protocols accepted as numbers or numeric strings
(numbers cut to ``int`` as Java's ``Number.intValue`` cuts them), TCP/UDP/SCTP
ports 1..65535, ICMP types and codes tolerated when missing (they count as
0), ``ignore_missing`` on by default, IP addresses parsed as Elasticsearch's
``InetAddresses.forString`` parses them (IPv4-mapped IPv6 addresses hash as
their IPv4 address, a ``%scope`` is ignored, leading zeros in an IPv4 octet
are refused).

Messages are Elasticsearch's, with JSON type names (``[number]``) where it
names Java classes, as the other built-ins do. Field options may be
templates (``{{field}}``), as everywhere in ingesthost.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import socket
from typing import Any, ClassVar

from ..condition import java_string
from ..document import IngestDocument, json_type
from ..errors import PipelineConfigError
from .builtins import (
    _Builtin,
    _FieldError,
    _FieldName,
    check_options,
    get_field,
    read_bool,
    read_string,
    set_field,
)
from .field_base import cast_error, field_error
from .javaisms import parse_java_int

__all__ = [
    "CommunityIdProcessor",
    "community_id",
    "parse_ip",
    "transport_number",
]

# -- protocols ---------------------------------------------------------------------------------

#: Protocol names Elasticsearch knows (lower case) -> IANA number.
TRANSPORT_NAMES: dict[str, int] = {
    "icmp": 1,
    "igmp": 2,
    "tcp": 6,
    "udp": 17,
    "gre": 47,
    "ipv6-icmp": 58,
    "icmpv6": 58,
    "eigrp": 88,
    "ospf": 89,
    "pim": 103,
    "sctp": 132,
}

_ICMP, _ICMPV6 = 1, 58
#: Protocols whose ports are validated and hashed.
_PORTED = frozenset({6, 17, 132})
#: Protocols with ports in the hash (ICMP's are its type and code).
_HASHED_PORTS = frozenset({6, 17, 132, _ICMP, _ICMPV6})

#: ICMP type -> the type of its counterpart; types missing here are one-way.
#: Elasticsearch's tables, not the specification's: information request (15)
#: maps to reply (16) but not back, MLD query (130) to report (131) but not
#: back, so 16 and 131 are one-way here as there.
ICMP_V4_COUNTERPARTS: dict[int, int] = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 10: 9, 9: 10, 17: 18, 18: 17}
ICMP_V6_COUNTERPARTS: dict[int, int] = {
    128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135,
    130: 131, 139: 140, 140: 139, 144: 145, 145: 144,
}

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def _wrap32(number: int) -> int:
    """The low 32 bits as a signed Java ``int`` (what Java's int arithmetic keeps)."""
    return ((number - _INT_MIN) & 0xFFFFFFFF) + _INT_MIN


def _int_value(number: float) -> int:
    """Java's ``Number.intValue()``: integers keep their low 32 bits, doubles are
    truncated and saturate (so a port of ``34855.0`` is port 34855, and a long
    ``2**32 + 80`` is port 80, as in Elasticsearch)."""
    if isinstance(number, int):
        return _wrap32(number)
    if math.isnan(number):
        return 0
    if number >= _INT_MAX:
        return _INT_MAX
    if number <= _INT_MIN:
        return _INT_MIN
    return int(number)


def _parse_int(value: Any, what: str) -> int:
    """A port, ICMP type or code: missing/null is 0, a number is cut to int, a
    string is ``Integer.parseInt``; anything else fails the document."""
    if value is None:
        return 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _int_value(value)
    if isinstance(value, str):
        try:
            return parse_java_int(value, decode=False)
        except ValueError:
            pass
    raise field_error(f"unable to parse {what} [{java_string(value)}]")


def _from_number(number: int) -> int:
    if number < 0 or number >= 255:
        raise field_error(f"invalid transport protocol number [{number}]")
    return number


def transport_number(value: Any) -> int:
    """The IANA protocol number of an ``iana_number`` or ``transport`` value: a
    number, a numeric string, or one of Elasticsearch's protocol names (any
    case); 0..254."""
    if isinstance(value, bool):
        raise field_error("could not convert value of type [boolean] to transport protocol")
    if isinstance(value, (int, float)):
        return _from_number(_int_value(value))
    if isinstance(value, str):
        known = TRANSPORT_NAMES.get(value.lower())
        if known is not None:
            return known
        try:
            number = parse_java_int(value, decode=False)
        except ValueError:
            raise field_error(f"could not convert string [{value}] to transport protocol") from None
        return _from_number(number)
    raise field_error(f"could not convert value of type [{json_type(value)}] to transport protocol")


# -- addresses ---------------------------------------------------------------------------------

_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}")
_HEX = {c: int(c, 16) for c in "0123456789abcdefABCDEF"}
_V4_MAPPED_PREFIX = bytes(10) + b"\xff\xff"
_ABSENT = object()


def _ipv6_bytes(text: str) -> bytes | None:
    """Elasticsearch's IPv6 text rules (``textToNumericFormatV6``), None if refused.

    They are looser than Python's ``ipaddress`` in places (a group of more than
    four hex digits whose value fits in 16 bits is accepted, ``1::`` and
    ``::`` are fine) and the same elsewhere; the digits accumulate in a Java
    ``int``, so they wrap as there.
    """
    length = len(text)
    if length < 2:
        return None
    if text[0] == ":" and text[1] != ":":
        return None
    if text[-1] == ":" and text[-2] != ":":
        return None
    groups: list[int] = []
    compressed = -1
    start = 0
    current = 0
    for i, char in enumerate(text):
        if char == ":":
            if start == i:  # "::"
                if compressed >= 0 and i != 1:
                    return None
                compressed = len(groups)
            else:
                if len(groups) == 8 or current > 0xFFFF:
                    return None
                groups.append(current & 0xFFFF)
                current = 0
            start = i + 1
        else:
            digit = _HEX.get(char)
            if digit is None:
                return None
            current = _wrap32(current * 16 + digit)
    if start < length:
        if len(groups) == 8 or current > 0xFFFF:
            return None
        groups.append(current & 0xFFFF)
    if compressed >= 0:
        if len(groups) >= 8:
            return None
        groups[compressed:compressed] = [0] * (8 - len(groups))
    elif len(groups) != 8:
        return None
    return b"".join(group.to_bytes(2, "big") for group in groups)


def parse_ip(text: str) -> bytes:
    """The address bytes of an IP string literal (4 for IPv4 and IPv4-mapped IPv6,
    16 for other IPv6), by Elasticsearch's ``InetAddresses.forString`` rules;
    ValueError with its message otherwise. Never a name lookup."""
    if _IPV4.fullmatch(text):  # the common case: checked strictly, then the C parser
        return socket.inet_aton(text)
    refused = ValueError(f"'{text}' is not an IP string literal.")
    scope = text.find("%")
    body = text
    if scope >= 0:
        if scope == len(text) - 1:
            raise refused  # an empty scope
        body = text[:scope]  # the scope is ignored
    if not body.isascii():
        raise refused
    last_colon = body.rfind(":")
    first_dot = body.find(".")
    if last_colon < 0:
        if first_dot < 0 or not _IPV4.fullmatch(body):
            raise refused
        return socket.inet_aton(body)
    if first_dot >= 0:
        if first_dot < last_colon:
            raise refused  # a colon after a dot
        quad = body[last_colon + 1:]
        if not _IPV4.fullmatch(quad):
            raise refused
        a, b, c, d = (int(octet) for octet in quad.split("."))
        body = f"{body[:last_colon + 1]}{a:02x}{b:02x}:{c:02x}{d:02x}"
    address = _ipv6_bytes(body)
    if address is None:
        raise refused
    if address[:12] == _V4_MAPPED_PREFIX:
        return address[12:]  # Java's InetAddress makes it an Inet4Address
    return address


# -- the hash ----------------------------------------------------------------------------------


def _uint16(number: int) -> bytes:
    if not 0 <= number <= 65535:
        raise field_error(f"number [{number}] must be a value between 0 and 65535")
    return number.to_bytes(2, "big")


def community_id(
    source: bytes,
    destination: bytes,
    protocol: int,
    source_port: int = 0,
    destination_port: int = 0,
    *,
    seed: int = 0,
    one_way: bool = False,
) -> str:
    """The version 1 Community ID of a flow (addresses as bytes, ports already
    mapped for ICMP). ``one_way`` keeps the order given (one-way ICMP types),
    where otherwise the lower endpoint goes first so both directions agree."""
    ordered = one_way
    if not ordered:
        if len(source) == len(destination):  # big-endian bytes of one length compare as numbers
            ordered = source < destination or (source == destination and source_port < destination_port)
        else:  # an IPv4 and an IPv6 address: compared as unsigned numbers, as Java's BigInteger does
            low_src, low_dst = int.from_bytes(source, "big"), int.from_bytes(destination, "big")
            ordered = low_src < low_dst or (low_src == low_dst and source_port < destination_port)
    if ordered:
        data = [_uint16(seed), source, destination, bytes((protocol, 0))]
        ports = (source_port, destination_port)
    else:
        data = [_uint16(seed), destination, source, bytes((protocol, 0))]
        ports = (destination_port, source_port)
    if protocol in _HASHED_PORTS:
        data += (_uint16(ports[0]), _uint16(ports[1]))
    return "1:" + base64.b64encode(hashlib.sha1(b"".join(data)).digest()).decode("ascii")


# -- the processor -----------------------------------------------------------------------------


class CommunityIdProcessor(_Builtin):
    """``community_id``: the Community ID of the flow a document describes, at
    ``target_field`` (``network.community_id``). Without the addresses or the
    protocol there is no flow: the document is left as it is with
    ``ignore_missing`` (the default), else it fails."""

    type = "community_id"

    #: Option -> the ECS field it reads by default.
    FIELD_DEFAULTS: ClassVar[dict[str, str]] = {
        "source_ip": "source.ip",
        "source_port": "source.port",
        "destination_ip": "destination.ip",
        "destination_port": "destination.port",
        "iana_number": "network.iana_number",
        "transport": "network.transport",
        "icmp_type": "icmp.type",
        "icmp_code": "icmp.code",
        "target_field": "network.community_id",
    }

    def __init__(
        self,
        fields: dict[str, str] | None = None,
        *,
        seed: int = 0,
        ignore_missing: bool = True,
        tag: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(tag=tag, description=description)
        names = {**self.FIELD_DEFAULTS, **(fields or {})}
        unknown = set(names) - set(self.FIELD_DEFAULTS)
        if unknown:
            raise PipelineConfigError(f"unknown field option(s) {', '.join(sorted(unknown))} for processor [{self.type}]")
        if not 0 <= seed <= 65535:
            raise PipelineConfigError("[seed] must be a value between 0 and 65535")
        self.source_ip = _FieldName(names["source_ip"], "source_ip")
        self.source_port = _FieldName(names["source_port"], "source_port")
        self.destination_ip = _FieldName(names["destination_ip"], "destination_ip")
        self.destination_port = _FieldName(names["destination_port"], "destination_port")
        self.iana_number = _FieldName(names["iana_number"], "iana_number")
        self.transport = _FieldName(names["transport"], "transport")
        self.icmp_type = _FieldName(names["icmp_type"], "icmp_type")
        self.icmp_code = _FieldName(names["icmp_code"], "icmp_code")
        self.target_field = _FieldName(names["target_field"], "target_field")
        self.seed = seed
        self.ignore_missing = ignore_missing

    @classmethod
    def create(cls, options: dict[str, Any], tag: str | None, description: str | None) -> CommunityIdProcessor:
        """Read the options as Elasticsearch's factory does: every field option a
        string (ECS name by default), ``seed`` an int or an int's text in 0..65535,
        ``ignore_missing`` a boolean, true by default."""
        check_options(cls.type, options, set(cls.FIELD_DEFAULTS) | {"seed", "ignore_missing"})
        fields = {}
        for option, default in cls.FIELD_DEFAULTS.items():
            value = read_string(options, option, required=False)
            fields[option] = default if value is None else value
        return cls(
            fields,
            seed=_read_seed(options),
            ignore_missing=read_bool(options, "ignore_missing", True),
            tag=tag,
            description=description,
        )

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        try:
            flow_id = self._flow_id(document)
            if flow_id is None:
                if self.ignore_missing:
                    return document
                raise field_error("unable to construct flow from document")
            path, parts = self.target_field.resolve(document)
            set_field(document, parts, path, flow_id)
        except _FieldError as exc:
            raise self.fail(str(exc)) from None
        except ValueError as exc:  # an address that is not one
            raise self.fail(str(exc)) from None
        return document

    def _read(self, document: IngestDocument, field: _FieldName, ignore_missing: bool) -> Any:
        """A field's value; with ``ignore_missing``, None when it is not there (a
        template that renders to nothing counts as not there).

        A constant path through objects only is walked here (seven reads a
        document, the processor's main cost); anything else (a template, a
        list index, a missing field and its error) goes the general way."""
        parts = field.parts
        if parts is not None:
            node, rest = document.root(parts)
            for segment in rest:
                if type(node) is not dict:
                    break
                node = node.get(segment, _ABSENT)
                if node is _ABSENT:
                    if ignore_missing:  # a key missing from an object: the field is missing
                        return None
                    break
            else:
                return node
        if ignore_missing and field.renders_empty(document):
            return None
        path, parts = field.resolve(document)
        return get_field(document, parts, path, ignore_missing=ignore_missing)

    def _read_ip(self, document: IngestDocument, field: _FieldName) -> str | None:
        value = self._read(document, field, self.ignore_missing)
        if value is not None and not isinstance(value, str):
            raise cast_error(field.resolve(document)[0], value, "string")
        return value

    def _flow_id(self, document: IngestDocument) -> str | None:
        """The ID, or None when the document holds no flow (no address, no protocol).
        Fields are read in Elasticsearch's order, so the first failure is the same."""
        source_text = self._read_ip(document, self.source_ip)
        destination_text = self._read_ip(document, self.destination_ip)
        if source_text is None or destination_text is None:
            return None
        source = parse_ip(source_text)
        destination = parse_ip(destination_text)
        protocol_value = self._read(document, self.iana_number, True)
        if protocol_value is None:
            protocol_value = self._read(document, self.transport, self.ignore_missing)
            if protocol_value is None:
                return None
        protocol = transport_number(protocol_value)
        source_port = destination_port = 0
        one_way = False
        if protocol in _PORTED:
            value = self._read(document, self.source_port, self.ignore_missing)
            source_port = _parse_int(value, "source port")
            if not 1 <= source_port <= 65535:
                raise field_error(f"invalid source port [{java_string(value)}]")
            value = self._read(document, self.destination_port, self.ignore_missing)
            destination_port = _parse_int(value, "destination port")
            if not 1 <= destination_port <= 65535:
                raise field_error(f"invalid destination port [{java_string(value)}]")
        elif protocol == _ICMP or protocol == _ICMPV6:
            icmp_type = _parse_int(self._read(document, self.icmp_type, True), "icmp type")
            icmp_code = _parse_int(self._read(document, self.icmp_code, True), "icmp code")
            counterparts = ICMP_V6_COUNTERPARTS if protocol == _ICMPV6 else ICMP_V4_COUNTERPARTS
            counterpart = counterparts.get(icmp_type)
            one_way = counterpart is None
            source_port = icmp_type
            destination_port = icmp_code if counterpart is None else counterpart
        return community_id(
            source, destination, protocol, source_port, destination_port, seed=self.seed, one_way=one_way
        )


def _read_seed(options: dict[str, Any]) -> int:
    """``seed`` as Elasticsearch's ``readIntProperty`` reads it: the value's text
    parsed as an int (so ``123`` and ``"123"`` are the same, ``1.5`` is refused)."""
    value = options.get("seed")
    if value is None:
        return 0
    text = java_string(value)
    try:
        seed = parse_java_int(text, decode=False)
    except ValueError:
        raise PipelineConfigError(f"[seed] property cannot be converted to an int [{text}]") from None
    if not 0 <= seed <= 65535:
        raise PipelineConfigError("[seed] must be a value between 0 and 65535")
    return seed
