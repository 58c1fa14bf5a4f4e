"""The executions of one namespace and everything that crosses runs: starts, id reuse, signals, cancellation,
termination, continue-as-new, child workflows and external signals/cancels.

All of it runs on the service's single asyncio loop, so no locks are needed. Nothing is durable.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from temporalio.api.command.v1 import message_pb2 as command_pb
from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import event_type_pb2 as ev
from temporalio.api.enums.v1 import failed_cause_pb2 as causes
from temporalio.api.enums.v1 import workflow_pb2 as wf
from temporalio.api.history.v1 import message_pb2 as history_pb

from ._clock import duration, now, seconds_of, timestamp
from ._errors import already_started, check_blob, invalid_argument, not_found, workflow_not_found
from ._history import attributes_of
from ._task_queues import TaskQueueRegistry
from ._workflow_state import WorkflowRun

if TYPE_CHECKING:
    from ._namespaces import NamespaceRegistry

_FAILED_CLOSE = frozenset(
    {
        wf.WORKFLOW_EXECUTION_STATUS_FAILED,
        wf.WORKFLOW_EXECUTION_STATUS_CANCELED,
        wf.WORKFLOW_EXECUTION_STATUS_TERMINATED,
        wf.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
    }
)

# Child close event per child close status: (event type, attribute copied from the child's close event).
_CHILD_CLOSE = {
    wf.WORKFLOW_EXECUTION_STATUS_COMPLETED: (ev.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, "result"),
    wf.WORKFLOW_EXECUTION_STATUS_FAILED: (ev.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, "failure"),
    wf.WORKFLOW_EXECUTION_STATUS_CANCELED: (ev.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED, "details"),
    wf.WORKFLOW_EXECUTION_STATUS_TERMINATED: (ev.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED, ""),
    wf.WORKFLOW_EXECUTION_STATUS_TIMED_OUT: (ev.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT, ""),
}


@dataclass(eq=False)
class StartSpec:
    """What a new run needs, whichever way it was started (client, child, continue-as-new)."""

    workflow_id: str
    workflow_type: str
    task_queue: str
    input: common.Payloads
    execution_timeout: float = 0.0
    run_timeout: float = 0.0
    task_timeout: float = 0.0
    identity: str = ""
    request_id: str = ""
    header: common.Header | None = None
    memo: common.Memo | None = None
    search_attributes: common.SearchAttributes | None = None
    retry_policy: common.RetryPolicy | None = None


@dataclass(eq=False)
class ChildLink:
    """The parent's view of a child: where to report and what to do when the parent closes."""

    parent: WorkflowRun
    initiated_event_id: int
    close_policy: int
    workflow_id: str
    run_id: str = ""
    started_event_id: int = 0


class NamespaceEngine:
    def __init__(self, namespace: str, registry: NamespaceRegistry) -> None:
        self.namespace = namespace
        self.registry = registry
        self.loop = asyncio.get_running_loop()
        self.queues = TaskQueueRegistry()
        self.runs: dict[str, WorkflowRun] = {}  # run id -> run, in start order
        self.latest: dict[str, WorkflowRun] = {}  # workflow id -> its most recent run
        self.parent_links: dict[str, ChildLink] = {}  # child run id -> link to its parent
        self.child_links: dict[str, list[ChildLink]] = {}  # parent run id -> its children
        # Sticky queues whose worker said it shut down; a run sticky to one falls back at once.
        self.dead_sticky_queues: set[str] = set()

    # -- lookups ------------------------------------------------------------------------------------------

    def get_run(self, workflow_id: str, run_id: str = "") -> WorkflowRun:
        if not workflow_id:
            raise invalid_argument("WorkflowId is not set on request.")
        run = self.runs.get(run_id) if run_id else self.latest.get(workflow_id)
        if run is None or run.workflow_id != workflow_id:
            raise workflow_not_found(workflow_id, run_id)
        return run

    def get_open_run(self, workflow_id: str, run_id: str = "") -> WorkflowRun:
        run = self.get_run(workflow_id, run_id)
        if not run.is_open:
            raise not_found("workflow execution already completed")
        return run

    # -- starting -----------------------------------------------------------------------------------------

    def start(
        self,
        spec: StartSpec,
        reuse_policy: int = 0,
        conflict_policy: int = 0,
        before_first_task: Callable[[WorkflowRun], None] | None = None,
    ) -> tuple[WorkflowRun, bool]:
        """Start a run (or return the existing one under USE_EXISTING); ``(run, started)``."""
        _validate_spec(spec)
        existing = self.latest.get(spec.workflow_id)
        if existing is not None and spec.request_id and spec.request_id in existing.request_ids:
            return existing, False
        if existing is not None and existing.is_open:
            if conflict_policy == wf.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING:
                return existing, False
            terminate = (
                conflict_policy == wf.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING
                or reuse_policy == wf.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING
            )
            if not terminate:
                raise already_started(spec.workflow_id, existing.run_id, spec.request_id)
            self.terminate(existing, "terminated by a new start with the same workflow id", None,
                           spec.identity)
        elif existing is not None:
            rejected = reuse_policy == wf.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE or (
                reuse_policy == wf.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY
                and existing.status not in _FAILED_CLOSE
            )
            if rejected:
                raise already_started(spec.workflow_id, existing.run_id, spec.request_id)
        run = self._create_run(spec, expiration=None)
        if before_first_task is not None:
            before_first_task(run)
        run.schedule_workflow_task()
        return run, True

    def _create_run(
        self,
        spec: StartSpec,
        expiration: float | None,
        first_run_id: str = "",
        extra: Callable[[history_pb.WorkflowExecutionStartedEventAttributes], None] | None = None,
    ) -> WorkflowRun:
        run_id = str(uuid.uuid4())
        run_timeout = spec.run_timeout or spec.execution_timeout
        if expiration is None and spec.execution_timeout > 0:
            expiration = now() + spec.execution_timeout
        attrs = history_pb.WorkflowExecutionStartedEventAttributes(
            workflow_type=common.WorkflowType(name=spec.workflow_type),
            task_queue={"name": spec.task_queue, "kind": 1},
            input=spec.input,
            workflow_task_timeout=duration(spec.task_timeout or 10.0),
            original_execution_run_id=run_id,
            first_execution_run_id=first_run_id or run_id,
            identity=spec.identity,
            attempt=1,
            workflow_id=spec.workflow_id,
        )
        if spec.execution_timeout > 0:
            attrs.workflow_execution_timeout.CopyFrom(duration(spec.execution_timeout))
        if run_timeout > 0:
            attrs.workflow_run_timeout.CopyFrom(duration(run_timeout))
        if expiration is not None:
            attrs.workflow_execution_expiration_time.CopyFrom(timestamp(expiration))
        for name in ("header", "memo", "search_attributes", "retry_policy"):
            value = getattr(spec, name)
            if value is not None:
                getattr(attrs, name).CopyFrom(value)
        if extra is not None:
            extra(attrs)
        run = WorkflowRun(self, spec.workflow_id, run_id, attrs, spec.request_id)
        run.history.append(ev.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, attrs)
        self.runs[run_id] = run
        self.latest[spec.workflow_id] = run
        deadlines = [d for d in (expiration, now() + run_timeout if run_timeout else None) if d]
        if deadlines:
            run.timers.set("run-timeout", min(deadlines) - now(), self._timed_out, run)
        return run

    def _timed_out(self, run: WorkflowRun) -> None:
        if run.is_open:
            run.close(wf.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, ev.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
                      retry_state=wf.RETRY_STATE_RETRY_POLICY_NOT_SET)

    def continue_as_new(
        self, run: WorkflowRun, attrs: command_pb.ContinueAsNewWorkflowExecutionCommandAttributes,
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
            header=attrs.header, memo=attrs.memo if attrs.HasField("memo") else run.memo,
            search_attributes=(attrs.search_attributes if attrs.HasField("search_attributes")
                               else run.search_attributes),
            retry_policy=attrs.retry_policy if attrs.HasField("retry_policy") else None,
        )
        expiration = (seconds_of(old.workflow_execution_expiration_time)
                      if old.HasField("workflow_execution_expiration_time") else None)

        def link(started: history_pb.WorkflowExecutionStartedEventAttributes) -> None:
            started.continued_execution_run_id = run.run_id
            started.initiator = attrs.initiator or wf.CONTINUE_AS_NEW_INITIATOR_WORKFLOW
            started.last_completion_result.CopyFrom(attrs.last_completion_result)
            for name in ("parent_workflow_namespace", "parent_workflow_execution",
                         "parent_initiated_event_id", "root_workflow_execution"):
                if name in ("parent_workflow_namespace", "parent_initiated_event_id"):
                    setattr(started, name, getattr(old, name))
                elif old.HasField(name):
                    getattr(started, name).CopyFrom(getattr(old, name))

        new_run = self._create_run(spec, expiration, old.first_execution_run_id, link)
        run.close(
            wf.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
            ev.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
            new_execution_run_id=new_run.run_id, workflow_type=new_run.started.workflow_type,
            task_queue=new_run.started.task_queue, input=attrs.input,
            workflow_run_timeout=new_run.started.workflow_run_timeout,
            workflow_task_timeout=new_run.started.workflow_task_timeout,
            workflow_task_completed_event_id=completed_id, initiator=attrs.initiator,
            header=attrs.header, last_completion_result=attrs.last_completion_result,
        )
        # The latest run must be the new one even though the old one closed after it was created.
        self.latest[run.workflow_id] = new_run
        link_to_parent = self.parent_links.pop(run.run_id, None)
        if link_to_parent is not None:
            self.parent_links[new_run.run_id] = link_to_parent
        new_run.schedule_workflow_task()

    # -- signals, cancellation, termination ---------------------------------------------------------------

    def signal(self, run: WorkflowRun, name: str, payloads: common.Payloads, identity: str,
               header: common.Header | None = None, request_id: str = "",
               external: common.WorkflowExecution | None = None) -> None:
        if not name:
            raise invalid_argument("SignalName is not set on request.")
        check_blob("signal input", payloads.ByteSize())
        if request_id and request_id in run.request_ids:
            return
        if request_id:
            run.request_ids.add(request_id)

        def write() -> None:
            event = run.history.append(
                ev.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, signal_name=name, input=payloads,
                identity=identity, request_id=request_id,
            )
            attrs = event.workflow_execution_signaled_event_attributes
            if header is not None:
                attrs.header.CopyFrom(header)
            if external is not None:
                attrs.external_workflow_execution.CopyFrom(external)

        run.add_event(write)

    def request_cancel(self, run: WorkflowRun, reason: str, identity: str,
                       external: tuple[WorkflowRun, int] | None = None) -> None:
        if run.cancel_requested:
            return
        run.cancel_requested = True

        def write() -> None:
            event = run.history.append(
                ev.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, cause=reason, identity=identity
            )
            if external is not None:
                attrs = event.workflow_execution_cancel_requested_event_attributes
                attrs.external_workflow_execution.CopyFrom(external[0].execution)
                attrs.external_initiated_event_id = external[1]

        run.add_event(write)

    def terminate(self, run: WorkflowRun, reason: str, details: common.Payloads | None,
                  identity: str) -> None:
        task = run.workflow_task
        if task is not None and task.started:
            run.timers.cancel("wft-timeout")
            run.materialize(task)
            run.history.append(
                ev.EVENT_TYPE_WORKFLOW_TASK_FAILED, scheduled_event_id=task.scheduled_event_id,
                started_event_id=task.started_event_id,
                cause=causes.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND, identity=identity,
            )
        run.flush_buffered()
        run.close(wf.WORKFLOW_EXECUTION_STATUS_TERMINATED, ev.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
                  reason=reason, details=details or common.Payloads(), identity=identity)

    # -- children and external workflows ------------------------------------------------------------------

    def start_child(self, parent: WorkflowRun, initiated_id: int,
                    attrs: command_pb.StartChildWorkflowExecutionCommandAttributes) -> None:
        engine = self.registry.engine_or_none(attrs.namespace or self.namespace) or self
        spec = StartSpec(
            workflow_id=attrs.workflow_id, workflow_type=attrs.workflow_type.name,
            task_queue=attrs.task_queue.name or parent.task_queue, input=attrs.input,
            execution_timeout=seconds_of(attrs.workflow_execution_timeout),
            run_timeout=seconds_of(attrs.workflow_run_timeout),
            task_timeout=seconds_of(attrs.workflow_task_timeout),
            header=attrs.header, memo=attrs.memo, search_attributes=attrs.search_attributes,
            retry_policy=attrs.retry_policy if attrs.HasField("retry_policy") else None,
            request_id=str(uuid.uuid4()),
        )
        link = ChildLink(parent, initiated_id, attrs.parent_close_policy, attrs.workflow_id)

        def set_parent(started: history_pb.WorkflowExecutionStartedEventAttributes) -> None:
            started.parent_workflow_namespace = self.namespace
            started.parent_workflow_execution.CopyFrom(parent.execution)
            started.parent_initiated_event_id = initiated_id

        existing = engine.latest.get(attrs.workflow_id)
        reuse = attrs.workflow_id_reuse_policy
        if (existing is not None and existing.is_open) or (
            existing is not None and reuse == wf.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE
        ):
            parent.add_event(lambda: parent.history.append(
                ev.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
                namespace=engine.namespace, workflow_id=attrs.workflow_id,
                workflow_type=attrs.workflow_type, initiated_event_id=initiated_id,
                cause=1,  # START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS
                control=attrs.control,
            ))
            return
        _validate_spec(spec)
        child = engine._create_run(spec, None, extra=set_parent)
        link.run_id = child.run_id
        engine.parent_links[child.run_id] = link
        self.child_links.setdefault(parent.run_id, []).append(link)

        def write_started() -> None:
            link.started_event_id = parent.history.append(
                ev.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, namespace=engine.namespace,
                initiated_event_id=initiated_id, workflow_execution=child.execution,
                workflow_type=attrs.workflow_type, header=attrs.header,
            ).event_id

        parent.add_event(write_started)
        child.schedule_workflow_task()

    def signal_external(self, source: WorkflowRun, initiated_id: int,
                        attrs: command_pb.SignalExternalWorkflowExecutionCommandAttributes) -> None:
        engine = self.registry.engine_or_none(attrs.namespace or self.namespace) or self
        target = engine._find_open(attrs.execution.workflow_id, attrs.execution.run_id)
        if target is None:
            source.add_event(lambda: source.history.append(
                ev.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, namespace=engine.namespace,
                workflow_execution=attrs.execution, initiated_event_id=initiated_id,
                control=attrs.control,
                cause=1,  # SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND
            ))
            return
        engine.signal(target, attrs.signal_name, attrs.input, "", attrs.header,
                      external=source.execution)
        source.add_event(lambda: source.history.append(
            ev.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, namespace=engine.namespace,
            workflow_execution=target.execution, initiated_event_id=initiated_id,
            control=attrs.control,
        ))

    def cancel_external(
        self, source: WorkflowRun, initiated_id: int,
        attrs: command_pb.RequestCancelExternalWorkflowExecutionCommandAttributes,
    ) -> None:
        engine = self.registry.engine_or_none(attrs.namespace or self.namespace) or self
        target = engine._find_open(attrs.workflow_id, attrs.run_id)
        execution = common.WorkflowExecution(workflow_id=attrs.workflow_id, run_id=attrs.run_id)
        if target is None:
            source.add_event(lambda: source.history.append(
                ev.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
                namespace=engine.namespace, workflow_execution=execution,
                initiated_event_id=initiated_id, control=attrs.control,
                cause=1,  # CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND
            ))
            return
        engine.request_cancel(target, attrs.reason, "", external=(source, initiated_id))
        source.add_event(lambda: source.history.append(
            ev.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED, namespace=engine.namespace,
            workflow_execution=target.execution, initiated_event_id=initiated_id,
        ))

    def _find_open(self, workflow_id: str, run_id: str) -> WorkflowRun | None:
        run = self.runs.get(run_id) if run_id else self.latest.get(workflow_id)
        if run is None or run.workflow_id != workflow_id or not run.is_open:
            return None
        return run

    # -- closing ------------------------------------------------------------------------------------------

    def on_run_closed(self, run: WorkflowRun) -> None:
        for link in self.child_links.pop(run.run_id, []):
            self._apply_parent_close_policy(link)
        if run.status == wf.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
            return  # the parent hears from the last run of the chain
        link = self.parent_links.pop(run.run_id, None)
        if link is None or not link.parent.is_open:
            return
        event_type, field = _CHILD_CLOSE[run.status]
        close_attrs = attributes_of(run.close_event) if run.close_event is not None else None
        parent, namespace = link.parent, self.namespace

        def write() -> None:
            event = parent.history.append(
                event_type, namespace=namespace,
                workflow_execution=common.WorkflowExecution(workflow_id=run.workflow_id,
                                                            run_id=link.run_id),
                workflow_type=common.WorkflowType(name=run.workflow_type),
                initiated_event_id=link.initiated_event_id, started_event_id=link.started_event_id,
            )
            target = attributes_of(event)
            if field and close_attrs is not None:
                getattr(target, field).CopyFrom(getattr(close_attrs, field))
            if hasattr(target, "retry_state") and close_attrs is not None:
                target.retry_state = getattr(close_attrs, "retry_state", 0)

        parent.add_event(write)

    def _apply_parent_close_policy(self, link: ChildLink) -> None:
        child = self._find_open(link.workflow_id, "")
        if child is None:
            return
        if link.close_policy in (wf.PARENT_CLOSE_POLICY_UNSPECIFIED, wf.PARENT_CLOSE_POLICY_TERMINATE):
            self.terminate(child, "by parent close policy", None, "")
        elif link.close_policy == wf.PARENT_CLOSE_POLICY_REQUEST_CANCEL:
            self.request_cancel(child, "by parent close policy", "")


def _validate_spec(spec: StartSpec) -> None:
    if not spec.workflow_id:
        raise invalid_argument("WorkflowId is not set on request.")
    if not spec.workflow_type:
        raise invalid_argument("WorkflowType is not set on request.")
    if not spec.task_queue:
        raise invalid_argument("TaskQueue is not set on request.")
    if min(spec.execution_timeout, spec.run_timeout, spec.task_timeout) < 0:
        raise invalid_argument("Timeouts must not be negative.")
    check_blob("workflow input", spec.input.ByteSize())
