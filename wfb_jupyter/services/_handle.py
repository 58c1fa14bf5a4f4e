"""One execution, as a handle: what ``ws.run`` returns and ``ws.runs.get`` finds (the shape of temporalio's
``WorkflowHandle``: the operations on one run are its methods)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wfb_jupyter.errors import StateError
from wfb_jupyter.executions import ExecutionRef, ExecutionState, UpdateOutcome
from wfb_jupyter.services._results import RunOutcome

if TYPE_CHECKING:
    from wfb_jupyter.services._run_graph import RunGraph
    from wfb_jupyter.services._runs import Runs


class ExecutionHandle:
    def __init__(self, runs: Runs, ref: ExecutionRef) -> None:
        self._runs = runs
        self.ref = ref
        self.outcome: RunOutcome | None = None  # how it ended, once this handle has waited for it

    @property
    def workflow_id(self) -> str:
        return self.ref.workflow_id

    @property
    def run_id(self) -> str:
        return self.ref.run_id

    @property
    def workflow_name(self) -> str:
        return self.ref.workflow_name

    @property
    def version(self) -> int:
        return self.ref.version

    @property
    def link(self) -> str | None:
        """The execution in the Temporal Web UI, when the server has one."""
        return self._runs.execution_link(self.ref)

    def wait(self, timeout: float | None = None) -> RunOutcome:
        """Block until the execution ends; the outcome says how (a failure is not raised)."""
        if self.outcome is None:
            self.outcome = self._runs.wait(self.ref, timeout)
        return self.outcome

    def result(self, timeout: float | None = None) -> Any:
        """The result, waiting for it; ``StateError`` when the execution did not complete."""
        outcome = self.wait(timeout)
        if outcome.status != "completed":
            raise StateError(
                f"execution {self.workflow_id!r} ended {outcome.status}: {outcome.error}"
            )
        return outcome.result

    def status(self) -> ExecutionState:
        """Where it is now: current, done and pending steps, pending activities, or how it ended."""
        return self._runs.status(self.ref)

    def signal(self, name: str, payload: Any = None) -> str | None:
        """Send a signal; a payload that does not fit the signal's declared fields is refused unsent.
        Returns a note when no worker serves the project (the signal waits in the run until one does)."""
        return self._runs.signal(self.ref, name, payload)

    def signal_schema(self, name: str) -> dict[str, Any] | None:
        """The payload schema of a signal the execution's version declares (None for undeclared names)."""
        return self._runs.signal_schema(self.ref, name)

    def update(self, name: str, payload: Any = None) -> UpdateOutcome:
        """Send an update and wait for the execution's answer: its result, or why it refused (the run is
        then unchanged)."""
        return self._runs.update(self.ref, name, payload)

    def update_schema(self, name: str) -> dict[str, Any] | None:
        """The payload schema of an update the execution's version declares (None for undeclared names)."""
        return self._runs.update_schema(self.ref, name)

    def graph(self, state: ExecutionState | None = None) -> RunGraph:
        """Where the run is, step by step (done, running, failed, skipped, not reached, loop counts), to
        draw on its workflow's graph; ``state`` is a status just read, to draw it without asking again."""
        return self._runs.graph(self.ref, state)

    def query(self, name: str, *args: Any) -> Any:
        return self._runs.query(self.ref, name, *args)

    def cancel(self) -> None:
        """Ask the execution to cancel (it runs its cancellation and ends ``cancelled``)."""
        self._runs.cancel(self.ref)

    def terminate(self, reason: str = "") -> None:
        """Stop the execution at once, without running any more of it."""
        self._runs.terminate(self.ref, reason)

    def __repr__(self) -> str:
        return f"<ExecutionHandle {self.workflow_name} v{self.version} {self.workflow_id}>"
