"""Workflow compiler: definition model, validation, expressions, templates and code generation.

Pure: no database, no Temporal client, no I/O except reading its own templates.
"""

from compiler._catalogue import (
    ComponentCatalogue,
    ComponentKind,
    ComponentParameter,
    ComponentSpec,
    ParameterType,
)
from compiler._result import CompiledWorkflow, CompileOptions

__all__ = [
    # catalogue
    "ComponentCatalogue",
    "ComponentKind",
    "ComponentParameter",
    "ComponentSpec",
    "ParameterType",
    # results
    "CompileOptions",
    "CompiledWorkflow",
]
