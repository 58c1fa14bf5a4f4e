"""Workflows and their compiled, immutable versions.

A workflow has any number of versions; exactly one is active (the one new executions start on). Storing an
unchanged definition (same checksum) gives back the version that already has it, and activation only flips
flags, so the code of a version never changes once stored.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from sqlalchemy import event, exists, false, func, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from wfb_jupyter.storage._engine import storage_sessions
from wfb_jupyter.storage._errors import ConflictError, NotFoundError
from wfb_jupyter.storage._types import utc_now
from wfb_jupyter.storage.orm import (
    OPEN_EXECUTION_STATUSES,
    CompiledCode,
    ExecutionRecord,
    Workflow,
)


def get_workflow(session: Session, workflow_id: int) -> Workflow:
    workflow = session.get(Workflow, workflow_id)
    if workflow is None:
        raise NotFoundError("workflow", workflow_id)
    return workflow


def get_workflow_by_name(session: Session, project_id: str, name: str) -> Workflow | None:
    statement = select(Workflow).where(Workflow.project_id == project_id, Workflow.name == name)
    return session.scalars(statement).one_or_none()


def get_or_create_workflow(
    session: Session, project_id: str, name: str, description: str = ""
) -> Workflow:
    """The workflow named ``name`` in the project, created if needed (safe when two processes race)."""
    existing = get_workflow_by_name(session, project_id, name)
    if existing is not None:
        return existing
    workflow = Workflow(project_id=project_id, name=name, description=description)
    try:
        with session.begin_nested():
            session.add(workflow)
    except IntegrityError:
        winner = get_workflow_by_name(session, project_id, name)
        if winner is None:
            raise
        return winner
    return workflow


def list_workflows(session: Session, project_id: str) -> list[Workflow]:
    statement = select(Workflow).where(Workflow.project_id == project_id).order_by(Workflow.name)
    return list(session.scalars(statement))


def next_version(session: Session, workflow_id: int) -> int:
    """The version number the next stored build of this workflow would get."""
    latest = session.scalar(
        select(func.max(CompiledCode.version)).where(CompiledCode.workflow_id == workflow_id)
    )
    return (latest or 0) + 1


def _lock_workflow(session: Session, workflow_id: int) -> Workflow:
    # Serialises version numbering and activation per workflow on PostgreSQL (SQLite's BEGIN IMMEDIATE
    # already serialises every write transaction).
    workflow = session.scalars(
        select(Workflow).where(Workflow.id == workflow_id).with_for_update()
    ).one_or_none()
    if workflow is None:
        raise NotFoundError("workflow", workflow_id)
    return workflow


class CompiledVersion(Protocol):
    """What a build hands to storage (the compiler's ``CompiledWorkflow`` is one): storage keeps it as it is,
    without knowing the compiler."""

    @property
    def version(self) -> int: ...
    @property
    def checksum(self) -> str: ...
    @property
    def build_id(self) -> str: ...
    @property
    def workflow_type(self) -> str: ...
    @property
    def workflow_class(self) -> str: ...
    @property
    def module_name(self) -> str: ...
    @property
    def workflow_code(self) -> str: ...
    @property
    def activities_code(self) -> str: ...
    @property
    def worker_code(self) -> str: ...
    @property
    def requirements(self) -> str: ...
    @property
    def manifest(self) -> Mapping[str, Any]: ...
    @property
    def definition_source(self) -> str: ...
    @property
    def compiler_version(self) -> str: ...


def store_compiled_code(
    session: Session,
    workflow_id: int,
    code: CompiledVersion,
    version: int | None = None,
    *,
    activate: bool = True,
) -> CompiledCode:
    """Store a compiled build as a new version, or return the stored version with the same checksum.

    ``version`` defaults to ``code.version`` (callers compile with ``version=next_version(...)``). With
    ``activate`` (the default) the returned version becomes the active one, so the last build is what runs.
    """
    if version is not None and version != code.version:
        raise ValueError(
            f"version {version} differs from the compiled code's version {code.version}"
        )
    _lock_workflow(session, workflow_id)
    stored = session.scalars(
        select(CompiledCode)
        .where(CompiledCode.workflow_id == workflow_id, CompiledCode.checksum == code.checksum)
        .order_by(CompiledCode.version)
        .limit(1)
    ).first()
    if stored is None:
        if _find_version(session, workflow_id, code.version) is not None:
            raise ConflictError(
                f"workflow {workflow_id} already has a different version {code.version}; "
                f"compile again with version={next_version(session, workflow_id)}"
            )
        stored = CompiledCode(
            workflow_id=workflow_id,
            version=code.version,
            checksum=code.checksum,
            build_id=code.build_id,
            workflow_type=code.workflow_type,
            workflow_class=code.workflow_class,
            module_name=code.module_name,
            workflow_code=code.workflow_code,
            activities_code=code.activities_code,
            worker_code=code.worker_code,
            requirements=code.requirements,
            manifest=dict(code.manifest),
            definition_source=code.definition_source,
            compiler_version=code.compiler_version,
            is_active=False,
        )
        session.add(stored)
        session.flush()
    if activate:
        _activate(session, workflow_id, stored.version)
        session.refresh(stored)
    return stored


def _find_version(session: Session, workflow_id: int, version: int) -> CompiledCode | None:
    statement = select(CompiledCode).where(
        CompiledCode.workflow_id == workflow_id, CompiledCode.version == version
    )
    return session.scalars(statement).one_or_none()


def get_compiled_code(
    session: Session, workflow_id: int, version: int | None = None
) -> CompiledCode:
    """One stored version; the active one when ``version`` is None."""
    if version is not None:
        found = _find_version(session, workflow_id, version)
    else:
        found = session.scalars(
            select(CompiledCode).where(
                CompiledCode.workflow_id == workflow_id, CompiledCode.is_active.is_(True)
            )
        ).one_or_none()
    if found is None:
        what = f"version {version}" if version is not None else "active version"
        raise NotFoundError(f"workflow {workflow_id} {what}", version)
    return found


def list_compiled_versions(session: Session, workflow_id: int) -> list[CompiledCode]:
    statement = (
        select(CompiledCode)
        .where(CompiledCode.workflow_id == workflow_id)
        .order_by(CompiledCode.version)
    )
    return list(session.scalars(statement))


def activate_version(session: Session, workflow_id: int, version: int) -> CompiledCode:
    """Make ``version`` the active one (roll back or forward); the previous active version is deactivated in
    the same transaction, so there is never a moment with two or none."""
    _lock_workflow(session, workflow_id)
    target = _find_version(session, workflow_id, version)
    if target is None:
        raise NotFoundError(f"workflow {workflow_id} version", version)
    _activate(session, workflow_id, version)
    session.refresh(target)
    return target


def _activate(session: Session, workflow_id: int, version: int) -> None:
    session.info[_CHANGES_ACTIVATION] = True
    # Deactivate first: the partial unique index allows one active row per workflow at every statement.
    session.execute(
        update(CompiledCode)
        .where(
            CompiledCode.workflow_id == workflow_id,
            CompiledCode.is_active.is_(True),
            CompiledCode.version != version,
        )
        .values(is_active=False)
        .execution_options(synchronize_session="fetch")
    )
    session.execute(
        update(CompiledCode)
        .where(
            CompiledCode.workflow_id == workflow_id,
            CompiledCode.version == version,
            CompiledCode.is_active.is_(False),
        )
        .values(is_active=True, activated_at=utc_now())
        .execution_options(synchronize_session="fetch")
    )


def previous_active_version(session: Session, workflow_id: int) -> int | None:
    """The version that was active before the current one (the latest activated of the others), if any."""
    return session.scalars(
        select(CompiledCode.version)
        .where(
            CompiledCode.workflow_id == workflow_id,
            CompiledCode.is_active.is_(False),
            CompiledCode.activated_at.is_not(None),
        )
        .order_by(CompiledCode.activated_at.desc(), CompiledCode.version.desc())
        .limit(1)
    ).first()


_CHANGES_ACTIVATION = "wfb.changes_activation"
_activation_commits = itertools.count(1)
_activation_generation = 0


def activation_generation() -> int:
    """A number that grows whenever a transaction of this process that changed an active version commits.

    Caches of what is active keep the number they were filled at, and are stale once it has grown.
    """
    return _activation_generation


@event.listens_for(storage_sessions, "after_commit")
def _count_activation_commit(session: Session) -> None:
    global _activation_generation
    if session.info.pop(_CHANGES_ACTIVATION, False):
        _activation_generation = next(_activation_commits)


@event.listens_for(storage_sessions, "after_soft_rollback")
def _forget_activation(session: Session, previous_transaction: object) -> None:
    session.info.pop(_CHANGES_ACTIVATION, None)


def load_workflows_for_project(
    session: Session, project_id: str, keep: Iterable[tuple[int, int]] = ()
) -> list[CompiledCode]:
    """What a project worker must load: every active version, plus older versions that still have open
    executions (they replay on the code they started with), plus the ``keep`` (workflow id, version)
    pairs. Each row has ``.workflow`` loaded."""
    has_open_execution = exists().where(
        ExecutionRecord.workflow_id == CompiledCode.workflow_id,
        ExecutionRecord.version == CompiledCode.version,
        ExecutionRecord.status.in_(OPEN_EXECUTION_STATUSES),
    )
    statement = (
        select(CompiledCode)
        .join(CompiledCode.workflow)
        .options(contains_eager(CompiledCode.workflow))
        .where(Workflow.project_id == project_id)
        .where(CompiledCode.is_active.is_(True) | has_open_execution | _one_of(sorted(set(keep))))
        .order_by(Workflow.name, CompiledCode.version)
    )
    return list(session.scalars(statement))


def _one_of(pairs: list[tuple[int, int]]) -> Any:
    if not pairs:
        return false()
    return tuple_(CompiledCode.workflow_id, CompiledCode.version).in_(pairs)
