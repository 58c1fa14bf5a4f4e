"""Runs that follow runs: continue-as-new, and the next attempt of a workflow with a retry policy.

Each closes the old run with an event naming the new run id, so a client following the chain finds it.
"""

from __future__ import annotations

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.enums.v1 import event_type_pb2 as ev
from temporalio.api.enums.v1 import workflow_pb2 as wf
from temporalio.api.failure.v1 import message_pb2 as failure_pb
from temporalio.api.history.v1 import message_pb2 as history_pb

from . import _retry
from ._clock import now, seconds_of
from ._engine import NamespaceEngine, StartSpec
from ._workflow_state import WorkflowRun


def _inherit_parent(
    started: history_pb.WorkflowExecutionStartedEventAttributes,
    old: history_pb.WorkflowExecutionStartedEventAttributes,
) -> None:
    """A child's later runs stay children of the same parent."""
    started.parent_workflow_namespace = old.parent_workflow_namespace
    started.parent_initiated_event_id = old.parent_initiated_event_id
    for name in ("parent_workflow_execution", "root_workflow_execution"):
        if old.HasField(name):
            getattr(started, name).CopyFrom(getattr(old, name))


def _expiration(old: history_pb.WorkflowExecutionStartedEventAttributes) -> float | None:
    if old.HasField("workflow_execution_expiration_time"):
        return seconds_of(old.workflow_execution_expiration_time)
    return None


def continue_as_new(
    engine: NamespaceEngine,
    run: WorkflowRun,
    attrs: command_pb.ContinueAsNewWorkflowExecutionCommandAttributes,
    completed_id: int,
) -> None:
    old = run.started
    spec = StartSpec(
        workflow_id=run.workflow_id,
        workflow_type=attrs.workflow_type.name or run.workflow_type,
        task_queue=attrs.task_queue.name or run.task_queue,
        input=attrs.input,
        execution_timeout=seconds_of(old.workflow_execution_timeout),
        run_timeout=seconds_of(attrs.workflow_run_timeout) or seconds_of(old.workflow_run_timeout),
        task_timeout=seconds_of(attrs.workflow_task_timeout) or run.workflow_task_timeout,
        header=attrs.header,
        memo=attrs.memo if attrs.HasField("memo") else run.memo,
        search_attributes=(
            attrs.search_attributes
            if attrs.HasField("search_attributes")
            else run.search_attributes
        ),
        retry_policy=attrs.retry_policy if attrs.HasField("retry_policy") else None,
        start_delay=seconds_of(attrs.backoff_start_interval),
    )

    def link(started: history_pb.WorkflowExecutionStartedEventAttributes) -> None:
        started.continued_execution_run_id = run.run_id
        started.initiator = attrs.initiator or wf.CONTINUE_AS_NEW_INITIATOR_WORKFLOW
        started.last_completion_result.CopyFrom(attrs.last_completion_result)
        _inherit_parent(started, old)

    new_run = engine.create_run(spec, _expiration(old), old.first_execution_run_id, link)
    run.successor_run_id = new_run.run_id
    run.close(
        wf.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
        ev.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
        new_execution_run_id=new_run.run_id,
        workflow_type=new_run.started.workflow_type,
        task_queue=new_run.started.task_queue,
        input=attrs.input,
        workflow_run_timeout=new_run.started.workflow_run_timeout,
        workflow_task_timeout=new_run.started.workflow_task_timeout,
        workflow_task_completed_event_id=completed_id,
        initiator=attrs.initiator,
        header=attrs.header,
        last_completion_result=attrs.last_completion_result,
    )
    _hand_over(engine, run, new_run)
    new_run.schedule_first_workflow_task(spec.start_delay)


def _hand_over(engine: NamespaceEngine, old: WorkflowRun, new: WorkflowRun) -> None:
    # The latest run must be the new one even though the old one closed after it was created.
    engine.latest[old.workflow_id] = new
    link_to_parent = engine.parent_links.pop(old.run_id, None)
    if link_to_parent is not None:
        engine.parent_links[new.run_id] = link_to_parent


def fail_or_retry(
    engine: NamespaceEngine, run: WorkflowRun, failure: failure_pb.Failure, completed_id: int
) -> None:
    """Close a run that failed, starting its next attempt when its retry policy allows one."""
    old = run.started
    delay: float | None = None
    retry_state: int = wf.RETRY_STATE_RETRY_POLICY_NOT_SET
    if old.HasField("retry_policy"):
        delay, retry_state = _retry.next_retry(
            _retry.with_defaults(old.retry_policy),
            old.attempt or 1,
            failure,
            now(),
            _expiration(old),
        )
    if delay is None:
        run.close(
            wf.WORKFLOW_EXECUTION_STATUS_FAILED,
            ev.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
            failure=failure,
            retry_state=retry_state,
            workflow_task_completed_event_id=completed_id,
        )
        return
    spec = StartSpec(
        workflow_id=run.workflow_id,
        workflow_type=run.workflow_type,
        task_queue=run.task_queue,
        input=old.input,
        execution_timeout=seconds_of(old.workflow_execution_timeout),
        run_timeout=seconds_of(old.workflow_run_timeout),
        task_timeout=run.workflow_task_timeout,
        header=old.header,
        memo=old.memo,
        search_attributes=old.search_attributes,
        retry_policy=old.retry_policy,
        start_delay=delay,
    )

    def link(started: history_pb.WorkflowExecutionStartedEventAttributes) -> None:
        started.continued_execution_run_id = run.run_id
        started.initiator = wf.CONTINUE_AS_NEW_INITIATOR_RETRY
        started.attempt = (old.attempt or 1) + 1
        started.continued_failure.CopyFrom(failure)
        _inherit_parent(started, old)

    new_run = engine.create_run(spec, _expiration(old), old.first_execution_run_id, link)
    run.successor_run_id = new_run.run_id
    run.close(
        wf.WORKFLOW_EXECUTION_STATUS_FAILED,
        ev.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        failure=failure,
        retry_state=wf.RETRY_STATE_IN_PROGRESS,
        new_execution_run_id=new_run.run_id,
        workflow_task_completed_event_id=completed_id,
    )
    _hand_over(engine, run, new_run)
    new_run.schedule_first_workflow_task(delay)
