"""Executions: start runs on a project's task queue, steer them, and keep their records right."""

from wfb_jupyter.executions._control import (
    ExecutionState,
    cancel_execution,
    describe_execution,
    query_execution,
    signal_execution,
    terminate_execution,
    wait_for_result,
)
from wfb_jupyter.executions._errors import (
    ExecutionClosedError,
    ExecutionError,
    ExecutionFailedError,
    ExecutionNotFoundError,
    InvalidInputError,
    NoWorkerError,
    StillRunningError,
    UnknownWorkflowError,
    VersionNotServedError,
)
from wfb_jupyter.executions._outcome import Outcome, close_finished_executions, failure_text
from wfb_jupyter.executions._start import ExecutionRef, find_execution_ref, start_execution
from wfb_jupyter.executions._updates import UpdateOutcome, update_execution

__all__ = [
    # starting
    "ExecutionRef",
    "start_execution",
    "find_execution_ref",
    # steering
    "ExecutionState",
    "wait_for_result",
    "describe_execution",
    "signal_execution",
    "update_execution",
    "UpdateOutcome",
    "query_execution",
    "cancel_execution",
    "terminate_execution",
    # records
    "Outcome",
    "close_finished_executions",
    "failure_text",
    # errors
    "ExecutionError",
    "ExecutionClosedError",
    "ExecutionFailedError",
    "ExecutionNotFoundError",
    "InvalidInputError",
    "NoWorkerError",
    "StillRunningError",
    "VersionNotServedError",
    "UnknownWorkflowError",
]
