"""The ``notebook`` component in a real kernel, without a server: parameters, outputs, errors, timeouts,
cancellation. Every test checks that the kernel it started is gone."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from wfb_jupyter._outputs import OUTPUT_MIME, notebook_outputs
from wfb_jupyter.components import NotebookPlaces, builtins
from wfb_jupyter.components._notebook_parameters import (
    INJECTED_TAG,
    ParameterError,
    inject_parameters,
)
from wfb_jupyter.components._notebook_places import _places

PARAMETERS = new_code_cell("rows = 3\nlabel = 'x'", metadata={"tags": ["parameters"]})


@pytest.fixture
def places(tmp_path: Path) -> Iterator[NotebookPlaces]:
    """Notebooks under tmp/notebooks, executed ones under tmp/executed (as a worker would set them)."""
    chosen = NotebookPlaces(tmp_path / "notebooks", tmp_path / "executed")
    chosen.base_dir.mkdir()
    token = _places.set(chosen)
    try:
        yield chosen
    finally:
        _places.reset(token)


def write(places: NotebookPlaces, name: str, *cells: Any) -> Path:
    path = places.base_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=list(cells)), path)
    return path


def kernels_of(pid_file: Path) -> list[int]:
    return [int(line) for line in pid_file.read_text().split()] if pid_file.exists() else []


def wait_until_gone(pid: int) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.1)
    return False


def failure_of(call: Callable[[], Any]) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        asyncio.run(call())
    return caught.value


def test_parameters_outputs_and_the_executed_notebook(places: NotebookPlaces) -> None:
    write(
        places,
        "steps/extract.ipynb",
        new_markdown_cell("# Extract"),
        PARAMETERS,
        new_code_cell(
            "import os, wfb_jupyter\n"
            "wfb_jupyter.output('rows', rows * 2)\n"
            "wfb_jupyter.output('where', os.getcwd())\n"
            "wfb_jupyter.output('pid', os.getpid())\n"
            "print(label)"
        ),
        new_code_cell("wfb_jupyter.output('rows', rows * 3)"),
    )
    result = asyncio.run(builtins.notebook("steps/extract.ipynb", {"rows": 5, "label": "It's\n"}))
    outputs = result["outputs"]
    assert outputs["rows"] == 15  # a later output of the same name wins
    assert outputs["where"] == str(places.base_dir / "steps")  # the kernel starts in its folder
    assert wait_until_gone(outputs["pid"])
    executed = Path(result["executed_notebook"])
    assert executed.parent.parent == places.executed_dir / "local"
    assert executed.parent.name == nbformat.read(executed, as_version=4).metadata.wfb.run_id
    assert executed.name == "extract-attempt1.ipynb"
    notebook = nbformat.read(executed, as_version=4)
    injected = notebook.cells[2]
    assert injected.metadata.tags == [INJECTED_TAG]
    assert injected.source.splitlines()[1:] == ["rows = 5", 'label = "It\'s\\n"']
    assert [cell.get("execution_count") for cell in notebook.cells if cell.cell_type == "code"] == [
        1,
        2,
        3,
        4,
    ]
    assert notebook.metadata.wfb.status == "completed"
    assert notebook.metadata.wfb.parameters == {"rows": 5, "label": "It's\n"}
    assert notebook_outputs(notebook.cells) == outputs
    shown = notebook.cells[3].outputs
    assert any(o.get("text") == "It's\n\n" for o in shown)  # the parameter reached the code
    assert {OUTPUT_MIME, "text/plain"} <= set(shown[0]["data"])


def test_a_cell_that_raises_fails_the_attempt_with_its_number(places: NotebookPlaces) -> None:
    write(
        places,
        "broken.ipynb",
        PARAMETERS,
        new_code_cell("import os\nprint(os.getpid())"),
        new_code_cell("raise ValueError(f'{rows} rows are too few')"),
        new_code_cell("print('never runs')"),
    )
    error = failure_of(lambda: builtins.notebook("broken.ipynb", {"rows": 2}))
    details = error.details[0]
    assert (error.type, error.non_retryable) == ("NotebookCellError", False)
    assert (details["cell"], details["ename"], details["evalue"]) == (
        4,
        "ValueError",
        "2 rows are too few",
    )
    assert error.message == (
        "broken.ipynb: code cell 4 raised ValueError: 2 rows are too few "
        f"(executed notebook: {details['executed_notebook']})"
    )
    notebook = nbformat.read(details["executed_notebook"], as_version=4)
    assert notebook.metadata.wfb.status == "failed"
    assert notebook.metadata.wfb.error == error.message
    assert notebook.cells[3].execution_count == 4
    assert notebook.cells[3].outputs[0]["output_type"] == "error"
    assert notebook.cells[4].outputs == []
    pid = int(notebook.cells[2].outputs[0]["text"])
    assert wait_until_gone(pid)


def test_without_a_parameters_cell_the_values_come_first(places: NotebookPlaces) -> None:
    write(places, "plain.ipynb", new_code_cell("import wfb_jupyter\nwfb_jupyter.output('n', n)"))
    result = asyncio.run(builtins.notebook("plain.ipynb", {"n": [1, {"a": None}]}))
    assert result["outputs"] == {"n": [1, {"a": None}]}
    notebook = nbformat.read(result["executed_notebook"], as_version=4)
    assert notebook.cells[0].metadata.tags == [INJECTED_TAG]


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (
            {"rowz": 1},
            "extract.ipynb has no parameter 'rowz' (its parameters cell sets label, rows)",
        ),
        ({"rows": float("nan")}, "parameter 'rows': nan is not a JSON number"),
        ({"rows": {1: 2}}, "parameter 'rows': the keys of a dict must be text"),
        ({"import os": 1}, "'import os' cannot be a parameter name: use letters, digits and _"),
        ({"rows": object()}, "parameter 'rows': a object is not a JSON value"),
    ],
)
def test_parameters_that_cannot_be_given_are_refused(
    places: NotebookPlaces, parameters: dict[str, Any], message: str
) -> None:
    write(places, "extract.ipynb", PARAMETERS)
    error = failure_of(lambda: builtins.notebook("extract.ipynb", parameters))
    assert (error.type, error.non_retryable, error.message) == ("InvalidArguments", True, message)


def test_an_injected_cell_holds_literals_only() -> None:
    hostile = "'); import os; os.system('echo pwned'); ('"
    notebook = new_notebook(cells=[new_code_cell("x = 1", metadata={"tags": ["parameters"]})])
    inject_parameters(notebook, {"x": {"k": [hostile, True, None, 1.5]}}, "n.ipynb")
    inject_parameters(notebook, {"x": hostile}, "n.ipynb")  # replaces the first injected cell
    assert len(notebook.cells) == 2
    source = notebook.cells[1].source
    namespace: dict[str, Any] = {}
    exec(compile(source, "<injected>", "exec"), {"__builtins__": {}}, namespace)
    assert namespace == {"x": hostile}
    with pytest.raises(ParameterError):
        inject_parameters(notebook, {"__class__": 1}, "n.ipynb")


def test_missing_and_wrong_files_fail_without_retry(places: NotebookPlaces) -> None:
    missing = failure_of(lambda: builtins.notebook("nope/missing.ipynb"))
    assert (missing.type, missing.non_retryable) == ("NotebookNotFound", True)
    assert missing.message == (
        f"no notebook at {places.base_dir / 'nope' / 'missing.ipynb'} "
        f"(relative paths start at {places.base_dir})"
    )
    (places.base_dir / "notes.txt").write_text("hello")
    assert failure_of(lambda: builtins.notebook("notes.txt")).type == "InvalidArguments"
    (places.base_dir / "bad.ipynb").write_text("{not json")
    bad = failure_of(lambda: builtins.notebook("bad.ipynb"))
    assert (bad.type, bad.non_retryable) == ("NotebookInvalid", True)


def test_an_output_that_is_not_json_fails_its_cell(places: NotebookPlaces) -> None:
    write(places, "set.ipynb", new_code_cell("import wfb_jupyter\nwfb_jupyter.output('s', {1, 2})"))
    error = failure_of(lambda: builtins.notebook("set.ipynb"))
    assert error.type == "NotebookCellError"
    assert "output 's' must be JSON" in error.message


def test_a_cell_past_its_timeout_stops_the_kernel(places: NotebookPlaces) -> None:
    pid_file = places.base_dir / "pids"
    write(
        places,
        "slow.ipynb",
        new_code_cell(f"import os\nopen({str(pid_file)!r}, 'a').write(f'{{os.getpid()}}\\n')"),
        new_code_cell("import time\ntime.sleep(60)"),
    )
    error = failure_of(lambda: builtins.notebook("slow.ipynb", cell_timeout=1))
    assert (error.type, error.non_retryable) == ("NotebookCellTimeout", False)
    assert error.message.startswith("slow.ipynb: code cell 2 ran longer than cell_timeout=1s")
    assert all(wait_until_gone(pid) for pid in kernels_of(pid_file))


def activity_environment(**info: Any) -> tuple[ActivityEnvironment, list[Any]]:
    """An activity started now, heartbeating often, with the heartbeats it sent."""
    env = ActivityEnvironment()
    chosen = {
        "heartbeat_timeout": timedelta(seconds=0.6),
        "started_time": datetime.now(timezone.utc),
        "start_to_close_timeout": None,
        **info,
    }
    env.info = dataclasses.replace(env.info, **chosen)
    beats: list[Any] = [{"cell": 0}]
    env.on_heartbeat = lambda *details: beats.append(details[0])
    return env, beats


def test_the_kernel_stops_when_the_start_to_close_timeout_passes(places: NotebookPlaces) -> None:
    pid_file = places.base_dir / "pids"
    write(
        places,
        "late.ipynb",
        new_code_cell(f"import os\nopen({str(pid_file)!r}, 'a').write(f'{{os.getpid()}}\\n')"),
        new_code_cell("import time\ntime.sleep(600)"),
    )
    env, _ = activity_environment(start_to_close_timeout=timedelta(seconds=4))
    error = failure_of(lambda: env.run(builtins.notebook, "late.ipynb"))
    assert (error.type, error.non_retryable) == ("NotebookTimeout", False)
    assert error.message.startswith("late.ipynb did not finish within the step's start-to-close")
    assert all(wait_until_gone(pid) for pid in kernels_of(pid_file))
    notebook = nbformat.read(error.details[0]["executed_notebook"], as_version=4)
    assert notebook.metadata.wfb.status == "timed out"


def test_cancelling_the_step_stops_the_kernel(places: NotebookPlaces) -> None:
    """Cancellation reaches an activity through its heartbeats; the kernel is killed, and the executed
    notebook says it was cancelled."""
    pid_file = places.base_dir / "pids"
    write(
        places,
        "forever.ipynb",
        new_code_cell(f"import os\nopen({str(pid_file)!r}, 'a').write(f'{{os.getpid()}}\\n')"),
        new_code_cell("import time\ntime.sleep(600)"),
    )
    env, beats = activity_environment(activity_id="forever[0]", attempt=2)

    async def run_and_cancel() -> None:
        task = asyncio.ensure_future(env.run(builtins.notebook, "forever.ipynb"))
        while not task.done() and not (kernels_of(pid_file) and beats[-1]["cell"] == 2):
            await asyncio.sleep(0.1)
        env.cancel()
        await task

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(run_and_cancel())
    assert all(wait_until_gone(pid) for pid in kernels_of(pid_file))
    executed = Path(beats[-1]["executed_notebook"])
    assert executed.name == "forever-0-attempt2.ipynb"
    assert beats[-1]["cells"] == 2
    notebook = nbformat.read(executed, as_version=4)
    assert (notebook.metadata.wfb.status, notebook.metadata.wfb.error) == (
        "cancelled",
        "the step was cancelled",
    )
    assert json.dumps(notebook.metadata.wfb.parameters) == "{}"


def test_where_notebooks_are_found_and_kept(tmp_path: Path) -> None:
    from wfb_jupyter.settings import WfbSettings

    sqlite = WfbSettings(environment={}, database_url=f"sqlite:///{tmp_path / 'db' / 'wfb.db'}")
    assert NotebookPlaces.of(sqlite.resolve()) == NotebookPlaces(
        Path.cwd(), tmp_path / "db" / "executed"
    )
    other = WfbSettings(
        environment={"WFB_DATA_DIR": str(tmp_path / "data")}, database_url="postgresql://h/db"
    )
    assert other.resolve().executed_dir == tmp_path / "data" / "executed"
    chosen = WfbSettings(
        environment={"WFB_NOTEBOOK_DIR": str(tmp_path / "nb"), "WFB_EXECUTED_DIR": "/srv/runs"}
    )
    assert NotebookPlaces.of(chosen.resolve()) == NotebookPlaces(tmp_path / "nb", Path("/srv/runs"))


def test_outputs_come_back_as_plain_json_types() -> None:
    """nbformat reads a notebook's objects as NotebookNode; the step's result must hold plain dicts, which is
    what the data converter passes between steps."""
    document = {"name": "rows", "value": [{"region": "north", "total": 3}]}
    cell = nbformat.from_dict({"outputs": [{"data": {OUTPUT_MIME: document}}]})
    (row,) = notebook_outputs([cell])["rows"]
    assert type(row) is dict and row == {"region": "north", "total": 3}
