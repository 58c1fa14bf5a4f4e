"""The Workspace without IPython: the typed services the magics and widgets are views of."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from magic_definitions import APPROVAL, HELLO

from wfb_jupyter import ExecutionHandle, WfbError, Workspace
from wfb_jupyter.errors import DefinitionError, InputError, NotFoundError, StateError


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    from wfb_jupyter.runtime import runtime
    from wfb_jupyter.settings import WfbSettings

    workspace = Workspace(
        WfbSettings(
            database_url=f"sqlite:///{tmp_path / 'wfb.db'}", project=f"ws-{uuid.uuid4().hex[:8]}"
        )
    )
    yield workspace
    runtime().run(workspace.workers.manager().stop_all(), 60)


def test_build_outcomes_and_versions(ws: Workspace) -> None:
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
    dry = ws.versions.build("hello", changed, dry_run=True)
    assert (dry.outcome, dry.version, dry.same_as_version) == ("dry-run", 2, None)
    assert ws.versions.build("hello", HELLO, dry_run=True).same_as_version == 1
    second = ws.versions.build("hello", changed, activate=False)
    assert (second.outcome, second.version, second.active) == ("created", 2, False)
    # Building the first definition again finds version 1 (and makes it active, as a build does).
    back = ws.build("hello", HELLO)
    assert (back.outcome, back.version) == ("unchanged", 1)
    assert [(v.version, v.active, v.step_count) for v in ws.versions.list("hello")] == [
        (1, True, 1),
        (2, False, 1),
    ]
    assert ws.versions.activate("hello", 2).active
    assert ws.versions.manifest("hello")["version"] == 2


def test_a_broken_definition_stores_nothing(ws: Workspace) -> None:
    ws.settings.auto_start_worker = False
    with pytest.raises(DefinitionError) as raised:
        ws.build("hello", HELLO.replace("echo", "ecko"))
    assert [p.path for p in raised.value.problems] == ["steps[0].call"]  # type: ignore[attr-defined]
    assert str(raised.value).startswith(
        "workflow 'hello' was not built (1 error; nothing was stored):"
    )
    assert "line 5 `call: ecko`" in str(raised.value)
    assert ws.versions.workflows() == []


def test_code_and_diff(ws: Workspace) -> None:
    ws.settings.auto_start_worker = False
    ws.build("hello", HELLO)
    ws.build("hello", HELLO.replace("Hello", "Hi"))
    assert 'WORKFLOW_TYPE = "hello.v2"' in ws.versions.code("hello")
    assert ws.versions.code("hello", 1, "definition").startswith("input:\n")
    assert "temporalio" in ws.versions.code("hello", 1, "requirements")
    diff = ws.versions.diff("hello", 1, 2, "definition")
    assert diff.changed and '+    with: {value: "Hi ${input.who}"}' in diff.unified
    with pytest.raises(InputError, match="unknown code kind 'tests'"):
        ws.versions.code("hello", 1, "tests")
    with pytest.raises(
        NotFoundError, match=r"workflow 'hello' has no version 9 \(versions: v1, v2\)"
    ):
        ws.versions.code("hello", 9)


def test_run_returns_a_handle_and_the_records_behind_statistics(
    ws: Workspace, tmp_path: Path
) -> None:
    ws.build("hello", HELLO)
    handle = ws.run("hello", {"who": "Ada"}, wait=True, timeout=60)
    assert isinstance(handle, ExecutionHandle)
    assert handle.outcome is not None and handle.outcome.status == "completed"
    assert handle.result() == "Hello Ada"
    assert handle.status().status == "completed"
    assert handle.link and handle.workflow_id in handle.link
    found = ws.runs.get(handle.workflow_id)
    assert (found.workflow_id, found.run_id, found.version) == (
        handle.workflow_id,
        handle.run_id,
        1,
    )
    assert found.result(timeout=30) == "Hello Ada"
    [summary] = ws.runs.list()
    assert (summary.workflow, summary.version, summary.status) == ("hello", 1, "completed")
    table = ws.stats.summary()
    assert table[["workflow", "version", "executions", "completed"]].values.tolist() == [
        ["hello", 1, 1, 1]
    ]
    assert list(ws.stats.charts("hello")) == [
        "Latest execution",
        "Durations",
        "Percentiles over time",
        "Success rate",
        "Slowest components",
        "Retries",
    ]
    page = ws.stats.write_charts(tmp_path / "charts.html", "hello")
    assert page.exists() and "Latest execution" in page.read_text()
    assert ws.stats.attempts_frame(execution=handle)["step_id"].tolist() == ["greet"]


def test_a_handle_steers_its_execution(ws: Workspace) -> None:
    ws.build("approval", APPROVAL)
    handle = ws.run("approval", {"amount": 5})
    with pytest.raises(InputError, match="signal 'decide' was not sent"):
        handle.signal("decide", {"approved": "maybe"})
    assert handle.signal("decide", {"approved": True}) is None
    assert handle.result(timeout=30) is True
    with pytest.raises(StateError, match="it has already completed"):
        handle.cancel()


def test_projects(ws: Workspace) -> None:
    ws.projects.create("second")
    assert ws.settings.project == "second"
    assert sorted(p.name for p in ws.projects.list()) == ["second"]
    with pytest.raises(NotFoundError, match="there is no project 'third'"):
        ws.projects.use("third")
    with pytest.raises(WfbError, match="project 'second' already exists"):
        ws.projects.create("second")
