"""Many workflows in flight across several workers sharing one task queue."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from embedded_helpers import assert_replays, eventually, new_id, new_worker
from embedded_scenarios import HelloWorkflow
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
