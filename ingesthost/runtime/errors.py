"""The runtime layer's errors."""

from __future__ import annotations

from ..errors import IngestHostError


class RuntimeUnavailableError(IngestHostError):
    """A runtime, compiler or engine cannot be used here; the message says what to install or pick."""


class GuestInterrupted(RuntimeError):
    """The guest ran past the deadline its runtime was given (wasmtime's
    epoch interruption); the instance must be discarded."""
