from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from wfb_jupyter.compiler import CompiledWorkflow
from wfb_jupyter.storage import (
    CompiledCode,
    ConflictError,
    NotFoundError,
    Project,
    activate_version,
    close_execution,
    create_execution,
    get_compiled_code,
    get_or_create_workflow,
    get_workflow,
    list_compiled_versions,
    list_workflows,
    load_workflows_for_project,
    next_version,
    session_scope,
    store_compiled_code,
)

Build = Callable[..., CompiledWorkflow]


def _store_versions(session: Session, workflow_id: int, build: Build, count: int) -> None:
    for index in range(count):
        version = next_version(session, workflow_id)
        store_compiled_code(session, workflow_id, build(version=version, definition=f"d{index}"))


def _active_versions(session: Session, workflow_id: int) -> list[int]:
    return [v.version for v in list_compiled_versions(session, workflow_id) if v.is_active]


class TestGetOrCreateWorkflow:
    def test_same_project_and_name_give_the_same_workflow(
        self, session: Session, project: Project
    ) -> None:
        first = get_or_create_workflow(session, project.id, "orders")
        assert get_or_create_workflow(session, project.id, "orders").id == first.id
        assert get_or_create_workflow(session, project.id, "refunds").id != first.id


class TestGetWorkflow:
    def test_missing(self, session: Session) -> None:
        with pytest.raises(NotFoundError):
            get_workflow(session, 12345)


class TestListWorkflows:
    def test_by_name(self, session: Session, project: Project) -> None:
        for name in ("b", "a", "c"):
            get_or_create_workflow(session, project.id, name)
        assert [w.name for w in list_workflows(session, project.id)] == ["a", "b", "c"]


class TestNextVersion:
    def test_counts_from_one(self, session: Session, project: Project, compiled: Build) -> None:
        workflow = get_or_create_workflow(session, project.id, "orders")
        assert next_version(session, workflow.id) == 1
        _store_versions(session, workflow.id, compiled, 2)
        assert next_version(session, workflow.id) == 3


class TestStoreCompiledCode:
    def test_keeps_all_code_and_metadata(
        self, engine: Engine, project: Project, compiled: Build
    ) -> None:
        build = compiled()
        with session_scope(engine) as session:
            workflow_id = get_or_create_workflow(session, project.id, "orders").id
            store_compiled_code(session, workflow_id, build)
        with session_scope(engine) as session:
            stored = get_compiled_code(session, workflow_id, 1)
        assert (stored.workflow_code, stored.activities_code, stored.worker_code) == (
            build.workflow_code,
            build.activities_code,
            build.worker_code,
        )
        assert stored.manifest == build.manifest and stored.requirements == build.requirements
        assert (stored.checksum, stored.build_id, stored.compiler_version) == (
            build.checksum,
            build.build_id,
            "0.1.0",
        )
        assert stored.definition_source == build.definition_source and stored.is_active
        assert stored.created_at.tzinfo is not None

    def test_same_checksum_returns_the_existing_version(
        self, session: Session, project: Project, compiled: Build
    ) -> None:
        workflow = get_or_create_workflow(session, project.id, "orders")
        first = store_compiled_code(session, workflow.id, compiled(version=1))
        again = store_compiled_code(
            session, workflow.id, compiled(version=next_version(session, workflow.id))
        )
        assert again.id == first.id and again.version == 1
        assert len(list_compiled_versions(session, workflow.id)) == 1

    def test_changed_definition_becomes_the_new_active_version(
        self, session: Session, project: Project, compiled: Build
    ) -> None:
        workflow = get_or_create_workflow(session, project.id, "orders")
        _store_versions(session, workflow.id, compiled, 3)
        assert _active_versions(session, workflow.id) == [3]

    def test_without_activation_the_active_version_stays(
        self, session: Session, project: Project, compiled: Build
    ) -> None:
        workflow = get_or_create_workflow(session, project.id, "orders")
        store_compiled_code(session, workflow.id, compiled(version=1, definition="a"))
        store_compiled_code(
            session, workflow.id, compiled(version=2, definition="b"), activate=False
        )
        assert _active_versions(session, workflow.id) == [1]

    def test_taken_version_number_with_other_code_is_refused(
        self, session: Session, project: Project, compiled: Build
    ) -> None:
        workflow = get_or_create_workflow(session, project.id, "orders")
        store_compiled_code(session, workflow.id, compiled(version=1, definition="a"))
        with pytest.raises(ConflictError, match="version=2"):
            store_compiled_code(session, workflow.id, compiled(version=1, definition="b"))

    def test_version_argument_must_match_the_code(
        self, session: Session, project: Project, compiled: Build
    ) -> None:
        workflow = get_or_create_workflow(session, project.id, "orders")
        with pytest.raises(ValueError, match="differs"):
            store_compiled_code(session, workflow.id, compiled(version=1), version=2)


class TestGetCompiledCode:
    def test_active_when_no_version_given(
        self, session: Session, project: Project, compiled: Build
    ) -> None:
        workflow = get_or_create_workflow(session, project.id, "orders")
        _store_versions(session, workflow.id, compiled, 2)
        assert get_compiled_code(session, workflow.id).version == 2
        assert get_compiled_code(session, workflow.id, 1).version == 1

    def test_missing_version(self, session: Session, project: Project) -> None:
        workflow = get_or_create_workflow(session, project.id, "orders")
        with pytest.raises(NotFoundError, match="active version"):
            get_compiled_code(session, workflow.id)
        with pytest.raises(NotFoundError, match="version"):
            get_compiled_code(session, workflow.id, 7)


class TestListCompiledVersions:
    def test_in_version_order(self, session: Session, project: Project, compiled: Build) -> None:
        workflow = get_or_create_workflow(session, project.id, "orders")
        _store_versions(session, workflow.id, compiled, 3)
        assert [v.version for v in list_compiled_versions(session, workflow.id)] == [1, 2, 3]


class TestActivateVersion:
    def test_rollback_leaves_exactly_one_active(
        self, engine: Engine, project: Project, compiled: Build
    ) -> None:
        with session_scope(engine) as session:
            workflow_id = get_or_create_workflow(session, project.id, "orders").id
            _store_versions(session, workflow_id, compiled, 3)
        with session_scope(engine) as session:
            assert activate_version(session, workflow_id, 1).is_active
        with session_scope(engine) as session:
            assert _active_versions(session, workflow_id) == [1]
            assert get_compiled_code(session, workflow_id).version == 1

    def test_code_is_unchanged_by_activation(
        self, session: Session, project: Project, compiled: Build
    ) -> None:
        workflow = get_or_create_workflow(session, project.id, "orders")
        _store_versions(session, workflow.id, compiled, 2)
        before = get_compiled_code(session, workflow.id, 1).workflow_code
        activate_version(session, workflow.id, 1)
        assert get_compiled_code(session, workflow.id, 1).workflow_code == before

    def test_unknown_version_changes_nothing(
        self, session: Session, project: Project, compiled: Build
    ) -> None:
        workflow = get_or_create_workflow(session, project.id, "orders")
        _store_versions(session, workflow.id, compiled, 2)
        with pytest.raises(NotFoundError):
            activate_version(session, workflow.id, 9)
        assert _active_versions(session, workflow.id) == [2]

    def test_database_refuses_two_active_versions(
        self, engine: Engine, project: Project, compiled: Build
    ) -> None:
        with session_scope(engine) as session:
            workflow_id = get_or_create_workflow(session, project.id, "orders").id
            _store_versions(session, workflow_id, compiled, 2)
        # Bypassing the repository: the partial unique index itself must refuse a second active version.
        with pytest.raises(ConflictError, match="already holds"), session_scope(engine) as session:
            session.execute(
                update(CompiledCode)
                .where(CompiledCode.workflow_id == workflow_id)
                .values(is_active=True)
            )
        with session_scope(engine) as session:
            active = session.scalars(
                select(CompiledCode.version).where(CompiledCode.is_active.is_(True))
            ).all()
        assert active == [2]


class TestLoadWorkflowsForProject:
    def test_active_versions_and_versions_with_open_executions(
        self, engine: Engine, project: Project, compiled: Build
    ) -> None:
        with session_scope(engine) as session:
            orders = get_or_create_workflow(session, project.id, "orders").id
            refunds = get_or_create_workflow(session, project.id, "refunds").id
            get_or_create_workflow(session, project.id, "never-built")
            for version, definition in ((1, "a"), (2, "b"), (3, "c")):
                store_compiled_code(session, orders, compiled("orders", version, definition))
            store_compiled_code(session, refunds, compiled("refunds", 1, "r"))
            create_execution(session, orders, 1, "run-on-v1", "r1")  # still open
            create_execution(session, orders, 2, "run-on-v2", "r2")
            close_execution(session, "run-on-v2", "r2", "completed")
        with session_scope(engine) as session:
            loaded = load_workflows_for_project(session, project.id)
            pairs = [(row.workflow.name, row.version, row.is_active) for row in loaded]
        assert pairs == [("orders", 1, False), ("orders", 3, True), ("refunds", 1, True)]
        assert all(row.workflow_code for row in loaded)

    def test_versions_asked_to_be_kept_are_loaded_too(
        self, engine: Engine, project: Project, compiled: Build
    ) -> None:
        with session_scope(engine) as session:
            orders = get_or_create_workflow(session, project.id, "orders").id
            for version, definition in ((1, "a"), (2, "b"), (3, "c")):
                store_compiled_code(session, orders, compiled("orders", version, definition))
        with session_scope(engine) as session:
            kept = load_workflows_for_project(session, project.id, keep=[(orders, 2), (orders, 9)])
            assert [(row.version, row.is_active) for row in kept] == [(2, False), (3, True)]
            # A pair naming another project's workflow loads nothing of it.
            assert (
                len(load_workflows_for_project(session, project.id, keep=[(orders + 99, 1)])) == 1
            )

    def test_other_projects_are_not_loaded(
        self, session: Session, project: Project, compiled: Build
    ) -> None:
        from wfb_jupyter.storage import create_project

        other = create_project(session, project.user_id, "other")
        workflow = get_or_create_workflow(session, other.id, "orders")
        store_compiled_code(session, workflow.id, compiled())
        assert load_workflows_for_project(session, project.id) == []
        assert len(load_workflows_for_project(session, other.id)) == 1
