"""The Workspace without IPython: the facade the magics and widgets are views of."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from magic_definitions import HELLO

from compiler import WorkflowDefinitionError
from wfb_jupyter.notebook import WorkspaceError


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Any]:
    from wfb_jupyter._settings import WfbSettings
    from wfb_jupyter._workspace import Workspace
    from wfb_jupyter.runtime import runtime
    from wfb_jupyter.workers import kernel_worker_manager

    workspace = Workspace(
        WfbSettings(
            database_url=f"sqlite:///{tmp_path / 'wfb.db'}", project=f"ws-{uuid.uuid4().hex[:8]}"
        )
    )
    yield workspace
    runtime().run(kernel_worker_manager(workspace.engine).stop_all(), 60)


def test_build_outcomes_and_versions(ws: Any) -> None:
    ws.settings.auto_start_worker = False
    first = ws.build("hello", HELLO)
    assert (first.outcome, first.version, first.active, first.steps) == (
        "created",
        1,
        True,
        ["greet"],
    )
    again = ws.build("hello", HELLO)
    assert (again.outcome, again.version, again.checksum) == ("unchanged", 1, first.checksum)
    changed = HELLO.replace("Hello", "Hi")
    dry = ws.build("hello", changed, dry_run=True)
    assert (dry.outcome, dry.version, dry.same_as_version) == ("dry-run", 2, None)
    assert ws.build("hello", HELLO, dry_run=True).same_as_version == 1
    second = ws.build("hello", changed, activate=False)
    assert (second.outcome, second.version, second.active) == ("created", 2, False)
    # Building the first definition again finds version 1 (and makes it active, as a build does).
    back = ws.build("hello", HELLO)
    assert (back.outcome, back.version) == ("unchanged", 1)
    assert [(v.version, v.active, v.step_count) for v in ws.versions("hello")] == [
        (1, True, 1),
        (2, False, 1),
    ]
    assert ws.activate("hello", 2).active
    assert ws.manifest("hello")["version"] == 2


def test_a_broken_definition_stores_nothing(ws: Any) -> None:
    ws.settings.auto_start_worker = False
    with pytest.raises(WorkflowDefinitionError) as raised:
        ws.build("hello", HELLO.replace("echo", "ecko"))
    assert [p.path for p in raised.value.errors] == ["steps[0].call"]
    assert ws.workflows() == []


def test_code_and_diff(ws: Any) -> None:
    ws.settings.auto_start_worker = False
    ws.build("hello", HELLO)
    ws.build("hello", HELLO.replace("Hello", "Hi"))
    assert 'WORKFLOW_TYPE = "hello.v2"' in ws.code("hello")
    assert ws.code("hello", 1, "definition").startswith("input:\n")
    assert "temporalio" in ws.code("hello", 1, "requirements")
    diff = ws.diff("hello", 1, 2, "definition")
    assert diff.changed and '+    with: {value: "Hi ${input.who}"}' in diff.unified
    with pytest.raises(WorkspaceError, match="unknown code kind 'tests'"):
        ws.code("hello", 1, "tests")


def test_run_wait_and_the_records_behind_statistics(ws: Any, tmp_path: Path) -> None:
    ws.build("hello", HELLO)
    outcome = ws.run("hello", {"who": "Ada"}, wait=True, timeout=60)
    assert (outcome.status, outcome.result) == ("completed", "Hello Ada")
    assert ws.status(outcome.ref.workflow_id).status == "completed"
    assert ws.result(outcome) == "Hello Ada"
    [summary] = ws.executions()
    assert (summary.workflow, summary.version, summary.status) == ("hello", 1, "completed")
    table = ws.stats()
    assert table[["workflow", "version", "executions", "completed"]].values.tolist() == [
        ["hello", 1, 1, 1]
    ]
    assert list(ws.charts("hello")) == [
        "Latest execution",
        "Durations",
        "Percentiles over time",
        "Success rate",
        "Slowest components",
    ]
    page = ws.write_charts(tmp_path / "charts.html", "hello")
    assert page.exists() and "Latest execution" in page.read_text()


def test_projects(ws: Any) -> None:
    ws.create_project("second")
    assert ws.settings.project == "second"
    assert sorted(p.name for p in ws.projects()) == sorted(["second"])
    with pytest.raises(WorkspaceError, match="there is no project 'third'"):
        ws.use_project("third")
