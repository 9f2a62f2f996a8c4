"""Processors: the steps a pipeline runs. ``wasm`` is the extension point."""

from .base import Processor
from .wasm import WasmProcessor

__all__ = ["Processor", "WasmProcessor"]
