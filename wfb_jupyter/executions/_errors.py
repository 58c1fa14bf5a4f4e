"""Execution errors. Each message says what went wrong and how to fix it; the notebook shows it as one line."""

from __future__ import annotations

from collections.abc import Sequence

from wfb_jupyter import errors


class ExecutionError(errors.WfbError):
    """Base of the errors a user can cause when starting or steering an execution."""


class UnknownWorkflowError(ExecutionError, errors.NotFoundError):
    def __init__(
        self, project_id: str, name: str, known: Sequence[object], version: int | None = None
    ):
        self.project_id, self.name, self.version = project_id, name, version
        if version is not None:
            message = f"workflow {name!r} has no version {version} in project {project_id!r}"
            message += f"; stored versions: {', '.join(map(str, known))}" if known else ""
        else:
            listing = ", ".join(repr(k) for k in known) if known else "none yet"
            message = f"no workflow named {name!r} in project {project_id!r} (workflows: {listing})"
        super().__init__(message)


class InvalidInputError(ExecutionError, errors.InputError):
    def __init__(self, name: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"invalid input for {name!r}: " + "; ".join(self.problems))


class NoWorkerError(ExecutionError, errors.StateError):
    def __init__(self, project_id: str, task_queue: str, project_name: str | None = None) -> None:
        self.project_id, self.task_queue = project_id, task_queue
        self.project_name = project_name or project_id
        super().__init__(
            f"no worker serves project {self.project_name!r} (task queue {task_queue!r})"
        )


class VersionNotServedError(ExecutionError, errors.StateError):
    """No worker serves the version a start asks for: it cannot load, or no worker loaded it in time."""

    def __init__(self, workflow_type: str, reason: str) -> None:
        self.workflow_type = workflow_type
        super().__init__(f"not started: no worker serves {workflow_type}: {reason}")


class ExecutionNotFoundError(ExecutionError, errors.NotFoundError):
    def __init__(self, workflow_id: str, project_id: str | None = None) -> None:
        where = f" in project {project_id!r}" if project_id else ""
        super().__init__(f"no execution with id {workflow_id!r}{where}")


class ExecutionClosedError(ExecutionError, errors.StateError):
    def __init__(self, workflow_id: str, status: str, action: str) -> None:
        self.status = status
        super().__init__(
            f"cannot {action} execution {workflow_id!r}: it has already {status}; "
            "only running executions accept that"
        )


class ExecutionFailedError(ExecutionError, errors.StateError):
    """The execution ended without a result (failed, cancelled, terminated or timed out)."""

    def __init__(self, workflow_id: str, status: str, error: str | None) -> None:
        self.workflow_id, self.status, self.error = workflow_id, status, error
        super().__init__(f"execution {workflow_id!r} {status}" + (f": {error}" if error else ""))


class StillRunningError(ExecutionError, errors.StateError):
    """Waiting for a run's outcome took longer than the caller allowed; the run goes on."""

    def __init__(self, workflow_id: str, waited: float) -> None:
        self.workflow_id, self.waited = workflow_id, waited
        super().__init__(f"execution {workflow_id!r} is still running after {waited:g} s")
