"""Child workflows and commands aimed at other workflows (external signals and cancels).

The parent hears about its child through ordinary events (started, then completed/failed/...), written like any
other event that arrives while the parent may have a workflow task in flight.
"""

from __future__ import annotations

import uuid

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import event_type_pb2 as ev
from temporalio.api.enums.v1 import failed_cause_pb2 as causes
from temporalio.api.enums.v1 import workflow_pb2 as wf
from temporalio.api.history.v1 import message_pb2 as history_pb

from ._clock import seconds_of
from ._engine import ChildLink, NamespaceEngine, StartSpec
from ._history import attributes_of
from ._workflow_state import WorkflowRun

# Child close event per child close status: (event type, attribute copied from the child's close event).
_CHILD_CLOSE = {
    wf.WORKFLOW_EXECUTION_STATUS_COMPLETED: (
        ev.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
        "result",
    ),
    wf.WORKFLOW_EXECUTION_STATUS_FAILED: (ev.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, "failure"),
    wf.WORKFLOW_EXECUTION_STATUS_CANCELED: (
        ev.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
        "details",
    ),
    wf.WORKFLOW_EXECUTION_STATUS_TERMINATED: (
        ev.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
        "",
    ),
    wf.WORKFLOW_EXECUTION_STATUS_TIMED_OUT: (ev.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT, ""),
}


def _target_engine(home: NamespaceEngine, namespace: str) -> NamespaceEngine | None:
    """The engine of the namespace a command names (its own when none); None if it does not exist."""
    return home.registry.engine_or_none(namespace or home.namespace)


def start_child(
    home: NamespaceEngine,
    parent: WorkflowRun,
    initiated_id: int,
    attrs: command_pb.StartChildWorkflowExecutionCommandAttributes,
) -> None:
    """Start the child of a StartChildWorkflowExecution command; tell the parent how that went."""
    engine = _target_engine(home, attrs.namespace)
    if engine is None:
        _child_start_failed(
            parent,
            attrs,
            initiated_id,
            causes.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND,
        )
        return
    spec = StartSpec(
        workflow_id=attrs.workflow_id,
        workflow_type=attrs.workflow_type.name,
        task_queue=attrs.task_queue.name or parent.task_queue,
        input=attrs.input,
        execution_timeout=seconds_of(attrs.workflow_execution_timeout),
        run_timeout=seconds_of(attrs.workflow_run_timeout),
        task_timeout=seconds_of(attrs.workflow_task_timeout),
        header=attrs.header,
        memo=attrs.memo,
        search_attributes=attrs.search_attributes,
        retry_policy=attrs.retry_policy if attrs.HasField("retry_policy") else None,
        request_id=str(uuid.uuid4()),
    )
    link = ChildLink(parent, initiated_id, attrs.parent_close_policy, attrs.workflow_id, engine)

    def set_parent(started: history_pb.WorkflowExecutionStartedEventAttributes) -> None:
        started.parent_workflow_namespace = home.namespace
        started.parent_workflow_execution.CopyFrom(parent.execution)
        started.parent_initiated_event_id = initiated_id

    existing = engine.latest.get(attrs.workflow_id)
    reuse = attrs.workflow_id_reuse_policy
    if (existing is not None and existing.is_open) or (
        existing is not None and reuse == wf.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE
    ):
        _child_start_failed(
            parent,
            attrs,
            initiated_id,
            causes.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS,
        )
        return
    child = engine.create_run(spec, None, extra=set_parent)
    link.run_id = child.run_id
    engine.parent_links[child.run_id] = link
    home.child_links.setdefault(parent.run_id, []).append(link)

    def write_started() -> None:
        link.started_event_id = parent.history.append(
            ev.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
            namespace=engine.namespace,
            initiated_event_id=initiated_id,
            workflow_execution=child.execution,
            workflow_type=attrs.workflow_type,
            header=attrs.header,
        ).event_id

    parent.add_event(write_started)
    child.schedule_workflow_task()


def _child_start_failed(
    parent: WorkflowRun,
    attrs: command_pb.StartChildWorkflowExecutionCommandAttributes,
    initiated_id: int,
    cause: int,
) -> None:
    parent.add_event(
        lambda: parent.history.append(
            ev.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
            namespace=attrs.namespace or parent.engine.namespace,
            workflow_id=attrs.workflow_id,
            workflow_type=attrs.workflow_type,
            initiated_event_id=initiated_id,
            cause=cause,
            control=attrs.control,
        )
    )


def signal_external(
    home: NamespaceEngine,
    source: WorkflowRun,
    initiated_id: int,
    attrs: command_pb.SignalExternalWorkflowExecutionCommandAttributes,
) -> None:
    engine = _target_engine(home, attrs.namespace)
    target = (
        engine.find_open(attrs.execution.workflow_id, attrs.execution.run_id) if engine else None
    )
    if engine is None or target is None:
        cause = (
            causes.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND
            if engine is None
            else causes.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND
        )
        source.add_event(
            lambda: source.history.append(
                ev.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
                namespace=attrs.namespace or home.namespace,
                workflow_execution=attrs.execution,
                initiated_event_id=initiated_id,
                control=attrs.control,
                cause=cause,
            )
        )
        return
    engine.signal(
        target, attrs.signal_name, attrs.input, "", attrs.header, external=source.execution
    )
    source.add_event(
        lambda: source.history.append(
            ev.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED,
            namespace=engine.namespace,
            workflow_execution=target.execution,
            initiated_event_id=initiated_id,
            control=attrs.control,
        )
    )


def cancel_external(
    home: NamespaceEngine,
    source: WorkflowRun,
    initiated_id: int,
    attrs: command_pb.RequestCancelExternalWorkflowExecutionCommandAttributes,
) -> None:
    engine = _target_engine(home, attrs.namespace)
    target = engine.find_open(attrs.workflow_id, attrs.run_id) if engine else None
    execution = common.WorkflowExecution(workflow_id=attrs.workflow_id, run_id=attrs.run_id)
    if engine is None or target is None:
        cause = (
            causes.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND
            if engine is None
            else causes.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND
        )
        source.add_event(
            lambda: source.history.append(
                ev.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
                namespace=attrs.namespace or home.namespace,
                workflow_execution=execution,
                initiated_event_id=initiated_id,
                control=attrs.control,
                cause=cause,
            )
        )
        return
    engine.request_cancel(target, attrs.reason, "", external=(source, initiated_id))
    source.add_event(
        lambda: source.history.append(
            ev.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
            namespace=engine.namespace,
            workflow_execution=target.execution,
            initiated_event_id=initiated_id,
        )
    )


def on_run_closed(engine: NamespaceEngine, run: WorkflowRun) -> None:
    """Apply the closed run's parent close policies and tell its own parent, if it has one."""
    for child in engine.child_links.pop(run.run_id, []):
        apply_parent_close_policy(child)
    if run.successor_run_id:
        return  # the parent hears from the last run of the chain
    link = engine.parent_links.pop(run.run_id, None)
    if link is None or not link.parent.is_open:
        return
    event_type, field = _CHILD_CLOSE[run.status]
    close_attrs = attributes_of(run.close_event) if run.close_event is not None else None
    parent, namespace = link.parent, engine.namespace

    def write() -> None:
        event = parent.history.append(
            event_type,
            namespace=namespace,
            workflow_execution=common.WorkflowExecution(
                workflow_id=run.workflow_id, run_id=link.run_id
            ),
            workflow_type=common.WorkflowType(name=run.workflow_type),
            initiated_event_id=link.initiated_event_id,
            started_event_id=link.started_event_id,
        )
        target = attributes_of(event)
        if field and close_attrs is not None:
            getattr(target, field).CopyFrom(getattr(close_attrs, field))
        if hasattr(target, "retry_state") and close_attrs is not None:
            target.retry_state = getattr(close_attrs, "retry_state", 0)

    parent.add_event(write)


def apply_parent_close_policy(link: ChildLink) -> None:
    engine = link.engine
    child = engine.find_open(link.workflow_id, "")
    if child is None:
        return
    if link.close_policy in (wf.PARENT_CLOSE_POLICY_UNSPECIFIED, wf.PARENT_CLOSE_POLICY_TERMINATE):
        engine.terminate(child, "by parent close policy", None, "")
    elif link.close_policy == wf.PARENT_CLOSE_POLICY_REQUEST_CANCEL:
        engine.request_cancel(child, "by parent close policy", "")
