"""The pipelines a server runs: every pipeline file of a directory, each in
its own worker processes (as ``ingesthost process`` runs them), one batch of
documents at a time per pipeline.

Calls are blocking and made from threads, never from the event loop; each
pipeline has a lock because a worker pipeline serves one caller at a time
(its workers run a batch in parallel).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from ..errors import IngestHostError
from ..pipeline import DocumentResult

logger = logging.getLogger(__name__)

#: File names a pipeline may have; its id is the name without the extension.
PIPELINE_SUFFIXES = (".yml", ".yaml", ".json")


class PipelineSet:
    """Pipelines by id, loaded at start so that a bad file stops the server
    before it takes a request."""

    def __init__(
        self, directory: str, *, workers: int = 1, isolation: str = "process", timeout: float | None = None
    ) -> None:
        from ..pool import open_pipeline

        root = Path(directory)
        if not root.is_dir():
            raise IngestHostError(f"--pipelines {directory} is not a directory")
        self._pipelines: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._last_stats: dict[str, Any] = {}
        files = sorted(p for p in root.iterdir() if p.suffix in PIPELINE_SUFFIXES and p.is_file())
        try:
            for path in files:
                pipeline_id = path.stem
                if pipeline_id in self._pipelines:
                    raise IngestHostError(f"two pipeline files have the id {pipeline_id} in {directory}")
                self._pipelines[pipeline_id] = open_pipeline(
                    path, isolation=isolation, workers=workers, timeout=timeout, collect_stats=True
                )
                self._locks[pipeline_id] = threading.Lock()
                logger.info("pipeline %s loaded from %s", pipeline_id, path)
        except BaseException:
            self.close()
            raise

    def __contains__(self, pipeline_id: object) -> bool:
        return pipeline_id in self._pipelines

    @property
    def ids(self) -> list[str]:
        return sorted(self._pipelines)

    def run(self, pipeline_id: str, documents: list[dict[str, Any]]) -> list[DocumentResult]:
        """One :class:`DocumentResult` per document, in order (blocking)."""
        with self._locks[pipeline_id]:
            return list(self._pipelines[pipeline_id].process_many(documents))

    def stats(self) -> dict[str, Any]:
        """Per pipeline, the statistics ``ingesthost process --stats`` reports.
        Never waits for a batch: a pipeline busy now reports the figures of
        its last idle moment, marked ``"busy": true``, so that a monitoring
        probe answers at once under load."""
        report: dict[str, Any] = {}
        for pipeline_id, pipeline in self._pipelines.items():
            lock = self._locks[pipeline_id]
            if not lock.acquire(blocking=False):
                report[pipeline_id] = {**self._last_stats.get(pipeline_id, {}), "busy": True}
                continue
            try:
                self._last_stats[pipeline_id] = pipeline.stats()
                report[pipeline_id] = self._last_stats[pipeline_id]
            except Exception as exc:  # a pipeline whose workers are gone still reports that
                report[pipeline_id] = {"error": f"{type(exc).__name__}: {exc}"}
            finally:
                lock.release()
        return report

    def close(self) -> None:
        for pipeline in self._pipelines.values():
            try:
                pipeline.close()
            except Exception:
                logger.exception("closing a pipeline")
        self._pipelines.clear()
