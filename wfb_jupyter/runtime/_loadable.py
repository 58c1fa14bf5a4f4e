"""Stored code as a worker will run it: imported through the hook, and each workflow class validated in
Temporal's sandbox the way ``Worker(...)`` validates it, so that code which cannot load is found, with its
reason, before a worker depends on it (at build time, and for each version a worker loads)."""

from __future__ import annotations

import asyncio
import importlib
import threading
from types import ModuleType
from typing import Any

from wfb_jupyter.runtime._import_hook import CompiledModuleFinder, ModuleSource

# Modules (named after their code's hash) whose workflow class already passed the sandbox check.
_validated: set[str] = set()
_validated_lock = threading.Lock()


def import_source(finder: CompiledModuleFinder, module: ModuleSource) -> ModuleType:
    """Register ``module`` with the hook and import it; raises whatever its code raises."""
    finder.add(module)
    return importlib.import_module(module.name)


def load_workflow_class(
    finder: CompiledModuleFinder, module: ModuleSource, class_name: str
) -> type[Any]:
    """The workflow class of a stored version, imported and checked in the sandbox (once per module)."""
    workflow_class = getattr(import_source(finder, module), class_name)
    if not isinstance(workflow_class, type):
        raise TypeError(f"{class_name} is not a class")
    with _validated_lock:
        done = module.name in _validated
    if not done:
        check_in_sandbox(workflow_class)
        with _validated_lock:
            _validated.add(module.name)
    return workflow_class


def check_in_sandbox(workflow_class: type[Any]) -> None:
    """Raise what ``Worker(workflows=[workflow_class])`` would raise: the sandbox re-imports the module under
    its restrictions and builds an instance. It needs an event loop of its own, so it runs on a thread
    (the caller may be on a running loop, such as a notebook cell)."""
    from temporalio import workflow
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

    # The SDK's own way from a class to its definition (private, but what Worker uses).
    definition = workflow._Definition.must_from_class(workflow_class)
    failures: list[BaseException] = []

    async def prepare() -> None:
        SandboxedWorkflowRunner().prepare_workflow(definition)

    def run() -> None:
        try:
            asyncio.run(prepare())
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread below
            failures.append(error)

    thread = threading.Thread(target=run, name="wfb-sandbox-check", daemon=True)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]
