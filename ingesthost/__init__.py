"""ingesthost: run WebAssembly ingest processors over JSON documents.

The public API::

    from ingesthost import open_pipeline

    with open_pipeline("pipeline.yml") as pipeline:        # guests in a worker process
        out = pipeline.process({"message": "user=alice"})   # dict, or None if dropped

``open_pipeline(..., isolation="none")`` gives a :class:`Pipeline` (guests in
this process), ``workers=N`` a :class:`WorkerPool` (N worker processes);
:class:`Pipeline` and :class:`IsolatedPipeline` can be built directly too.

Errors are subclasses of :class:`IngestHostError`. The guest ABI is
implemented in :mod:`ingesthost.abi` and specified in ``abi_spec/ABI.md``.
"""

__version__ = "0.1.0"

from .abi import ABI_MAJOR, ABI_MINOR, LogLevel, Status
from .document import IngestDocument
from .engine import COMPILERS, DEFAULT_COMPILER, CompilerUnavailableError
from .errors import (
    FieldPathError,
    IngestHostError,
    InputError,
    ModuleLoadError,
    PipelineConfigError,
    ProcessorError,
)
from .guest import GuestModule
from .pipeline import DocumentResult, Pipeline
from .processors import ConditionError, Processor, WasmProcessor
from .simulate import SimulateDocument
from .workers import IsolatedPipeline, WorkerError
from .pool import WorkerPool, open_pipeline

__all__ = [
    "ABI_MAJOR",
    "ABI_MINOR",
    "COMPILERS",
    "DEFAULT_COMPILER",
    "CompilerUnavailableError",
    "ConditionError",
    "DocumentResult",
    "FieldPathError",
    "GuestModule",
    "IngestDocument",
    "IngestHostError",
    "InputError",
    "IsolatedPipeline",
    "LogLevel",
    "ModuleLoadError",
    "Pipeline",
    "PipelineConfigError",
    "Processor",
    "ProcessorError",
    "SimulateDocument",
    "Status",
    "WasmProcessor",
    "WorkerError",
    "WorkerPool",
    "__version__",
    "open_pipeline",
]
