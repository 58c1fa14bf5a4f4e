"""Applying a workflow task completion: the WorkflowTaskCompleted event, then each command in order.

Commands that reach other runs (start a child, signal or cancel another workflow) record their "initiated" event
here and act once the completion has been applied, so their results arrive as ordinary new events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import event_type_pb2 as ev
from temporalio.api.enums.v1 import failed_cause_pb2 as causes
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as rr

from ._activities import ActivityState, scheduled_attributes
from ._children import cancel_external, signal_external, start_child
from ._clock import seconds_of
from ._errors import ServiceError, check_blob, invalid_argument
from ._successors import continue_as_new, fail_or_retry
from ._workflow_state import WorkflowRun, WorkflowTask

if TYPE_CHECKING:
    from google.protobuf import message

PostAction = Callable[[], None]

_CLOSING_COMMANDS = frozenset(
    {
        "complete_workflow_execution_command_attributes",
        "fail_workflow_execution_command_attributes",
        "cancel_workflow_execution_command_attributes",
        "continue_as_new_workflow_execution_command_attributes",
    }
)


def complete_workflow_task(
    run: WorkflowRun, task: WorkflowTask, request: rr.RespondWorkflowTaskCompletedRequest
) -> None:
    """Apply a RespondWorkflowTaskCompleted request to ``run``."""
    commands = list(request.commands)
    kinds = [command.WhichOneof("attributes") for command in commands]
    run.materialize(task)
    run.answer_from_completion(dict(request.query_results))
    _set_sticky(run, request)
    problem = _find_bad_command(commands, kinds)
    if problem is not None:
        cause, message_text = problem
        run.fail_task(
            task,
            ev.EVENT_TYPE_WORKFLOW_TASK_FAILED,
            cause=cause,
            identity=request.identity,
            failure=failure_pb.Failure(message=message_text, source="Server"),
        )
        raise invalid_argument(message_text)
    if run.buffered and any(kind in _CLOSING_COMMANDS for kind in kinds):
        # New events arrived while the worker decided to close: it must see them first.
        run.fail_task(
            task,
            ev.EVENT_TYPE_WORKFLOW_TASK_FAILED,
            cause=causes.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
            identity=request.identity,
        )
        return
    completed = run.history.append(
        ev.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
        scheduled_event_id=task.scheduled_event_id,
        started_event_id=task.started_event_id,
        identity=request.identity,
        binary_checksum=request.binary_checksum,
        sdk_metadata=request.sdk_metadata,
        metering_metadata=request.metering_metadata,
    )
    post_actions: list[PostAction] = []
    applier = _CommandApplier(run, completed.event_id, request.identity, post_actions)
    for command, kind in zip(commands, kinds, strict=True):
        if not run.is_open:
            break
        applier.apply(kind, getattr(command, kind) if kind else None)
    run.last_completed_started_id = task.started_event_id
    if run.is_open:
        run.finish_task(task, task.started_event_id)
        if request.force_create_new_workflow_task and run.workflow_task is None:
            run.schedule_workflow_task()
    for action in post_actions:
        action()


def _set_sticky(run: WorkflowRun, request: rr.RespondWorkflowTaskCompletedRequest) -> None:
    sticky = request.sticky_attributes
    if sticky.worker_task_queue.name:
        run.sticky_queue = sticky.worker_task_queue.name
        run.sticky_timeout = seconds_of(sticky.schedule_to_start_timeout) or 5.0
    else:
        run.sticky_queue = ""


def _find_bad_command(
    commands: Sequence[command_pb.Command], kinds: Sequence[str | None]
) -> tuple[int, str] | None:
    for command, kind in zip(commands, kinds, strict=True):
        if kind is None:
            return (
                causes.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
                "Command has no attributes set.",
            )
        if kind == "schedule_activity_task_command_attributes":
            try:
                scheduled_attributes(command.schedule_activity_task_command_attributes, 0, 0)
                check_blob(
                    "ScheduleActivityTask input",
                    command.schedule_activity_task_command_attributes.input.ByteSize(),
                )
            except ServiceError as err:
                return (
                    causes.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
                    err.message,
                )
        if kind == "complete_workflow_execution_command_attributes":
            try:
                check_blob(
                    "CompleteWorkflowExecution result",
                    command.complete_workflow_execution_command_attributes.result.ByteSize(),
                )
            except ServiceError as err:
                return (
                    causes.WORKFLOW_TASK_FAILED_CAUSE_BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES,
                    err.message,
                )
        if kind == "start_child_workflow_execution_command_attributes":
            child = command.start_child_workflow_execution_command_attributes
            if not child.workflow_id or not child.workflow_type.name:
                return (
                    causes.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
                    "StartChildWorkflowExecution needs a workflow id and a workflow type.",
                )
        if kind == "start_timer_command_attributes":
            attrs = command.start_timer_command_attributes
            if not attrs.timer_id or seconds_of(attrs.start_to_fire_timeout) <= 0:
                return (
                    causes.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
                    "StartTimer needs a timer id and a positive StartToFireTimeout.",
                )
    return None


class _CommandApplier:
    def __init__(
        self, run: WorkflowRun, completed_id: int, identity: str, post_actions: list[PostAction]
    ) -> None:
        self.run = run
        self.completed_id = completed_id
        self.identity = identity
        self.post_actions = post_actions
        self.engine = run.engine

    def apply(self, kind: str | None, attrs: message.Message | None) -> None:
        handler = (
            getattr(self, f"_{kind.removesuffix('_command_attributes')}", None) if kind else None
        )
        if handler is None:
            # Protocol messages (updates) and Nexus operations are not supported: the SDK never sends them
            # unless the caller used those features, which the service rejects at the RPC.
            return
        handler(attrs)

    def _schedule_activity_task(
        self, attrs: command_pb.ScheduleActivityTaskCommandAttributes
    ) -> None:
        run = self.run
        run_timeout = seconds_of(run.started.workflow_run_timeout)
        scheduled = scheduled_attributes(attrs, self.completed_id, run_timeout)
        event = run.history.append(ev.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, scheduled)
        activity = ActivityState(run, event.event_id, scheduled)
        run.activities[event.event_id] = activity
        activity.arm_deadline()
        activity.offer()

    def _request_cancel_activity_task(
        self, attrs: command_pb.RequestCancelActivityTaskCommandAttributes
    ) -> None:
        activity = self.run.activities.get(attrs.scheduled_event_id)
        if activity is not None:
            activity.request_cancel(self.completed_id)

    def _start_timer(self, attrs: command_pb.StartTimerCommandAttributes) -> None:
        run = self.run
        started = run.history.append(
            ev.EVENT_TYPE_TIMER_STARTED,
            timer_id=attrs.timer_id,
            start_to_fire_timeout=attrs.start_to_fire_timeout,
            workflow_task_completed_event_id=self.completed_id,
        )
        run.user_timers[attrs.timer_id] = started.event_id
        run.timers.set(
            ("timer", attrs.timer_id),
            seconds_of(attrs.start_to_fire_timeout),
            _fire_timer,
            run,
            attrs.timer_id,
            started.event_id,
        )

    def _cancel_timer(self, attrs: command_pb.CancelTimerCommandAttributes) -> None:
        run = self.run
        started_id = run.user_timers.pop(attrs.timer_id, None)
        if started_id is None:
            return
        run.timers.cancel(("timer", attrs.timer_id))
        run.history.append(
            ev.EVENT_TYPE_TIMER_CANCELED,
            timer_id=attrs.timer_id,
            started_event_id=started_id,
            workflow_task_completed_event_id=self.completed_id,
            identity=self.identity,
        )

    def _complete_workflow_execution(
        self, attrs: command_pb.CompleteWorkflowExecutionCommandAttributes
    ) -> None:
        self.run.close(
            wf_enums.WORKFLOW_EXECUTION_STATUS_COMPLETED,
            ev.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
            result=attrs.result,
            workflow_task_completed_event_id=self.completed_id,
        )

    def _fail_workflow_execution(
        self, attrs: command_pb.FailWorkflowExecutionCommandAttributes
    ) -> None:
        fail_or_retry(self.engine, self.run, attrs.failure, self.completed_id)

    def _cancel_workflow_execution(
        self, attrs: command_pb.CancelWorkflowExecutionCommandAttributes
    ) -> None:
        self.run.close(
            wf_enums.WORKFLOW_EXECUTION_STATUS_CANCELED,
            ev.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
            details=attrs.details,
            workflow_task_completed_event_id=self.completed_id,
        )

    def _continue_as_new_workflow_execution(
        self, attrs: command_pb.ContinueAsNewWorkflowExecutionCommandAttributes
    ) -> None:
        continue_as_new(self.engine, self.run, attrs, self.completed_id)

    def _record_marker(self, attrs: command_pb.RecordMarkerCommandAttributes) -> None:
        self.run.history.append(
            ev.EVENT_TYPE_MARKER_RECORDED,
            marker_name=attrs.marker_name,
            details=attrs.details,
            header=attrs.header,
            failure=attrs.failure,
            workflow_task_completed_event_id=self.completed_id,
        )

    def _upsert_workflow_search_attributes(
        self, attrs: command_pb.UpsertWorkflowSearchAttributesCommandAttributes
    ) -> None:
        for name, payload in attrs.search_attributes.indexed_fields.items():
            if payload.data in (b"", b"null"):
                self.run.search_attributes.indexed_fields.pop(name, None)
            else:
                self.run.search_attributes.indexed_fields[name].CopyFrom(payload)
        self.run.history.append(
            ev.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
            search_attributes=attrs.search_attributes,
            workflow_task_completed_event_id=self.completed_id,
        )

    def _modify_workflow_properties(
        self, attrs: command_pb.ModifyWorkflowPropertiesCommandAttributes
    ) -> None:
        for name, payload in attrs.upserted_memo.fields.items():
            self.run.memo.fields[name].CopyFrom(payload)
        self.run.history.append(
            ev.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
            upserted_memo=attrs.upserted_memo,
            workflow_task_completed_event_id=self.completed_id,
        )

    def _start_child_workflow_execution(
        self, attrs: command_pb.StartChildWorkflowExecutionCommandAttributes
    ) -> None:
        initiated = self.run.history.append(
            ev.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
            namespace=attrs.namespace or self.engine.namespace,
            workflow_id=attrs.workflow_id,
            workflow_type=attrs.workflow_type,
            task_queue=attrs.task_queue,
            input=attrs.input,
            workflow_execution_timeout=attrs.workflow_execution_timeout,
            workflow_run_timeout=attrs.workflow_run_timeout,
            workflow_task_timeout=attrs.workflow_task_timeout,
            parent_close_policy=attrs.parent_close_policy,
            control=attrs.control,
            workflow_task_completed_event_id=self.completed_id,
            workflow_id_reuse_policy=attrs.workflow_id_reuse_policy,
            retry_policy=attrs.retry_policy,
            cron_schedule=attrs.cron_schedule,
            header=attrs.header,
            memo=attrs.memo,
            search_attributes=attrs.search_attributes,
        )
        run, initiated_id = self.run, initiated.event_id
        self.post_actions.append(lambda: start_child(self.engine, run, initiated_id, attrs))

    def _signal_external_workflow_execution(
        self, attrs: command_pb.SignalExternalWorkflowExecutionCommandAttributes
    ) -> None:
        initiated = self.run.history.append(
            ev.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
            namespace=attrs.namespace or self.engine.namespace,
            workflow_execution=attrs.execution,
            signal_name=attrs.signal_name,
            input=attrs.input,
            control=attrs.control,
            child_workflow_only=attrs.child_workflow_only,
            header=attrs.header,
            workflow_task_completed_event_id=self.completed_id,
        )
        run, initiated_id = self.run, initiated.event_id
        self.post_actions.append(lambda: signal_external(self.engine, run, initiated_id, attrs))

    def _request_cancel_external_workflow_execution(
        self, attrs: command_pb.RequestCancelExternalWorkflowExecutionCommandAttributes
    ) -> None:
        initiated = self.run.history.append(
            ev.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
            namespace=attrs.namespace or self.engine.namespace,
            workflow_execution=common.WorkflowExecution(
                workflow_id=attrs.workflow_id, run_id=attrs.run_id
            ),
            control=attrs.control,
            child_workflow_only=attrs.child_workflow_only,
            reason=attrs.reason,
            workflow_task_completed_event_id=self.completed_id,
        )
        run, initiated_id = self.run, initiated.event_id
        self.post_actions.append(lambda: cancel_external(self.engine, run, initiated_id, attrs))


def _fire_timer(run: WorkflowRun, timer_id: str, started_id: int) -> None:
    if run.user_timers.get(timer_id) != started_id:
        return
    del run.user_timers[timer_id]
    run.add_event(
        lambda: run.history.append(
            ev.EVENT_TYPE_TIMER_FIRED, timer_id=timer_id, started_event_id=started_id
        )
    )
