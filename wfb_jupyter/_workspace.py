"""The Workspace: one synchronous facade over settings, storage, the compiler, workers and executions.

Magics and widgets are thin views over it; every behaviour a notebook user sees is here, testable without a
kernel. It is cheap to create: the database opens, the project is created and Temporal is resolved on first use.
Temporal work runs on the runtime loop (``wfb_jupyter.runtime``), never on the caller's.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from wfb_jupyter._settings import WfbSettings, valid_name
from wfb_jupyter.notebook._analysis import AnalysisOperations
from wfb_jupyter.notebook._building import build_result, version_info, with_note
from wfb_jupyter.notebook._errors import WorkspaceError
from wfb_jupyter.notebook._naming import named_definition
from wfb_jupyter.notebook._operations import RunAndWorkerOperations
from wfb_jupyter.notebook._results import (
    BuildOutcome,
    BuildResult,
    CodeDiff,
    ComponentInfo,
    ProjectInfo,
    VersionInfo,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from compiler import ComponentCatalogue
    from wfb_jupyter.storage import CompiledCode, Workflow
    from wfb_jupyter.temporal import ResolvedServer, TemporalConnection

_CODE_COLUMNS = {
    "workflow": "workflow_code",
    "activities": "activities_code",
    "worker": "worker_code",
    "requirements": "requirements",
    "definition": "definition_source",
}
CODE_KINDS: tuple[str, ...] = tuple(_CODE_COLUMNS)


class Workspace(RunAndWorkerOperations, AnalysisOperations):
    """Everything a notebook does, for the user and project named in ``settings``."""

    def __init__(
        self, settings: WfbSettings | None = None, *, temporal: TemporalConnection | None = None
    ) -> None:
        self.settings = settings or WfbSettings()
        # None: the process-wide connection manager (the usual case); tests and scripts may pass their own.
        self._temporal = temporal
        self._projects: dict[tuple[str, str, str], ProjectInfo] = {}

    @property
    def temporal(self) -> TemporalConnection:
        from wfb_jupyter.temporal import connection

        return self._temporal or connection()

    # -- storage and projects ------------------------------------------------------------------------------

    @property
    def database_url(self) -> str:
        from wfb_jupyter.storage import database_url

        return self.settings.database_url or database_url()

    @property
    def engine(self) -> Engine:
        from wfb_jupyter.storage import get_engine

        return get_engine(self.database_url)

    def project(self, name: str | None = None) -> ProjectInfo:
        """The named project (default: the current one) of the current user, created on first use."""
        name = name or self.settings.project
        _check_name("project", name)
        _check_name("user", self.settings.user)
        key = (self.database_url, self.settings.user, name)
        cached = self._projects.get(key)
        if cached is None:
            from wfb_jupyter.storage import get_or_create_project, get_or_create_user, run_write

            def create(session: Session) -> ProjectInfo:
                user = get_or_create_user(session, self.settings.user)
                row = get_or_create_project(session, user.id, name)
                return ProjectInfo(row.id, row.name, row.user_id, row.task_queue)

            cached = self._projects[key] = run_write(self.engine, create)
        return cached

    def projects(self) -> list[ProjectInfo]:
        from wfb_jupyter.storage import get_user_by_name, list_projects, session_scope

        with session_scope(self.engine) as session:
            user = get_user_by_name(session, self.settings.user)
            if user is None:
                return []
            return [
                ProjectInfo(p.id, p.name, p.user_id, p.task_queue)
                for p in list_projects(session, user.id)
            ]

    def create_project(self, name: str) -> ProjectInfo:
        """Create a project and make it the current one; an existing name is a mistake."""
        if any(p.name == name for p in self.projects()):
            raise WorkspaceError(
                f"project {name!r} already exists; switch to it with %wfb project use {name}"
            )
        info = self.project(name)
        self.settings.project = name
        return info

    def use_project(self, name: str) -> ProjectInfo:
        """Make an existing project the current one."""
        _check_name("project", name)
        known = [p for p in self.projects() if p.name == name]
        if not known:
            names = ", ".join(sorted(p.name for p in self.projects())) or "none yet"
            raise WorkspaceError(
                f"there is no project {name!r} (projects: {names}); create it with %wfb project create {name}"
            )
        self.settings.project = name
        return self.project(name)

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

        Raises ``WorkflowDefinitionError`` with every problem (nothing is stored), ``WorkspaceError`` for a
        name mismatch. Stored and active, it makes a worker of this process load it at once.
        """
        from wfb_jupyter.storage import (
            compile_and_store,
            compile_next,
            get_workflow_by_name,
            list_compiled_versions,
            run_write,
            session_scope,
        )

        text, name = named_definition(source, name)
        info = self.project(project)

        if dry_run:
            with session_scope(self.engine) as session:
                existing = get_workflow_by_name(session, info.id, name) if name else None
                catalogue = self._catalogue(session, info.id)
                compiled = compile_next(
                    session, info.id, text, existing.id if existing else None, catalogue
                )
                same = None
                if existing is not None:
                    same = next(
                        (v.version for v in list_compiled_versions(session, existing.id)
                         if v.checksum == compiled.checksum),
                        None,
                    )  # fmt: skip
            return build_result(
                compiled,
                info,
                "dry-run",
                active=False,
                same_as=same,
                warnings=compiled.warnings,
            )

        def store(session: Session) -> BuildResult:
            # The notebook's components are stored first, so that the build compiles against exactly the
            # versions that are stored (with no name, compiling reports why and nothing is stored).
            catalogue = self._catalogue(session, info.id, store=name is not None)
            build = compile_and_store(
                session,
                info.id,
                text,
                name=name or "invalid",
                activate=activate,
                catalogue=catalogue,
            )
            outcome: BuildOutcome = "unchanged" if build.unchanged else "created"
            return build_result(
                build.compiled,
                info,
                outcome,
                active=build.stored.is_active,
                stored=build.stored,
                warnings=build.compiled.warnings,
            )

        result = run_write(self.engine, store)
        return with_note(result, self._serve(info) if result.active else "")

    def _serve(self, info: ProjectInfo) -> str:
        """Have the worker serve what is now active; a worker that cannot start does not undo the build."""
        from wfb_jupyter.notebook._errors import user_message

        try:
            return self._after_activation(info)
        except Exception as error:
            message = user_message(error)
            if message is None:
                raise
            return f"Stored, but no worker serves it yet: {message}"

    def _catalogue(
        self, session: Session, project_id: str, *, store: bool = False
    ) -> ComponentCatalogue:
        """Stored components of the project, with this notebook's ``@component`` functions over them at the
        versions storing them gives (stored now with ``store``)."""
        from wfb_jupyter.components import defined_components, notebook_catalogue

        return notebook_catalogue(session, project_id, defined_components(), store=store)

    # -- versions and code --------------------------------------------------------------------------------

    def workflows(self, project: str | None = None) -> list[str]:
        from wfb_jupyter.storage import list_workflows, session_scope

        info = self.project(project)
        with session_scope(self.engine) as session:
            return [w.name for w in list_workflows(session, info.id)]

    def versions(self, name: str) -> list[VersionInfo]:
        from wfb_jupyter.storage import list_compiled_versions, list_open_executions, session_scope

        with session_scope(self.engine) as session:
            workflow = self._workflow(session, name)
            open_runs: dict[int, int] = {}
            for record in list_open_executions(session, workflow_id=workflow.id):
                open_runs[record.version] = open_runs.get(record.version, 0) + 1
            return [
                version_info(name, row, open_runs.get(row.version, 0))
                for row in list_compiled_versions(session, workflow.id)
            ]

    def activate(self, name: str, version: int) -> VersionInfo:
        """Make ``version`` the one new executions start on (roll back or forward)."""
        from wfb_jupyter.storage import activate_version, run_write

        def flip(session: Session) -> VersionInfo:
            workflow = self._workflow(session, name)
            self._stored(session, workflow, name, version)
            return version_info(name, activate_version(session, workflow.id, version))

        activated = run_write(self.engine, flip)
        self._serve(self.project())
        return activated

    def code(self, name: str, version: int | None = None, which: str = "workflow") -> str:
        """Generated code (or the definition) of a version; the active version by default."""
        if which not in CODE_KINDS:
            raise WorkspaceError(
                f"unknown code kind {which!r}; choose one of {', '.join(CODE_KINDS)}"
            )
        from wfb_jupyter.storage import session_scope

        with session_scope(self.engine) as session:
            row = self._stored(session, self._workflow(session, name), name, version)
            return str(getattr(row, _CODE_COLUMNS[which]))

    def diff(self, name: str, old: int, new: int, which: str = "workflow") -> CodeDiff:
        from wfb_jupyter.notebook._diff import unified_diff

        old_code, new_code = self.code(name, old, which), self.code(name, new, which)
        text = unified_diff(
            old_code, new_code, f"{name} v{old} ({which})", f"{name} v{new} ({which})"
        )
        return CodeDiff(name, which, old, new, old_code, new_code, text)

    def manifest(self, name: str, version: int | None = None) -> dict[str, Any]:
        from wfb_jupyter.storage import session_scope

        with session_scope(self.engine) as session:
            return dict(
                self._stored(session, self._workflow(session, name), name, version).manifest
            )

    def components(self) -> list[ComponentInfo]:
        from wfb_jupyter.storage import session_scope

        info = self.project()
        with session_scope(self.engine) as session:
            catalogue = self._catalogue(session, info.id)
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
        from wfb_jupyter.storage import get_workflow_by_name, list_workflows

        info = self.project()
        workflow = get_workflow_by_name(session, info.id, name)
        if workflow is None:
            known = ", ".join(w.name for w in list_workflows(session, info.id)) or "none yet"
            raise WorkspaceError(
                f"there is no workflow {name!r} in project {info.name!r} (workflows: {known}); "
                "define it in a %%workflow cell"
            )
        return workflow

    def _stored(
        self, session: Session, workflow: Workflow, name: str, version: int | None
    ) -> CompiledCode:
        from wfb_jupyter.storage import NotFoundError, get_compiled_code, list_compiled_versions

        try:
            return get_compiled_code(session, workflow.id, version)
        except NotFoundError:
            known = ", ".join(f"v{v.version}" for v in list_compiled_versions(session, workflow.id))
            raise WorkspaceError(
                f"workflow {name!r} has no version {version} (versions: {known or 'none'}); "
                f"see %wfb versions {name}"
            ) from None

    # -- Temporal ------------------------------------------------------------------------------------------

    def server(self) -> ResolvedServer:
        """The Temporal server in use (resolving, and maybe starting, one on first call)."""
        self._export_temporal_settings()
        return self.temporal.server()

    def _export_temporal_settings(self) -> None:
        # The connection manager reads the environment (as sidecar workers do); %config values reach it here.
        if self.settings.temporal_address:
            os.environ["TEMPORAL_ADDRESS"] = self.settings.temporal_address
        if self.settings.temporal_namespace:
            os.environ["TEMPORAL_NAMESPACE"] = self.settings.temporal_namespace


def _check_name(kind: str, name: str) -> None:
    if not valid_name(name):
        raise WorkspaceError(
            f"{kind} name {name!r} is not valid: use letters, digits, '_', '.' and '-' "
            "(up to 63 characters, starting with a letter or digit)"
        )


_workspace: Workspace | None = None


def workspace(settings: WfbSettings | None = None) -> Workspace:
    """The process-wide Workspace (the magics' and widgets'); ``settings`` replaces its settings if given."""
    global _workspace
    if _workspace is None:
        _workspace = Workspace(settings or _shell_settings())
    elif settings is not None:
        _workspace.settings = settings
    return _workspace


def _shell_settings() -> WfbSettings | None:
    """The settings ``%load_ext`` registered with the running IPython (so ``%config`` applies), if any."""
    from IPython import get_ipython

    shell = get_ipython()
    configurables = getattr(shell, "configurables", [])
    return next((c for c in configurables if isinstance(c, WfbSettings)), None)
