"""Workflows and their versions: build a definition into the next version, list, activate, show and diff code."""

from __future__ import annotations

import builtins
from dataclasses import replace
from typing import Any, Literal

from sqlalchemy.orm import Session

from wfb_jupyter.builds import (
    compile_and_store,
    compile_next,
    notebook_catalogue,
)
from wfb_jupyter.compiler import CompiledWorkflow, WorkflowDefinitionError
from wfb_jupyter.errors import DefinitionError, InputError, WfbError
from wfb_jupyter.services._context import ServiceContext
from wfb_jupyter.services._diff import unified_diff, version_changes
from wfb_jupyter.services._errors import (
    NoEarlierVersionError,
    UnknownVersionError,
    UnknownWorkflowNameError,
)
from wfb_jupyter.services._naming import declared_name, named_definition
from wfb_jupyter.services._problems import definition_problems_message
from wfb_jupyter.services._projects import Projects
from wfb_jupyter.services._results import (
    CODE_KINDS,
    BuildOutcome,
    BuildResult,
    CodeDiff,
    ComponentInfo,
    ProjectInfo,
    VersionInfo,
)
from wfb_jupyter.services._workers import Workers
from wfb_jupyter.storage import (
    CompiledCode,
    Workflow,
    activate_version,
    get_compiled_code,
    get_workflow_by_name,
    list_compiled_versions,
    list_open_executions,
    list_workflows,
    previous_active_version,
)
from wfb_jupyter.storage import (
    NotFoundError as RowNotFoundError,
)

CodeKind = Literal["workflow", "activities", "worker", "requirements", "definition"]
_CODE_COLUMNS: dict[str, str] = {
    "workflow": "workflow_code",
    "activities": "activities_code",
    "worker": "worker_code",
    "requirements": "requirements",
    "definition": "definition_source",
}


class Versions:
    def __init__(self, context: ServiceContext, projects: Projects, workers: Workers) -> None:
        self._context = context
        self._projects = projects
        self._workers = workers

    # -- building -----------------------------------------------------------------------------------------

    def build(
        self,
        name: str | None,
        source: str,
        *,
        project: str | None = None,
        activate: bool = True,
        dry_run: bool = False,
    ) -> BuildResult:
        """Parse, validate, compile and store a definition as the next version (or find it unchanged).

        Raises ``DefinitionError`` with every problem (nothing is stored), ``InputError`` for a name that does
        not match. Stored and active, a worker serves it at once (or the result's note says why not).
        """
        text, name = named_definition(source, name)
        info = self._projects.get(project) if project else self._projects.current()
        try:
            if dry_run:
                return self._context.read(lambda session: self._dry_run(session, info, text, name))
            result = self._context.write(
                lambda session: self._store(session, info, text, name, activate)
            )
        except WorkflowDefinitionError as error:
            shown = name or declared_name(text) or "(unnamed)"
            message = definition_problems_message(shown, error.problems, text, first_line=1)
            raise DefinitionError(message, error.problems) from None
        return replace(result, worker_note=self._serve(info)) if result.active else result

    def _dry_run(
        self, session: Session, info: ProjectInfo, text: str, name: str | None
    ) -> BuildResult:
        existing = get_workflow_by_name(session, info.id, name) if name else None
        compiled = compile_next(
            session,
            info.id,
            text,
            existing.id if existing else None,
            notebook_catalogue(session, info.id),
        )
        same = None
        if existing is not None:
            same = next(
                (v.version for v in list_compiled_versions(session, existing.id)
                 if v.checksum == compiled.checksum),
                None,
            )  # fmt: skip
        return _build_result(compiled, info, "dry-run", active=False, same_as=same)

    def _store(
        self, session: Session, info: ProjectInfo, text: str, name: str | None, activate: bool
    ) -> BuildResult:
        # With no name, compiling reports why, and nothing is stored: the components neither.
        catalogue = notebook_catalogue(session, info.id, store=name is not None)
        build = compile_and_store(
            session, info.id, text, name=name or "invalid", activate=activate, catalogue=catalogue
        )
        outcome: BuildOutcome = "unchanged" if build.unchanged else "created"
        return _build_result(
            build.compiled, info, outcome, active=build.stored.is_active, stored=build.stored
        )

    def _serve(self, info: ProjectInfo) -> str:
        """Have a worker serve what is now active; a worker that cannot start does not undo the build."""
        try:
            return self._workers.after_activation(info)
        except WfbError as error:
            return f"Stored, but no worker serves it yet: {error}"

    # -- versions and code --------------------------------------------------------------------------------

    def workflows(self, project: str | None = None) -> list[str]:
        info = self._projects.get(project) if project else self._projects.current()
        return self._context.read(lambda s: [w.name for w in list_workflows(s, info.id)])

    def list(self, name: str) -> list[VersionInfo]:
        """The workflow's versions, oldest first, with how many executions of each are still open."""

        def read(session: Session) -> list[VersionInfo]:
            workflow = self._workflow(session, name)
            open_runs: dict[int, int] = {}
            for record in list_open_executions(session, workflow_id=workflow.id):
                open_runs[record.version] = open_runs.get(record.version, 0) + 1
            return [
                version_info(name, row, open_runs.get(row.version, 0))
                for row in list_compiled_versions(session, workflow.id)
            ]

        return self._context.read(read)

    def activate(self, name: str, version: int) -> VersionInfo:
        """Make ``version`` the one new executions start on (roll back or forward)."""

        def flip(session: Session) -> VersionInfo:
            workflow = self._workflow(session, name)
            self._stored(session, workflow, name, version)
            return version_info(name, activate_version(session, workflow.id, version))

        activated = self._context.write(flip)
        self._serve(self._projects.current())
        return activated

    def rollback(self, name: str, version: int | None = None) -> VersionInfo:
        """Activate ``version``, or without one the version that was active before the current one."""
        if version is None:

            def previous(session: Session) -> int:
                workflow = self._workflow(session, name)
                found = previous_active_version(session, workflow.id)
                if found is None:
                    raise NoEarlierVersionError(name)
                return found

            version = self._context.read(previous)
        return self.activate(name, version)

    def code(self, name: str, version: int | None = None, which: str = "workflow") -> str:
        """Generated code (or the definition) of a version; the active version by default."""
        if which not in CODE_KINDS:
            raise InputError(f"unknown code kind {which!r}; choose one of {', '.join(CODE_KINDS)}")

        def read(session: Session) -> str:
            row = self._stored(session, self._workflow(session, name), name, version)
            return str(getattr(row, _CODE_COLUMNS[which]))

        return self._context.read(read)

    def diff(self, name: str, old: int, new: int, which: str = "workflow") -> CodeDiff:
        """The code of one kind (``which``) of two versions, compared, with a summary of what changed."""
        old_code, new_code = self.code(name, old, which), self.code(name, new, which)
        text = unified_diff(
            old_code, new_code, f"{name} v{old} ({which})", f"{name} v{new} ({which})"
        )
        changes = version_changes(
            self.manifest(name, old),
            self.manifest(name, new),
            self.code(name, old, "definition"),
            self.code(name, new, "definition"),
        )
        return CodeDiff(name, which, old, new, old_code, new_code, text, tuple(changes))

    def manifest(self, name: str, version: int | None = None) -> dict[str, Any]:
        return self._context.read(
            lambda s: dict(self._stored(s, self._workflow(s, name), name, version).manifest)
        )

    def components(self) -> builtins.list[ComponentInfo]:
        info = self._projects.current()
        catalogue = self._context.read(lambda session: notebook_catalogue(session, info.id))
        return [
            ComponentInfo(
                spec.name,
                spec.kind,
                spec.version,
                tuple(p.name for p in spec.parameters),
                spec.description,
            )  # fmt: skip
            for spec in (catalogue[name] for name in catalogue)
        ]

    def _workflow(self, session: Session, name: str) -> Workflow:
        info = self._projects.current()
        workflow = get_workflow_by_name(session, info.id, name)
        if workflow is None:
            known = [w.name for w in list_workflows(session, info.id)]
            raise UnknownWorkflowNameError(name, info.name, known)
        return workflow

    def _stored(
        self, session: Session, workflow: Workflow, name: str, version: int | None
    ) -> CompiledCode:
        try:
            return get_compiled_code(session, workflow.id, version)
        except RowNotFoundError:
            known = [v.version for v in list_compiled_versions(session, workflow.id)]
            raise UnknownVersionError(name, version, known) from None


def _build_result(
    compiled: CompiledWorkflow,
    info: ProjectInfo,
    outcome: BuildOutcome,
    *,
    active: bool,
    stored: CompiledCode | None = None,
    same_as: int | None = None,
) -> BuildResult:
    return BuildResult(
        name=compiled.name,
        project=info,
        version=stored.version if stored is not None else compiled.version,
        outcome=outcome,
        active=active,
        checksum=compiled.checksum,
        manifest=dict(stored.manifest if stored is not None else compiled.manifest),
        definition_source=compiled.definition_source,
        same_as_version=same_as if outcome == "dry-run" else None,
        warnings=tuple(compiled.warnings),
    )


def version_info(name: str, row: CompiledCode, open_executions: int = 0) -> VersionInfo:
    return VersionInfo(
        workflow=name,
        version=row.version,
        checksum=row.checksum,
        build_id=row.build_id,
        created_at=row.created_at,
        active=row.is_active,
        compiler_version=row.compiler_version,
        step_count=len(row.manifest.get("steps", [])),
        open_executions=open_executions,
    )
