"""Per-processor and per-pipeline statistics, shaped like Elasticsearch's ingest node stats.

Elasticsearch reports, per pipeline and per processor, ``count`` (documents
that ran through it), ``time_in_millis``, ``current`` (documents in it right
now) and ``failed``. ingesthost adds ``dropped`` and ``skipped`` (an ``if``
that was false) and keeps nanoseconds (``time_in_nanos``) so that short runs
still say something.

Counters are plain integers on a slotted object, updated inline by the code
that runs processors (:mod:`ingesthost.processors.compound`): a few attribute
increments and two clock reads per processor per document.
"""

from __future__ import annotations

from typing import IO, Any, Iterable

__all__ = ["ProcessorStats", "format_stats_table", "pipeline_stats", "processor_name", "reset_pipeline_stats"]


class ProcessorStats:
    """Counters of one processor slot (or of a whole pipeline).

    ``calls`` counts every time the slot was entered, ``skipped`` the times its
    ``if`` was false; ``count`` (what Elasticsearch reports) is the difference:
    the documents the processor actually ran on. For a processor slot,
    ``calls`` and ``current`` are derived when read
    (:meth:`CompoundProcessor.slot_stats`), which keeps three counter updates
    per processor off every document.
    """

    __slots__ = ("calls", "seconds", "current", "failed", "dropped", "skipped", "stops")

    def __init__(self) -> None:
        self.calls = 0
        #: Time spent, in seconds (a float: cheaper to accumulate than integer nanoseconds).
        self.seconds = 0.0
        self.current = 0
        self.failed = 0
        self.dropped = 0
        self.skipped = 0
        #: Documents that left the list at this slot (dropped, or failed without recovery).
        self.stops = 0

    def copy(self) -> "ProcessorStats":
        other = ProcessorStats()
        for name in self.__slots__:
            setattr(other, name, getattr(self, name))
        return other

    @property
    def count(self) -> int:
        return self.calls - self.skipped

    def reset(self) -> None:
        """Zero every counter except ``current`` (documents may be in flight)."""
        self.calls = self.failed = self.dropped = self.skipped = self.stops = 0
        self.seconds = 0.0

    def as_dict(self, *, with_skipped: bool = True) -> dict[str, int]:
        """The Elasticsearch fields first, then ingesthost's additions."""
        data = {
            "count": self.count,
            "time_in_millis": int(self.seconds * 1e3),
            "current": self.current,
            "failed": self.failed,
            "dropped": self.dropped,
        }
        if with_skipped:
            data["skipped"] = self.skipped
        data["time_in_nanos"] = int(self.seconds * 1e9)
        return data

    def __repr__(self) -> str:
        return f"ProcessorStats({self.as_dict()})"


def _actual(processor: Any) -> Any:
    """The processor doing the work, without its ``if`` and failure-handling wrappers."""
    from .processors.compound import OnFailureProcessor
    from .processors.conditional import ConditionalProcessor

    while isinstance(processor, (ConditionalProcessor, OnFailureProcessor)):
        processor = processor.processor
    return processor


def processor_name(processor: Any) -> str:
    """Elasticsearch's stats name: ``type``, ``pipeline:<name>`` for a pipeline
    processor, then ``:<tag>`` when tagged."""
    from .processors.builtins import PipelineProcessor

    actual = _actual(processor)
    name = actual.type
    if isinstance(actual, PipelineProcessor):
        name += f":{actual.name}"
    if actual.tag:
        name += f":{actual.tag}"
    return name


def _walk(processor: Any) -> Iterable[Any]:
    """Every processor under ``processor`` (handlers included), itself first."""
    from .processors.compound import CompoundProcessor, OnFailureProcessor
    from .processors.conditional import ConditionalProcessor

    yield processor
    if isinstance(processor, ConditionalProcessor):
        yield from _walk(processor.processor)
    elif isinstance(processor, OnFailureProcessor):
        yield from _walk(processor.processor)
        for handler in processor.on_failure:
            yield from _walk(handler)
    elif isinstance(processor, CompoundProcessor):
        for child in (*processor.processors, *processor.on_failure):
            yield from _walk(child)


def nested_pipelines(pipeline: Any) -> list[Any]:
    """``pipeline`` and every pipeline its ``pipeline`` processors run, each once."""
    from .processors.builtins import PipelineProcessor

    found: list[Any] = []
    seen: set[int] = set()

    def visit(p: Any) -> None:
        if id(p) in seen:
            return
        seen.add(id(p))
        found.append(p)
        for processor in _walk(p.compound):
            if isinstance(processor, PipelineProcessor) and processor.pipeline is not None:
                visit(processor.pipeline)

    visit(pipeline)
    return found


def pipeline_stats(pipeline: Any) -> dict[str, Any]:
    """``{"pipelines": {id: {...pipeline counters..., "processors": [...]}}}`` for
    ``pipeline`` and the pipelines it runs (the shape of Elasticsearch's node stats)."""
    pipelines: dict[str, Any] = {}
    for p in nested_pipelines(pipeline):
        entry: dict[str, Any] = p.counters.as_dict(with_skipped=False)
        entry["current"] = p.compound.current()
        processors = []
        for index, (processor, stats) in enumerate(p.compound.slot_stats()):
            actual = _actual(processor)
            info: dict[str, Any] = {"type": actual.type}
            if actual.tag:
                info["tag"] = actual.tag
            info["position"] = f"processors[{index}]"
            info["stats"] = stats.as_dict()
            processors.append({processor_name(processor): info})
        entry["processors"] = processors
        key = p.id if p.id not in pipelines else f"{p.id} ({p.source})"
        pipelines[key] = entry
    return {"pipelines": pipelines}


def reset_pipeline_stats(pipeline: Any) -> None:
    """Zero the counters of ``pipeline``, its processor slots and nested pipelines."""
    for p in nested_pipelines(pipeline):
        p.counters.reset()
        for _, stats in p.compound.slots:
            stats.reset()


def _rows(stats: dict[str, Any]) -> Iterable[tuple[str, str, dict[str, int]]]:
    for pipeline_id, pipeline in stats.get("pipelines", {}).items():
        yield "pipeline", str(pipeline_id), pipeline
        for entry in pipeline.get("processors", []):
            ((name, info),) = entry.items()
            yield f"  {info.get('position', '')}", name, info["stats"]


def format_stats_table(stats: dict[str, Any], out: IO[str]) -> None:
    """Write ``stats`` (the dict of :meth:`Pipeline.stats`) as an aligned table.

    ``us/doc`` is the mean time per document that reached the processor
    (ran, or was skipped by its ``if``: the time includes evaluating the ``if``).
    """
    rows = list(_rows(stats))
    header = ("where", "processor", "count", "failed", "dropped", "skipped", "time ms", "us/doc")
    table = [header]
    for where, name, st in rows:
        count = st["count"]
        reached = count + st.get("skipped", 0)
        nanos = st.get("time_in_nanos", st["time_in_millis"] * 1_000_000)
        table.append(
            (
                where,
                name,
                f"{count:,}",
                f"{st['failed']:,}",
                f"{st.get('dropped', 0):,}",
                f"{st['skipped']:,}" if "skipped" in st else "-",
                f"{nanos / 1e6:,.1f}",
                f"{nanos / 1e3 / reached:,.2f}" if reached else "-",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    out.write("ingesthost stats:\n")
    for row in table:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:])]
        out.write("  " + "  ".join(cells).rstrip() + "\n")
