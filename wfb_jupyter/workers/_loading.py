"""Turn what the database holds for a project into importable modules, workflow classes and activities.

Module names carry a hash of their code, so two databases (or two builds) never share a cached module, and an
unchanged version keeps its already-imported module across worker reloads.

Each version loads on its own: one that cannot (code stored by an older release or by hand, a component
version that is not stored, a class the sandbox refuses) is set aside with its reason, and every other version
is still served. Only what every version needs (the project, the built-in components) fails the whole load.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from wfb_jupyter.compiler import ComponentSpec, render_activities_module
from wfb_jupyter.components import BUILTIN_SPECS, spec_from_row
from wfb_jupyter.errors import WorkerError
from wfb_jupyter.runtime import (
    ROOT_PACKAGE,
    CompiledModuleFinder,
    ModuleSource,
    compiled_modules,
    import_source,
    load_workflow_class,
)
from wfb_jupyter.storage import (
    CompiledCode,
    ExecutionRecord,
    NotFoundError,
    Workflow,
    get_component,
    get_project,
    load_workflows_for_project,
    read_scope,
    session_scope,
)
from wfb_jupyter.storage.orm import OPEN_EXECUTION_STATUSES

BUILTIN_ACTIVITY_PREFIX = "wfb."


class CodeLoadError(WorkerError, RuntimeError):
    """Stored code that cannot be turned into a worker: says which version or component, and why."""


@dataclass(frozen=True)
class LoadedVersion:
    workflow_id: int
    workflow_name: str
    version: int
    workflow_type: str
    is_active: bool
    module_name: str
    workflow_class: type


@dataclass(frozen=True)
class FailedVersion:
    """A stored version the worker could not load, and why."""

    workflow_id: int
    version: int
    workflow_type: str
    reason: str


@dataclass(frozen=True)
class ProjectCode:
    """Everything one project worker runs: its versions and the activities they call, and the versions it
    could not load."""

    project_id: str
    task_queue: str
    versions: tuple[LoadedVersion, ...]
    activities: tuple[Callable[..., Any], ...]
    failed: tuple[FailedVersion, ...] = ()

    @property
    def workflow_types(self) -> list[str]:
        return [version.workflow_type for version in self.versions]

    @property
    def workflow_ids_by_type(self) -> dict[str, int]:
        return {version.workflow_type: version.workflow_id for version in self.versions}

    @property
    def versions_by_type(self) -> dict[str, tuple[int, int]]:
        """Workflow type -> (workflow id, version): what an activity attempt's workflow type says."""
        return {v.workflow_type: (v.workflow_id, v.version) for v in self.versions}

    @property
    def failures_by_type(self) -> dict[str, str]:
        return {failure.workflow_type: failure.reason for failure in self.failed}

    @property
    def failures_text(self) -> str | None:
        """A worker's error while it serves everything else: which versions it could not load."""
        return "; ".join(failure.reason for failure in self.failed) or None

    @property
    def known_versions(self) -> frozenset[tuple[int, int]]:
        """The versions loaded or tried: reloading would not change what a worker serves of them."""
        loaded = {(version.workflow_id, version.version) for version in self.versions}
        return frozenset(
            loaded | {(failure.workflow_id, failure.version) for failure in self.failed}
        )

    @property
    def build_id(self) -> str:
        """Derived from the content of the loaded code (module names carry each version's code hash)."""
        content = "\n".join(sorted(version.module_name for version in self.versions))
        return hashlib.sha256(content.encode()).hexdigest()[:20]

    def same_code_as(self, other: ProjectCode) -> bool:
        """The same modules and activities: a worker running ``other`` need not be rebuilt for this."""

        def key(code: ProjectCode) -> tuple[Any, ...]:
            modules = tuple(sorted(version.module_name for version in code.versions))
            activities = tuple(
                sorted(getattr(fn, "__module__", "") + fn.__name__ for fn in code.activities)
            )
            return modules, activities

        return key(self) == key(other)


def python_identifier(text: str) -> str:
    ident = re.sub(r"\W", "_", text, flags=re.ASCII) or "_"
    return f"_{ident}" if ident[0].isdigit() else ident


def active_versions_fingerprint(engine: Engine, project_id: str) -> tuple[tuple[int, int], ...]:
    """The project's active (workflow, version) pairs: a cheap query telling a worker when to reload."""
    with read_scope(engine) as session:
        rows = session.execute(
            select(CompiledCode.workflow_id, CompiledCode.version)
            .join(Workflow, Workflow.id == CompiledCode.workflow_id)
            .where(Workflow.project_id == project_id, CompiledCode.is_active.is_(True))
            .order_by(CompiledCode.workflow_id)
        )
        return tuple((workflow_id, version) for workflow_id, version in rows)


def running_versions(engine: Engine, project_id: str) -> frozenset[tuple[int, int]]:
    """The (workflow, version) pairs with open executions: a version started by any process must be
    served, active or not."""
    with read_scope(engine) as session:
        rows = session.execute(
            select(ExecutionRecord.workflow_id, ExecutionRecord.version)
            .join(Workflow, Workflow.id == ExecutionRecord.workflow_id)
            .where(
                Workflow.project_id == project_id,
                ExecutionRecord.status.in_(OPEN_EXECUTION_STATUSES),
            )
            .distinct()
        )
        return frozenset((workflow_id, version) for workflow_id, version in rows)


def load_project_code(
    engine: Engine,
    project_id: str,
    finder: CompiledModuleFinder | None = None,
    *,
    keep: Iterable[tuple[int, int]] = (),
) -> ProjectCode:
    """Load the versions the project's worker needs and the activities they call, importable via the hook.

    ``keep`` names (workflow id, version) pairs to load even when neither active nor running.
    """
    finder = finder or compiled_modules()
    package = f"{finder.root}.{python_identifier(project_id)}"
    with session_scope(engine) as session:
        project = get_project(session, project_id)
        rows = load_workflows_for_project(session, project_id, keep)
        wanted, failed = _user_component_specs(session, project_id, rows)
        task_queue = project.task_queue

    activities = [
        *_import_activities(finder, f"{package}.components", "builtins", BUILTIN_SPECS),
    ]
    broken: dict[str, str] = {}  # user component activity type -> why it does not load
    for spec in wanted:
        try:
            activities.extend(
                _import_activities(
                    finder, f"{package}.components", f"{spec.name}_v{spec.version}", [spec]
                )
            )
        except CodeLoadError as error:
            broken[spec.activity_type] = str(error)
    versions = []
    for row in rows:
        reason = failed.get((row.workflow_id, row.version)) or next(
            (
                broken[activity_type]
                for activity_type in (row.manifest.get("components") or {}).values()
                if activity_type in broken
            ),
            None,
        )
        if reason is None:
            try:
                versions.append(_import_version(finder, package, row))
                continue
            except CodeLoadError as error:
                reason = str(error)
        failed[(row.workflow_id, row.version)] = reason
    failures = tuple(
        FailedVersion(row.workflow_id, row.version, row.workflow_type, failed[key])
        for row in rows
        if (key := (row.workflow_id, row.version)) in failed
    )
    return ProjectCode(project_id, task_queue, tuple(versions), tuple(activities), failures)


def _user_component_specs(
    session: Any, project_id: str, rows: Iterable[CompiledCode]
) -> tuple[list[ComponentSpec], dict[tuple[int, int], str]]:
    """The exact user component versions the loaded workflow versions call (old versions keep theirs),
    and the versions that call a component version which is not stored, with the reason."""
    wanted: dict[tuple[str, int], list[CompiledCode]] = {}
    failed: dict[tuple[int, int], str] = {}
    for row in rows:
        for activity_type in (row.manifest.get("components") or {}).values():
            if activity_type.startswith(BUILTIN_ACTIVITY_PREFIX):
                continue
            name, _, version = activity_type.rpartition(".v")
            if not name or not version.isdigit():
                failed[(row.workflow_id, row.version)] = (
                    f"{row.workflow.name} v{row.version} calls activity {activity_type!r}, "
                    "which names no component version"
                )
                continue
            wanted.setdefault((name, int(version)), []).append(row)
    specs = []
    for (name, version), users in sorted(wanted.items()):
        try:
            specs.append(spec_from_row(get_component(session, project_id, name, version)))
        except NotFoundError:
            for row in users:
                failed.setdefault(
                    (row.workflow_id, row.version),
                    f"{row.workflow.name} v{row.version} calls component {name!r} version {version}, "
                    "which is not stored in this project; register the component again and rebuild "
                    "the workflow",
                )
    return specs, failed


def _import_version(finder: CompiledModuleFinder, package: str, row: CompiledCode) -> LoadedVersion:
    digest = hashlib.sha256(row.workflow_code.encode()).hexdigest()[:12]
    name = f"{package}.{python_identifier(row.workflow.name)}_v{row.version}_{digest}"
    origin = f"wfb://{package.removeprefix(ROOT_PACKAGE + '.')}/{row.workflow.name}/v{row.version}/workflow.py"
    try:
        workflow_class = load_workflow_class(
            finder, ModuleSource(name, row.workflow_code, origin), row.workflow_class
        )
    except Exception as error:
        raise CodeLoadError(
            f"cannot load {row.workflow.name} v{row.version}: {type(error).__name__}: "
            f"{_first_line(error)}"
        ) from error
    return LoadedVersion(
        workflow_id=row.workflow_id,
        workflow_name=row.workflow.name,
        version=row.version,
        workflow_type=row.workflow_type,
        is_active=row.is_active,
        module_name=name,
        workflow_class=workflow_class,
    )


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:300] if lines else ""


def _import_activities(
    finder: CompiledModuleFinder, package: str, label: str, specs: Iterable[ComponentSpec]
) -> list[Callable[..., Any]]:
    specs = list(specs)
    try:
        source = render_activities_module(specs, description=f"project components ({label})")
    except ValueError as error:
        raise CodeLoadError(f"cannot build activities for {label}: {error}") from error
    digest = hashlib.sha256(source.encode()).hexdigest()[:12]
    name = f"{package}.{python_identifier(label)}_{digest}"
    try:
        module = import_source(finder, ModuleSource(name, source, f"wfb://{label}/activities.py"))
    except Exception as error:
        raise CodeLoadError(
            f"cannot load component code {label}: {type(error).__name__}: {_first_line(error)}"
        ) from error
    return list(module.ACTIVITIES)
