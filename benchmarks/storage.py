"""Storage benchmark on SQLite: batched vs one-by-one activity records, and what a worker loads at start.

Run: .venv/bin/python benchmarks/storage.py [--records 100000] [--sample 2000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from wfb_jupyter.compiler import CompiledWorkflow
from wfb_jupyter.storage import (
    ActivityAttempt,
    create_execution,
    create_project,
    create_storage_engine,
    create_user,
    get_or_create_workflow,
    load_workflows_for_project,
    record_activity_attempts,
    session_scope,
    store_compiled_code,
    upgrade_database,
)
from wfb_jupyter.storage._types import utc_now

BATCH_SIZE = 1_000


def _attempts(project_id: str, count: int, offset: int = 0) -> list[ActivityAttempt]:
    start = utc_now()
    return [
        ActivityAttempt(
            project_id=project_id,
            temporal_workflow_id=f"wf-{(offset + i) // 10}",
            temporal_run_id="run",
            step_id=f"step-{i % 10}",
            component=("http_request", "sql_query", "log")[i % 3],
            attempt=1 + (i % 7 == 0),
            status="failed" if i % 13 == 0 else "completed",
            started_at=start + timedelta(milliseconds=offset + i),
            finished_at=start + timedelta(milliseconds=offset + i + 5 + i % 50),
        )
        for i in range(count)
    ]


def _fresh(directory: Path, name: str) -> tuple[Engine, str]:
    engine = create_storage_engine(f"sqlite:///{directory / name}")
    upgrade_database(engine)
    with session_scope(engine) as session:
        project = create_project(session, create_user(session, "bench").id, "bench")
        return engine, project.id


def bench_activity_records(directory: Path, records: int, sample: int) -> None:
    engine, project_id = _fresh(directory, "batched.db")
    rows = _attempts(project_id, records)
    began = time.perf_counter()
    for start in range(0, records, BATCH_SIZE):
        with session_scope(engine) as session:
            record_activity_attempts(session, rows[start : start + BATCH_SIZE])
    batched = time.perf_counter() - began
    engine.dispose()

    engine, project_id = _fresh(directory, "single.db")
    measured = min(sample, records)
    rows = _attempts(project_id, measured)
    began = time.perf_counter()
    for row in rows:
        with session_scope(engine) as session:
            record_activity_attempts(session, [row])
    single_sample = time.perf_counter() - began
    engine.dispose()
    single = single_sample * records / measured

    print(f"activity records: {records:,} on SQLite (WAL, synchronous=NORMAL)")
    print(
        f"  batched ({BATCH_SIZE:,} per transaction): {batched:8.2f} s  "
        f"({records / batched:,.0f} records/s)"
    )
    note = (
        f"measured on {measured:,} and extrapolated to {records:,}"
        if measured < records
        else "measured"
    )
    print(
        f"  one by one (a transaction each):    {single:8.2f} s  "
        f"({measured / single_sample:,.0f} records/s; {note})"
    )
    print(f"  ratio one-by-one / batched: {single / batched:,.1f}x")


def bench_worker_load(directory: Path, workflows: int = 100, versions: int = 5) -> None:
    engine, project_id = _fresh(directory, "load.db")
    body = "\n".join(f"    step_{i} = await workflow.execute_activity(...)" for i in range(120))
    with session_scope(engine) as session:
        for w in range(workflows):
            workflow_id = get_or_create_workflow(session, project_id, f"workflow_{w:03d}").id
            for v in range(1, versions + 1):
                code = CompiledWorkflow(
                    name=f"workflow_{w:03d}",
                    version=v,
                    workflow_type=f"workflow_{w:03d}_v{v}",
                    workflow_class=f"Workflow{w:03d}V{v}",
                    module_name=f"wfb_generated.workflow_{w:03d}_v{v}",
                    workflow_code=f"# workflow {w} v{v}\n{body}\n",
                    activities_code=f"# activities {w} v{v}\n{body}\n",
                    worker_code="# worker\n",
                    requirements="temporalio\n",
                    manifest={"name": f"workflow_{w:03d}", "version": v},
                    checksum=f"{w}-{v}",
                )
                store_compiled_code(session, workflow_id, code)
            if w % 4 == 0:  # a quarter of the workflows still have a run open on version 2
                create_execution(session, workflow_id, 2, f"open-{w}", "run")
    timings = []
    for _ in range(7):
        with session_scope(engine) as session:
            began = time.perf_counter()
            loaded = load_workflows_for_project(session, project_id)
            total_code = sum(len(row.workflow_code) + len(row.activities_code) for row in loaded)
            timings.append(time.perf_counter() - began)
    engine.dispose()
    print(
        f"load_workflows_for_project: {workflows} workflows x {versions} versions "
        f"({len(loaded)} versions loaded: active + open executions, {total_code / 1e6:.1f} MB of code)"
    )
    print(
        f"  median {statistics.median(timings) * 1000:.1f} ms, "
        f"best {min(timings) * 1000:.1f} ms over {len(timings)} runs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2_000, help="one-by-one records to measure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wfb-bench-") as directory:
        bench_activity_records(Path(directory), args.records, args.sample)
        bench_worker_load(Path(directory))


if __name__ == "__main__":
    main()
