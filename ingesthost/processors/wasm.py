"""The ``wasm`` processor: runs a guest module's ``process`` on each document."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .. import abi
from ..document import IngestDocument
from ..errors import ProcessorError
from ..guest import GuestInstance, GuestModule, GuestTrap, encode_params
from ..wasi import WasiGrant
from .base import Processor

logger = logging.getLogger(__name__)

#: The time-limit hook. None in-process (the default: no cost but one test per
#: call). A worker process (:mod:`ingesthost.workers`) installs a
#: :class:`~ingesthost.workers.Watchdog` here, before it builds the pipeline:
#: ``enter(processor)`` publishes the call's deadline where the parent can see
#: it, ``leave(token)`` clears it; ``enter_load(module, export, tag)`` does the
#: same for one set-up call of a new instance (start function, ``_initialize``,
#: ``configure``) under the load time limit.
watchdog: Any = None


class WasmProcessor(Processor):
    """Runs one guest. Its instance is created at construction (so ``configure``
    errors surface when the pipeline loads) and reused; a trapping instance is
    discarded and replaced before the next document."""

    type = "wasm"

    def __init__(
        self,
        module: GuestModule,
        params: dict[str, Any] | None = None,
        *,
        tag: str | None = None,
        description: str | None = None,
        wasi: WasiGrant | None = None,
        timeout: float | None = None,
    ) -> None:
        super().__init__(tag=tag, description=description)
        self.module = module
        #: Seconds one guest call may take (None: the pipeline's or the run's
        #: default). Enforced only where a watchdog is installed (worker processes).
        self.timeout = timeout
        #: WASI granted to this processor (None: denied, the default).
        self.wasi = wasi
        self.params = dict(params or {})
        if self.params and not module.shape.configure_export:
            logger.warning(
                "%s: module %s exports no configure function: its params (%s) are ignored",
                f"tag [{tag}]" if tag else "wasm processor",
                module.name,
                ", ".join(sorted(self.params)),
            )
        self._params_json = encode_params(self.params)
        self.logger = logging.getLogger(f"ingesthost.guest.{tag or Path(module.name).stem}")
        # Set-up at load runs under the load time limit (in a worker); a
        # re-creation after a trap runs under the document's (see execute).
        self._instance: GuestInstance | None = self.module.instantiate(
            self._params_json, self.logger, wasi=self.wasi, watch=watchdog, tag=tag
        )
        #: How many times a trapped instance was replaced (observable in tests and stats).
        self.replacements = 0

    def _new_instance(self) -> GuestInstance:
        return self.module.instantiate(self._params_json, self.logger, wasi=self.wasi)

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        watch = watchdog
        if watch is None:
            return self._execute(document)
        token = watch.enter(self)  # covers re-instantiation too: configure is guest code
        try:
            return self._execute(document)
        finally:
            watch.leave(token)

    def _execute(self, document: IngestDocument) -> IngestDocument | None:
        instance = self._instance
        if instance is None:
            try:
                instance = self._instance = self._new_instance()
            except Exception as exc:  # the module loaded once; report, do not crash the run
                raise ProcessorError(
                    f"cannot re-create the guest instance: {exc}", processor_type=self.type, tag=self.tag, kind="host"
                ) from exc
            self.replacements += 1
        try:
            code, last_error = instance.process(document)
        except GuestTrap as trap:
            instance.close()
            self._instance = None
            raise ProcessorError(
                f"guest trapped: {trap}", processor_type=self.type, tag=self.tag, kind="guest_trap"
            ) from None
        if code == abi.PROCESS_KEEP:
            return document
        if code == abi.PROCESS_DROP:
            return None
        raise ProcessorError(
            last_error or abi.describe_process_code(code), processor_type=self.type, tag=self.tag
        )

    def close(self) -> None:
        if self._instance is not None:
            self._instance.close()
            self._instance = None
