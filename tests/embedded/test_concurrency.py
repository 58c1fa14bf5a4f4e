"""Many workflows in flight across several workers sharing one task queue."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from embedded_helpers import assert_replays, eventually, new_id, new_worker
from embedded_scenarios import HelloWorkflow, RetryInput, RetryWorkflow
from temporalio.client import Client


async def test_200_workflows_across_three_workers(temporal_client: Client, task_queue: str) -> None:
    prefix = new_id("many")
    async with AsyncExitStack() as stack:
        # The SDK allows one worker per task queue per client, so each worker has its own connection.
        for _ in range(3):
            own_client = await Client.connect(
                temporal_client.service_client.config.target_host,
                namespace=temporal_client.namespace,
            )
            await stack.enter_async_context(new_worker(own_client, task_queue))
        handles = await asyncio.gather(
            *(
                temporal_client.start_workflow(
                    HelloWorkflow.run, str(index), id=f"{prefix}-{index}", task_queue=task_queue
                )
                for index in range(200)
            )
        )
        results = await asyncio.wait_for(
            asyncio.gather(*(handle.result() for handle in handles)), timeout=90
        )
    assert results == [f"Hello, {index}!" for index in range(200)]

    async def all_completed() -> None:
        count = await temporal_client.count_workflows(
            f"WorkflowId STARTS_WITH '{prefix}' AND ExecutionStatus = 'Completed'"
        )
        assert count.count == 200

    await eventually(all_completed)
    for handle in handles[:5]:
        await assert_replays(handle)


async def test_workers_with_a_tiny_cache_fetch_full_histories(
    temporal_client: Client, task_queue: str
) -> None:
    # With room for one cached run, most sticky tasks reach a worker that has evicted the run: it must
    # fetch the full history itself, since sticky tasks carry only new events.
    async with new_worker(temporal_client, task_queue, max_cached_workflows=1):
        handles = [
            await temporal_client.start_workflow(
                RetryWorkflow.run, RetryInput(fail_times=1), id=new_id(), task_queue=task_queue
            )
            for _ in range(4)
        ]
        results = await asyncio.wait_for(
            asyncio.gather(*(handle.result() for handle in handles)), timeout=60
        )
    assert results == [2, 2, 2, 2]
    for handle in handles:
        await assert_replays(handle)
