"""A hello workflow and activity: the smallest thing a Temporal server must run (used by the CLI tests)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="wfb.demo.say_hello")
async def say_hello(name: str) -> str:
    return f"Hello, {name}!"


@workflow.defn(name="wfb.demo.Hello")
class HelloWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            say_hello, name, start_to_close_timeout=timedelta(seconds=10)
        )
