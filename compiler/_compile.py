"""The entry points: parse, validate and compile a definition."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from wfb_jupyter.compiler._activities import ComponentCodeError, render_activities_module
from wfb_jupyter.compiler._catalogue import ComponentCatalogue, ComponentSpec
from wfb_jupyter.compiler._environment import render
from wfb_jupyter.compiler._escape import (
    Code,
    class_name,
    module_name,
    py_identifier,
    py_literal,
    py_str,
)
from wfb_jupyter.compiler._graph import is_graph, normalise_graph
from wfb_jupyter.compiler._layout import fit_long_lines
from wfb_jupyter.compiler._lowering import Lowering, WorkflowView
from wfb_jupyter.compiler._problems import Problem, Problems, WorkflowDefinitionError
from wfb_jupyter.compiler._result import CompiledWorkflow, CompileOptions
from wfb_jupyter.compiler._source import load_source
from wfb_jupyter.compiler._version import COMPILER_VERSION
from wfb_jupyter.compiler.model import (
    ActivityStep,
    ChildWorkflowStep,
    InputField,
    WorkflowDefinition,
    input_json_schema,
    parse_workflow,
    step_parents,
    walk,
)

Definition = str | bytes | Mapping[str, Any]
_PYTHON_TYPES = {
    "string": "str",
    "number": "float",
    "integer": "int",
    "boolean": "bool",
    "object": "dict[str, Any]",
    "array": "list[Any]",
    "any": "Any",
}


def parse_definition(definition: Definition) -> WorkflowDefinition:
    """Text (YAML, JSON or a visual-builder graph) or a mapping, to the typed model; raises on any error."""
    problems = Problems()
    try:
        model = _parse(definition, problems)
    except Exception as error:
        raise WorkflowDefinitionError([_internal_error(error)]) from error
    if model is None or problems.has_errors:
        raise WorkflowDefinitionError(problems.items)
    return model


def validate_definition(
    definition: Definition, catalogue: ComponentCatalogue | None = None
) -> list[Problem]:
    """Every problem in the definition (errors and warnings); an empty list means it compiles."""
    problems = Problems()
    try:
        model = _parse(definition, problems)
        if model is not None:
            Lowering(model, catalogue, problems).run()
    except Exception as error:
        return [*problems.items, _internal_error(error)]
    return problems.items


def compile_workflow(
    definition: Definition, options: CompileOptions | None = None
) -> CompiledWorkflow:
    """Compile a definition to workflow, activities and worker code; raises ``WorkflowDefinitionError``."""
    try:
        return _compile(definition, options or CompileOptions())
    except WorkflowDefinitionError:
        raise
    except ComponentCodeError as error:
        raise WorkflowDefinitionError([Problem("error", "components", str(error))]) from error
    except Exception as error:
        # A compiler bug: still one message in the notebook, with the original chained for the traceback.
        raise WorkflowDefinitionError([_internal_error(error)]) from error


def build_error(
    definition: Definition, message: str, *, component: str | None = None
) -> WorkflowDefinitionError:
    """An error found after compiling (a component version that is not stored, code that does not load),
    reported like the definition's own: at the first step that calls ``component``, with its line."""
    problems = Problems()
    path: tuple[str | int, ...] = ()
    try:
        model = _parse(definition, problems)
    except Exception:  # noqa: BLE001 - it compiled a moment ago; without a model the error has no line
        model = None
    if model is not None and component is not None:
        path = next(
            (
                (*step.path, "call")
                for step in walk(model.steps)
                if isinstance(step, ActivityStep) and step.component == component
            ),
            (),
        )
    problems.items = []
    problems.error(path, message)
    return WorkflowDefinitionError(problems.items)


def _internal_error(error: Exception) -> Problem:
    message = f"internal compiler error ({type(error).__name__}: {error}); please report it"
    return Problem("error", "<definition>", message)


def _compile(definition: Definition, options: CompileOptions) -> CompiledWorkflow:
    problems = Problems()
    model = _parse(definition, problems)
    view = Lowering(model, options.catalogue, problems).run() if model is not None else None
    if model is None or view is None or problems.has_errors:
        raise WorkflowDefinitionError(problems.items)
    version = int(options.version)
    names = _names(model, version)
    workflow_code = _render_workflow(model, view, names)
    activities_code = render_activities_module(view.components, f"{model.name} v{version}")
    build_id = hashlib.sha256(workflow_code.encode()).hexdigest()[:20]
    task_queue = options.task_queue or f"wfb-{model.name}"
    worker_code = render(
        "worker.py.j2",
        workflow_type=Code(names["workflow_type"]),
        compiler_version=Code(COMPILER_VERSION),
        module_name=names["module"],
        workflow_class=names["class"],
        build_id=py_str(build_id),
        task_queue=py_str(task_queue),
    )
    requirements = sorted(
        {
            "temporalio>=1.35,<2",
            *(r for spec in view.components.values() for r in spec.requirements),
        }
    )
    modules = {"workflow": workflow_code, "activities": activities_code, "worker": worker_code}
    _check_compiles(model, modules, problems)
    checksum = _checksum(model, view)
    manifest = {
        "name": model.name,
        "version": version,
        "workflow_type": names["workflow_type"],
        "workflow_class": str(names["class"]),
        "module_name": str(names["module"]),
        "checksum": checksum,
        "build_id": build_id,
        "description": model.description,
        "input_schema": input_json_schema(model.inputs),
        "components": {name: spec.activity_type for name, spec in sorted(view.components.items())},
        "signals": {signal.name: input_json_schema(signal.payload) for signal in model.signals},
        "updates": {update.name: input_json_schema(update.payload) for update in model.updates},
        "queries": sorted(["progress", *(query.name for query in model.queries)]),
        "steps": [step.id for step in walk(model.steps)],
        # For people reading a run's progress: what an unnamed step (set_1) does, and which step holds
        # each nested one (a pending step whose holder is done is in a branch that was not taken).
        "step_labels": {
            step.id: step.summary or step.describe()
            for step in walk(model.steps)
            if not step.explicit_id
        },
        "step_parents": step_parents(model.steps),
        "step_kinds": {step.id: step.kind for step in walk(model.steps)},
        "child_workflows": {
            step.id: step.workflow
            for step in walk(model.steps)
            if isinstance(step, ChildWorkflowStep)
        },
        "metadata": dict(model.metadata),
        "task_queue": task_queue,
        "compiler_version": COMPILER_VERSION,
    }
    return CompiledWorkflow(
        name=model.name,
        version=version,
        workflow_type=names["workflow_type"],
        workflow_class=str(names["class"]),
        module_name=str(names["module"]),
        workflow_code=workflow_code,
        activities_code=activities_code,
        worker_code=worker_code,
        requirements="".join(f"{line}\n" for line in requirements),
        manifest=manifest,
        checksum=checksum,
        build_id=build_id,
        definition_source=definition
        if isinstance(definition, str)
        else json.dumps(model.raw, sort_keys=True, default=str),
        compiler_version=COMPILER_VERSION,
        warnings=tuple(problem for problem in problems.items if problem.level == "warning"),
    )


def _check_compiles(model: WorkflowDefinition, modules: dict[str, str], problems: Problems) -> None:
    """Every generated module must compile. Within the limits they always do; should a definition still make
    code the Python parser refuses, that is the definition's error, reported at the step it comes from."""
    for which, code in modules.items():
        try:
            compile(code, f"<{which} module>", "exec", dont_inherit=True)
        except (SyntaxError, RecursionError, MemoryError, ValueError) as error:
            reason = error.msg if isinstance(error, SyntaxError) else type(error).__name__
            line = error.lineno if isinstance(error, SyntaxError) else None
            problems.error(
                _step_at(model, code, line),
                f"the generated {which} module does not compile ({reason}); "
                "simplify the expressions or values here",
            )
            raise WorkflowDefinitionError(problems.items) from error


def _step_at(model: WorkflowDefinition, code: str, line: int | None) -> tuple[str | int, ...]:
    """The path of the step whose method holds generated line ``line``, or the whole definition."""
    if line is None:
        return ()
    methods = {f"_step_{step.id}": step.path for step in walk(model.steps)}
    for text in reversed(code.split("\n")[:line]):
        match = re.match(r"\s*(?:async )?def (\w+)\(", text)
        if match:
            return methods.get(match.group(1), ())
    return ()


def input_schema_of(definition: Definition) -> dict[str, Any]:
    """The JSON schema of the definition's input, for validating starts and building the run form."""
    return input_json_schema(parse_definition(definition).inputs)


def _parse(definition: Definition, problems: Problems) -> WorkflowDefinition | None:
    source = load_source(definition, problems)
    if source is None:
        return None
    data = source.data
    if is_graph(data):
        data = normalise_graph(data, problems)
        if data is None:
            return None
    return parse_workflow(data, problems)


def _names(model: WorkflowDefinition, version: int) -> dict[str, Any]:
    return {
        "workflow_type": f"{model.name}.v{version}",
        "class": class_name(model.name),
        "input_class": class_name(model.name, "Input"),
        "module": module_name(model.name, version),
    }


def _render_workflow(model: WorkflowDefinition, view: WorkflowView, names: dict[str, Any]) -> str:
    context = {
        "workflow_type": Code(names["workflow_type"]),
        "workflow_type_literal": py_str(names["workflow_type"]),
        "compiler_version": Code(COMPILER_VERSION),
        "step_ids": [py_str(step.id) for step in walk(model.steps)],
        "input_class": names["input_class"],
        "workflow_class": names["class"],
        "input_fields": [{"declaration": _field_declaration(field)} for field in model.inputs],
        "input_defaults": _input_defaults(model.inputs),
        "initial_vars": py_literal({name: None for name in view.variables}),
        "initial_signals": py_literal({signal.name: None for signal in model.signals}),
        "pending_signals": py_literal({signal.name: 0 for signal in model.signals}),
        "var_values": view.var_values,
        "output": view.output,
        "run_budget": view.run_budget,
        "init_budget": view.init_budget,
        "signals": view.signals,
        "updates": view.updates,
        "queries": view.queries,
        "methods": view.methods,
        "helpers": sorted(view.helpers),
        "details": _details(model),
    }
    # Imports follow from what the body uses, so render once to see, then again with the import block.
    draft = render("workflow.py.j2", imports=[], **context)
    code = render("workflow.py.j2", imports=[Code(line) for line in _imports(draft)], **context)
    return fit_long_lines(code)


def _imports(body: str) -> list[str]:
    stdlib = ["import asyncio"] if re.search(r"\basyncio\.", body) else []
    from_datetime = [
        name for name in ("datetime", "timedelta", "timezone") if re.search(rf"\b{name}[.(]", body)
    ]
    if from_datetime:
        stdlib.append(f"from datetime import {', '.join(from_datetime)}")
    stdlib.append("from typing import Any, TypedDict")
    temporal = ["from temporalio import workflow"]
    if "RetryPolicy(" in body:
        temporal.append("from temporalio.common import RetryPolicy")
    errors = [
        name for name in ("ApplicationError", "FailureError") if re.search(rf"\b{name}\b", body)
    ]
    if errors:
        temporal.append(f"from temporalio.exceptions import {', '.join(errors)}")
    return [*stdlib, "", *temporal]


def _details(model: WorkflowDefinition) -> Code | None:
    """Description and metadata, shown in the Temporal UI as the run's current details."""
    lines = [model.description] if model.description else []
    lines += [f"{key}: {value}" for key, value in model.metadata.items()]
    return py_str("\n".join(lines)) if lines else None


def _field_declaration(field: InputField) -> Code:
    name = py_identifier(field.name)
    annotation = _PYTHON_TYPES[field.type]
    if field.required and not field.has_default:
        return Code(f"{name}: {annotation}  # required")
    if (not field.has_default or field.default is None) and annotation != "Any":
        annotation = f"{annotation} | None"
    return Code(f"{name}: {annotation}")


def _input_defaults(fields: list[InputField]) -> Code | None:
    """The values of the fields a run may leave out (None when a field has no default)."""
    defaults = {
        py_identifier(field.name): field.default if field.has_default else None
        for field in fields
        if not (field.required and not field.has_default)
    }
    return py_literal(defaults) if defaults else None


def _spec_fields(spec: ComponentSpec) -> dict[str, Any]:
    fields = dataclasses.asdict(spec)
    del fields["runs_inline"]  # how an activity is called leaves the workflow unchanged
    return fields


def _checksum(model: WorkflowDefinition, view: WorkflowView) -> str:
    """Hash of the normalised definition, the used components and the compiler version (not the version)."""
    payload = {
        "definition": model.raw,
        "components": [_spec_fields(spec) for _, spec in sorted(view.components.items())],
        "compiler": COMPILER_VERSION,
    }
    text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()
