"""Notebook steps on the real server: a for_each of notebook runs, a failing first attempt retried by the
step's policy, and the executed notebooks next to the database, where the workspace's settings put them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from wfb_jupyter import Workspace
from wfb_jupyter.runtime import runtime
from wfb_jupyter.settings import WfbSettings

DEFINITION = """
input:
  items: {type: array, default: [2, 3]}
  marker: string
steps:
  - id: each
    for_each: ${input.items}
    as: item
    concurrency: 2
    steps:
      - id: square
        call: notebook
        with:
          path: flaky.ipynb
          parameters: {number: "${item}", marker: "${input.marker}"}
        retry: {initial_interval: 100ms, max_attempts: 3}
        timeouts: {start_to_close: 2m, heartbeat: 10s}
output: ${steps.each.result}
"""

FLAKY = [
    new_code_cell("number = 0\nmarker = ''", metadata={"tags": ["parameters"]}),
    new_code_cell(
        "from pathlib import Path\n"
        "flag = Path(f'{marker}-{number}')\n"
        "if not flag.exists():\n"
        "    flag.touch()\n"
        "    raise RuntimeError(f'first try of {number}')"
    ),
    new_code_cell("import wfb_jupyter\nwfb_jupyter.output('square', number * number)"),
]


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(new_notebook(cells=FLAKY), notebooks / "flaky.ipynb")
    workspace = Workspace(
        WfbSettings(
            database_url=f"sqlite:///{tmp_path / 'db' / 'wfb.db'}",
            project=f"nb-{uuid.uuid4().hex[:8]}",
            notebook_dir=str(notebooks),
        )
    )
    (tmp_path / "db").mkdir()
    yield workspace
    runtime().run(workspace.workers.manager().stop_all(), 60)


def test_notebook_steps_retry_and_keep_every_attempt(ws: Workspace, tmp_path: Path) -> None:
    ws.build("squares", DEFINITION)
    run = ws.run("squares", {"marker": str(tmp_path / "flag")})
    result = run.result(timeout=120)
    assert [item["outputs"] for item in result] == [{"square": 4}, {"square": 9}]
    executed = tmp_path / "db" / "executed" / run.workflow_id
    files = sorted(path.name for path in executed.glob("*/*.ipynb"))
    assert files == [
        "square-0-attempt1.ipynb",
        "square-0-attempt2.ipynb",
        "square-1-attempt1.ipynb",
        "square-1-attempt2.ipynb",
    ]
    assert [item["executed_notebook"] for item in result] == [
        str(path) for path in sorted(executed.glob("*/square-?-attempt2.ipynb"))
    ]
    first = nbformat.read(next(executed.glob("*/square-1-attempt1.ipynb")), as_version=4)
    assert first.metadata.wfb.status == "failed"
    assert first.metadata.wfb.attempt == 1
    assert first.cells[2].outputs[0]["evalue"] == "first try of 3"
    attempts = _attempts(ws, expected=4)
    failed = attempts[attempts["status"] == "failed"]
    assert sorted(failed["error"]) == [
        f"NotebookCellError: flaky.ipynb: code cell 3 raised RuntimeError: first try of {n} (executed notebook: "
        f"{next(executed.glob(f'*/square-{i}-attempt1.ipynb'))})"
        for i, n in enumerate((2, 3))
    ]


def _attempts(ws: Workspace, expected: int):  # type: ignore[no-untyped-def]
    # Attempts are written in small batches by the worker: wait until all of them are in.
    deadline = time.monotonic() + 30
    while True:
        frame = ws.stats.attempts_frame("squares")
        if len(frame) >= expected or time.monotonic() > deadline:
            return frame
        time.sleep(0.1)
