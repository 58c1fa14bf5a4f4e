"""End-to-end latency of one 3-step workflow, one at a time, on the local Temporal server as the product runs it.

Managed: the compiled workflow started and awaited the way ``ws.run(..., wait=True)`` does (execution rows and
activity recording on, its project worker). Plain: a hand-written temporalio workflow of three no-op
activities on a plain ``Worker``, started with ``execute_workflow``. Both on the same server, rounds
alternating. Prints p50/p90 of each, their ratio, and where the time goes, read from the histories: start to
the first workflow task, each step (scheduled, started, completed), and close to result at the caller.

Usage: python benchmarks/latency.py [--runs 40] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

from _plain_three_noops import ThreeNoops, noop
from _servers import managed_server
from overhead import THREE_NOOPS, new_database, new_project, store
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from wfb_jupyter.executions import close_finished_executions, start_execution, wait_for_result
from wfb_jupyter.temporal import TemporalConnection, TemporalSettings
from wfb_jupyter.workers import ProjectWorkerManager

WARM_UP = 10


async def phases(handle: WorkflowHandle, started: float, returned: float) -> dict[str, float]:
    """Milliseconds between the history's milestones; ``started`` and ``returned`` are the caller's clock
    (``time.time()``) when it asked for the start and when it had the result."""
    events = [event async for event in handle.fetch_history_events()]
    stamp = {}
    out: dict[str, float] = {}
    step = 0
    previous = None
    for event in events:
        at = event.event_time.ToDatetime().timestamp()
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            out["start request -> started"] = (at - started) * 1000
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED and "first task" not in stamp:
            stamp["first task"] = at
            out["started -> first workflow task"] = (at - stamp.get("start", at)) * 1000
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            step += 1
            if previous is not None:
                out[f"step {step - 1} done -> step {step} scheduled"] = (at - previous) * 1000
            else:
                out["first workflow task -> step 1 scheduled"] = (at - stamp["first task"]) * 1000
            stamp["scheduled"] = at
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            out[f"step {step} scheduled -> started"] = (at - stamp["scheduled"]) * 1000
            stamp["activity started"] = at
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            out[f"step {step} run (started -> completed)"] = (at - stamp["activity started"]) * 1000
            previous = at
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            if previous is not None:
                out[f"step {step} done -> workflow completed"] = (at - previous) * 1000
            out["workflow completed -> result at caller"] = (returned - at) * 1000
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            stamp["start"] = at
    return out


async def managed_runs(engine, project_id: str, connection: TemporalConnection, runs: int):
    client = await connection.get_client()
    manager = ProjectWorkerManager(
        engine, connection=connection, reconciler=close_finished_executions
    )
    await manager.start_worker_for_project(project_id)
    latencies, breakdowns = [], []
    try:
        for index in range(runs + WARM_UP):
            began, wall = time.perf_counter(), time.time()
            ref = await start_execution(engine, client, project_id, "three-noops")
            await wait_for_result(engine, client, ref)
            elapsed, returned = time.perf_counter() - began, time.time()
            if index >= WARM_UP:
                latencies.append(elapsed * 1000)
                handle = client.get_workflow_handle(ref.workflow_id, run_id=ref.run_id)
                breakdowns.append(await phases(handle, wall, returned))
    finally:
        await manager.stop_all()
    return latencies, breakdowns


async def plain_runs(client: Client, runs: int):
    task_queue = f"plain-{uuid.uuid4()}"
    latencies, breakdowns = [], []
    async with Worker(client, task_queue=task_queue, workflows=[ThreeNoops], activities=[noop]):
        for index in range(runs + WARM_UP):
            workflow_id = f"plain-{uuid.uuid4()}"
            began, wall = time.perf_counter(), time.time()
            await client.execute_workflow(ThreeNoops.run, id=workflow_id, task_queue=task_queue)
            elapsed, returned = time.perf_counter() - began, time.time()
            if index >= WARM_UP:
                latencies.append(elapsed * 1000)
                breakdowns.append(
                    await phases(client.get_workflow_handle(workflow_id), wall, returned)
                )
    return latencies, breakdowns


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def median_phases(breakdowns: list[dict[str, float]]) -> dict[str, float]:
    collected: dict[str, list[float]] = defaultdict(list)
    for breakdown in breakdowns:
        for name, value in breakdown.items():
            collected[name].append(value)
    return {name: statistics.median(values) for name, values in collected.items()}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="timed runs per side and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with managed_server() as address, tempfile.TemporaryDirectory() as directory:
        engine = new_database(Path(directory), "latency.db")
        project_id = new_project(engine, "latency")
        store(engine, project_id, THREE_NOOPS.format(name="three-noops"))
        connection = TemporalConnection(TemporalSettings(address))
        client = await connection.get_client()
        managed_ms, plain_ms, managed_parts, plain_parts, ratios = [], [], [], [], []
        for index in range(args.rounds):
            sides = [("managed", None), ("plain", None)]
            if index % 2:
                sides.reverse()
            results = {}
            for side, _ in sides:
                if side == "managed":
                    results[side] = await managed_runs(engine, project_id, connection, args.runs)
                else:
                    results[side] = await plain_runs(client, args.runs)
            managed_ms += results["managed"][0]
            managed_parts += results["managed"][1]
            plain_ms += results["plain"][0]
            plain_parts += results["plain"][1]
            ratios.append(p(results["managed"][0], 0.5) / p(results["plain"][0], 0.5))
    print(
        f"latency of one 3-step workflow, one at a time, {args.rounds} alternating rounds of {args.runs}:"
    )
    print(
        f"  managed (ws.run --wait path): p50 {p(managed_ms, 0.5):6.1f} ms   p90 {p(managed_ms, 0.9):6.1f} ms"
    )
    print(
        f"  plain temporalio Worker:      p50 {p(plain_ms, 0.5):6.1f} ms   p90 {p(plain_ms, 0.9):6.1f} ms"
    )
    print(
        f"  ratio managed/plain p50: {p(managed_ms, 0.5) / p(plain_ms, 0.5):.2f} (goal <= 1.2); "
        f"rounds {', '.join(f'{r:.2f}' for r in ratios)}"
    )
    managed_median, plain_median = median_phases(managed_parts), median_phases(plain_parts)
    print("  where the time goes (median ms):       managed    plain")
    for name in managed_median:
        print(
            f"    {name:<38} {managed_median[name]:7.1f}  {plain_median.get(name, float('nan')):7.1f}"
        )


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
