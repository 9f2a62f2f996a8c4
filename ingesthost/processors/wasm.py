"""The ``wasm`` processor: runs a guest module's ``process`` on each document."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import orjson

from .. import abi
from ..document import MAX_DEPTH, IngestDocument, format_timestamp, nesting_depth
from ..errors import ProcessorError
from ..guest import GuestInstance, GuestModule, GuestTimeout, GuestTrap, encode_params
from ..wasi import WasiGrant
from .base import BatchResult, Processor

logger = logging.getLogger(__name__)

#: The time-limit hook. None in-process (the default: no cost but one test per
#: call). A worker process (:mod:`ingesthost.workers`) installs a
#: :class:`~ingesthost.workers.Watchdog` here, before it builds the pipeline:
#: ``enter(processor)`` publishes the call's deadline where the parent can see
#: it, ``leave(token)`` clears it; ``enter_load(module, export, tag)`` does the
#: same for one set-up call of a new instance (start function, ``_initialize``,
#: ``configure``) under the load time limit.
watchdog: Any = None

#: Seconds one guest call may take when neither the processor nor its
#: pipeline sets ``timeout`` (the worker processes' default too).
DEFAULT_TIMEOUT = 1.0


def in_process_limit(processor: Any, documents: int = 1) -> float | None:
    """Seconds a guest call of ``processor`` (a wasm or Fluent Bit processor) on
    ``documents`` documents may run in this process: its ``timeout`` (else
    DEFAULT_TIMEOUT) times ``documents``, where no worker watchdog times it and
    its runtime can interrupt a guest; else None."""
    if watchdog is not None or not processor.module.engine.interrupts:
        return None
    seconds = processor.timeout if processor.timeout is not None else DEFAULT_TIMEOUT
    return seconds * documents


def timeout_error(processor: Any, seconds: float) -> ProcessorError:
    """The failure of a document whose guest call was interrupted in-process."""
    return ProcessorError(
        f"guest ran longer than its {seconds:g} s timeout (interrupted in-process by {processor.module.engine.runtime})",
        processor_type=processor.type, tag=processor.tag, kind="timeout",
    )


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
        #: default). Enforced by the watchdog in worker processes, and in-process
        #: by runtimes that can interrupt a guest (wasmtime).
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

    @property
    def batches(self) -> bool:
        return self.module.shape.batch

    def execute_batch(self, documents: list[IngestDocument]) -> list[BatchResult]:
        """ABI 1.1: all of ``documents`` in one ``process_batch`` call when the
        guest offers it (one crossing instead of several per field); the same
        results as :meth:`execute` on each. A batch the guest gets wrong (a
        trap, results that cannot be read) is run again one document at a
        time, so that only a document the guest cannot process fails."""
        if not self.module.shape.batch or not documents:
            return super().execute_batch(documents)
        watch = watchdog
        if watch is None:
            return self._execute_batch(documents)
        token = watch.enter(self, len(documents))  # n documents, n times the time limit
        try:
            return self._execute_batch(documents)
        finally:
            watch.leave(token)

    def _execute_batch(self, documents: list[IngestDocument]) -> list[BatchResult]:
        try:
            instance = self._live_instance()
        except ProcessorError as exc:
            return [exc] * len(documents)
        limit = in_process_limit(self, len(documents))  # n documents, n times the time limit
        if limit is not None:
            instance.set_time_limit(limit)
        dumps = orjson.dumps
        sources = [dumps(document.source) for document in documents]
        metas = [None if document.ingest_or_none is None else dumps(document.ingest) for document in documents]
        shared = dumps({"timestamp": format_timestamp(documents[0].ingest_ns)})
        try:
            answers = instance.process_batch(abi.encode_batch(sources, metas, shared), len(documents))
        except (GuestTrap, abi.BatchError) as problem:
            if isinstance(problem, GuestTrap):
                instance.close()
                self._instance = None
            logger.warning(
                "%s: process_batch %s: %s; running its %d documents one at a time",
                self._label, "trapped" if isinstance(problem, GuestTrap) else "failed", problem, len(documents),
            )
            return super().execute_batch(documents)
        results: list[BatchResult] = []
        append = results.append
        loads = orjson.loads
        for document, (status, data, meta) in zip(documents, answers):
            if status == abi.BATCH_UNCHANGED:
                append(document)
            elif status == abi.PROCESS_DROP:
                append(None)
            elif status == abi.PROCESS_KEEP:
                try:
                    source = loads(data) if data is not None else None
                    ingest = loads(meta) if meta is not None else None
                except orjson.JSONDecodeError as exc:
                    append(self._bad_result(f"is not JSON ({exc.msg})"))
                    continue
                if type(source) is not dict:
                    append(self._bad_result("is not a JSON object"))
                elif meta is not None and type(ingest) is not dict:
                    append(self._bad_result("has _ingest metadata that is not a JSON object"))
                elif len(data) > 2 * MAX_DEPTH and nesting_depth(source) > MAX_DEPTH:  # 2 bytes a level at least
                    append(self._bad_result(f"nests deeper than {MAX_DEPTH} levels"))
                else:
                    document.source = source
                    if ingest is not None:
                        document.replace_ingest(ingest)
                    append(document)
            else:
                assert data is not None
                append(ProcessorError(data.decode(), processor_type=self.type, tag=self.tag))
        return results

    def _bad_result(self, problem: str) -> ProcessorError:
        return ProcessorError(
            f"process_batch returned a document that {problem}", processor_type=self.type, tag=self.tag
        )

    @property
    def _label(self) -> str:
        return f"tag [{self.tag}]" if self.tag else f"module {self.module.name}"

    def _live_instance(self) -> GuestInstance:
        """The instance, re-created if a trap discarded it."""
        instance = self._instance
        if instance is None:
            try:
                instance = self._instance = self._new_instance()
            except Exception as exc:  # the module loaded once; report, do not crash the run
                raise ProcessorError(
                    f"cannot re-create the guest instance: {exc}", processor_type=self.type, tag=self.tag, kind="host"
                ) from exc
            self.replacements += 1
        return instance

    def _execute(self, document: IngestDocument) -> IngestDocument | None:
        instance = self._live_instance()
        limit = in_process_limit(self)
        if limit is not None:
            instance.set_time_limit(limit)
        try:
            code, last_error = instance.process(document)
        except GuestTimeout:
            instance.close()
            self._instance = None
            raise timeout_error(self, limit or DEFAULT_TIMEOUT) from None
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
