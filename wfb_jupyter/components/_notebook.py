"""The ``notebook`` component: run a notebook in a fresh kernel with parameters, return what it marked as outputs.

The kernel is this worker's own Python (``sys.executable``), so a notebook can import what the worker can,
wfb_jupyter included. It starts in the notebook's folder, as Jupyter starts it, and it is stopped whatever
happens: at the end, when a cell fails or times out, when the step is cancelled or its start-to-close timeout
passes. The executed notebook, outputs and errors included, is written after every cell, so a failed or a
long-running attempt can be opened and read while the workflow goes on.

Cells are counted as Jupyter numbers them: ``code cell 3`` is the one shown as ``[3]`` in the executed
notebook, where the injected parameters cell is counted too.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import tempfile
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from wfb_jupyter._outputs import notebook_outputs
from wfb_jupyter.components._notebook_parameters import ParameterError, inject_parameters
from wfb_jupyter.components._notebook_places import current_places

_HEARTBEAT_SECONDS = 5.0
_STDERR_TAIL = 800


def _failure(message: str, error_type: str, *, retryable: bool, **details: Any) -> ApplicationError:
    return ApplicationError(
        message, *([details] if details else []), type=error_type, non_retryable=not retryable
    )


async def run_notebook(
    path: str,
    parameters: Mapping[str, Any] | None = None,
    *,
    cell_timeout: float | None = None,
    startup_timeout: float = 60.0,
) -> dict[str, Any]:
    """Execute the notebook at ``path`` (relative to the notebook directory) with ``parameters``.

    Returns ``{"outputs": {name: value}, "executed_notebook": path}``. A cell that raises fails the attempt
    (``NotebookCellError``, retried by the step's retry policy), as do a cell past ``cell_timeout``
    (``NotebookCellTimeout``) and a kernel that dies or does not start; a missing or unreadable notebook
    and bad parameters fail without retry.
    """
    if cell_timeout is not None and cell_timeout <= 0 or startup_timeout <= 0:
        raise _failure(
            "cell_timeout and startup_timeout must be positive", "InvalidArguments", retryable=False
        )
    places = current_places()
    source = _locate(path, places.base_dir)
    notebook = await asyncio.to_thread(_read, source)
    try:
        inject_parameters(notebook, dict(parameters or {}), source.name)
    except ParameterError as error:
        raise _failure(str(error), "InvalidArguments", retryable=False) from None
    attempt = _attempt()
    target = _executed_path(places.executed_dir, source, attempt)
    notebook.metadata["wfb"] = {
        "source": str(source),
        "parameters": dict(parameters or {}),
        **attempt,
    }
    run = _KernelRun(notebook, source, target, cell_timeout, startup_timeout)
    await run.save("running")
    task = asyncio.ensure_future(run.execute())
    try:
        await _watch(task, run)
    except BaseException:
        # Cancelled (or the overall timeout passed): stop the kernel before going.
        run.stop_now = True
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        raise
    return {"outputs": notebook_outputs(notebook.cells), "executed_notebook": str(target)}


async def _watch(task: asyncio.Future[None], run: _KernelRun) -> None:
    """Heartbeat while the kernel works (cancellation reaches an activity through its heartbeats), and give
    up when the attempt's start-to-close timeout has passed."""
    interval, deadline = _HEARTBEAT_SECONDS, None
    if activity.in_activity():
        info = activity.info()
        if info.heartbeat_timeout:
            interval = max(0.2, min(interval, info.heartbeat_timeout.total_seconds() / 3))
        if info.start_to_close_timeout:
            deadline = info.started_time + info.start_to_close_timeout
    while True:
        if activity.in_activity():
            activity.heartbeat(run.progress())
        done, _ = await asyncio.wait({task}, timeout=interval)
        if done:
            task.result()
            return
        if deadline is not None and datetime.now(timezone.utc) >= deadline:
            message = (
                f"{run.source.name} did not finish within the step's start-to-close timeout "
                f"(executed notebook: {run.target})"
            )
            run.stopped_because = ("timed out", message)
            raise _failure(message, "NotebookTimeout", retryable=True, **run.progress())


class _KernelRun:
    """One execution of a notebook in a kernel of its own."""

    def __init__(
        self,
        notebook: Any,
        source: Path,
        target: Path,
        cell_timeout: float | None,
        startup_timeout: float,
    ) -> None:
        self.notebook = notebook
        self.source = source
        self.target = target
        self.cell_timeout = cell_timeout
        self.startup_timeout = startup_timeout
        self.cell = 0  # the cell running now, from 1
        self.stop_now = False  # kill the kernel rather than ask it to shut down
        self.stopped_because: tuple[str, str] | None = (
            None  # (status, why) when stopped from outside
        )

    def progress(self) -> dict[str, Any]:
        return {
            "cell": self.cell,
            "cells": len(self.notebook.cells),
            "executed_notebook": str(self.target),
        }

    async def save(self, status: str, error: str | None = None) -> None:
        self.notebook.metadata["wfb"].update(status=status, error=error)
        await asyncio.to_thread(_write, self.notebook, self.target)

    async def execute(self) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from nbclient import NotebookClient

        manager = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=_worker_python())
        client = NotebookClient(
            self.notebook,
            km=manager,
            timeout=int(-(-self.cell_timeout // 1)) if self.cell_timeout else None,
            allow_errors=False,
        )
        status, error = "failed", None
        with tempfile.TemporaryFile() as kernel_output:
            try:
                await self._start(manager, client, kernel_output)
                for index, cell in enumerate(self.notebook.cells):
                    self.cell = index + 1
                    await self._execute_cell(client, cell, index)
                    await self.save("running")
                status = "completed"
            except ApplicationError as failure:
                error = failure.message
                raise
            except asyncio.CancelledError:
                status, error = self.stopped_because or ("cancelled", "the step was cancelled")
                raise
            except Exception as failure:
                error = f"{type(failure).__name__}: {failure}"
                raise
            finally:
                # A cancelled task still runs this: the kernel never outlives the attempt.
                await _stop(manager, client.kc, now=self.stop_now or status != "completed")
                await self.save(status, error)

    async def _start(self, manager: Any, client: Any, output: IO[bytes]) -> None:
        try:
            await manager.start_kernel(
                cwd=str(self.source.parent),
                extra_arguments=["--HistoryManager.hist_file=:memory:"],
                stdout=output,
                stderr=output,
            )
            client.kc = manager.client()
            client.kc.start_channels()
            await client.kc.wait_for_ready(timeout=self.startup_timeout)
        except (RuntimeError, OSError, TimeoutError) as error:
            raise _failure(
                f"the kernel for {self.source.name} did not start: {error}{_tail(output)}",
                "NotebookKernelError",
                retryable=True,
            ) from None
        client.kc.allow_stdin = False
        reply = await client.async_wait_for_reply(await _maybe_await(client.kc.kernel_info()))
        if reply is not None and "language_info" in reply["content"]:
            self.notebook.metadata["language_info"] = reply["content"]["language_info"]

    async def _execute_cell(self, client: Any, cell: Any, index: int) -> None:
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        number = client.code_cells_executed + 1
        try:
            await client.async_execute_cell(cell, index, execution_count=number)
        except CellTimeoutError:
            raise _failure(
                f"{self.source.name}: code cell {number} ran longer than cell_timeout="
                f"{self.cell_timeout:g}s (executed notebook: {self.target})",
                "NotebookCellTimeout",
                retryable=True,
                cell=number,
                executed_notebook=str(self.target),
            ) from None
        except CellExecutionError as error:
            raise _failure(
                f"{self.source.name}: code cell {number} raised {error.ename}: {error.evalue} "
                f"(executed notebook: {self.target})",
                "NotebookCellError",
                retryable=True,
                cell=number,
                ename=error.ename,
                evalue=error.evalue,
                executed_notebook=str(self.target),
            ) from None
        except DeadKernelError:
            if self.stop_now:
                raise asyncio.CancelledError() from None  # nbclient's name for a cancelled cell
            raise _failure(
                f"{self.source.name}: the kernel died in code cell {number} "
                f"(executed notebook: {self.target})",
                "NotebookKernelDied",
                retryable=True,
                cell=number,
                executed_notebook=str(self.target),
            ) from None


async def _stop(manager: Any, kernel_client: Any, *, now: bool) -> None:
    if kernel_client is not None:
        kernel_client.stop_channels()
    try:
        if manager.has_kernel and await manager.is_alive():
            await manager.shutdown_kernel(now=now)
        else:
            manager.cleanup_resources()
    except Exception:  # noqa: BLE001 - last resort: the process must not survive the attempt
        with contextlib.suppress(Exception):
            await manager._async_kill_kernel()


async def _maybe_await(value: Any) -> Any:
    return await value if asyncio.iscoroutine(value) else value


def _worker_python() -> Any:
    """A kernel spec manager whose only kernel is this interpreter's IPython kernel."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class WorkerPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name="Python (the worker's)",
                language="python",
                resource_dir=str(Path(tempfile.gettempdir())),
            )

    return WorkerPython()


def _locate(path: str, base_dir: Path) -> Path:
    if not isinstance(path, str) or not path.strip():
        raise _failure("path must name a notebook (.ipynb)", "InvalidArguments", retryable=False)
    source = (base_dir / Path(path).expanduser()).resolve()
    if source.suffix != ".ipynb":
        raise _failure(f"{path!r} is not a notebook (.ipynb)", "InvalidArguments", retryable=False)
    if not source.is_file():
        where = "" if Path(path).is_absolute() else f" (relative paths start at {base_dir})"
        raise _failure(
            f"no notebook at {source}{where}", "NotebookNotFound", retryable=False, path=str(source)
        )
    return source


def _read(source: Path) -> Any:
    import nbformat

    try:
        return nbformat.read(source, as_version=4)  # type: ignore[no-untyped-call]
    except (OSError, ValueError, nbformat.ValidationError) as error:
        raise _failure(
            f"{source} is not a readable notebook: {error}", "NotebookInvalid", retryable=False
        ) from None


def _write(notebook: Any, target: Path) -> None:
    import nbformat

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".ipynb.partial")
    nbformat.write(notebook, partial)  # type: ignore[no-untyped-call]
    partial.replace(target)  # readers never see half a notebook


def _attempt() -> dict[str, Any]:
    if not activity.in_activity():
        return {
            "workflow_id": "local",
            "run_id": str(uuid.uuid4()),
            "activity_id": "",
            "attempt": 1,
        }
    info = activity.info()
    return {
        "workflow_id": info.workflow_id,
        "run_id": info.workflow_run_id,
        "activity_id": info.activity_id,
        "attempt": info.attempt,
    }


def _executed_path(executed_dir: Path, source: Path, attempt: dict[str, Any]) -> Path:
    """``<executed>/<workflow id>/<run id>/<step>-attempt<n>.ipynb``: one file per attempt, never shared."""
    step = attempt["activity_id"] or source.stem
    return (
        executed_dir
        / _file_name(attempt["workflow_id"])
        / _file_name(attempt["run_id"])
        / f"{_file_name(step)}-attempt{attempt['attempt']}.ipynb"
    )


def _file_name(text: str) -> str:
    """Ids as file names: ``extract[0]#2`` gives ``extract-0-2``; nothing can climb out of the folder."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")[:120] or "_"


def _tail(stream: IO[bytes]) -> str:
    with contextlib.suppress(OSError, ValueError):
        stream.seek(0)
        text = stream.read().decode(errors="replace").strip()
        if text:
            return f"; its output: {text[-_STDERR_TAIL:]}"
    return ""
