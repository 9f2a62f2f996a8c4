"""The ``fingerprint`` processor: a hash of fields and everything inside them.

The bytes hashed are Elasticsearch's, byte for byte (its ``toBytes`` for each
JSON type, the delimiters, the key order), so that a document gets the same
fingerprint here as there. MurmurHash3 is written in :mod:`.javaisms`; the
other digests are :mod:`hashlib`'s.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import Any, Callable, Sequence

from ..document import IngestDocument, json_type
from ..errors import PipelineConfigError
from .builtins import _Builtin, _FieldError, _FieldName, check_options, get_field, read_bool, read_string, set_field
from .field_base import field_error, read_strings
from .javaisms import murmur3_x64_128, utf16_key

__all__ = ["FingerprintProcessor"]

_DELIMITER, _TRUE, _FALSE = b"\x00", b"\x01", b"\x02"
_DIGESTS: dict[str, Callable[[bytes], bytes]] = {
    "MD5": lambda data: hashlib.md5(data).digest(),
    "SHA-1": lambda data: hashlib.sha1(data).digest(),
    "SHA-256": lambda data: hashlib.sha256(data).digest(),
    "SHA-512": lambda data: hashlib.sha512(data).digest(),
    "MurmurHash3": murmur3_x64_128,
}


def _fingerprint_bytes(value: Any) -> bytes:
    """Elasticsearch's ``FingerprintProcessor.toBytes`` for JSON values: UTF-8
    strings, little-endian Integer (4 bytes) / Long (8) / Double (8), 1 or 2
    for booleans, nothing for null."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, bool):
        return _TRUE if value else _FALSE
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return struct.pack("<i", value)
        return struct.pack("<q", value)
    if isinstance(value, float):
        return struct.pack("<d", value)
    if value is None:
        return b""
    raise field_error(f"cannot convert object of type [{json_type(value)}] to bytes")


class FingerprintProcessor(_Builtin):
    """``fingerprint``: a hash (base64) of ``fields`` and everything inside them,
    byte for byte what Elasticsearch hashes: ``salt``, then for each field in
    sorted order (objects by sorted key, lists in order) a 0 byte and the
    value's bytes (a key's bytes before its value)."""

    type = "fingerprint"

    def __init__(
        self,
        fields: Sequence[str],
        target_field: str,
        salt: bytes,
        method: str,
        ignore_missing: bool,
        *,
        tag: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(tag=tag, description=description)
        self.fields = [_FieldName(f, "fields") for f in sorted(fields, key=utf16_key)]
        self.target_field = _FieldName(target_field, "target_field")
        self.salt = salt
        self.digest = _DIGESTS[method]
        self.ignore_missing = ignore_missing

    @classmethod
    def create(cls, options: dict[str, Any], tag: str | None, description: str | None) -> "FingerprintProcessor":
        check_options(cls.type, options, {"fields", "target_field", "salt", "method", "ignore_missing"})
        fields = read_strings(options, "fields", required=True)
        assert fields is not None
        if not fields:
            raise PipelineConfigError("[fields] must specify at least one field")
        salt = read_string(options, "salt", required=False) or ""
        method = read_string(options, "method", required=False) or "SHA-1"
        if method not in _DIGESTS:
            raise PipelineConfigError(
                f"[method] [{method}] must be one of the supported hash methods [{','.join(_DIGESTS)}]"
            )
        return cls(
            fields,
            read_string(options, "target_field", required=False) or "fingerprint",
            salt.encode("utf-8") if salt.strip() else b"",
            method,
            read_bool(options, "ignore_missing", False),
            tag=tag,
            description=description,
        )

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        try:
            values = []
            for field in self.fields:
                path, parts = field.resolve(document)
                value = get_field(document, parts, path, ignore_missing=True)
                if value is None:
                    if self.ignore_missing:
                        continue
                    raise field_error(f"missing field [{path}] when calculating fingerprint")
                values.append(value)
            if values:
                chunks = [self.salt]
                stack: list[Any] = list(reversed(values))
                while stack:
                    value = stack.pop()
                    if isinstance(value, list):
                        stack.extend(reversed(value))
                    elif isinstance(value, dict):
                        for key in sorted(value, key=utf16_key, reverse=True):
                            stack.append(value[key])
                            stack.append(_MapKey(key))
                    elif isinstance(value, _MapKey):
                        chunks += (_DELIMITER, value.encode("utf-8", "surrogatepass"))
                    else:
                        chunks += (_DELIMITER, _fingerprint_bytes(value))
                digest = self.digest(b"".join(chunks))
                target, target_parts = self.target_field.resolve(document)
                set_field(document, target_parts, target, base64.b64encode(digest).decode("ascii"))
        except _FieldError as exc:
            raise self.fail(str(exc)) from None
        return document


class _MapKey(str):
    """A map key on the fingerprint's stack (hashed as its bytes, then its value follows)."""

    __slots__ = ()
