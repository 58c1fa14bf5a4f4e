"""Compiling a definition and storing it as the next version of its workflow, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from wfb_jupyter.builds._checks import check_build_loads
from wfb_jupyter.compiler import (
    CompiledWorkflow,
    CompileOptions,
    ComponentCatalogue,
    compile_workflow,
    parse_definition,
)
from wfb_jupyter.components import load_catalogue
from wfb_jupyter.storage import (
    CompiledCode,
    get_or_create_workflow,
    get_project,
    next_version,
    store_compiled_code,
)


@dataclass(frozen=True)
class StoredBuild:
    compiled: CompiledWorkflow
    stored: CompiledCode  # a new version, or the stored one with the same checksum

    @property
    def unchanged(self) -> bool:
        return self.stored.version != self.compiled.version


def compile_and_store(
    session: Session,
    project_id: str,
    text: str,
    *,
    name: str | None = None,
    activate: bool = True,
    catalogue: ComponentCatalogue | None = None,
) -> StoredBuild:
    """Compile ``text`` as the next version of its workflow (``name``, else the definition's own) against the
    project's components (or ``catalogue``), check that it loads as a worker will load it, and store it;
    raises ``WorkflowDefinitionError`` on a bad definition or a build that would not load, and the
    transaction then stores nothing (so a version that cannot load is never activated)."""
    if catalogue is None:
        catalogue = load_catalogue(session, project_id)
    workflow = get_or_create_workflow(session, project_id, name or parse_definition(text).name)
    compiled = compile_next(session, project_id, text, workflow.id, catalogue)
    check_build_loads(session, project_id, text, compiled, catalogue)
    stored = store_compiled_code(session, workflow.id, compiled, activate=activate)
    return StoredBuild(compiled, stored)


def compile_next(
    session: Session,
    project_id: str,
    text: str,
    workflow_id: int | None,
    catalogue: ComponentCatalogue,
) -> CompiledWorkflow:
    """Compile ``text`` as the workflow's next version (version 1 of a workflow not stored yet)."""
    options = CompileOptions(
        version=next_version(session, workflow_id) if workflow_id is not None else 1,
        catalogue=catalogue,
        project=project_id,
        task_queue=get_project(session, project_id).task_queue,
    )
    return compile_workflow(text, options)
