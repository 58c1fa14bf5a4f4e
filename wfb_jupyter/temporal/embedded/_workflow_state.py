"""The mutable state of one workflow run: its history, its workflow task, and events waiting on that task.

While a workflow task is in a worker's hands, events that arrive (signals, activity results, fired timers...)
are buffered and written only once the task completes or fails: the worker's history ends at WorkflowTaskStarted,
so the next event id must belong to WorkflowTaskCompleted. Nothing here is durable.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import event_type_pb2 as ev
from temporalio.api.enums.v1 import task_queue_pb2 as tq_enums
from temporalio.api.enums.v1 import workflow_pb2 as wf_enums
from temporalio.api.history.v1 import message_pb2 as history_pb
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as rr

from ._clock import now, seconds_of, timestamp
from ._history import History, make_event
from ._queries import PendingQuery, RunQueries
from ._timers import Timers
from ._tokens import QUERY_TASK, WORKFLOW_TASK, TaskToken

if TYPE_CHECKING:
    from ._activities import ActivityState
    from ._engine import NamespaceEngine

DEFAULT_WORKFLOW_TASK_TIMEOUT = 10.0
# Failed workflow tasks are retried at once the first time, then with a growing pause so that a workflow
# that always fails does not spin the service.
_MAX_WORKFLOW_TASK_RETRY_DELAY = 10.0

# Writes one or more events; run now, or later if a workflow task is in flight.
EventWriter = Callable[[], object]

# A sticky queue with no poller waiting and none for this long has lost its worker.
_STICKY_POLL_GRACE_SECONDS = 10.0


@dataclass(eq=False)
class WorkflowTask:
    attempt: int
    scheduled_time: float
    # 0 while the task is transient (a retry whose scheduled/started events are written only on success).
    scheduled_event_id: int = 0
    started_event_id: int = 0
    started: bool = False
    # True once the scheduled event is in the history (always for first attempts).
    recorded: bool = False
    ticket: DispatchTicket | None = None
    queries: dict[str, PendingQuery] = field(default_factory=dict)
    transient_events: list[history_pb.HistoryEvent] = field(default_factory=list)


class DispatchTicket:
    """One offer of a workflow task or a query task on a task queue; superseded offers go stale."""

    __slots__ = ("run", "query")

    def __init__(self, run: WorkflowRun, query: PendingQuery | None = None) -> None:
        self.run = run
        self.query = query

    def is_live(self) -> bool:
        if self.query is not None:
            return (
                self.query.ticket is self
                and not self.query.dispatched
                and not self.query.result.done()
            )
        task = self.run.workflow_task
        return task is not None and task.ticket is self and not task.started and self.run.is_open


class WorkflowRun(RunQueries):
    """State machine for one run; the engine owns the collection and cross-run effects."""

    def __init__(
        self,
        engine: NamespaceEngine,
        workflow_id: str,
        run_id: str,
        started: history_pb.WorkflowExecutionStartedEventAttributes,
        request_id: str,
    ) -> None:
        self.engine = engine
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.started = started
        self.workflow_type = started.workflow_type.name
        self.task_queue = started.task_queue.name
        self.request_ids = {request_id} if request_id else set()
        self.history = History()
        self.status: wf_enums.WorkflowExecutionStatus.ValueType = (
            wf_enums.WORKFLOW_EXECUTION_STATUS_RUNNING
        )
        self.start_time = now()
        self.close_time: float | None = None
        self.timers = Timers()
        self.workflow_task: WorkflowTask | None = None
        self.last_completed_started_id = 0
        self.buffered: list[EventWriter] = []
        self.sticky_queue = ""
        self.sticky_timeout = 0.0
        self.pending_queries: list[PendingQuery] = []
        self.queries: dict[str, PendingQuery] = {}
        self.activities: dict[int, ActivityState] = {}
        self.user_timers: dict[str, int] = {}  # timer id -> TimerStarted event id
        self.children: dict[
            int, tuple[str, str]
        ] = {}  # initiated event id -> (workflow id, run id)
        self.search_attributes = common.SearchAttributes()
        self.search_attributes.CopyFrom(started.search_attributes)
        self.memo = common.Memo()
        self.memo.CopyFrom(started.memo)
        self.close_event: history_pb.HistoryEvent | None = None
        # The run that carries on after this one (continue-as-new or a workflow retry), if any.
        self.successor_run_id = ""
        # While a start delay or retry backoff runs, new events wait for the first workflow task.
        self.first_task_delayed = False
        self.cancel_requested = False
        self.workflow_task_timeout = (
            seconds_of(started.workflow_task_timeout) or DEFAULT_WORKFLOW_TASK_TIMEOUT
        )

    # -- identity ----------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status == wf_enums.WORKFLOW_EXECUTION_STATUS_RUNNING

    @property
    def execution(self) -> common.WorkflowExecution:
        return common.WorkflowExecution(workflow_id=self.workflow_id, run_id=self.run_id)

    def token(self, kind: str, scheduled_event_id: int, attempt: int, query_id: str = "") -> bytes:
        return TaskToken(
            kind,
            self.engine.namespace,
            self.workflow_id,
            self.run_id,
            scheduled_event_id,
            attempt,
            query_id,
        ).encode()

    # -- events ------------------------------------------------------------------------------------

    def add_event(self, writer: EventWriter) -> None:
        """Write an event that the workflow must see, now or after the in-flight workflow task."""
        if not self.is_open:
            return
        task = self.workflow_task
        if task is not None and task.started:
            self.buffered.append(writer)
            return
        writer()
        if task is None and not self.first_task_delayed:
            self.schedule_workflow_task()

    def schedule_first_workflow_task(self, delay: float) -> None:
        """Schedule the run's first workflow task, after a start delay or retry backoff if any."""
        if delay <= 0:
            self.schedule_workflow_task()
            return
        self.first_task_delayed = True

        def begin() -> None:
            self.first_task_delayed = False
            if self.is_open and self.workflow_task is None:
                self.schedule_workflow_task()

        self.timers.set("first-task", delay, begin)

    def flush_buffered(self) -> bool:
        if not self.buffered:
            return False
        writers, self.buffered = self.buffered, []
        for writer in writers:
            writer()
        return True

    # -- workflow tasks ----------------------------------------------------------------------------

    def schedule_workflow_task(self, attempt: int = 1, delay: float = 0.0) -> None:
        task = WorkflowTask(attempt=attempt, scheduled_time=now())
        if attempt == 1:
            task.scheduled_event_id = self.history.append(
                ev.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
                task_queue=self._current_task_queue(),
                start_to_close_timeout=self.started.workflow_task_timeout,
                attempt=attempt,
            ).event_id
            task.recorded = True
        self.workflow_task = task
        for query in self.pending_queries:
            task.queries[query.id] = query
        self.pending_queries.clear()
        if delay > 0:
            self.timers.set("wft-retry", delay, self._offer_workflow_task, task)
        else:
            self._offer_workflow_task(task)

    def _current_task_queue(self) -> taskqueue_pb.TaskQueue:
        if self.sticky_queue:
            return taskqueue_pb.TaskQueue(
                name=self.sticky_queue,
                kind=tq_enums.TASK_QUEUE_KIND_STICKY,
                normal_name=self.task_queue,
            )
        return taskqueue_pb.TaskQueue(name=self.task_queue, kind=tq_enums.TASK_QUEUE_KIND_NORMAL)

    def _offer_workflow_task(self, task: WorkflowTask) -> None:
        if self.workflow_task is not task or not self.is_open:
            return
        task.ticket = DispatchTicket(self)
        self._route(task.ticket)

    def _route(self, ticket: DispatchTicket) -> None:
        """Offer on the sticky queue when the run has one, falling back to the normal queue in time."""
        queues = self.engine.queues
        if self.sticky_queue and not self._sticky_worker_alive(self.sticky_queue):
            self.sticky_queue = ""
        if self.sticky_queue:
            queues.workflow_queue(self.sticky_queue).offer(ticket)
            self.engine.loop.call_later(self.sticky_timeout, self._unstick, ticket)
        else:
            queues.workflow_queue(self.task_queue).offer(ticket)

    def _sticky_worker_alive(self, name: str) -> bool:
        """Whether a worker still serves this sticky queue: it said nothing of shutting down, and it is
        polling now or polled moments ago (a worker that crashed leaves no waiting poll behind)."""
        if name in self.engine.dead_sticky_queues:
            return False
        queue = self.engine.queues.existing(name, workflow=True)
        if queue is None:
            return False
        if queue.has_pollers():
            return True
        last_poll = max(queue.poller_identities.values(), default=0.0)
        return now() - last_poll < _STICKY_POLL_GRACE_SECONDS

    def _unstick(self, ticket: DispatchTicket) -> None:
        if not ticket.is_live():
            return
        # The sticky worker did not pick the task up in time: forget it and use the normal queue.
        self.sticky_queue = ""
        self.reroute(ticket)

    def _ticket_for(self, query: PendingQuery) -> DispatchTicket:
        return DispatchTicket(self, query)

    def reroute(self, ticket: DispatchTicket) -> None:
        """Supersede ``ticket`` with a fresh offer on the normal queue."""
        fresh = DispatchTicket(self, ticket.query)
        if ticket.query is not None:
            ticket.query.ticket = fresh
        elif self.workflow_task is not None:
            self.workflow_task.ticket = fresh
        self.engine.queues.workflow_queue(self.task_queue).offer(fresh)

    def start_task(
        self, ticket: DispatchTicket, identity: str, from_sticky_queue: bool = False
    ) -> rr.PollWorkflowTaskQueueResponse:
        """Hand a polled workflow or query task to a worker and build its poll response.

        A worker polling its sticky queue has the run cached, so like a real server this sends it only the
        events after its last completed task; everywhere else the full history goes out.
        """
        started_at = now()
        response = rr.PollWorkflowTaskQueueResponse(
            workflow_execution=self.execution,
            workflow_type=common.WorkflowType(name=self.workflow_type),
            previous_started_event_id=self.last_completed_started_id,
            workflow_execution_task_queue=taskqueue_pb.TaskQueue(
                name=self.task_queue, kind=tq_enums.TASK_QUEUE_KIND_NORMAL
            ),
            started_time=timestamp(started_at),
        )
        if ticket.query is not None:
            query = ticket.query
            query.dispatched = True
            response.task_token = self.token(QUERY_TASK, 0, 0, query.id)
            response.query.CopyFrom(query.query)
            response.started_event_id = self.last_completed_started_id
            response.attempt = 1
            response.history.events.extend(self.history.events)
            response.scheduled_time.CopyFrom(timestamp(started_at))
            return response
        task = self.workflow_task
        assert task is not None
        task.started = True
        task.ticket = None
        if task.scheduled_event_id:
            task.started_event_id = self.history.append(
                ev.EVENT_TYPE_WORKFLOW_TASK_STARTED,
                scheduled_event_id=task.scheduled_event_id,
                identity=identity,
                request_id=str(uuid.uuid4()),
                history_size_bytes=self.history.size_bytes,
            ).event_id
            partial = from_sticky_queue and self.last_completed_started_id > 0
            first = self.last_completed_started_id if partial else 0
            response.history.events.extend(self.history.events[first:])
        else:
            next_id = self.history.next_event_id
            scheduled = make_event(
                next_id,
                ev.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
                task_queue=self._current_task_queue(),
                start_to_close_timeout=self.started.workflow_task_timeout,
                attempt=task.attempt,
            )
            started = make_event(
                next_id + 1,
                ev.EVENT_TYPE_WORKFLOW_TASK_STARTED,
                scheduled_event_id=next_id,
                identity=identity,
                request_id=str(uuid.uuid4()),
            )
            task.transient_events = [scheduled, started]
            task.scheduled_event_id, task.started_event_id = next_id, next_id + 1
            response.history.events.extend(self.history.events)
            response.history.events.extend(task.transient_events)
        response.task_token = self.token(WORKFLOW_TASK, task.scheduled_event_id, task.attempt)
        response.started_event_id = task.started_event_id
        response.attempt = task.attempt
        response.scheduled_time.CopyFrom(timestamp(task.scheduled_time))
        for query in task.queries.values():
            query.dispatched = True
            response.queries[query.id].CopyFrom(query.query)
        self.timers.set(
            "wft-timeout", self.workflow_task_timeout, self._workflow_task_timed_out, task
        )
        return response

    def started_task(self, token: TaskToken) -> WorkflowTask | None:
        task = self.workflow_task
        if (
            task is None
            or not task.started
            or not self.is_open
            or task.scheduled_event_id != token.scheduled_event_id
            or task.attempt != token.attempt
        ):
            return None
        return task

    def materialize(self, task: WorkflowTask) -> None:
        """Write a transient task's scheduled/started events now that it succeeded."""
        for event in task.transient_events:
            self.history.events.append(event)
            self.history.size_bytes += event.ByteSize()
        task.transient_events = []
        task.recorded = True

    def finish_task(self, task: WorkflowTask, completed_started_id: int) -> None:
        """Close out ``task`` after its completion was recorded, and schedule what comes next."""
        self.timers.cancel("wft-timeout")
        self.workflow_task = None
        self.last_completed_started_id = completed_started_id
        self._requeue_unanswered(task)
        if self.flush_buffered() and self.is_open and self.workflow_task is None:
            self.schedule_workflow_task()
        self.dispatch_idle_queries()

    def fail_task(
        self, task: WorkflowTask, event_type: ev.EventType.ValueType, **fields: Any
    ) -> None:
        """Record a failed or timed-out workflow task and retry it (transient after the first retry)."""
        self.timers.cancel("wft-timeout")
        if task.recorded:
            self.history.append(
                event_type,
                scheduled_event_id=task.scheduled_event_id,
                started_event_id=task.started_event_id,
                **fields,
            )
        self.workflow_task = None
        self._requeue_unanswered(task)
        new_events = self.flush_buffered()
        if not self.is_open:
            return
        if new_events:
            self.schedule_workflow_task()
            return
        attempt = task.attempt + 1
        delay = (
            0.0 if attempt <= 2 else min(0.2 * 2 ** (attempt - 3), _MAX_WORKFLOW_TASK_RETRY_DELAY)
        )
        self.schedule_workflow_task(attempt=attempt, delay=delay)

    def _workflow_task_timed_out(self, task: WorkflowTask) -> None:
        if self.workflow_task is not task or not self.is_open:
            return
        self.sticky_queue = ""
        self.fail_task(
            task,
            ev.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
            timeout_type=wf_enums.TIMEOUT_TYPE_START_TO_CLOSE,
        )

    # -- closing -----------------------------------------------------------------------------------

    def close(
        self,
        status: wf_enums.WorkflowExecutionStatus.ValueType,
        event_type: ev.EventType.ValueType,
        **fields: Any,
    ) -> history_pb.HistoryEvent:
        """Write the run's close event and release everything that waits on it."""
        self.close_event = self.history.append(event_type, **fields)
        self.status = status
        self.close_time = now()
        self.timers.cancel_all()
        task = self.workflow_task
        self.workflow_task = None
        if task is not None:
            self._requeue_unanswered(task)
        self.buffered.clear()
        for activity in self.activities.values():
            activity.ticket = None
        self.history.wake_waiters()
        self.engine.on_run_closed(self)
        # Queries still work on a closed run: the worker replays its history.
        self.dispatch_idle_queries()
        return self.close_event
