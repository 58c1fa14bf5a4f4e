"""Generated code executed by a real worker on the real Temporal server (the local one, or TEMPORAL_ADDRESS).

Each test compiles a golden definition, loads it, runs it with the real SDK worker (sandboxed) and asserts what it
did: the branch taken, real concurrency, the for_each limit, retry counts, the signal-timeout path, the on_error
route, queries answered mid-run.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import wfb_test_components as components
from compiler_fixtures import GOLDEN_DIR, load_compiled, running, start
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.worker import Replayer

pytestmark = pytest.mark.timeout(60)


def golden(name: str) -> Path:
    return GOLDEN_DIR / name / "definition.yaml"


@pytest.fixture(autouse=True)
def _fresh_component_state() -> None:
    components.reset()


async def activity_ids(handle: WorkflowHandle[Any, Any]) -> list[str]:
    history = await handle.fetch_history()
    return [
        event.activity_task_scheduled_event_attributes.activity_id
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]


@pytest.mark.parametrize(("size", "branch"), [(500, "big"), (50, "medium"), (1, "small")])
async def test_switch_takes_the_matching_branch(
    temporal_client: Client, task_queue: str, tmp_path: Path, size: int, branch: str
) -> None:
    loaded = load_compiled(golden("switch"), tmp_path)
    async with running(temporal_client, task_queue, loaded):
        handle = await start(temporal_client, loaded, task_queue, size=size)
        assert await handle.result() == branch
        progress = await handle.query("progress")
    assert progress["completed_steps"] == [branch, "route"]
    assert set(progress["pending_steps"]) == {"big", "medium", "small"} - {branch}


async def test_parallel_branches_run_concurrently(
    temporal_client: Client, task_queue: str, tmp_path: Path
) -> None:
    loaded = load_compiled(golden("parallel"), tmp_path)
    async with running(temporal_client, task_queue, loaded):
        began = time.monotonic()
        handle = await start(temporal_client, loaded, task_queue)
        assert await handle.result() == ["L", "R", "M"]
        elapsed = time.monotonic() - began
    assert components.peak["fan"] == 3  # all three 0.5 s activities were in flight at once
    assert elapsed < 1.4


async def test_for_each_holds_its_concurrency_limit(
    temporal_client: Client, task_queue: str, tmp_path: Path
) -> None:
    loaded = load_compiled(golden("for_each"), tmp_path)
    async with running(temporal_client, task_queue, loaded):
        handle = await start(temporal_client, loaded, task_queue, items=[1, 2, 3, 4, 5, 6])
        assert await handle.result() == [2, 4, 6, 8, 10, 12]
        ids = await activity_ids(handle)
    assert components.peak["each"] == 2
    assert sorted(ids) == sorted(
        [f"wait[{i}]" for i in range(6)] + [f"double[{i}]" for i in range(6)]
    )


async def test_retry_policy_counts_attempts(
    temporal_client: Client, task_queue: str, tmp_path: Path
) -> None:
    loaded = load_compiled(golden("activity_retry"), tmp_path)
    async with running(temporal_client, task_queue, loaded):
        handle = await start(temporal_client, loaded, task_queue, key="retry-me")
        assert await handle.result() == {"key": "retry-me", "attempts": 3}
    assert components.attempts["retry-me"] == 3  # failures: 2, so the third attempt succeeded


async def test_on_error_continue_handler_and_goto_route(
    temporal_client: Client, task_queue: str, tmp_path: Path
) -> None:
    loaded = load_compiled(golden("on_error"), tmp_path)
    async with running(temporal_client, task_queue, loaded):
        handle = await start(temporal_client, loaded, task_queue)
        assert await handle.result() == "recovered"
        progress = await handle.query("progress")
    assert components.attempts == {"tolerant": 2, "handled": 1, "routed": 1, "final": 1}
    assert [call["value"] for call in components.calls] == ["cleaned", "recovered"]
    assert "skipped_by_route" in progress["pending_steps"]
    assert progress["step_results"]["tolerant"]["error"]


async def test_signal_timeout_path_then_signal_delivery(
    temporal_client: Client, task_queue: str, tmp_path: Path
) -> None:
    loaded = load_compiled(golden("wait_signal"), tmp_path)
    async with running(temporal_client, task_queue, loaded):
        handle = await start(temporal_client, loaded, task_queue)
        for _ in range(
            100
        ):  # the first wait times out after 2 s and escalates; then the strict wait begins
            if (await handle.query("progress"))["current_step"] == "strict_wait":
                break
            await asyncio.sleep(0.1)
        assert components.calls == [{"value": "timed out"}]
        await handle.signal("approve", {"by": "ann"})
        assert await handle.result() == "approved by ann"


async def test_queries_answer_mid_run(
    temporal_client: Client, task_queue: str, tmp_path: Path
) -> None:
    loaded = load_compiled(golden("signals_queries"), tmp_path)
    async with running(temporal_client, task_queue, loaded):
        handle = await start(temporal_client, loaded, task_queue)
        await handle.signal("add_item", {"item": "apple"})
        await handle.signal("add_item", {"item": "pear"})
        assert await handle.query("last_item") == "pear"
        assert await handle.query("is_done") is False
        progress = await handle.query("progress")
        assert progress["status"] == "running"
        assert progress["current_step"] == "wait_finish"
        await handle.signal("finish")
        assert await handle.result() == "pear"
        assert await handle.query("is_done") is True


async def test_a_signal_sent_with_the_start_is_kept(
    temporal_client: Client, task_queue: str, tmp_path: Path
) -> None:
    """A signal delivered in the run's first workflow task is handled before ``run`` begins: the variables it
    sets must already exist, and must not be reset to their initial values afterwards."""
    loaded = load_compiled(golden("signals_queries"), tmp_path)
    async with running(temporal_client, task_queue, loaded):
        handle = await temporal_client.start_workflow(
            loaded.compiled.workflow_type,
            loaded.input(),
            id=f"wf-{uuid.uuid4()}",
            task_queue=task_queue,
            start_signal="add_item",
            start_signal_args=[{"item": "first"}],
        )
        assert await handle.query("last_item") == "first"
        await handle.signal("finish")
        assert await handle.result() == "first"


async def test_fail_step_fails_the_workflow_with_its_message(
    temporal_client: Client, task_queue: str, tmp_path: Path
) -> None:
    loaded = load_compiled(golden("fail"), tmp_path)
    async with running(temporal_client, task_queue, loaded):
        handle = await start(temporal_client, loaded, task_queue, reason="no stock")
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.message == "stopped: no stock"
    assert cause.type == "WorkflowFailed"


async def test_child_workflow_returns_the_child_result(
    temporal_client: Client, task_queue: str, tmp_path: Path
) -> None:
    child = load_compiled(golden("switch"), tmp_path)
    parent_text = golden("child_workflow").read_text()
    parent_text = parent_text.replace("switch-route.v1", child.compiled.workflow_type)
    parent = load_compiled(parent_text, tmp_path)
    async with running(temporal_client, task_queue, parent, child):
        handle = await start(temporal_client, parent, task_queue, size=500)
        assert await handle.result() == "big"


async def test_expressions_evaluate_like_python(
    temporal_client: Client, task_queue: str, tmp_path: Path
) -> None:
    loaded = load_compiled(golden("expressions"), tmp_path)
    async with running(temporal_client, task_queue, loaded):
        handle = await start(temporal_client, loaded, task_queue, name="  bob ")
        assert await handle.result() == ["Hi BOB!", 11, 3]


async def test_when_false_skips_and_graph_definition_runs(
    temporal_client: Client, task_queue: str, tmp_path: Path
) -> None:
    gated = load_compiled(golden("sequence"), tmp_path)
    graph = load_compiled(GOLDEN_DIR / "graph" / "definition.json", tmp_path)
    async with running(temporal_client, task_queue, gated, graph):
        skipped = await start(temporal_client, gated, task_queue, run_group=False)
        assert await skipped.result() is None
        assert (await skipped.query("progress"))["skipped_steps"] == ["group"]
        small = await start(temporal_client, graph, task_queue, amount=5)
        result = await small.result()
    assert result["check_switch"] == "small"


@pytest.mark.parametrize(
    ("case", "values"),
    [("for_each", {}), ("parallel", {}), ("on_error", {}), ("expressions", {"name": "x"})],
)
async def test_histories_replay_on_the_same_code(
    temporal_client: Client, task_queue: str, tmp_path: Path, case: str, values: dict[str, Any]
) -> None:
    """Generated code is deterministic: its own history replays without a nondeterminism error."""
    loaded = load_compiled(golden(case), tmp_path)
    async with running(temporal_client, task_queue, loaded):
        handle = await start(temporal_client, loaded, task_queue, **values)
        await handle.result()
        history = await handle.fetch_history()
    result = await Replayer(workflows=[loaded.workflow_class]).replay_workflow(history)
    assert result.replay_failure is None


async def test_updates_answer_refuse_and_change_state(
    temporal_client: Client, task_queue: str, tmp_path: Path
) -> None:
    from temporalio.client import WorkflowUpdateFailedError

    loaded = load_compiled(golden("updates"), tmp_path)
    async with running(temporal_client, task_queue, loaded):
        handle = await start(temporal_client, loaded, task_queue, amount=1500)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update("approve", {"by": "grace"})
        cause = refused.value.cause
        assert isinstance(cause, ApplicationError) and cause.type == "UpdateRejected"
        assert cause.message == "rejected: 1500 is over the limit of 1000"
        assert await handle.query("approver") is None  # a refused update changed nothing
        with pytest.raises(WorkflowUpdateFailedError, match="update"):
            await handle.execute_update("approve", "not a mapping")
        assert await handle.execute_update("raise_limit", {"limit": 2000}) == 2000
        answer = await handle.execute_update("approve", {"by": "grace"})
        assert answer == {"approved_by": "grace", "amount": 1500}
        assert await handle.query("approver") == "grace"
        await handle.signal("done")
        assert await handle.result() == "grace"


DEFAULTED_PAYLOADS = """\
name: defaulted
vars: {approved: null, note: null, level: null}
signals:
  decide:
    payload: {approved: boolean, note: {type: string, default: "no note"}}
    set: {approved: "${signal.approved}", note: "${signal.note}"}
updates:
  escalate:
    payload: {level: {type: integer, default: 1}}
    validate: ${update.level < 3}
    set: {level: "${update.level}"}
    result: ${update.level}
steps:
  - wait_signal: decide
    timeout: 1h
output: {approved: "${vars.approved}", note: "${vars.note}", level: "${vars.level}"}
"""


async def test_payload_defaults_are_filled_in_by_the_workflow(
    temporal_client: Client, task_queue: str, tmp_path: Path
) -> None:
    """A signal or update sent without a field that has a default (by the CLI, say) gets the default."""
    loaded = load_compiled(DEFAULTED_PAYLOADS, tmp_path)
    async with running(temporal_client, task_queue, loaded):
        handle = await start(temporal_client, loaded, task_queue)
        assert await handle.execute_update("escalate", {}) == 1
        await handle.signal("decide", {"approved": True})
        assert await handle.result() == {"approved": True, "note": "no note", "level": 1}
