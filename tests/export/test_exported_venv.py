"""An exported version in a virtual environment of its own: installed from its requirements, its worker run
against the session's Temporal server, an execution completed, the worker stopped.

The environment is built once per session (``pip install`` from the machine's package index and cache, with
wfb-jupyter from this repository, since it is not on an index): about a minute. Run it alone with
``pytest -m venv tests/export``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import wfb_jupyter
from wfb_jupyter import Workspace
from wfb_jupyter.settings import WfbSettings

pytestmark = pytest.mark.venv

DEFINITION = """
input:
  name: {type: string, default: world}
steps:
  - id: greet
    call: echo
    with: {value: "Hello, ${input.name}!"}
  - id: shout
    call: notebook
    with: {path: shout.ipynb, parameters: {text: "${steps.greet.result}"}}
    timeouts: {start_to_close: 2m, heartbeat: 20s}
output: ${steps.shout.result.outputs.loud}
"""

SHOUT = new_notebook(
    cells=[
        new_code_cell("text = ''", metadata={"tags": ["parameters"]}),
        new_code_cell("import wfb_jupyter\nwfb_jupyter.output('loud', text.upper())"),
    ]
)

_NO_INSTALL = (
    "No matching distribution",
    "Could not find a version",
    "Network is unreachable",
    "Temporary failure in name resolution",
    "Max retries exceeded",
)


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the exported project, the Python of its virtual environment)."""
    base = tmp_path_factory.mktemp("export")
    ws = Workspace(
        WfbSettings(
            database_url=f"sqlite:///{base / 'wfb.db'}", project="exported", auto_start_worker=False
        )
    )
    ws.build("shout", DEFINITION)
    project = base / "project"
    ws.versions.export("shout", project)
    nbformat.write(SHOUT, project / "shout.ipynb")
    repository = Path(wfb_jupyter.__file__).resolve().parent.parent
    if not (repository / "pyproject.toml").is_file():
        pytest.skip(f"wfb-jupyter is not installed from a source folder ({repository})")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(repository),
         "-r", str(project / "requirements.txt")],
        capture_output=True, text=True, timeout=900, env=_clean_environment(),
    )  # fmt: skip
    if install.returncode != 0:
        tail = "\n".join((install.stdout + install.stderr).strip().splitlines()[-5:])
        if any(marker in install.stderr for marker in _NO_INSTALL):
            pytest.skip(f"pip cannot install the exported requirements here: {tail}")
        pytest.fail(f"pip install -r requirements.txt failed:\n{tail}")
    return project, python


def _clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without what points at its own interpreter or database."""
    dropped = ("PYTHONPATH", "VIRTUAL_ENV", "WFB_DATABASE_URL", "TEMPORAL_ADDRESS")
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    return {**env, **extra}


@pytest.fixture
def worker(
    exported: tuple[Path, Path], temporal_address: str, tmp_path: Path
) -> Iterator[tuple[str, Path]]:
    """``python run.py worker`` on a task queue of its own, in its own process group; stopped after."""
    project, python = exported
    queue = f"exported-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = _clean_environment(
        TEMPORAL_ADDRESS=temporal_address,
        WFB_TASK_QUEUE=queue,
        WFB_NOTEBOOK_DIR=str(project),
        WFB_EXECUTED_DIR=str(tmp_path / "executed"),
    )
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(python), "run.py", "worker"], cwd=project, env=env, stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        _wait_for(log, "serving shout.v1", process)
        yield queue, tmp_path / "executed"
    finally:
        _stop(process)
    assert "stopped" in log.read_text()  # it shut down cleanly on SIGTERM


def test_the_exported_worker_completes_an_execution_in_its_own_venv(
    exported: tuple[Path, Path], worker: tuple[str, Path], temporal_address: str
) -> None:
    project, python = exported
    queue, executed = worker
    started = subprocess.run(
        [str(python), "run.py", "start", "--input", json.dumps({"name": "Ada"})],
        cwd=project, capture_output=True, text=True, timeout=180,
        env=_clean_environment(TEMPORAL_ADDRESS=temporal_address, WFB_TASK_QUEUE=queue),
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    first, result = started.stdout.splitlines()
    assert first.startswith("started shout-")
    assert json.loads(result) == "HELLO, ADA!"
    workflow_id = first.removeprefix("started ")
    (kept,) = (executed / workflow_id).glob("*/shout-attempt1.ipynb")
    assert nbformat.read(kept, as_version=4).metadata.wfb.status == "completed"
    # The interpreter that ran it was the environment's own, with wfb-jupyter installed in it.
    where = subprocess.run(
        [str(python), "-c", "import wfb_jupyter, sys; print(wfb_jupyter.__file__, sys.prefix)"],
        cwd=project, capture_output=True, text=True, check=True, env=_clean_environment(),
    )  # fmt: skip
    module, prefix = where.stdout.split()
    assert Path(prefix) == python.parent.parent
    assert Path(module).is_relative_to(python.parent.parent)


def test_the_stored_worker_script_runs_there_too(
    exported: tuple[Path, Path], temporal_address: str, tmp_path: Path
) -> None:
    """``worker.py`` as the compiler wrote it, with an execution started by a plain temporalio client."""
    project, python = exported
    queue = f"plain-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = _clean_environment(
        WFB_NOTEBOOK_DIR=str(project),
        WFB_EXECUTED_DIR=str(tmp_path),
        PYTHONUNBUFFERED="1",  # worker.py prints its "polling" line without flushing
    )
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(python), "worker.py", "--address", temporal_address, "--task-queue", queue],
            cwd=project, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        _wait_for(log, "polling", process)
        started = subprocess.run(
            [str(python), "run.py", "start", "--input", "{}"],
            cwd=project, capture_output=True, text=True, timeout=180,
            env=_clean_environment(TEMPORAL_ADDRESS=temporal_address, WFB_TASK_QUEUE=queue),
        )  # fmt: skip
        assert started.returncode == 0, started.stderr + log.read_text(errors="replace")[-2000:]
        assert json.loads(started.stdout.splitlines()[-1]) == "HELLO, WORLD!"
    finally:
        _stop(process)


def _wait_for(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while text not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the worker did not start: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the worker's process group (its notebook kernels too), SIGKILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
