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

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import event_type_pb2 as ev
from temporalio.api.enums.v1 import failed_cause_pb2 as causes
from temporalio.api.enums.v1 import task_queue_pb2 as tq_enums
from temporalio.api.enums.v1 import workflow_pb2 as wf
from temporalio.api.history.v1 import message_pb2 as history_pb
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue_pb

from ._clock import duration, now, seconds_of, timestamp
from ._errors import already_started, check_blob, invalid_argument, not_found, workflow_not_found
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
    start_delay: float = 0.0


@dataclass(eq=False)
class ChildLink:
    """The parent's view of a child: where to report and what to do when the parent closes."""

    parent: WorkflowRun
    initiated_event_id: int
    close_policy: int
    workflow_id: str
    # The engine of the child's namespace.
    engine: NamespaceEngine
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

    # -- lookups -----------------------------------------------------------------------------------

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

    # -- starting ----------------------------------------------------------------------------------

    def start(
        self,
        spec: StartSpec,
        reuse_policy: int = 0,
        conflict_policy: int = 0,
        before_first_task: Callable[[WorkflowRun], None] | None = None,
    ) -> tuple[WorkflowRun, bool]:
        """Start a run (or return the existing one under USE_EXISTING); ``(run, started)``."""
        validate_spec(spec)
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
            self.terminate(
                existing, "terminated by a new start with the same workflow id", None, spec.identity
            )
        elif existing is not None:
            rejected = reuse_policy == wf.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE or (
                reuse_policy == wf.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY
                and existing.status not in _FAILED_CLOSE
            )
            if rejected:
                raise already_started(spec.workflow_id, existing.run_id, spec.request_id)
        run = self.create_run(spec, expiration=None)
        if before_first_task is not None:
            before_first_task(run)
        run.schedule_first_workflow_task(spec.start_delay)
        return run, True

    def create_run(
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
            task_queue=taskqueue_pb.TaskQueue(
                name=spec.task_queue, kind=tq_enums.TASK_QUEUE_KIND_NORMAL
            ),
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
        if spec.start_delay > 0:
            attrs.first_workflow_task_backoff.CopyFrom(duration(spec.start_delay))
        for name in ("header", "memo", "search_attributes", "retry_policy"):
            value = getattr(spec, name)
            if value is not None:
                getattr(attrs, name).CopyFrom(value)
        if extra is not None:
            extra(attrs)
        run = WorkflowRun(self, spec.workflow_id, run_id, attrs, spec.request_id)
        # Events (a signal-with-start's signal) must not start the run before its delay is over.
        run.first_task_delayed = spec.start_delay > 0
        run.history.append(ev.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, attrs)
        self.runs[run_id] = run
        self.latest[spec.workflow_id] = run
        deadlines = [d for d in (expiration, now() + run_timeout if run_timeout else None) if d]
        if deadlines:
            run.timers.set("run-timeout", min(deadlines) - now(), self._timed_out, run)
        return run

    def _timed_out(self, run: WorkflowRun) -> None:
        if run.is_open:
            run.close(
                wf.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
                ev.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
                retry_state=wf.RETRY_STATE_RETRY_POLICY_NOT_SET,
            )

    # -- signals, cancellation, termination --------------------------------------------------------

    def signal(
        self,
        run: WorkflowRun,
        name: str,
        payloads: common.Payloads,
        identity: str,
        header: common.Header | None = None,
        request_id: str = "",
        external: common.WorkflowExecution | None = None,
    ) -> None:
        if not name:
            raise invalid_argument("SignalName is not set on request.")
        check_blob("signal input", payloads.ByteSize())
        if request_id and request_id in run.request_ids:
            return
        if request_id:
            run.request_ids.add(request_id)

        def write() -> None:
            event = run.history.append(
                ev.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
                signal_name=name,
                input=payloads,
                identity=identity,
                request_id=request_id,
            )
            attrs = event.workflow_execution_signaled_event_attributes
            if header is not None:
                attrs.header.CopyFrom(header)
            if external is not None:
                attrs.external_workflow_execution.CopyFrom(external)

        run.add_event(write)

    def request_cancel(
        self,
        run: WorkflowRun,
        reason: str,
        identity: str,
        external: tuple[WorkflowRun, int] | None = None,
    ) -> None:
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

    def terminate(
        self, run: WorkflowRun, reason: str, details: common.Payloads | None, identity: str
    ) -> None:
        task = run.workflow_task
        if task is not None and task.started:
            run.timers.cancel("wft-timeout")
            run.materialize(task)
            run.history.append(
                ev.EVENT_TYPE_WORKFLOW_TASK_FAILED,
                scheduled_event_id=task.scheduled_event_id,
                started_event_id=task.started_event_id,
                cause=causes.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
                identity=identity,
            )
        run.flush_buffered()
        run.close(
            wf.WORKFLOW_EXECUTION_STATUS_TERMINATED,
            ev.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
            reason=reason,
            details=details or common.Payloads(),
            identity=identity,
        )

    # -- lookups across runs and closing -----------------------------------------------------------

    def find_open(self, workflow_id: str, run_id: str) -> WorkflowRun | None:
        run = self.runs.get(run_id) if run_id else self.latest.get(workflow_id)
        if run is None or run.workflow_id != workflow_id or not run.is_open:
            return None
        return run

    def on_run_closed(self, run: WorkflowRun) -> None:
        # Imported here: the child-workflow module builds on this one.
        from ._children import on_run_closed

        on_run_closed(self, run)
        retention = seconds_of(self.registry.get(self.namespace).retention)
        self.loop.call_later(retention, self._forget, run)

    def _forget(self, run: WorkflowRun) -> None:
        """Drop a closed run once the namespace's retention period has passed, as a server would."""
        self.runs.pop(run.run_id, None)
        if self.latest.get(run.workflow_id) is run:
            del self.latest[run.workflow_id]


def validate_spec(spec: StartSpec) -> None:
    if not spec.workflow_id:
        raise invalid_argument("WorkflowId is not set on request.")
    if not spec.workflow_type:
        raise invalid_argument("WorkflowType is not set on request.")
    if not spec.task_queue:
        raise invalid_argument("TaskQueue is not set on request.")
    if min(spec.execution_timeout, spec.run_timeout, spec.task_timeout) < 0:
        raise invalid_argument("Timeouts must not be negative.")
    check_blob("workflow input", spec.input.ByteSize())
