"""Shared fixtures."""

from __future__ import annotations

import pytest

from ingesthost.engine import Engine


@pytest.fixture(scope="session")
def engine() -> Engine:
    """One Cranelift engine for the session (compiling is the slow part)."""
    return Engine("cranelift")


@pytest.fixture(autouse=True, scope="session")
def _private_compile_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the tests' compiled modules out of the user's real cache directory."""
    import os

    os.environ["INGESTHOST_CACHE_DIR"] = str(tmp_path_factory.mktemp("compile-cache"))
