"""The hand-written side of benchmarks/overhead.py: what a user would write with temporalio directly."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bench.noop")
async def noop(_: object = None) -> None:
    return None


@workflow.defn(name="bench.ThreeNoops")
class ThreeNoops:
    @workflow.run
    async def run(self, _: object = None) -> None:
        for _step in range(3):
            await workflow.execute_activity(noop, None, start_to_close_timeout=timedelta(minutes=5))
