from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from wfb_jupyter.storage import (
    NotFoundError,
    Project,
    create_project,
    get_component,
    list_component_versions,
    list_components,
    store_component,
)

SOURCE_V1 = "def clean(rows):\n    return rows\n"
SOURCE_V2 = "def clean(rows):\n    return [r for r in rows if r]\n"


def store(session: Session, project_id: str, source: str, name: str = "clean") -> int:
    return store_component(
        session,
        project_id,
        name=name,
        function="clean",
        source=source,
        imports=["import json"],
        parameters=[{"name": "rows", "type": "array", "required": True}],
    ).version


class TestStoreComponent:
    def test_same_content_same_version_new_content_next_version(
        self, session: Session, project: Project
    ) -> None:
        assert store(session, project.id, SOURCE_V1) == 1
        assert store(session, project.id, SOURCE_V1) == 1
        assert store(session, project.id, SOURCE_V2) == 2
        # Going back to earlier content finds the version that has it; versions are immutable.
        assert store(session, project.id, SOURCE_V1) == 1

    def test_keeps_imports_and_parameters(self, session: Session, project: Project) -> None:
        store(session, project.id, SOURCE_V1)
        row = get_component(session, project.id, "clean")
        assert row.imports == ["import json"]
        assert row.parameters == [{"name": "rows", "type": "array", "required": True}]


class TestGetComponent:
    def test_latest_or_given_version(self, session: Session, project: Project) -> None:
        store(session, project.id, SOURCE_V1)
        store(session, project.id, SOURCE_V2)
        assert get_component(session, project.id, "clean").source == SOURCE_V2
        assert get_component(session, project.id, "clean", 1).source == SOURCE_V1
        with pytest.raises(NotFoundError):
            get_component(session, project.id, "clean", 3)


class TestListComponents:
    def test_latest_version_of_each_in_this_project(
        self, session: Session, project: Project
    ) -> None:
        store(session, project.id, SOURCE_V1)
        store(session, project.id, SOURCE_V2)
        store(session, project.id, SOURCE_V1, name="another")
        other = create_project(session, project.user_id, "other")
        store(session, other.id, SOURCE_V1, name="elsewhere")
        listed = [(c.name, c.version) for c in list_components(session, project.id)]
        assert listed == [("another", 1), ("clean", 2)]


class TestListComponentVersions:
    def test_in_order(self, session: Session, project: Project) -> None:
        store(session, project.id, SOURCE_V1)
        store(session, project.id, SOURCE_V2)
        assert [c.version for c in list_component_versions(session, project.id, "clean")] == [1, 2]
