"""The ``convert`` processor: a value (or each element of a list) to ``integer``,
``long``, ``float``, ``double``, ``boolean``, ``string``, ``ip`` or ``auto``.

A module of its own: each target type follows its own Java rule
(``Integer.parseInt``, with ``decode`` for ``0x`` text, ``Double.parseDouble``,
``Float.parseFloat``: see :mod:`.javaisms`) and has its own message, and
``auto`` tries boolean, integer, long, float and double in turn.
"""

from __future__ import annotations

import ipaddress
import math
from typing import Any, ClassVar

from ..condition import java_string
from ..document import json_type
from ..errors import PipelineConfigError
from .builtins import _FieldError, read_string
from .field_base import FieldProcessor, field_error
from .javaisms import parse_java_double, parse_java_float, parse_java_int

__all__ = ["ConvertProcessor"]


class ConvertProcessor(FieldProcessor):
    """``convert``: to ``integer``, ``long``, ``float``, ``double``, ``boolean``,
    ``string``, ``ip`` or ``auto``, with Java's parsing rules (each element of a list)."""

    type = "convert"
    options = frozenset({"type"})
    TYPES: ClassVar[tuple[str, ...]] = ("integer", "long", "double", "float", "boolean", "ip", "string", "auto")

    def configure(self, options: dict[str, Any]) -> None:
        kind = read_string(options, "type")
        assert kind is not None
        if kind.lower() not in self.TYPES:
            raise PipelineConfigError(f"[type] type [{kind}] not supported, cannot convert field.")
        self.kind = kind.lower()

    def null_error(self, path: str) -> str:
        return f"Field [{path}] is null, cannot be converted to type [{self.kind}]"

    def transform(self, value: Any, path: str) -> Any:
        if isinstance(value, list):
            return [self.convert(item) for item in value]
        return self.convert(value)

    def convert(self, value: Any) -> Any:
        if value is None:
            raise field_error(f"cannot convert a null element to [{self.kind}]")
        return getattr(self, "_to_" + self.kind)(value)

    @staticmethod
    def _checked(number: float, text: str, kind: str) -> float:
        if math.isnan(number) or math.isinf(number):
            raise field_error(f"unable to convert [{text}] to {kind}: documents cannot hold NaN or infinities")
        return number

    def _to_integer(self, value: Any) -> Any:
        try:
            return parse_java_int(java_string(value), 32)
        except ValueError:
            raise field_error(f"unable to convert [{java_string(value)}] to integer") from None

    def _to_long(self, value: Any) -> Any:
        try:
            return parse_java_int(java_string(value), 64)
        except ValueError:
            raise field_error(f"unable to convert [{java_string(value)}] to long") from None

    def _to_double(self, value: Any) -> Any:
        text = java_string(value)
        try:
            number = parse_java_double(text)
        except ValueError:
            raise field_error(f"unable to convert [{text}] to double") from None
        return self._checked(number, text, "double")

    def _to_float(self, value: Any) -> Any:
        text = java_string(value)
        try:
            number = parse_java_float(text)
        except ValueError:
            raise field_error(f"unable to convert [{text}] to float") from None
        return self._checked(number, text, "float")

    def _to_boolean(self, value: Any) -> Any:
        text = java_string(value)
        if text.lower() == "true":
            return True
        if text.lower() == "false":
            return False
        raise field_error(f"[{text}] is not a boolean value, cannot convert to boolean")

    def _to_ip(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise field_error(f"[{java_string(value)}] of type [{json_type(value)}] cannot be cast to [string]")
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise field_error(f"'{value}' is not an IP string literal.") from None
        return value

    def _to_string(self, value: Any) -> Any:
        return java_string(value)

    def _to_auto(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        for convert in (self._to_boolean, self._to_integer, self._to_long, self._to_float, self._to_double):
            try:
                return convert(value)
            except _FieldError:
                continue
        return value
