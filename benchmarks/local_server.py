"""The local Temporal server as the product configures it, against ``temporal server start-dev`` with its
default flags (both persisting to a SQLite file), measured side by side in one run.

1. Throughput of a plain temporalio workload: N workflows of 3 sequential no-op activities, 50 in flight, on a
   plain ``Worker`` (the same code on both servers), rounds alternating between the servers.
2. Latency of that workflow, one at a time (p50).
3. Start of the managed server: cold (no state) and warm (its SQLite file from before), to the first answer.

Usage: python benchmarks/local_server.py [--workflows 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from _plain_three_noops import ThreeNoops, noop
from _servers import default_dev_server, managed_server
from temporalio.client import Client
from temporalio.worker import Worker

from wfb_jupyter.temporal import LocalServer


async def throughput(client: Client, count: int, concurrency: int = 50) -> float:
    task_queue = f"tq-{uuid.uuid4()}"
    gate = asyncio.Semaphore(concurrency)
    async with Worker(client, task_queue=task_queue, workflows=[ThreeNoops], activities=[noop]):

        async def one() -> None:
            async with gate:
                await client.execute_workflow(
                    ThreeNoops.run, id=f"wf-{uuid.uuid4()}", task_queue=task_queue
                )

        began = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(count)))
        return count / (time.perf_counter() - began)


async def latency_p50(client: Client, runs: int = 30) -> float:
    task_queue = f"tq-{uuid.uuid4()}"
    timings = []
    async with Worker(client, task_queue=task_queue, workflows=[ThreeNoops], activities=[noop]):
        for index in range(runs + 5):
            began = time.perf_counter()
            await client.execute_workflow(
                ThreeNoops.run, id=f"wf-{uuid.uuid4()}", task_queue=task_queue
            )
            if index >= 5:
                timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def start_times(rounds: int) -> tuple[list[float], list[float]]:
    cold, warm = [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as directory:
            server = LocalServer(Path(directory))
            began = time.perf_counter()
            server.ensure()
            cold.append(time.perf_counter() - began)
            server.stop()
            began = time.perf_counter()
            server.ensure()
            warm.append(time.perf_counter() - began)
            server.stop()
    return cold, warm


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflows", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        managed = await Client.connect(stack.enter_context(managed_server()))
        default = await Client.connect(stack.enter_context(default_dev_server()))
        for client in (managed, default):  # warm-up: imports, sandbox, the SQLite files grown
            await throughput(client, 50)
        rates: dict[str, list[float]] = {"managed": [], "default": []}
        for index in range(args.rounds):
            order = [("managed", managed), ("default", default)]
            for name, client in order if index % 2 == 0 else reversed(order):
                rates[name].append(await throughput(client, args.workflows))
        ratios = [m / d for m, d in zip(rates["managed"], rates["default"], strict=True)]
        latency = {"managed": await latency_p50(managed), "default": await latency_p50(default)}
    cold, warm = start_times(args.rounds)
    print(
        f"throughput, {args.workflows} workflows x 3 no-op activities, 50 in flight, {args.rounds} alternating rounds:"
    )
    print(
        f"  local server as the product runs it: {statistics.median(rates['managed']):6.1f} workflows/s"
    )
    print(
        f"  temporal server start-dev, defaults: {statistics.median(rates['default']):6.1f} workflows/s"
    )
    print(
        f"  ratio: {statistics.median(ratios):.2f} (goal >= 2.4); rounds {', '.join(f'{r:.2f}' for r in ratios)}"
    )
    print("latency of one such workflow, one at a time (p50 of 30):")
    print(f"  local server as the product runs it: {latency['managed']:6.1f} ms")
    print(f"  temporal server start-dev, defaults: {latency['default']:6.1f} ms")
    print(f"  ratio default/managed: {latency['default'] / latency['managed']:.2f}")
    print(f"start of the local server, {args.rounds} rounds (goal: each under 2 s):")
    print(f"  cold (no state):       median {statistics.median(cold):.2f} s, max {max(cold):.2f} s")
    print(
        f"  warm (its SQLite file): median {statistics.median(warm):.2f} s, max {max(warm):.2f} s"
    )


if __name__ == "__main__":
    asyncio.run(main())
