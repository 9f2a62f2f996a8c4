"""Shared fixtures."""

from __future__ import annotations

import signal

import pytest

from ingesthost.engine import Engine


# A test run started in the background by a non-interactive shell (``cmd &``,
# as some CI runners do) inherits SIGINT ignored, and so would every command
# the tests start: the tests that send Ctrl-C to a run would see it ignored.
# Give the test process a handler, so that its children start with SIGINT as
# a terminal gives it (exec resets a handled signal to its default).
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "wasmer_only: tests wasmer's own features (LLVM, Singlepass, native artifacts, cross-compiling, its "
        "machine code): run on wasmer even where wasmtime is the default, refused by name on wasmtime "
        "(tests/test_runtimes.py), and not run where wasmer is not installed (CPython 3.11+)",
    )


def require_wasmer() -> None:
    """Skip (with the reason) where wasmer is not installed: for fixtures of
    ``wasmer_only`` tests, which run before the marker's own check."""
    from ingesthost import runtime

    if "wasmer" not in runtime.available():
        pytest.skip("tests a feature of the wasmer runtime, which is installed on CPython 3.10 only")


@pytest.fixture(autouse=True)
def _wasmer_only(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("wasmer_only") is None:
        return
    from ingesthost import runtime

    require_wasmer()
    monkeypatch.setenv(runtime.DEFAULT_ENV, "wasmer")


@pytest.fixture(scope="session")
def engine() -> Engine:
    """One Cranelift engine for the session (compiling is the slow part)."""
    return Engine("cranelift")


@pytest.fixture(autouse=True, scope="session")
def _private_compile_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the tests' compiled modules out of the user's real cache directory."""
    import os

    os.environ["INGESTHOST_CACHE_DIR"] = str(tmp_path_factory.mktemp("compile-cache"))
