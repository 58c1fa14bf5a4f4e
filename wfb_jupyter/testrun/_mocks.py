"""Stand-ins for a test run: every activity goes through a wrapper that answers a pinned step with its pin
and runs the real component otherwise, writing down what happened; child workflows that are pinned (or not
stored) are answered by one dynamic workflow.

The generated code is not changed for a test: the wrappers key on the run id that the code already gives each
activity (``activity_id``) and child workflow (the last part of its workflow id).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from wfb_jupyter.testrun._plan import Pin, TestPlan, step_of

PINNED_CHILD_ACTIVITY = "wfb.test.pinned_child"
MOCKED_ERROR_TYPE = "MockedError"


@dataclass
class RunRecord:
    """One run of a step as the test saw it (the last attempt wins)."""

    run_id: str
    kind: str  # activity | child_workflow
    outcome: str  # ran | mocked | pinned | failed
    result: Any = None
    error: str | None = None
    attempts: int = 0


class Journal:
    """What each activity and pinned child run did; written from activity tasks, read after the run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, RunRecord] = {}

    def note(
        self, run_id: str, kind: str, outcome: str, result: Any = None, error: str | None = None
    ) -> None:
        with self._lock:
            record = self._runs.get(run_id) or RunRecord(run_id, kind, outcome)
            record.outcome, record.result, record.error = outcome, result, error
            record.attempts += 1
            self._runs[run_id] = record

    def runs(self) -> dict[str, RunRecord]:
        with self._lock:
            return dict(self._runs)


def pinned_activities(
    activities: Sequence[Callable[..., Any]], plan: TestPlan, journal: Journal, workflow_id: str
) -> list[Callable[..., Any]]:
    """Each activity wrapped under its own name, plus the activity the pinned child workflows call. Only
    the activities of the run ``workflow_id`` are pinned and written down: a stored child workflow run by
    the test has steps of its own, whose ids may be the same."""
    wrapped = [_wrap(function, plan, journal, workflow_id) for function in activities]
    return [*wrapped, _pinned_child_activity(plan, journal)]


def _wrap(
    function: Callable[..., Any], plan: TestPlan, journal: Journal, workflow_id: str
) -> Callable[..., Any]:
    # The SDK's own way from a function to its activity definition (private, but what Worker uses).
    name = activity._Definition.must_from_callable(function).name

    @activity.defn(name=name)
    async def stand_in(args: dict[str, Any] | None = None) -> Any:
        info = activity.info()
        if info.workflow_id != workflow_id:
            return await function(args)
        run_id = info.activity_id
        pin = plan.pin_for(run_id)
        if pin is not None:
            return _answer(pin, run_id, "activity", journal)
        try:
            result = await function(args)
        except BaseException as error:
            journal.note(run_id, "activity", "failed", error=f"{type(error).__name__}: {error}")
            raise
        journal.note(run_id, "activity", "ran", result=result)
        return result

    return stand_in


def _answer(pin: Pin, run_id: str, kind: str, journal: Journal) -> Any:
    outcome = "mocked" if pin.source == "mocked" else "pinned"
    if pin.error is not None:
        journal.note(run_id, kind, outcome, error=pin.error)
        # Benign: the worker does not log an expected failure as if something broke.
        raise ApplicationError(
            pin.error,
            type=MOCKED_ERROR_TYPE,
            non_retryable=True,
            category=ApplicationErrorCategory.BENIGN,
        )
    journal.note(run_id, kind, outcome, result=pin.value)
    return pin.value


def _pinned_child_activity(plan: TestPlan, journal: Journal) -> Callable[..., Any]:
    @activity.defn(name=PINNED_CHILD_ACTIVITY)
    async def pinned_child(child_workflow_id: str, workflow_type: str) -> Any:
        run_id = child_workflow_id.rpartition("/")[2]
        pin = plan.pin_for(run_id)
        if pin is None:
            raise ApplicationError(
                f"step {step_of(run_id)!r} starts child workflow {workflow_type!r}, which is not stored in "
                f"this project; mock the step (--mock {step_of(run_id)}=RESULT) or build that workflow",
                type="ChildWorkflowNotFound",
                non_retryable=True,
                category=ApplicationErrorCategory.BENIGN,
            )
        return _answer(pin, run_id, "child_workflow", journal)

    return pinned_child


@workflow.defn(dynamic=True)
class PinnedChildWorkflow:
    """Any child workflow type the test worker does not run: answered by its step's pin."""

    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> Any:
        del args  # a pin does not depend on the child's input
        info = workflow.info()
        return await workflow.execute_local_activity(
            PINNED_CHILD_ACTIVITY,
            args=[info.workflow_id, info.workflow_type],
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
