"""Pins from a past execution: every activity and child workflow run that completed, with the result its
history recorded, keyed by run id; steps changed since (and the steps reading their results) are left to
run, so an edit to a later step replays the rest."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from temporalio.client import Client
from temporalio.converter import DataConverter

from wfb_jupyter.testrun._plan import Pin, step_of


async def recorded_results(client: Client, workflow_id: str, run_id: str | None) -> dict[str, Any]:
    """Run id -> recorded result of each activity and child workflow run that completed."""
    handle = client.get_workflow_handle(workflow_id, run_id=run_id or None)
    history = await handle.fetch_history()
    converter: DataConverter = client.data_converter
    activity_ids: dict[int, str] = {}
    child_ids: dict[int, str] = {}
    results: dict[str, Any] = {}
    for event in history.events:
        if event.HasField("activity_task_scheduled_event_attributes"):
            activity_ids[event.event_id] = (
                event.activity_task_scheduled_event_attributes.activity_id
            )
        elif event.HasField("activity_task_completed_event_attributes"):
            done = event.activity_task_completed_event_attributes
            if done.scheduled_event_id in activity_ids:
                results[activity_ids[done.scheduled_event_id]] = await _decoded(
                    converter, done.result
                )
        elif event.HasField("start_child_workflow_execution_initiated_event_attributes"):
            child = event.start_child_workflow_execution_initiated_event_attributes
            child_ids[event.event_id] = child.workflow_id.rpartition("/")[2]
        elif event.HasField("child_workflow_execution_completed_event_attributes"):
            done_child = event.child_workflow_execution_completed_event_attributes
            if done_child.initiated_event_id in child_ids:
                results[child_ids[done_child.initiated_event_id]] = await _decoded(
                    converter, done_child.result
                )
    return results


def recorded_pins(
    results: dict[str, Any], source: str, *, run_again: Iterable[str] = ()
) -> dict[str, Pin]:
    """Pins for the recorded results, except the runs of the steps in ``run_again``."""
    again = set(run_again)
    return {
        run_id: Pin(value, source=source)
        for run_id, value in results.items()
        if step_of(run_id) not in again
    }


async def _decoded(converter: DataConverter, payloads: Any) -> Any:
    values = await converter.decode(payloads.payloads) if payloads.payloads else []
    return values[0] if values else None
