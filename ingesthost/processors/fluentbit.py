"""The ``wasm`` processor with ``abi: fluentbit``: runs a Fluent Bit filter
module unchanged (see :mod:`ingesthost.fluentbit` for the contract)."""

from __future__ import annotations

import datetime
import logging
import re
from pathlib import Path
from typing import Any

from .. import fluentbit
from ..document import IngestDocument, json_type_phrase
from ..errors import FieldPathError, ModuleLoadError, ProcessorError
from ..guest import GuestModule, GuestTimeout, GuestTrap
from ..wasi import WasiGrant
from . import wasm as _wasm
from .base import Processor

logger = logging.getLogger(__name__)

#: The pipeline options this flavour adds to the ``wasm`` processor's.
OPTIONS = {"abi", "function_name", "event_format", "tag_field", "time_field"}
#: The Fluent Bit tag when neither ``tag_field`` nor the processor's ``tag`` gives one.
DEFAULT_FLUENTBIT_TAG = "ingesthost"

_ISO_RE = re.compile(
    r"^(\d{4}-\d\d-\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?\s*(Z|z|[+-]\d\d(?::?\d\d)?)?$"
)


def parse_time(value: Any) -> tuple[int, int]:
    """(seconds, nanoseconds) since the epoch from a number of seconds or an ISO 8601 string."""
    if isinstance(value, bool):
        raise ValueError(f"a time must be a number of seconds or an ISO 8601 string, found {json_type_phrase(value)}")
    if isinstance(value, int):
        return value, 0
    if isinstance(value, float):
        seconds = int(value // 1)
        return seconds, min(999_999_999, int(round((value - seconds) * 1e9)))
    if isinstance(value, str):
        match = _ISO_RE.match(value.strip())
        if match:
            day, hour, minute, second, fraction, zone = match.groups()
            offset = datetime.timezone.utc
            if zone and zone not in "Zz":
                digits = zone[1:].replace(":", "")
                delta = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
                offset = datetime.timezone(delta if zone[0] == "+" else -delta)
            base = datetime.datetime.fromisoformat(f"{day}T{hour}:{minute}:{second or '00'}").replace(tzinfo=offset)
            nanos = int((fraction or "0")[:9].ljust(9, "0"))
            return int(base.timestamp()), nanos
        raise ValueError(f"cannot read {value[:80]!r} as an ISO 8601 time")
    raise ValueError(f"a time must be a number of seconds or an ISO 8601 string, found {json_type_phrase(value)}")


class FluentBitProcessor(Processor):
    """Runs one Fluent Bit filter function on each document.

    The instance is created at construction (set-up errors surface when the
    pipeline loads) and kept; a trapped instance is discarded and replaced
    before the next document. Time limits, memory caps and isolation are
    those of every wasm processor (the same watchdog hook).
    """

    type = "wasm"

    def __init__(
        self,
        module: GuestModule,
        function_name: str,
        *,
        event_format: str = "json",
        tag_field: str | None = None,
        time_field: str | None = None,
        tag: str | None = None,
        description: str | None = None,
        wasi: WasiGrant | None = None,
        timeout: float | None = None,
    ) -> None:
        super().__init__(tag=tag, description=description)
        if event_format not in fluentbit.EVENT_FORMATS:
            raise ModuleLoadError(module.name, f"`event_format` must be json or msgpack, found {event_format!r}")
        self.module = module
        self.shape: fluentbit.FluentBitShape = module.shape
        if function_name not in self.shape.filters:
            exports = {e.name: e for e in module.module.exports}
            if function_name in exports:
                problem = (
                    f"export `{function_name}` does not have the Fluent Bit filter signature "
                    f"{fluentbit.abi.signature_text(*fluentbit.FILTER_SIGNATURE)}"
                )
            else:
                problem = f"exports no function `{function_name}`"
            found = ", ".join(self.shape.filters) or "none"
            raise ModuleLoadError(module.name, f"{problem} (functions with the filter signature: {found})")
        self.function_name = function_name
        self.event_format = event_format
        self.tag_field = tag_field
        self.time_field = time_field
        self.fluentbit_tag = (tag or DEFAULT_FLUENTBIT_TAG).encode()
        self.timeout = timeout
        self.wasi = wasi
        self.logger = logging.getLogger(f"ingesthost.guest.{tag or Path(module.name).stem}")
        self.replacements = 0
        self._instance: fluentbit.FluentBitInstance | None = self._create(_wasm.watchdog)

    def _create(self, watch: Any = None) -> fluentbit.FluentBitInstance:
        return fluentbit.FluentBitInstance(
            self.module, self.shape, self.function_name, self.logger, self.wasi, watch=watch, tag=self.tag
        )

    def _error(self, message: str, kind: str = "guest_failure") -> ProcessorError:
        return ProcessorError(message, processor_type=self.type, tag=self.tag, kind=kind)

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        watch = _wasm.watchdog
        if watch is None:
            return self._execute(document)
        token = watch.enter(self)  # covers re-creating a trapped instance too
        try:
            return self._execute(document)
        finally:
            watch.leave(token)

    def _tag_of(self, document: IngestDocument) -> bytes:
        if self.tag_field is None:
            return self.fluentbit_tag
        try:
            value = document.get(self.tag_field, None)
        except FieldPathError as exc:
            raise self._error(f"tag_field [{self.tag_field}]: {exc}") from None
        if value is None:
            return self.fluentbit_tag
        if not isinstance(value, str):
            raise self._error(f"tag_field [{self.tag_field}] must be a string, found {json_type_phrase(value)}")
        return value.encode()

    def _time_of(self, document: IngestDocument) -> tuple[int, int]:
        if self.time_field is not None:
            try:
                value = document.get(self.time_field, None)
            except FieldPathError as exc:
                raise self._error(f"time_field [{self.time_field}]: {exc}") from None
            if value is not None:
                try:
                    sec, nsec = parse_time(value)
                except (ValueError, OverflowError) as exc:
                    raise self._error(f"time_field [{self.time_field}]: {exc}") from None
                if not 0 <= sec <= 0xFFFFFFFF:
                    raise self._error(f"time_field [{self.time_field}]: {value!r} is outside the u32 seconds Fluent Bit passes")
                return sec, nsec
        return divmod(document.ingest_ns, 1_000_000_000)

    def _execute(self, document: IngestDocument) -> IngestDocument | None:
        tag = self._tag_of(document)
        sec, nsec = self._time_of(document)
        try:
            record = fluentbit.encode_record(document.source, self.event_format)
        except (TypeError, ValueError, OverflowError) as exc:
            raise self._error(f"cannot encode the document as {self.event_format}: {exc}") from None
        instance = self._instance
        if instance is None:
            try:
                instance = self._instance = self._create()
            except Exception as exc:
                raise self._error(f"cannot re-create the guest instance: {exc}", "host") from exc
            self.replacements += 1
        limit = _wasm.in_process_limit(self)
        if limit is not None:
            instance.set_time_limit(limit)
        try:
            result = instance.call(tag, sec, nsec, record, self.event_format)
        except GuestTimeout:
            instance.close()
            self._instance = None
            raise _wasm.timeout_error(self, limit or _wasm.DEFAULT_TIMEOUT) from None
        except GuestTrap as trap:
            instance.close()
            self._instance = None
            raise self._error(f"guest trapped in {self.function_name}: {trap}", "guest_trap") from None
        except fluentbit.ResultError as exc:
            raise self._error(f"{self.function_name} {exc}") from None
        if result is None:
            return None
        document.source = result
        return document

    def close(self) -> None:
        if self._instance is not None:
            self._instance.close()
            self._instance = None
