"""Workflow compiler: definition model, validation, expressions, templates and code generation.

Pure: no database, no Temporal client, no I/O except reading its own templates.
"""

from wfb_jupyter.compiler._activities import ComponentCodeError, render_activities_module
from wfb_jupyter.compiler._catalogue import (
    ComponentCatalogue,
    ComponentKind,
    ComponentParameter,
    ComponentSpec,
    ParameterType,
)
from wfb_jupyter.compiler._compile import (
    build_error,
    compile_workflow,
    input_schema_of,
    parse_definition,
    validate_definition,
)
from wfb_jupyter.compiler._expression_text import describe_value, expression_text
from wfb_jupyter.compiler._problems import Problem, WorkflowDefinitionError
from wfb_jupyter.compiler._result import CompiledWorkflow, CompileOptions
from wfb_jupyter.compiler._step_changes import changed_steps
from wfb_jupyter.compiler._version import COMPILER_VERSION
from wfb_jupyter.compiler.model import WorkflowDefinition, duration_seconds, validate_input

__all__ = [
    "describe_value",
    "expression_text",
    # compiling
    "COMPILER_VERSION",
    "build_error",
    "changed_steps",
    "compile_workflow",
    "duration_seconds",
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
