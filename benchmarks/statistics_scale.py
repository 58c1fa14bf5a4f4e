"""Statistics over a long history on SQLite: each statistics call and a dashboard filter change read from the
rollups against the raw-row queries (``exact=True``, what every call did before rollups) on the same data,
the percentile error of the rollups against exact percentiles, drill-down into raw rows, and the write cost of
keeping the rollups.

Run: .venv/bin/python benchmarks/statistics_scale.py [--attempts 1000000] [--database PATH]
(``--database``: seed that file once and reuse it on later runs; by default a temporary one.)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _history import END, History, seeded

from wfb_jupyter import statistics as stats
from wfb_jupyter.services import Filters, StatisticsSource
from wfb_jupyter.storage import RELATIVE_ERROR, read_scope
from wfb_jupyter.widgets._stats_dashboard import build_dashboard

GOAL_SPEEDUP = 10.0
GOAL_SECONDS = 0.3


def timed(call: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The median wall time of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def calls(history: History) -> dict[str, Callable[[bool], Any]]:
    """Each statistics call, by what it answers, computed from the rollups or (True) the raw rows."""
    project = history.project_id
    last_week = END - timedelta(days=7)

    def read(function: Any, *args: Any, **kwargs: Any) -> Callable[[bool], Any]:
        def run(exact: bool) -> Any:
            with read_scope(history.engine) as session:
                return function(session, project, *args, exact=exact, **kwargs)

        return run

    return {
        "activity_summary by component": read(stats.activity_summary, by=("component",)),
        "activity_summary by hour": read(stats.activity_summary, by=(), bucket="hour"),
        "activity_summary by workflow, version, step": read(
            stats.activity_summary, by=("workflow", "version", "step")
        ),
        "activity_summary last 7 days by day": read(
            stats.activity_summary, by=("component",), bucket="day", since=last_week
        ),
        "execution_summary by workflow, version": read(stats.execution_summary),
        "execution_summary by hour": read(stats.execution_summary, by=(), bucket="hour"),
        "analyze_activity_performance(http_request)": read(
            stats.analyze_activity_performance, "http_request"
        ),
    }


class TimedSource:
    """A statistics source that adds up the time its questions take (the rest is drawing the charts)."""

    def __init__(self, source: StatisticsSource) -> None:
        self._source = source
        self.seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._source, name)

        def timed_call(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - began

        return timed_call


QUERY_SECONDS: dict[str, float] = {}


def dashboard_changes(history: History) -> dict[str, Callable[[bool], Any]]:
    """A dashboard filter change: everything ``build_dashboard`` computes and draws for new filters."""

    def change(name: str, filters: Filters, bucket: str) -> Callable[[bool], Any]:
        def run(exact: bool) -> Any:
            source = TimedSource(StatisticsSource(history.engine, history.project_id, exact=exact))
            built = build_dashboard(source, filters, bucket)  # type: ignore[arg-type]
            QUERY_SECONDS[f"{name}-{exact}"] = source.seconds
            return built

        return run

    changes = {
        "dashboard: workflow orders (per hour)": (Filters(workflow="orders"), "hour"),
        "dashboard: component sql_query, last 7 days (per day)": (
            Filters(component="sql_query", since=END - timedelta(days=7)),
            "day",
        ),
    }
    return {name: change(name, *change_to) for name, change_to in changes.items()}


def bench_reads(history: History, repeat: int) -> None:
    print(
        f"\nstatistics on SQLite: {history.attempts:,} attempts, {history.executions:,} executions"
    )
    print(f"  {'call':<55} {'raw rows':>9} {'rollups':>9} {'speed-up':>9}")
    worst_speedup, slowest = float("inf"), 0.0
    for name, call in {**calls(history), **dashboard_changes(history)}.items():
        exact, _ = timed(lambda call=call: call(True), max(1, repeat // 3))
        rolled, _ = timed(lambda call=call: call(False), repeat)
        mark = ""
        if name.startswith("dashboard"):
            queries = QUERY_SECONDS[f"{name}-True"], QUERY_SECONDS[f"{name}-False"]
            mark = (
                f"  (its queries {queries[0]:.3f}s vs {queries[1]:.3f}s, "
                f"{queries[0] / queries[1]:.1f}x; the rest draws the charts)"
            )
        else:
            worst_speedup, slowest = min(worst_speedup, exact / rolled), max(slowest, rolled)
            mark = "" if rolled < GOAL_SECONDS else "  (over 0.3 s)"
        print(f"  {name:<55} {exact:8.3f}s {rolled:8.3f}s {exact / rolled:8.1f}x{mark}")
    print(
        f"  statistics calls: slowest speed-up {worst_speedup:.1f}x (goal >= {GOAL_SPEEDUP:.0f}x), "
        f"slowest from the rollups {slowest:.3f} s (goal < {GOAL_SECONDS} s)"
    )


def bench_percentile_error(history: History) -> None:
    print(
        f"\npercentile error of the rollups against exact percentiles (bound {RELATIVE_ERROR:.0%})"
    )
    errors: list[float] = []
    for name, call in calls(history).items():
        if name.startswith("analyze"):
            continue
        rolled, exact = call(False), call(True)
        for column in ("p50_ms", "p95_ms", "p99_ms"):
            mine = rolled[column].to_numpy(dtype=float, na_value=np.nan)
            truth = exact[column].to_numpy(dtype=float, na_value=np.nan)
            usable = ~np.isnan(truth) & (truth > 0)
            relative = np.abs(mine[usable] - truth[usable]) / truth[usable]
            errors.extend(relative.tolist())
        counts_equal = all(
            rolled[c].astype("int64").tolist() == exact[c].astype("int64").tolist()
            for c in ("attempts", "executions")
            if c in exact.columns
        )
        print(f"  {name:<55} groups {len(exact):>5}, counts equal: {counts_equal}")
    spread = np.array(errors)
    print(
        f"  {len(spread):,} percentiles: median error {np.median(spread):.3%}, "
        f"p99 {np.percentile(spread, 99):.3%}, max {spread.max():.3%}"
    )


def bench_drill_down(history: History, repeat: int) -> None:
    print("\ndrill-down into raw rows (limits and paging)")
    with read_scope(history.engine) as session:
        one_run = stats.activity_attempts_frame(session, history.project_id, limit=1)
        execution = (str(one_run.loc[0, "workflow_id"]), str(one_run.loc[0, "run_id"]))
        reads: dict[str, Callable[[], pd.DataFrame]] = {
            "one execution's attempts (timeline)": lambda: stats.activity_attempts_frame(
                session, history.project_id, execution=execution
            ),
            "latest 100 failed attempts": lambda: stats.activity_attempts_frame(
                session, history.project_id, status="failed", newest_first=True, limit=100
            ),
            "attempts page 50 (rows 5,000-5,099)": lambda: stats.activity_attempts_frame(
                session, history.project_id, newest_first=True, limit=100, offset=5_000
            ),
            "latest 1,000 executions": lambda: stats.executions_frame(
                session, history.project_id, limit=1_000
            ),
        }
        for name, read in reads.items():
            seconds, frame = timed(read, repeat)
            print(f"  {name:<55} {seconds:8.3f}s ({len(frame)} rows)")
        seconds, frame = timed(
            lambda: stats.activity_attempts_frame(session, history.project_id), 1
        )
        print(
            f"  {'every attempt into pandas (no limit)':<55} {seconds:8.3f}s ({len(frame):,} rows)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--database", type=Path, help="seed this file once, reuse it afterwards")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write-records", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wfb-bench-") as directory:
        path = args.database or Path(directory) / "history.db"
        began = time.perf_counter()
        history = seeded(path, args.attempts)
        print(
            f"history: {history.attempts:,} attempts and {history.executions:,} executions "
            f"in {path} ({time.perf_counter() - began:.0f} s to seed or open)"
        )
        bench_reads(history, args.repeat)
        bench_percentile_error(history)
        bench_drill_down(history, args.repeat)
        history.engine.dispose()
        from _write_cost import bench_write_cost

        bench_write_cost(Path(directory), args.write_records)


if __name__ == "__main__":
    main()
