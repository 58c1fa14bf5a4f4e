"""What a summary frame looks like, whichever way it was computed: its group keys, its columns and dtypes, and
one row order on every backend."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from wfb_jupyter.statistics._sql import BUCKETS, PERCENTILES

EXECUTION_COUNTS = ("executions", "completed", "failed", "running")
ACTIVITY_COUNTS = ("attempts", "successes", "failures", "retries")


def duration_columns(percentiles: Sequence[int] = PERCENTILES) -> tuple[str, ...]:
    return ("mean_ms", *(f"p{percent}_ms" for percent in percentiles), "max_ms")


def summary_columns(counts: Sequence[str], percentiles: Sequence[int]) -> tuple[str, ...]:
    return (*counts, "success_rate", *duration_columns(percentiles))


EXECUTION_SUMMARY_COLUMNS = summary_columns(EXECUTION_COUNTS, PERCENTILES)
ACTIVITY_SUMMARY_COLUMNS = summary_columns(ACTIVITY_COUNTS, PERCENTILES)
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


@dataclass(frozen=True)
class Grouping:
    """One summary of several read together (``execution_summaries``, ``activity_summaries``): its group
    keys, its time bucket and the percentiles of durations it gives (``p{percent}_ms`` columns)."""

    by: tuple[str, ...] = ()
    bucket: str | None = None
    percentiles: tuple[int, ...] = PERCENTILES

    def __post_init__(self) -> None:
        # Frozen, yet given lists or one key as a string by callers: kept as tuples so it can be compared.
        by = (self.by,) if isinstance(self.by, str) else tuple(self.by)
        object.__setattr__(self, "by", by)
        object.__setattr__(self, "percentiles", tuple(self.percentiles))

    def checked(self, available: Sequence[str]) -> Grouping:
        choose_keys(self.by, available)
        check_bucket(self.bucket)
        wrong = [p for p in self.percentiles if not isinstance(p, int) or not 0 <= p <= 100]
        if wrong or len(set(self.percentiles)) != len(self.percentiles):
            raise ValueError(
                f"percentiles must be distinct whole numbers from 0 to 100, not {self.percentiles}"
            )
        return self


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
        elif name.endswith("_ms"):
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
