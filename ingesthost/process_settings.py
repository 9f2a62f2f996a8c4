"""Settings for a whole Python process, applied only by code that owns its
process: the CLI's ``main`` and a worker's entry point, never the library
(a program that imports ingesthost keeps its own settings).
"""

from __future__ import annotations

import gc

#: Allocations of container objects between two young-generation collections.
#: Every parsed document is a few dicts and lists that die by reference count
#: (JSON has no cycles); with CPython's default (700) a block of documents
#: triggers several collections that find nothing, about 7% of a run's time
#: (bench/RESULTS.md, "Garbage collector").
YOUNG_COLLECTION_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """Collect rarely, and never re-scan what exists once the program has
    loaded (modules, the pipeline): cycles are still collected, only later."""
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, 50, 100)
