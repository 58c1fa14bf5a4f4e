"""Throughput and CPU cost of the embedded Temporal service under the real SDK.

Starts the embedded service in a child process (so its CPU time is measured apart), runs N workflows of one
trivial activity on a default (sandboxed) worker in this process, and prints workflows per second and the
service's CPU time as a fraction of the client and worker's CPU time over the same window. Goal: <= 0.25.

    .venv/bin/python benchmarks/embedded_throughput.py [--workflows 1000] [--concurrency 100]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import psutil
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

GOAL_FRACTION = 0.25


@activity.defn
async def echo(value: str) -> str:
    return value


@workflow.defn
class EchoWorkflow:
    @workflow.run
    async def run(self, value: str) -> str:
        return await workflow.execute_activity(
            echo, value, start_to_close_timeout=timedelta(seconds=30)
        )


def _serve() -> None:
    """Child-process entry: run the service until stdin closes."""

    async def main() -> None:
        from wfb_jupyter.temporal.embedded import EmbeddedTemporalService

        async with EmbeddedTemporalService() as service:
            print(service.address, flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

    asyncio.run(main())


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _process_cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def _run(address: str, service: psutil.Process, workflows: int, concurrency: int) -> int:
    client = await Client.connect(address)
    task_queue = f"bench-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[EchoWorkflow],
        activities=[echo],
        graceful_shutdown_timeout=timedelta(seconds=1),
    ):
        # Warm up (sandbox imports, connections) outside the measured window.
        await client.execute_workflow(
            EchoWorkflow.run, "warm-up", id=f"warm-{uuid.uuid4()}", task_queue=task_queue
        )
        limit = asyncio.Semaphore(concurrency)

        async def one(index: int) -> None:
            async with limit:
                result = await client.execute_workflow(
                    EchoWorkflow.run,
                    str(index),
                    id=f"bench-{index}-{uuid.uuid4()}",
                    task_queue=task_queue,
                )
                assert result == str(index)

        service_before, own_before = _process_cpu_seconds(service), _own_cpu_seconds()
        began = time.perf_counter()
        await asyncio.gather(*(one(index) for index in range(workflows)))
        elapsed = time.perf_counter() - began
        service_cpu = _process_cpu_seconds(service) - service_before
        own_cpu = _own_cpu_seconds() - own_before
    fraction = service_cpu / own_cpu if own_cpu else float("inf")
    print(f"workflows:                 {workflows} (one activity each, {concurrency} in flight)")
    print(f"elapsed:                   {elapsed:.2f} s")
    print(f"throughput:                {workflows / elapsed:.1f} workflows/s")
    print(f"service CPU:               {service_cpu:.2f} s")
    print(f"client + worker CPU:       {own_cpu:.2f} s")
    print(f"service / client+worker:   {fraction:.3f} (goal <= {GOAL_FRACTION})")
    print(
        "result:                    "
        + ("MEETS GOAL" if fraction <= GOAL_FRACTION else "ABOVE GOAL")
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflows", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve()
        return 0
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        address = child.stdout.readline().strip()
        if not address:
            print("the embedded service did not start", file=sys.stderr)
            return 1
        return asyncio.run(
            _run(address, psutil.Process(child.pid), args.workflows, args.concurrency)
        )
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


if __name__ == "__main__":
    sys.exit(main())
