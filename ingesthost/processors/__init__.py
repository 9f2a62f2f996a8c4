"""Processors: the steps a pipeline runs. ``wasm`` is the extension point."""

from .base import Processor
from .builtins import (
    DropProcessor,
    FailProcessor,
    PipelineProcessor,
    RemoveProcessor,
    RenameProcessor,
    SetProcessor,
)
from .compound import CompoundProcessor, OnFailureProcessor
from .conditional import ConditionalProcessor, ConditionError
from .wasm import WasmProcessor

__all__ = [
    "CompoundProcessor",
    "ConditionError",
    "ConditionalProcessor",
    "DropProcessor",
    "FailProcessor",
    "OnFailureProcessor",
    "PipelineProcessor",
    "Processor",
    "RemoveProcessor",
    "RenameProcessor",
    "SetProcessor",
    "WasmProcessor",
]
