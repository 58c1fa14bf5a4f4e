from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from wfb_jupyter.storage import (
    ConflictError,
    NotFoundError,
    Project,
    create_project,
    create_storage_engine,
    create_user,
    get_or_create_project,
    get_or_create_user,
    get_project,
    get_project_by_name,
    get_user,
    list_projects,
    session_scope,
    slugify,
    upgrade_database,
)


class TestSlugify:
    @pytest.mark.parametrize(
        ("name", "slug"),
        [
            ("Alice Smith", "alice-smith"),
            ("Zoë", "zoe"),
            ("ETL / nightly!", "etl-nightly"),
            ("???", "x"),
        ],
    )
    def test_readable_ascii_ids(self, name: str, slug: str) -> None:
        assert slugify(name) == slug


class TestCreateUser:
    def test_id_is_the_slug_of_the_name(self, session: Session) -> None:
        assert create_user(session, "Alice Smith").id == "alice-smith"

    def test_names_that_slugify_alike_get_distinct_ids(self, session: Session) -> None:
        first, second = create_user(session, "Bob"), create_user(session, "bob")
        assert (first.id, second.id) == ("bob", "bob-2")

    def test_names_are_unique(self, session: Session) -> None:
        create_user(session, "Carol")
        with pytest.raises(ConflictError, match="Carol"):
            create_user(session, "Carol")


class TestGetUser:
    def test_missing_user_is_named(self, session: Session) -> None:
        with pytest.raises(NotFoundError, match="nobody"):
            get_user(session, "nobody")


class TestGetOrCreateUser:
    def test_second_call_returns_the_same_user(self, session: Session) -> None:
        assert get_or_create_user(session, "Dan").id == get_or_create_user(session, "Dan").id


class TestCreateProject:
    def test_task_queue_is_user_id_dash_project_id(self, session: Session) -> None:
        user = create_user(session, "Alice")
        project = create_project(session, user.id, "ETL jobs", "nightly loads")
        assert re.fullmatch(r"etl-jobs-[0-9a-f]{8}", project.id)
        assert project.task_queue == f"alice-{project.id}"
        assert project.execution_count == 0 and project.description == "nightly loads"

    def test_names_are_unique_per_user_not_globally(self, session: Session) -> None:
        alice, bob = create_user(session, "Alice"), create_user(session, "Bob")
        mine = create_project(session, alice.id, "etl")
        theirs = create_project(session, bob.id, "etl")
        assert mine.id != theirs.id
        assert theirs.task_queue == f"bob-{theirs.id}"
        with pytest.raises(ConflictError):
            create_project(session, alice.id, "etl")

    def test_task_queues_differ_between_databases(self, tmp_path: Path) -> None:
        """Two databases (a tutorial's and the default one, say) with the same user and project names share
        one Temporal namespace: their projects must not share a task queue."""
        queues = []
        for name in ("one.db", "two.db"):
            engine = create_storage_engine(f"sqlite:///{tmp_path / name}")
            upgrade_database(engine)
            with session_scope(engine) as session:
                queues.append(
                    get_or_create_project(
                        session, create_user(session, "tutorial").id, "default"
                    ).task_queue
                )
            engine.dispose()
        assert queues[0] != queues[1]
        assert all(queue.startswith("tutorial-default-") for queue in queues)

    def test_unknown_user(self, session: Session) -> None:
        with pytest.raises(NotFoundError):
            create_project(session, "ghost", "etl")


class TestGetProject:
    def test_loads_the_user_with_the_project(self, engine: Engine, project: Project) -> None:
        with session_scope(engine) as session:
            loaded = get_project(session, project.id)
        assert (loaded.user.name, loaded.task_queue) == ("Alice", f"alice-{project.id}")

    def test_missing(self, session: Session) -> None:
        with pytest.raises(NotFoundError, match="project"):
            get_project(session, "nope")


class TestGetProjectByName:
    def test_found_and_not_found(self, session: Session, project: Project) -> None:
        found = get_project_by_name(session, "alice", "ETL jobs")
        assert found is not None and found.id == project.id
        assert get_project_by_name(session, "alice", "other") is None


class TestGetOrCreateProject:
    def test_idempotent(self, session: Session) -> None:
        user = create_user(session, "Eve")
        assert (
            get_or_create_project(session, user.id, "p").id
            == get_or_create_project(session, user.id, "p").id
        )


class TestListProjects:
    def test_filters_by_user(self, session: Session) -> None:
        alice, bob = create_user(session, "Alice"), create_user(session, "Bob")
        create_project(session, alice.id, "one")
        create_project(session, alice.id, "two")
        create_project(session, bob.id, "three")
        assert [p.name for p in list_projects(session, alice.id)] == ["one", "two"]
        assert len(list_projects(session)) == 3
