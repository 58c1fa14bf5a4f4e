"""Steps found in a run's history by their ids, and the reset point of each (built from synthetic events)."""

from __future__ import annotations

from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from wfb_jupyter.executions import read_history, step_of

E = EventType


class Events:
    def __init__(self) -> None:
        self.events: list[HistoryEvent] = []

    def add(self, kind: Any, attribute: str | None = None, **fields: Any) -> int:
        event = HistoryEvent(event_id=len(self.events) + 1, event_type=kind)
        if attribute is not None:
            getattr(event, attribute).SetInParent()
            for name, value in fields.items():
                setattr(getattr(event, attribute), name, value)
        self.events.append(event)
        return event.event_id

    def task(self) -> int:
        self.add(E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
        self.add(E.EVENT_TYPE_WORKFLOW_TASK_STARTED)
        return self.add(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)

    def activity(self, activity_id: str) -> int:
        return self.add(
            E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
            "activity_task_scheduled_event_attributes",
            activity_id=activity_id,
        )

    def completed(self, scheduled: int) -> int:
        return self.add(
            E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
            "activity_task_completed_event_attributes",
            scheduled_event_id=scheduled,
        )

    def failed(self, scheduled: int) -> int:
        return self.add(
            E.EVENT_TYPE_ACTIVITY_TASK_FAILED,
            "activity_task_failed_event_attributes",
            scheduled_event_id=scheduled,
        )


def test_step_of_strips_iteration_and_repeat() -> None:
    assert [step_of(r) for r in ("charge", "ship[2]", "retry#3", "ship[1]#2")] == [
        "charge",
        "ship",
        "retry",
        "ship",
    ]


def test_each_step_resets_to_the_task_that_scheduled_it_and_the_failed_step_is_found() -> None:
    h = Events()
    h.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
    first_task = h.task()
    one = h.activity("one")
    h.completed(one)
    second_task = h.task()
    two = h.activity("two")
    h.completed(two)
    third_task = h.task()
    three = h.activity("three")
    h.failed(three)
    h.task()
    h.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED)

    history = read_history(h.events, "wf", {})
    assert list(history.spans) == ["one", "two", "three"]
    assert [s.reset_event_id for s in history.spans.values()] == [
        first_task,
        second_task,
        third_task,
    ]
    assert history.failed_step == "three"
    assert history.kept_and_repeated(third_task) == (["one", "two"], ["three"])
    assert history.choices(["one", "two", "three", "four"]) == ["one", "two", "three"]


def test_parallel_siblings_scheduled_together_run_again_together() -> None:
    h = Events()
    h.task()
    a = h.activity("a")
    b = h.activity("b")
    h.completed(a)
    h.completed(b)
    history = read_history(h.events, "wf", {})
    assert history.spans["a"].reset_event_id == history.spans["b"].reset_event_id
    assert history.kept_and_repeated(history.spans["b"].reset_event_id) == ([], ["a", "b"])


def test_loop_items_children_and_timers_belong_to_their_steps() -> None:
    h = Events()
    h.task()
    first = h.activity("each_item[0]")
    second = h.activity("each_item[1]")
    h.completed(first)
    last_item = h.completed(second)
    child_task = h.task()
    h.add(
        E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
        "start_child_workflow_execution_initiated_event_attributes",
        workflow_id="wf/invoice",
    )
    timer_task = h.task()
    timer = h.add(E.EVENT_TYPE_TIMER_STARTED, "timer_started_event_attributes", timer_id="1")
    history = read_history(h.events, "wf", {timer: "nap"})
    assert list(history.spans) == ["each_item", "invoice", "nap"]
    assert history.spans["each_item"].last_event_id == last_item
    assert history.spans["invoice"].reset_event_id == child_task
    assert history.spans["nap"].reset_event_id == timer_task
    assert history.failed_step is None


def test_a_step_holding_others_spans_what_it_holds() -> None:
    h = Events()
    h.task()
    inner = h.activity("inner")
    h.completed(inner)
    h.task()
    after = h.activity("after")
    h.completed(after)
    history = read_history(h.events, "wf", {})
    parents = {"inner": "group"}
    span = history.span("group", parents)
    assert span is not None and span.reset_event_id == history.spans["inner"].reset_event_id
    assert history.span("missing", parents) is None
    assert history.choices(["group", "inner", "after", "later"], parents) == [
        "group",
        "inner",
        "after",
    ]
