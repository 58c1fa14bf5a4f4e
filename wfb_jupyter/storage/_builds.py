"""Compiling a definition and storing it as the next version of its workflow, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from compiler import (
    CompiledWorkflow,
    CompileOptions,
    ComponentCatalogue,
    compile_workflow,
    parse_definition,
)
from wfb_jupyter.storage.orm import CompiledCode
from wfb_jupyter.storage.repository.projects import get_project
from wfb_jupyter.storage.repository.workflows import (
    get_or_create_workflow,
    next_version,
    store_compiled_code,
)


@dataclass(frozen=True)
class StoredBuild:
    compiled: CompiledWorkflow
    stored: CompiledCode  # a new version, or the stored one with the same checksum
    catalogue: ComponentCatalogue

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
    project's components (or ``catalogue``), and store it; raises ``WorkflowDefinitionError`` on a bad
    definition, and the transaction then stores nothing."""
    if catalogue is None:
        from wfb_jupyter.components import load_catalogue  # components import storage: import late

        catalogue = load_catalogue(session, project_id)
    project = get_project(session, project_id)
    workflow = get_or_create_workflow(session, project_id, name or parse_definition(text).name)
    options = CompileOptions(
        version=next_version(session, workflow.id),
        catalogue=catalogue,
        project=project_id,
        task_queue=project.task_queue,
    )
    compiled = compile_workflow(text, options)
    stored = store_compiled_code(session, workflow.id, compiled, activate=activate)
    return StoredBuild(compiled, stored, catalogue)
