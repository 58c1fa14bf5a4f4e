"""Workflow compiler: definition model, validation, expressions, templates and code generation.

Pure: no database, no Temporal client, no I/O except reading its own templates.
"""

from compiler._activities import ComponentCodeError, render_activities_module
from compiler._catalogue import (
    ComponentCatalogue,
    ComponentKind,
    ComponentParameter,
    ComponentSpec,
    ParameterType,
)
from compiler._compile import (
    build_error,
    compile_workflow,
    input_schema_of,
    parse_definition,
    validate_definition,
)
from compiler._expression_text import describe_value, expression_text
from compiler._problems import Problem, WorkflowDefinitionError
from compiler._result import CompiledWorkflow, CompileOptions
from compiler._version import COMPILER_VERSION
from compiler.model import WorkflowDefinition, validate_input

__all__ = [
    "describe_value",
    "expression_text",
    # compiling
    "COMPILER_VERSION",
    "build_error",
    "compile_workflow",
    "parse_definition",
    "render_activities_module",
    "validate_definition",
    # definitions and input
    "WorkflowDefinition",
    "input_schema_of",
    "validate_input",
    # problems
    "ComponentCodeError",
    "Problem",
    "WorkflowDefinitionError",
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
