"""DataFrames between steps: time of a step pair against a plain Parquet round trip, and history size.

Pair: a two-step workflow on the product's local server and project worker (the default database payload
store): ``produce`` builds a 5-column frame of N rows and returns it, ``consume`` receives it and sums a
column. Plain: a script doing the same work without Temporal: build the frame, write it as Parquet to a file,
read it back, sum the column. Both from a warm process, best of a few runs. The ratio's goal is <= 2x at
1,000,000 rows. Scalars: the same pair passing a number, Temporal's own cost of two steps.

History: a three-step workflow (produce, enrich: adds a column, consume), the bytes of its history as the
server keeps it; the goal is flat from 10k to 1M rows (references only), under 100 KB.

Usage: python benchmarks/dataframes.py [--rows 10000,100000,1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wfb_jupyter import Workspace
from wfb_jupyter.components import component, forget_components
from wfb_jupyter.runtime import runtime
from wfb_jupyter.settings import WfbSettings


def make_frame(rows: int) -> pd.DataFrame:
    numbers = np.arange(rows)
    return pd.DataFrame(
        {
            "order_id": numbers,
            "customer": pd.Series(numbers % 1000).map("c{}".format),
            "amount": numbers * 0.25,
            "ordered_at": pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(numbers, unit="s"),
            "paid": numbers % 3 == 0,
        }
    )


@component
def produce(rows: int) -> Any:
    # The same frame as make_frame (a component carries its own code, not the script's functions).
    numbers = np.arange(rows)
    return pd.DataFrame(
        {
            "order_id": numbers,
            "customer": pd.Series(numbers % 1000).map("c{}".format),
            "amount": numbers * 0.25,
            "ordered_at": pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(numbers, unit="s"),
            "paid": numbers % 3 == 0,
        }
    )


@component
def enrich(orders: Any) -> Any:
    return orders.assign(amount_with_tax=orders["amount"] * 1.2)


@component
def consume(orders: Any) -> Any:
    return float(orders["amount"].sum())


@component
def number(rows: int) -> int:
    return rows


PAIR = """
input: {rows: integer}
steps:
  - {id: produce, call: produce, with: {rows: "${input.rows}"}}
  - {id: consume, call: consume, with: {orders: "${steps.produce.result}"}}
output: ${steps.consume.result}
"""
SCALARS = """
input: {rows: integer}
steps:
  - {id: first, call: number, with: {rows: "${input.rows}"}}
  - {id: second, call: number, with: {rows: "${steps.first.result}"}}
output: ${steps.second.result}
"""
THREE = """
input: {rows: integer}
steps:
  - {id: produce, call: produce, with: {rows: "${input.rows}"}}
  - {id: enrich, call: enrich, with: {orders: "${steps.produce.result}"}}
  - {id: consume, call: consume, with: {orders: "${steps.enrich.result}"}}
output: {rows: "${steps.enrich.result.rows}", total: "${steps.consume.result}"}
"""


def plain_parquet(rows: int, folder: Path) -> float:
    started = time.perf_counter()
    path = folder / f"frame-{rows}.parquet"
    make_frame(rows).to_parquet(path)
    float(pd.read_parquet(path)["amount"].sum())
    return time.perf_counter() - started


def timed_run(ws: Workspace, name: str, rows: int) -> tuple[float, Any]:
    started = time.perf_counter()
    handle = ws.run(name, {"rows": rows})
    handle.result(600)
    return time.perf_counter() - started, handle


def history_bytes(ws: Workspace, handle: Any) -> int:
    async def fetch() -> int:
        client = await ws.temporal.get_client()
        history = await client.get_workflow_handle(handle.workflow_id).fetch_history()
        return sum(event.ByteSize() for event in history.events)

    return int(runtime().run(fetch(), 60))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    sizes = [int(text) for text in options.rows.split(",")]
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        ws = Workspace(
            WfbSettings(
                data_dir=str(folder / "data"),
                database_url=f"sqlite:///{folder / 'wfb.db'}",
                project=f"bench-{uuid.uuid4().hex[:6]}",
            )
        )
        try:
            for name, definition in (("pair", PAIR), ("scalars", SCALARS), ("three", THREE)):
                ws.build(name, definition)
            timed_run(ws, "pair", 1000)  # warm up: worker, imports, caches
            plain_parquet(1000, folder)
            print(
                f"{'rows':>9}  {'pair':>8}  {'plain':>8}  {'ratio':>6}  {'scalars':>8}  {'history':>9}"
            )
            for rows in sizes:
                pair = min(timed_run(ws, "pair", rows)[0] for _ in range(options.runs))
                plain = min(plain_parquet(rows, folder) for _ in range(options.runs))
                scalars = min(timed_run(ws, "scalars", rows)[0] for _ in range(options.runs))
                _, three = timed_run(ws, "three", rows)
                size = history_bytes(ws, three)
                print(
                    f"{rows:>9,}  {pair * 1000:>6.0f}ms  {plain * 1000:>6.0f}ms  {pair / plain:>5.2f}x"
                    f"  {scalars * 1000:>6.0f}ms  {size:>7,} B"
                )
        finally:
            runtime().run(ws.workers.manager().stop_all(), 60)
            forget_components()
            from wfb_jupyter.temporal import LocalServer

            LocalServer(folder / "data").stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
