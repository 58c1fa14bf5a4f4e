"""Activity tasks: scheduling, attempts and retries, timeouts, heartbeats and cancellation.

Like the real server, retries leave no events: ActivityTaskStarted is written only when the activity closes,
carrying the final attempt and the last failure, directly before the closing event.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import event_type_pb2 as ev
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.history.v1 import message_pb2 as history_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as rr

from . import _retry
from ._clock import duration, now, seconds_of, timestamp
from ._tokens import ACTIVITY_TASK

if TYPE_CHECKING:
    from ._workflow_state import WorkflowRun

_SCHEDULED, _BACKOFF, _STARTED = "scheduled", "backoff", "started"

_TIMEOUT_TYPES = {
    "StartToClose": wf_enums.TIMEOUT_TYPE_START_TO_CLOSE,
    "ScheduleToStart": wf_enums.TIMEOUT_TYPE_SCHEDULE_TO_START,
    "ScheduleToClose": wf_enums.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE,
    "Heartbeat": wf_enums.TIMEOUT_TYPE_HEARTBEAT,
}


class ActivityTicket:
    __slots__ = ("activity",)

    def __init__(self, activity: ActivityState) -> None:
        self.activity = activity

    def is_live(self) -> bool:
        activity = self.activity
        return activity.ticket is self and activity.state == _SCHEDULED and activity.run.is_open


class ActivityState:
    """One scheduled activity of a run, across all its attempts."""

    def __init__(
        self,
        run: WorkflowRun,
        event_id: int,
        attrs: history_pb.ActivityTaskScheduledEventAttributes,
    ) -> None:
        self.run = run
        self.scheduled_event_id = event_id
        self.attrs = attrs
        self.attempt = 1
        self.state = _SCHEDULED
        self.first_scheduled_time = now()
        self.attempt_scheduled_time = self.first_scheduled_time
        self.started_time = 0.0
        self.identity = ""
        self.heartbeat_details: common.Payloads | None = None
        self.last_heartbeat_time = 0.0
        self.last_failure: failure_pb.Failure | None = None
        self.cancel_requested_event_id = 0
        self.ticket: ActivityTicket | None = None
        s2c = seconds_of(attrs.schedule_to_close_timeout)
        self.deadline = self.first_scheduled_time + s2c if s2c > 0 else None

    @property
    def is_started(self) -> bool:
        return self.state == _STARTED

    def _key(self, name: str) -> tuple[str, int]:
        return (name, self.scheduled_event_id)

    # -- lifecycle ---------------------------------------------------------------------------------

    def offer(self) -> None:
        self.state = _SCHEDULED
        self.attempt_scheduled_time = now()
        self.ticket = ActivityTicket(self)
        self.run.engine.queues.activity_queue(self.attrs.task_queue.name).offer(self.ticket)
        s2s = seconds_of(self.attrs.schedule_to_start_timeout)
        if s2s > 0:
            self.run.timers.set(
                self._key("s2s"), s2s, self._timed_out, "ScheduleToStart", self.attempt
            )

    def start(self, identity: str) -> rr.PollActivityTaskQueueResponse:
        self.state = _STARTED
        self.ticket = None
        self.identity = identity
        self.started_time = now()
        run = self.run
        run.timers.cancel(self._key("s2s"))
        s2c = seconds_of(self.attrs.start_to_close_timeout)
        if s2c > 0:
            run.timers.set(self._key("s2c"), s2c, self._timed_out, "StartToClose", self.attempt)
        self._arm_heartbeat_timer()
        response = rr.PollActivityTaskQueueResponse(
            task_token=run.token(ACTIVITY_TASK, self.scheduled_event_id, self.attempt),
            workflow_namespace=run.engine.namespace,
            workflow_type=common.WorkflowType(name=run.workflow_type),
            workflow_execution=run.execution,
            activity_type=self.attrs.activity_type,
            activity_id=self.attrs.activity_id,
            header=self.attrs.header,
            input=self.attrs.input,
            scheduled_time=timestamp(self.first_scheduled_time),
            current_attempt_scheduled_time=timestamp(self.attempt_scheduled_time),
            started_time=timestamp(self.started_time),
            attempt=self.attempt,
            schedule_to_close_timeout=self.attrs.schedule_to_close_timeout,
            start_to_close_timeout=self.attrs.start_to_close_timeout,
            heartbeat_timeout=self.attrs.heartbeat_timeout,
            retry_policy=self.attrs.retry_policy,
        )
        if self.heartbeat_details is not None:
            response.heartbeat_details.CopyFrom(self.heartbeat_details)
        return response

    def _arm_heartbeat_timer(self) -> None:
        heartbeat = seconds_of(self.attrs.heartbeat_timeout)
        if heartbeat > 0:
            self.run.timers.set(
                self._key("hb"), heartbeat, self._timed_out, "Heartbeat", self.attempt
            )

    def heartbeat(self, details: common.Payloads | None) -> bool:
        """Record a heartbeat; return whether cancellation was requested."""
        if details is not None and details.payloads:
            self.heartbeat_details = details
        self.last_heartbeat_time = now()
        self._arm_heartbeat_timer()
        return self.cancel_requested_event_id != 0

    def _cancel_attempt_timers(self) -> None:
        for name in ("s2s", "s2c", "hb", "backoff"):
            self.run.timers.cancel(self._key(name))

    def _remove(self) -> None:
        self._cancel_attempt_timers()
        self.run.timers.cancel(self._key("deadline"))
        self.ticket = None
        self.run.activities.pop(self.scheduled_event_id, None)

    def _close(self, event_type: ev.EventType.ValueType, **fields: Any) -> None:
        """Write ActivityTaskStarted (if it ever started) and the closing event for the workflow to see."""
        self._remove()
        was_started = self.started_time > 0
        identity, attempt, last_failure = self.identity, self.attempt, self.last_failure
        history = self.run.history

        def write() -> None:
            started_id = 0
            if was_started:
                started = history.append(
                    ev.EVENT_TYPE_ACTIVITY_TASK_STARTED,
                    scheduled_event_id=self.scheduled_event_id,
                    identity=identity,
                    request_id=str(uuid.uuid4()),
                    attempt=attempt,
                )
                if last_failure is not None:
                    started.activity_task_started_event_attributes.last_failure.CopyFrom(
                        last_failure
                    )
                started_id = started.event_id
            history.append(
                event_type,
                scheduled_event_id=self.scheduled_event_id,
                started_event_id=started_id,
                **fields,
            )

        self.run.add_event(write)

    def complete(self, result: common.Payloads, identity: str) -> None:
        self._close(ev.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, result=result, identity=identity)

    def canceled(self, details: common.Payloads, identity: str) -> None:
        self._close(
            ev.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
            details=details,
            identity=identity,
            latest_cancel_requested_event_id=self.cancel_requested_event_id,
        )

    def fail(
        self, failure: failure_pb.Failure, identity: str, heartbeat_details: common.Payloads | None
    ) -> None:
        if heartbeat_details is not None and heartbeat_details.payloads:
            self.heartbeat_details = heartbeat_details
        delay, retry_state = self._retry_decision(failure)
        if delay is not None:
            self._retry_after(delay, failure)
            return
        self._close(
            ev.EVENT_TYPE_ACTIVITY_TASK_FAILED,
            failure=failure,
            identity=identity,
            retry_state=retry_state,
        )

    def _retry_decision(self, failure: failure_pb.Failure | None) -> tuple[float | None, int]:
        if self.cancel_requested_event_id:
            return None, wf_enums.RETRY_STATE_CANCEL_REQUESTED
        return _retry.next_retry(
            self.attrs.retry_policy, self.attempt, failure, now(), self.deadline
        )

    def _retry_after(self, delay: float, failure: failure_pb.Failure) -> None:
        self._cancel_attempt_timers()
        self.last_failure = failure
        self.attempt += 1
        self.state = _BACKOFF
        self.ticket = None
        self.started_time = 0.0
        self.run.timers.set(self._key("backoff"), delay, self.offer)

    def arm_deadline(self) -> None:
        if self.deadline is not None:
            self.run.timers.set(
                self._key("deadline"), self.deadline - now(), self._timed_out, "ScheduleToClose", 0
            )

    def _timed_out(self, kind: str, attempt: int) -> None:
        if self.run.activities.get(self.scheduled_event_id) is not self:
            return
        if attempt and attempt != self.attempt:
            return
        failure = failure_pb.Failure(
            message=f"activity {kind} timeout",
            source="Server",
            timeout_failure_info=failure_pb.TimeoutFailureInfo(timeout_type=_TIMEOUT_TYPES[kind]),
        )
        if self.heartbeat_details is not None:
            failure.timeout_failure_info.last_heartbeat_details.CopyFrom(self.heartbeat_details)
        if kind in ("StartToClose", "Heartbeat"):
            delay, retry_state = self._retry_decision(failure)
            if delay is not None:
                self._retry_after(delay, failure)
                return
        elif kind == "ScheduleToClose":
            retry_state = wf_enums.RETRY_STATE_TIMEOUT
            if self.last_failure is not None:
                failure.cause.CopyFrom(self.last_failure)
        else:
            retry_state = wf_enums.RETRY_STATE_NON_RETRYABLE_FAILURE
        self._close(ev.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, failure=failure, retry_state=retry_state)

    def request_cancel(self, workflow_task_completed_event_id: int) -> None:
        """Handle RequestCancelActivityTask: cancel now if no attempt is running, else tell the worker."""
        history = self.run.history
        requested = history.append(
            ev.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
            scheduled_event_id=self.scheduled_event_id,
            workflow_task_completed_event_id=workflow_task_completed_event_id,
        )
        self.cancel_requested_event_id = requested.event_id
        if self.state == _STARTED:
            return
        self._remove()
        history.append(
            ev.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
            scheduled_event_id=self.scheduled_event_id,
            latest_cancel_requested_event_id=requested.event_id,
        )


def scheduled_attributes(
    command: command_pb.ScheduleActivityTaskCommandAttributes,
    workflow_task_completed_event_id: int,
    workflow_run_timeout: float,
) -> history_pb.ActivityTaskScheduledEventAttributes:
    """Validate a ScheduleActivityTask command and fill in the timeouts the server derives."""
    from ._errors import invalid_argument

    if not command.activity_id:
        raise invalid_argument("ActivityId is not set on ScheduleActivityTask command.")
    if not command.activity_type.name:
        raise invalid_argument("ActivityType is not set on ScheduleActivityTask command.")
    if not command.task_queue.name:
        raise invalid_argument("TaskQueue is not set on ScheduleActivityTask command.")
    schedule_to_close = seconds_of(command.schedule_to_close_timeout)
    start_to_close = seconds_of(command.start_to_close_timeout)
    schedule_to_start = seconds_of(command.schedule_to_start_timeout)
    if schedule_to_close <= 0 and start_to_close <= 0:
        raise invalid_argument(
            "A valid StartToClose or ScheduleToCloseTimeout is not set on ScheduleActivityTask command."
        )
    if workflow_run_timeout > 0:
        schedule_to_close = min(schedule_to_close or workflow_run_timeout, workflow_run_timeout)
    if start_to_close <= 0:
        start_to_close = schedule_to_close
    if schedule_to_close > 0:
        start_to_close = min(start_to_close, schedule_to_close)
        schedule_to_start = min(schedule_to_start or schedule_to_close, schedule_to_close)
    attrs = history_pb.ActivityTaskScheduledEventAttributes(
        activity_id=command.activity_id,
        activity_type=command.activity_type,
        task_queue=command.task_queue,
        header=command.header,
        input=command.input,
        workflow_task_completed_event_id=workflow_task_completed_event_id,
        retry_policy=_retry.with_defaults(
            command.retry_policy if command.HasField("retry_policy") else None
        ),
        heartbeat_timeout=command.heartbeat_timeout,
    )
    if schedule_to_close > 0:
        attrs.schedule_to_close_timeout.CopyFrom(duration(schedule_to_close))
    if schedule_to_start > 0:
        attrs.schedule_to_start_timeout.CopyFrom(duration(schedule_to_start))
    attrs.start_to_close_timeout.CopyFrom(duration(start_to_close))
    return attrs
