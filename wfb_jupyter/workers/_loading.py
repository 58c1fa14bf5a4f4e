"""Turn what the database holds for a project into importable modules, workflow classes and activities.

Module names carry a hash of their code, so two databases (or two builds) never share a cached module, and an
unchanged version keeps its already-imported module across worker reloads.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from compiler import ComponentSpec, render_activities_module
from wfb_jupyter.components import BUILTIN_SPECS, spec_from_row
from wfb_jupyter.errors import WorkerError
from wfb_jupyter.runtime import ROOT_PACKAGE, CompiledModuleFinder, ModuleSource, compiled_modules
from wfb_jupyter.storage import (
    CompiledCode,
    NotFoundError,
    Workflow,
    get_component,
    get_project,
    load_workflows_for_project,
    read_scope,
    session_scope,
)

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
class ProjectCode:
    """Everything one project worker runs: its versions and the activities they call."""

    project_id: str
    task_queue: str
    versions: tuple[LoadedVersion, ...]
    activities: tuple[Callable[..., Any], ...]

    @property
    def workflow_types(self) -> list[str]:
        return [version.workflow_type for version in self.versions]

    @property
    def workflow_ids_by_type(self) -> dict[str, int]:
        return {version.workflow_type: version.workflow_id for version in self.versions}


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
        user_specs = _user_component_specs(session, project_id, rows)
        task_queue = project.task_queue

    versions = tuple(_import_version(finder, package, row) for row in rows)
    activities = [
        *_import_activities(finder, f"{package}.components", "builtins", BUILTIN_SPECS),
    ]
    for spec in user_specs:
        activities.extend(
            _import_activities(
                finder, f"{package}.components", f"{spec.name}_v{spec.version}", [spec]
            )
        )
    return ProjectCode(project_id, task_queue, versions, tuple(activities))


def _user_component_specs(
    session: Any, project_id: str, rows: Iterable[CompiledCode]
) -> list[ComponentSpec]:
    """The exact user component versions the loaded workflow versions call (old versions keep theirs)."""
    wanted: dict[tuple[str, int], str] = {}
    for row in rows:
        for activity_type in (row.manifest.get("components") or {}).values():
            if activity_type.startswith(BUILTIN_ACTIVITY_PREFIX):
                continue
            name, _, version = activity_type.rpartition(".v")
            if not name or not version.isdigit():
                raise CodeLoadError(
                    f"{row.workflow.name} v{row.version} calls activity {activity_type!r}, "
                    "which names no component version"
                )
            wanted[(name, int(version))] = f"{row.workflow.name} v{row.version}"
    specs = []
    for (name, version), user in sorted(wanted.items()):
        try:
            specs.append(spec_from_row(get_component(session, project_id, name, version)))
        except NotFoundError:
            raise CodeLoadError(
                f"{user} calls component {name!r} version {version}, which is not stored in this "
                "project; register the component again and rebuild the workflow"
            ) from None
    return specs


def _import_version(finder: CompiledModuleFinder, package: str, row: CompiledCode) -> LoadedVersion:
    digest = hashlib.sha256(row.workflow_code.encode()).hexdigest()[:12]
    name = f"{package}.{python_identifier(row.workflow.name)}_v{row.version}_{digest}"
    origin = f"wfb://{package.removeprefix(ROOT_PACKAGE + '.')}/{row.workflow.name}/v{row.version}/workflow.py"
    finder.add(ModuleSource(name, row.workflow_code, origin))
    try:
        module = importlib.import_module(name)
        workflow_class = getattr(module, row.workflow_class)
    except Exception as error:
        raise CodeLoadError(
            f"cannot load {row.workflow.name} v{row.version}: {type(error).__name__}: {error}"
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
    finder.add(ModuleSource(name, source, f"wfb://{label}/activities.py"))
    try:
        module = importlib.import_module(name)
    except Exception as error:
        raise CodeLoadError(
            f"cannot load component code {label}: {type(error).__name__}: {error}"
        ) from error
    return list(module.ACTIVITIES)
