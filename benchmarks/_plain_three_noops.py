"""The hand-written side of benchmarks/overhead.py: what a user would write with temporalio directly."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


# No arguments and no input, as a user would write it: no payloads to encode, the cheapest plain baseline.
@activity.defn(name="bench.noop")
async def noop() -> None:
    return None


@workflow.defn(name="bench.ThreeNoops")
class ThreeNoops:
    @workflow.run
    async def run(self) -> None:
        for _step in range(3):
            await workflow.execute_activity(noop, start_to_close_timeout=timedelta(minutes=5))
