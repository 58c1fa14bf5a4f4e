"""What a summary frame looks like, whichever way it was computed: its group keys, its columns and dtypes, and
one row order on every backend."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from wfb_jupyter.statistics._sql import BUCKETS, PERCENTILES

DURATION_COLUMNS = ("mean_ms", *(f"p{percent}_ms" for percent in PERCENTILES), "max_ms")
EXECUTION_SUMMARY_COLUMNS = (
    "executions",
    "completed",
    "failed",
    "running",
    "success_rate",
    *DURATION_COLUMNS,
)
ACTIVITY_SUMMARY_COLUMNS = (
    "attempts",
    "successes",
    "failures",
    "retries",
    "success_rate",
    *DURATION_COLUMNS,
)
EXECUTION_KEYS = ("workflow", "version", "status")
ACTIVITY_KEYS = ("component", "workflow", "version", "step", "status", "error_type")


def choose_keys(by: Sequence[str] | str, available: Sequence[str]) -> list[str]:
    names = (by,) if isinstance(by, str) else tuple(by)
    unknown = [name for name in names if name not in available]
    if unknown:
        raise ValueError(f"cannot group by {unknown}: choose from {tuple(available)}")
    if len(set(names)) != len(names):
        raise ValueError(f"group keys repeat: {names}")
    return list(names)


def check_bucket(bucket: str | None) -> None:
    if bucket is not None and bucket not in BUCKETS:
        raise ValueError(f"bucket must be None or one of {BUCKETS}, not {bucket!r}")


def closed_success_rate(frame: pd.DataFrame) -> pd.Series:
    """Completed among closed runs; none closed yet gives no rate rather than 0 %."""
    closed = frame["completed"] + frame["failed"]
    return frame["completed"] / closed.where(closed > 0)


def attempt_success_rate(frame: pd.DataFrame) -> pd.Series:
    return frame["successes"] / frame["attempts"]


def finish_frame(
    frame: pd.DataFrame,
    names: Sequence[str],
    metrics: Sequence[str],
    count_column: str,
    success_rate: Callable[[pd.DataFrame], pd.Series],
) -> pd.DataFrame:
    """Stable dtypes, one row order on every backend, and the success rate (a ratio of two aggregated
    columns, so computing it here costs nothing). ``frame`` has the key columns and the aggregated metrics."""
    aggregated = [name for name in metrics if name != "success_rate"]
    # Without group keys an empty table still yields one all-zero row; no rows is the honest answer.
    frame = frame[frame[count_column] > 0].copy()
    for name in aggregated:
        if name == "max_ms":  # stays a (nullable) integer, like the durations it comes from
            frame[name] = frame[name].astype("Float64").round().astype("Int64")
        elif name in DURATION_COLUMNS:
            frame[name] = frame[name].astype("Float64")
        else:
            frame[name] = frame[name].astype("int64")
    if "version" in frame.columns:
        frame["version"] = frame["version"].astype("Int64")
    # NULL keys sort first on SQLite and last on PostgreSQL; sorting here gives one order everywhere.
    if names:
        frame = frame.sort_values(list(names), na_position="last", kind="stable")
    frame = frame.reset_index(drop=True)
    frame["success_rate"] = success_rate(frame).astype("Float64")
    return frame[[*names, *metrics]]
