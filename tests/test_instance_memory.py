"""Creating and discarding thousands of instances must not grow memory.

wasmer reserves ~6 GB of address space per instance and frees it only when
the instance is dropped. If a reference cycle (host functions -> host state
-> instance) kept discarded instances alive, 3000 of them would hold ~18 TB
of address space and exhaust the process. Refcounting alone must free them:
the loops run with the garbage collector disabled.
"""

from __future__ import annotations

import gc
import weakref
from contextlib import contextmanager
from typing import Callable, Iterator

import pytest

from helpers import load_wat
from ingesthost import IngestDocument, ProcessorError
from ingesthost.abi import HostCalls
from ingesthost.guest import GuestInstance, GuestModule
from ingesthost.processors import WasmProcessor

ROUNDS = 3000
GB = 1024**3
MB = 1024**2
#: One leaked instance reserves ~6 GB; 3000 would be ~18 TB. Allow far less than one GB per 1000.
MAX_ADDRESS_SPACE_GROWTH = 2 * GB
MAX_RSS_GROWTH = 100 * MB


def _status() -> dict[str, int]:
    """VmSize and VmRSS of this process, in bytes."""
    values = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmSize", "VmRSS"):
                values[name] = int(rest.split()[0]) * 1024
    return values


@contextmanager
def _gc_disabled() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@pytest.fixture(scope="module")
def module(engine) -> GuestModule:
    return load_wat("counter", engine)


def _measure(action: Callable[[], None], rounds: int = ROUNDS) -> tuple[int, int]:
    """(address space growth, RSS growth) over ``rounds`` actions, without the GC."""
    for _ in range(200):  # warm-up: allocator pools, wasmer's lazy state, code caches
        action()
    gc.collect()
    with _gc_disabled():
        before = _status()
        for _ in range(rounds):
            action()
        after = _status()
    return after["VmSize"] - before["VmSize"], after["VmRSS"] - before["VmRSS"]


def _assert_bounded(growth: tuple[int, int]) -> None:
    address_space, rss = growth
    assert address_space < MAX_ADDRESS_SPACE_GROWTH, f"address space grew by {address_space / GB:.1f} GB"
    assert rss < MAX_RSS_GROWTH, f"RSS grew by {rss / MB:.1f} MB"


def test_one_live_instance_reserves_a_large_address_space(module: GuestModule) -> None:
    """The premise of this file: if this stops holding, the tests below prove nothing."""
    gc.collect()
    before = _status()["VmSize"]
    instances = [module.instantiate() for _ in range(3)]
    grown = _status()["VmSize"] - before
    for instance in instances:
        instance.close()
    assert grown > MAX_ADDRESS_SPACE_GROWTH  # each holds GBs, so 3000 leaked ones would fail the bound


def test_discarded_instances_are_freed_by_refcounting(module: GuestModule) -> None:
    with _gc_disabled():
        instance = module.instantiate()
        host = weakref.ref(instance.host)
        ref = weakref.ref(instance)
        del instance
        assert ref() is None
        assert host() is None


def test_thousands_of_instances_without_close(module: GuestModule) -> None:
    def create_and_drop() -> None:
        instance = module.instantiate()
        doc = IngestDocument({})
        instance.process(doc)
        assert doc.source["count"] == 1

    _assert_bounded(_measure(create_and_drop))


def test_thousands_of_instances_with_close(module: GuestModule) -> None:
    def create_and_close() -> None:
        instance = module.instantiate()
        instance.process(IngestDocument({}))
        instance.close()

    _assert_bounded(_measure(create_and_close))


def test_thousands_of_processors(module: GuestModule) -> None:
    def create_processor() -> None:
        WasmProcessor(module, {"x": 1}, tag="many").execute(IngestDocument({}))

    _assert_bounded(_measure(create_processor))


def test_thousands_of_trap_replacements(module: GuestModule) -> None:
    processor = WasmProcessor(module, tag="trapper")
    failures = []

    def trap() -> None:
        try:
            processor.execute(IngestDocument({"trap": 1}))
        except ProcessorError as error:
            failures.append(error.kind)

    try:
        growth = _measure(trap)
        assert processor.replacements == ROUNDS + 200 - 1
        assert failures == ["guest_trap"] * (ROUNDS + 200)
        doc = IngestDocument({})
        processor.execute(doc)
        assert doc.source == {"count": 1, "configured": 1}
    finally:
        processor.close()
    _assert_bounded(growth)


def test_nothing_is_left_for_the_garbage_collector(module: GuestModule) -> None:
    """After a loop of traps and replacements, a full collection frees nothing
    from ingesthost: there were no cycles to find."""
    processor = WasmProcessor(module, tag="cycles")
    gc.collect()
    with _gc_disabled():
        for _ in range(50):
            with pytest.raises(ProcessorError):
                processor.execute(IngestDocument({"trap": 2}))
            module.instantiate()
        processor.close()
        del processor
        ours = [o for o in gc.get_objects() if isinstance(o, (GuestInstance, HostCalls))]
    assert ours == []
