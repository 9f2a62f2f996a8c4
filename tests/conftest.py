"""Shared fixtures."""

from __future__ import annotations

import pytest

from ingesthost.engine import Engine


@pytest.fixture(scope="session")
def engine() -> Engine:
    """One Cranelift engine for the session (compiling is the slow part)."""
    return Engine("cranelift")
