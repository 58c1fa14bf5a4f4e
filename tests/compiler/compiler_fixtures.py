"""Shared by the compiler tests and the golden regeneration script: the test catalogue and golden rendering."""

from __future__ import annotations

import importlib
import itertools
import json
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from wfb_jupyter.compiler import (
    CompiledWorkflow,
    CompileOptions,
    ComponentCatalogue,
    ComponentParameter,
    ComponentSpec,
    WorkflowDefinitionError,
    compile_workflow,
)

REPO = Path(__file__).resolve().parents[2]
GOLDEN_DIR = REPO / "tests" / "golden"
BAD_DIR = REPO / "tests" / "compiler" / "bad_definitions"
COMPONENTS_MODULE = "wfb_test_components"


def _builtin(name: str, *parameters: ComponentParameter, is_async: bool = False) -> ComponentSpec:
    return ComponentSpec(
        name=name,
        kind="builtin",
        parameters=parameters,
        module=COMPONENTS_MODULE,
        function=name,
        is_async=is_async,
    )


USER_COMPONENT = ComponentSpec(
    name="shout",
    kind="user",
    version=2,
    parameters=(ComponentParameter("text", "string", required=True),),
    function="shout",
    source="def shout(text: str) -> str:\n    return textwrap.shorten(text.upper(), width=60)\n",
    imports=("import textwrap",),
)

CATALOGUE = ComponentCatalogue.of(
    [
        _builtin("echo", ComponentParameter("value"), ComponentParameter("tag", "string")),
        _builtin(
            "add",
            ComponentParameter("a", "number", required=True),
            ComponentParameter("b", "number", required=True),
        ),
        _builtin(
            "flaky",
            ComponentParameter("key", "string", required=True),
            ComponentParameter("failures", "integer", required=True),
            ComponentParameter("error", "string"),
        ),
        _builtin(
            "slow",
            ComponentParameter("group", "string", required=True),
            ComponentParameter("seconds", "number"),
            ComponentParameter("value"),
            is_async=True,
        ),
        USER_COMPONENT,
    ]
)


def golden_cases() -> list[Path]:
    return sorted(path.parent for path in GOLDEN_DIR.glob("*/definition.*"))


def definition_file(case: Path) -> Path:
    return next(
        case / name for name in ("definition.yaml", "definition.json") if (case / name).exists()
    )


def compile_case(case: Path, version: int = 1) -> CompiledWorkflow:
    options = CompileOptions(
        version=version, catalogue=CATALOGUE, project="golden", task_queue="golden"
    )
    return compile_workflow(definition_file(case).read_text(), options)


def golden_outputs(case: Path) -> dict[str, str]:
    """The generated files a golden case folder holds, by file name."""
    compiled = compile_case(case)
    return {
        "workflow.py": compiled.workflow_code,
        "activities.py": compiled.activities_code,
        "worker.py": compiled.worker_code,
        "requirements.txt": compiled.requirements,
        "manifest.json": json.dumps(compiled.manifest, indent=2, sort_keys=True) + "\n",
    }


def bad_cases() -> list[Path]:
    return sorted(BAD_DIR.glob("*.yaml")) + sorted(BAD_DIR.glob("*.json"))


def error_message(definition: Path) -> str:
    """``str()`` of the error a bad definition raises: what a notebook user reads."""
    try:
        compile_workflow(definition.read_text(), CompileOptions(catalogue=CATALOGUE))
    except WorkflowDefinitionError as error:
        return str(error) + "\n"
    raise AssertionError(f"{definition.name} compiled without errors")


@dataclass
class LoadedWorkflow:
    compiled: CompiledWorkflow
    workflow_class: type[Any]
    input_class: type[Any]
    activities: list[Any]

    def input(self, **values: Any) -> Any:
        return self.input_class(**values)


_versions = itertools.count(1000)


def load_compiled(
    definition: str | Path, directory: Path, catalogue: ComponentCatalogue = CATALOGUE
) -> LoadedWorkflow:
    """Compile under a fresh version number and import the modules from ``directory`` (left on sys.path,
    because the workflow sandbox re-imports the module by name while the worker runs)."""
    text = definition.read_text() if isinstance(definition, Path) else definition
    compiled = compile_workflow(text, CompileOptions(version=next(_versions), catalogue=catalogue))
    (directory / f"{compiled.module_name}.py").write_text(compiled.workflow_code)
    (directory / f"{compiled.module_name}_activities.py").write_text(compiled.activities_code)
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    module = importlib.import_module(compiled.module_name)
    activities = importlib.import_module(f"{compiled.module_name}_activities")
    input_class = next(
        value
        for name, value in vars(module).items()
        if name.endswith("Input") and isinstance(value, type) and issubclass(value, dict)
    )
    return LoadedWorkflow(
        compiled, getattr(module, compiled.workflow_class), input_class, list(activities.ACTIVITIES)
    )


@asynccontextmanager
async def running(client: Client, task_queue: str, *loaded: LoadedWorkflow) -> AsyncIterator[None]:
    activities = {activity.__name__: activity for item in loaded for activity in item.activities}
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[item.workflow_class for item in loaded],
        activities=list(activities.values()),
    ):
        yield


async def start(
    client: Client, loaded: LoadedWorkflow, task_queue: str, **values: Any
) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        loaded.compiled.workflow_type,
        loaded.input(**values),
        id=f"wf-{uuid.uuid4()}",
        task_queue=task_queue,
    )
