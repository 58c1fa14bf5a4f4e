"""What the managed path costs, measured side by side in one run on the local Temporal server as the product
starts it (a temporary data directory; stopped afterwards).

1. Throughput: N workflows of 3 sequential no-op activities, the compiled workflow on its managed worker
   (execution rows and activity recording on) against a hand-written workflow on a plain ``Worker``.
2. Cold start: a project worker loading 100 stored versions from the database, against a plain ``Worker``
   built from 100 workflow modules imported from disk.
3. Resident memory added by one in-kernel project worker.

Rounds alternate between the two sides (each goes first every other round) and the median ratio is printed,
because these machines are noisy.
Usage: python benchmarks/overhead.py [--workflows 500] [--versions 100] [--rounds 5]
       [--only memory|throughput|cold-start]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil
from _plain_three_noops import ThreeNoops, noop  # a module of its own, as the sandbox needs
from _servers import managed_server
from temporalio.client import Client
from temporalio.worker import Worker

from wfb_jupyter.builds import compile_and_store
from wfb_jupyter.compiler import CompileOptions, compile_workflow
from wfb_jupyter.executions import close_finished_executions, start_execution, wait_for_result
from wfb_jupyter.storage import (
    create_storage_engine,
    get_or_create_project,
    get_or_create_user,
    session_scope,
    upgrade_database,
)
from wfb_jupyter.temporal import TemporalConnection, TemporalSettings
from wfb_jupyter.workers import ProjectWorkerManager

THREE_NOOPS = """
name: {name}
steps:
  - {{id: a, call: noop}}
  - {{id: b, call: noop}}
  - {{id: c, call: noop}}
"""


WARM_UP = 100


def new_database(directory: Path, name: str):
    url = f"sqlite:///{directory / name}"
    upgrade_database(url)
    return create_storage_engine(url)


def store(engine, project_id: str, source: str) -> None:
    with session_scope(engine) as session:
        compile_and_store(session, project_id, source)


def new_project(engine, name: str) -> str:
    with session_scope(engine) as session:
        user = get_or_create_user(session, "bench")
        return get_or_create_project(session, user.id, name).id


async def run_many(starts: int, start_one, concurrency: int = 50) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with gate:
            await start_one(index)

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(starts)))
    return time.perf_counter() - began


async def managed_round(
    engine, project_id: str, connection: TemporalConnection, count: int
) -> float:
    client = await connection.get_client()
    manager = ProjectWorkerManager(
        engine, connection=connection, reconciler=close_finished_executions
    )
    await manager.start_worker_for_project(project_id)
    try:

        async def one(_: int) -> None:
            ref = await start_execution(engine, client, project_id, "three-noops")
            await wait_for_result(engine, client, ref)

        return await run_many(count, one)
    finally:
        await manager.stop_all()


async def plain_round(client: Client, count: int) -> float:
    task_queue = f"plain-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=[ThreeNoops], activities=[noop]):

        async def one(_: int) -> None:
            await client.execute_workflow(
                ThreeNoops.run, id=f"plain-{uuid.uuid4()}", task_queue=task_queue
            )

        return await run_many(count, one)


async def throughput(address: str, directory: Path, count: int, rounds: int) -> None:
    engine = new_database(directory, "throughput.db")
    project_id = new_project(engine, "throughput")
    store(engine, project_id, THREE_NOOPS.format(name="three-noops"))
    connection = TemporalConnection(TemporalSettings(address, "default"))
    client = await connection.get_client()
    # Warm-up: first imports, sandbox set-up, database and log files grown, on both sides.
    await plain_round(client, WARM_UP)
    await managed_round(engine, project_id, connection, WARM_UP)
    ratios, managed_rates, plain_rates = [], [], []
    for index in range(rounds):
        # Each side goes first every other round: the service's state grows with every run it keeps.
        if index % 2 == 0:
            managed = count / await managed_round(engine, project_id, connection, count)
            plain = count / await plain_round(client, count)
        else:
            plain = count / await plain_round(client, count)
            managed = count / await managed_round(engine, project_id, connection, count)
        managed_rates.append(managed)
        plain_rates.append(plain)
        ratios.append(managed / plain)
    print(f"throughput, {count} workflows x 3 no-op activities, {rounds} alternating rounds:")
    print(
        f"  managed (compiled, recording on): {statistics.median(managed_rates):7.1f} workflows/s"
    )
    print(f"  plain temporalio Worker:          {statistics.median(plain_rates):7.1f} workflows/s")
    print(
        f"  ratio managed/plain: {statistics.median(ratios):.2f} (goal >= 0.95); rounds {', '.join(f'{r:.2f}' for r in ratios)}"
    )


async def cold_start(address: str, directory: Path, versions: int, rounds: int) -> None:
    """Each side starts in a fresh process, so neither finds its modules already imported."""
    engine = new_database(directory, "cold.db")
    project_id = new_project(engine, "cold")
    modules_dir = directory / "plain_modules"
    modules_dir.mkdir()
    for index in range(versions):
        source = THREE_NOOPS.format(name=f"flow-{index:03d}")
        store(engine, project_id, source)
        compiled = compile_workflow(source, CompileOptions(1, None, project_id, "plain"))
        (modules_dir / f"plain_flow_{index:03d}.py").write_text(compiled.workflow_code)
    database = engine.url.render_as_string(hide_password=False)

    def timed(side: str) -> float:
        done = subprocess.run(
            [sys.executable, __file__, "--cold-side", side, address, database, project_id,
             str(modules_dir), str(versions)],
            capture_output=True, text=True,
        )  # fmt: skip
        lines = done.stdout.strip().splitlines()
        if not lines:  # the figure is printed before exit; a crash before it is an error
            raise RuntimeError(f"cold start of the {side} side failed: {done.stderr[-2000:]}")
        return float(lines[-1])

    ratios, ours, theirs = [], [], []
    for _ in range(rounds):
        managed_seconds, plain_seconds = timed("managed"), timed("plain")
        ours.append(managed_seconds)
        theirs.append(plain_seconds)
        ratios.append(managed_seconds / plain_seconds)
    print(
        f"cold start with {versions} workflow versions, fresh processes, {rounds} alternating rounds:"
    )
    print(f"  managed (load from database, import hook): {statistics.median(ours):6.2f} s")
    print(f"  plain Worker (modules imported from disk): {statistics.median(theirs):6.2f} s")
    print(f"  ratio managed/plain: {statistics.median(ratios):.2f} (goal <= 1.5)")


async def cold_side(
    side: str, address: str, database: str, project_id: str, modules: str, count: int
) -> None:
    """One side of the cold start, in this fresh process; prints seconds until the worker polls."""
    client = await Client.connect(address)
    if side == "managed":
        engine = create_storage_engine(database)
        manager = ProjectWorkerManager(
            engine, connection=TemporalConnection(TemporalSettings(address, "default"))
        )
        began = time.perf_counter()
        await manager.start_worker_for_project(project_id)
        elapsed = time.perf_counter() - began
        await manager.stop_all()
    else:
        sys.path.insert(0, modules)
        began = time.perf_counter()
        classes = [
            _workflow_class(importlib.import_module(f"plain_flow_{index:03d}"))
            for index in range(count)
        ]
        worker = Worker(
            client, task_queue=f"cold-{uuid.uuid4()}", workflows=classes, activities=[noop]
        )
        task = asyncio.create_task(worker.run())
        while not worker.is_running:
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - began
        await worker.shutdown()
        await task
    print(f"{elapsed:.4f}")


def _workflow_class(module) -> type:
    return next(
        value
        for value in vars(module).values()
        if isinstance(value, type) and hasattr(value, "__temporal_workflow_definition")
    )


async def memory(address: str, directory: Path) -> None:
    engine = new_database(directory, "memory.db")
    project_id = new_project(engine, "memory")
    store(engine, project_id, THREE_NOOPS.format(name="three-noops"))
    connection = TemporalConnection(TemporalSettings(address, "default"))
    await connection.get_client()  # the client is the kernel's anyway; count only the worker
    process = psutil.Process()
    before = process.memory_info().rss
    manager = ProjectWorkerManager(engine, connection=connection)
    await manager.start_worker_for_project(project_id)
    await asyncio.sleep(1)
    after = process.memory_info().rss
    await manager.stop_all()
    print(
        f"resident memory added by one in-kernel project worker: {(after - before) / 2**20:.1f} MiB"
    )


async def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--cold-side":
        side, address, database, project_id, modules, count = sys.argv[2:8]
        await cold_side(side, address, database, project_id, modules, int(count))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflows", type=int, default=500)
    parser.add_argument("--versions", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--only", choices=("memory", "throughput", "cold-start"), help="run one measurement"
    )
    args = parser.parse_args()
    with managed_server() as address, tempfile.TemporaryDirectory() as directory:
        if args.only in (None, "memory"):
            await memory(address, Path(directory))
        if args.only in (None, "throughput"):
            await throughput(address, Path(directory), args.workflows, args.rounds)
        if args.only in (None, "cold-start"):
            await cold_start(address, Path(directory), args.versions, args.rounds)


if __name__ == "__main__":
    asyncio.run(main())
