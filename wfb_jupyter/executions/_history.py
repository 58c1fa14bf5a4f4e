"""Where each step of a run shows in its Temporal history, so that a re-run can start just before a step.

Generated workflows name their work after their steps: an activity's id is the step's run id (``charge``,
``ship[2]``, ``retry#3``), a child workflow's id ends with ``/<run id>``, and a ``sleep`` timer's summary is
the run id. A step's reset point is the workflow task that scheduled its first piece of work: resetting to
that task's ``WorkflowTaskCompleted`` event keeps every event before it (the steps that ran before are not
run again) and has the run decide that task again, on the same workflow type, so on the original's code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

_TASK_DONE = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
# Work that failed for good (an activity's last attempt, a child workflow): what a re-run starts from by default.
_FAILURES = frozenset(
    {
        EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
    }
)
# The attribute of each closing event that names the event that began its work.
_CLOSES = {
    "activity_task_completed_event_attributes": "scheduled_event_id",
    "activity_task_failed_event_attributes": "scheduled_event_id",
    "activity_task_timed_out_event_attributes": "scheduled_event_id",
    "activity_task_canceled_event_attributes": "scheduled_event_id",
    "child_workflow_execution_completed_event_attributes": "initiated_event_id",
    "child_workflow_execution_failed_event_attributes": "initiated_event_id",
    "child_workflow_execution_timed_out_event_attributes": "initiated_event_id",
    "child_workflow_execution_canceled_event_attributes": "initiated_event_id",
    "child_workflow_execution_terminated_event_attributes": "initiated_event_id",
    "timer_fired_event_attributes": "started_event_id",
    "timer_canceled_event_attributes": "started_event_id",
}


def step_of(run_id: str) -> str:
    """The step of a run id: ``ship[2]#3`` -> ``ship``."""
    for marker in ("[", "#"):
        run_id = run_id.split(marker, 1)[0]
    return run_id


@dataclass
class StepSpan:
    """A step's place in the history: the task to reset to, and its first and last events."""

    step: str
    reset_event_id: int
    first_event_id: int
    last_event_id: int


@dataclass
class RunHistory:
    spans: dict[str, StepSpan] = field(default_factory=dict)  # in the order the steps began
    failed_step: str | None = None  # the last step whose work failed for good

    def span(self, step: str, parents: Mapping[str, str] = {}) -> StepSpan | None:
        """A step's span; a step that holds others (a group, a branch, a loop) spans what it holds."""
        if step in self.spans:
            return self.spans[step]
        held = [span for name, span in self.spans.items() if _holds(step, name, parents)]
        if not held:
            return None
        first = min(held, key=lambda span: span.first_event_id)
        return StepSpan(
            step,
            first.reset_event_id,
            first.first_event_id,
            max(span.last_event_id for span in held),
        )

    def choices(self, steps: Sequence[str], parents: Mapping[str, str] = {}) -> list[str]:
        """The steps a re-run can start from: those that ran, in the order they began."""
        spans = [(step, self.span(step, parents)) for step in steps]
        ran = [
            (span.first_event_id, index, step) for index, (step, span) in enumerate(spans) if span
        ]
        return [step for _, _, step in sorted(ran)]

    def kept_and_repeated(self, reset_event_id: int) -> tuple[list[str], list[str]]:
        """Which steps a reset to ``reset_event_id`` keeps (all their events come before it) and which
        run again."""
        kept = [s.step for s in self.spans.values() if s.last_event_id < reset_event_id]
        return kept, [s.step for s in self.spans.values() if s.last_event_id >= reset_event_id]


def _holds(holder: str, step: str, parents: Mapping[str, str]) -> bool:
    parent = parents.get(step)
    while parent is not None:
        if parent == holder:
            return True
        parent = parents.get(parent)
    return False


def read_history(
    events: Iterable[HistoryEvent], workflow_id: str, timer_summaries: Mapping[int, str]
) -> RunHistory:
    """Map a run's events to its steps. ``timer_summaries`` are the decoded summaries of its timers, by
    event id (decoding needs the client's data converter)."""
    history = RunHistory()
    task_done = 0
    step_by_event: dict[int, str] = {}
    child_prefix = f"{workflow_id}/"
    for event in events:
        kind = event.event_type
        if kind == _TASK_DONE:
            task_done = event.event_id
            continue
        run_id = _run_id(event, child_prefix, timer_summaries)
        if run_id is not None:
            step = step_of(run_id)
            step_by_event[event.event_id] = step
            span = history.spans.get(step)
            if span is None:
                history.spans[step] = StepSpan(step, task_done, event.event_id, event.event_id)
            else:
                span.last_event_id = event.event_id
            continue
        begun = _begun_by(event)
        if begun is not None and begun in step_by_event:
            history.spans[step_by_event[begun]].last_event_id = event.event_id
            if kind in _FAILURES:
                history.failed_step = step_by_event[begun]
    return history


def _run_id(
    event: HistoryEvent, child_prefix: str, timer_summaries: Mapping[int, str]
) -> str | None:
    """The step run id of an event that begins a step's work, or None for any other event."""
    kind = event.event_type
    if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        return event.activity_task_scheduled_event_attributes.activity_id or None
    if kind == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        child = event.start_child_workflow_execution_initiated_event_attributes.workflow_id
        return child[len(child_prefix) :] if child.startswith(child_prefix) else None
    if kind == EventType.EVENT_TYPE_TIMER_STARTED:
        return timer_summaries.get(event.event_id)
    return None


def _begun_by(event: HistoryEvent) -> int | None:
    attributes = event.WhichOneof("attributes")
    name = _CLOSES.get(attributes or "")
    if name is None:
        return None
    return int(getattr(getattr(event, attributes or ""), name))
