"""Builds and storage agree (issue 13, item 15, and "a version that cannot load never reaches a worker"):
what a build compiles against is exactly what is stored, and a build that would not load is refused, as a
definition error with the step's line, storing nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wfb_jupyter.builds import compile_and_store
from wfb_jupyter.compiler import (
    ComponentCatalogue,
    ComponentParameter,
    ComponentSpec,
    WorkflowDefinitionError,
)
from wfb_jupyter.components import builtin_catalogue
from wfb_jupyter.storage import (
    list_component_versions,
    list_workflows,
    session_scope,
    store_component,
)

ETL = """
name: daily-etl
steps:
  - id: totals
    call: transform_totals
    with: {rows: [1, 2, 3]}
"""

VERSION_ONE = """
from wfb_jupyter.components import component

@component
def transform_totals(rows: list) -> int:
    return sum(rows)
"""


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Any]:
    from wfb_jupyter import Workspace
    from wfb_jupyter.settings import WfbSettings

    workspace = Workspace(
        WfbSettings(
            database_url=f"sqlite:///{tmp_path / 'wfb.db'}",
            project=f"etl-{uuid.uuid4().hex[:8]}",
            auto_start_worker=False,
        )
    )
    yield workspace
    workspace.engine.dispose()


def test_a_rebuild_after_a_rollback_is_the_stored_version(ws: Any, notebook: Any) -> None:
    # Item 15: the catalogue numbered the component latest+1 while storing it matched v1 and stored
    # nothing, so v3 was built against a component version no worker could find, and activated.
    notebook.run(VERSION_ONE)
    assert ws.build("daily-etl", ETL).version == 1
    notebook.run(VERSION_ONE.replace("sum(rows)", "sum(rows) * 2"))
    assert ws.build("daily-etl", ETL).version == 2
    ws.versions.activate("daily-etl", 1)
    notebook.run(VERSION_ONE)  # the notebook from the top again: the component is its v1 again
    assert ws.versions.build("daily-etl", ETL, dry_run=True).same_as_version == 1
    rebuilt = ws.build("daily-etl", ETL)
    assert (rebuilt.outcome, rebuilt.version, rebuilt.active) == ("unchanged", 1, True)
    assert [(v.version, v.active) for v in ws.versions.list("daily-etl")] == [(1, True), (2, False)]
    components = {c.name: c.version for c in ws.versions.components()}
    assert components["transform_totals"] == 1


def test_a_build_against_a_component_version_that_is_not_stored_is_refused(
    engine: Any, project: Any
) -> None:
    spec = ComponentSpec(
        name="transform_totals",
        kind="user",
        version=3,
        parameters=(ComponentParameter("rows"),),
        function="transform_totals",
        source="def transform_totals(rows):\n    return sum(rows)\n",
    )
    catalogue = ComponentCatalogue.of([*builtin_catalogue().components.values(), spec])
    with pytest.raises(WorkflowDefinitionError) as raised, session_scope(engine) as session:
        compile_and_store(session, project.id, ETL, catalogue=catalogue)
    message = str(raised.value)
    assert "line 5, column 5: steps[0].call: component 'transform_totals' version 3" in message
    assert "is not stored in this project" in message
    with session_scope(engine) as session:
        assert list_workflows(session, project.id) == []


def test_a_build_whose_component_does_not_import_is_refused(engine: Any, project: Any) -> None:
    with session_scope(engine) as session:
        store_component(
            session,
            project.id,
            name="transform_totals",
            function="transform_totals",
            source="def transform_totals(rows):\n    return rows\n",
            imports=("import no_such_module_anywhere",),
            parameters=[{"name": "rows"}],
        )
    with pytest.raises(WorkflowDefinitionError) as raised, session_scope(engine) as session:
        compile_and_store(session, project.id, ETL)
    message = str(raised.value)
    assert "steps[0].call: component 'transform_totals' v1 does not load" in message
    assert "No module named 'no_such_module_anywhere'" in message
    with session_scope(engine) as session:
        assert list_workflows(session, project.id) == []
        assert [c.version for c in list_component_versions(session, project.id, "transform_totals")]


def test_a_good_build_leaves_no_check_modules_behind(engine: Any, project: Any) -> None:
    from wfb_jupyter.runtime import compiled_modules

    with session_scope(engine) as session:
        compile_and_store(
            session, project.id, ETL.replace("transform_totals", "echo").replace("rows", "value")
        )
    assert not [name for name in compiled_modules().registered() if "_build_check_" in name]
