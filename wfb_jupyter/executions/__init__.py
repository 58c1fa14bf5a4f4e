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
from wfb_jupyter.executions._history import RunHistory, StepSpan, read_history, step_of
from wfb_jupyter.executions._outcome import Outcome, close_finished_executions, failure_text
from wfb_jupyter.executions._rerun import (
    Rerun,
    RerunRunningError,
    RerunStepError,
    rerun_execution,
    run_history,
)
from wfb_jupyter.executions._schedule_timing import (
    OVERLAP_POLICIES,
    ScheduleTiming,
    check_cron,
    check_overlap,
    check_timezone,
    parse_duration,
)
from wfb_jupyter.executions._scheduled_runs import reconcile_project_runs, record_scheduled_runs
from wfb_jupyter.executions._schedules import (
    ScheduledStart,
    ScheduleMissingError,
    ScheduleNow,
    ScheduleRun,
    backfill_schedule,
    delete_schedule_in_temporal,
    follow_active_versions,
    pause_schedule,
    put_schedule,
    read_schedule,
    resume_schedule,
    schedule_id_for,
    trigger_schedule,
)
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
    # re-runs from a step
    "Rerun",
    "rerun_execution",
    "run_history",
    "RunHistory",
    "StepSpan",
    "read_history",
    "step_of",
    # schedules
    "OVERLAP_POLICIES",
    "ScheduleTiming",
    "ScheduledStart",
    "ScheduleNow",
    "ScheduleRun",
    "check_cron",
    "check_overlap",
    "check_timezone",
    "parse_duration",
    "schedule_id_for",
    "put_schedule",
    "read_schedule",
    "pause_schedule",
    "resume_schedule",
    "trigger_schedule",
    "backfill_schedule",
    "delete_schedule_in_temporal",
    "follow_active_versions",
    "record_scheduled_runs",
    # records
    "Outcome",
    "close_finished_executions",
    "reconcile_project_runs",
    "failure_text",
    # errors
    "ExecutionError",
    "ExecutionClosedError",
    "ExecutionFailedError",
    "ExecutionNotFoundError",
    "InvalidInputError",
    "NoWorkerError",
    "RerunRunningError",
    "RerunStepError",
    "ScheduleMissingError",
    "StillRunningError",
    "VersionNotServedError",
    "UnknownWorkflowError",
]
