"""The pieces a summary read from rollups is made of, and how they merge into one row per group.

A *part* is one row of additive figures (counts, timed count, sum, extremes) with its histogram entries: a
rollup row, a raw row at a window's edge, or one derived from others (an attempt rollup row less its failures).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from wfb_jupyter.statistics._histograms import Entries, group_percentiles
from wfb_jupyter.statistics._sql import PERCENTILES, AnySelect

HOUR = 3600
_EPOCH = pd.Timestamp(0, tz="UTC")
DURATIONS = ("timed", "duration_sum_ms", "duration_min_ms", "duration_max_ms")
# Part columns read as numbers (NULL: NaN); the others are group keys (or row keys).
_NUMBERS = frozenset(
    {"hour", "attempts", "successes", "failures", "retries", "executions", "completed", "failed"}
    | {"running", "success_min_ms", "success_max_ms"}
    | set(DURATIONS)
)


@dataclass(frozen=True)
class Window:
    """A ``[since, until)`` window cut into whole hours (``[first_hour, end_hour)`` in epoch hours, None
    when unbounded; none at all unless ``rolled_up``) and the raw-row windows at its edges."""

    rolled_up: bool
    first_hour: int | None
    end_hour: int | None
    raw: tuple[tuple[datetime | None, datetime | None], ...]

    @staticmethod
    def of(since: datetime | None, until: datetime | None) -> Window:
        first = None if since is None else math.ceil(since.timestamp() / HOUR)
        end = None if until is None else math.floor(until.timestamp() / HOUR)
        if first is not None and end is not None and first >= end:
            return Window(False, None, None, ((since, until),))
        raw = []
        if since is not None and first is not None and since.timestamp() != first * HOUR:
            raw.append((since, _moment(first)))
        if until is not None and end is not None and until.timestamp() != end * HOUR:
            raw.append((_moment(end), until))
        return Window(True, first, end, tuple(raw))

    def hour_clauses(self, column: Any) -> list[Any]:
        clauses = []
        if self.first_hour is not None:
            clauses.append(column >= self.first_hour)
        if self.end_hour is not None:
            clauses.append(column < self.end_hour)
        return clauses


def _moment(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * HOUR, tz=timezone.utc)


def fetch(
    session: Session, statement: AnySelect, columns: Sequence[str]
) -> tuple[pd.DataFrame, list[bytes]]:
    """The rows ``statement`` selects (``columns``, then a histogram) as a frame and their histograms.

    The rows come as the driver gives them: tens of thousands of rollup rows go through no per-row
    processing (their columns are integers, text and bytes, which need none)."""
    result: Any = session.connection().execute(statement)
    try:
        rows = list(result.cursor.fetchall())
    finally:
        result.close()
    if not rows:
        return pd.DataFrame({name: [] for name in columns}), []
    values = list(zip(*rows, strict=True))
    frame = pd.DataFrame(
        {
            name: np.array(column, dtype="float64") if name in _NUMBERS else list(column)
            for name, column in zip(columns, values, strict=False)
        }
    )
    return frame, [bytes(blob or b"") for blob in values[-1]]


@dataclass
class Parts:
    frames: list[pd.DataFrame] = field(default_factory=list)
    entries: Entries = field(default_factory=Entries.empty)
    size: int = 0

    def add(self, frame: pd.DataFrame, entries: Entries) -> int:
        """Append parts whose entries are numbered from 0; returns the number of the first."""
        first = self.size
        if len(frame):
            self.frames.append(frame)
            self.entries = self.entries.concat(entries.shifted(first))
            self.size += len(frame)
        return first

    def add_rolled_up(self, frame: pd.DataFrame, histograms: list[bytes]) -> int:
        return self.add(frame, Entries.decode(histograms))

    def add_raw(self, frame: pd.DataFrame) -> None:
        """Raw rows with a ``duration_ms`` column: each its own part."""
        if frame.empty:
            return
        durations = pd.to_numeric(frame["duration_ms"], errors="coerce").astype("float64")
        frame = frame.drop(columns=["duration_ms"]).assign(
            timed=durations.notna().astype("int64"),
            duration_sum_ms=durations.fillna(0.0),
            duration_min_ms=durations,
            duration_max_ms=durations,
        )
        self.add(frame, Entries.of_durations(durations.to_numpy()))


def hours_of(started: pd.Series) -> pd.Series:
    moments = pd.to_datetime(started, utc=True, format="ISO8601")
    return ((moments - _EPOCH) // pd.Timedelta(hours=1)).astype("int64")


def output_keys(names: Sequence[str], bucket: str | None) -> list[str]:
    return [*names, "bucket"] if bucket is not None else list(names)


def merge(
    parts: Parts,
    names: Sequence[str],
    bucket: str | None,
    counts: Sequence[str],
    percents: Sequence[int] = PERCENTILES,
) -> pd.DataFrame:
    """One row per group: the counts summed, the durations' mean, percentiles and maximum."""
    keys = output_keys(names, bucket)
    if not parts.frames:
        return pd.DataFrame(
            columns=[*keys, *counts, "mean_ms", *(f"p{p}_ms" for p in percents), "max_ms"]
        )
    frame = pd.concat(parts.frames, ignore_index=True) if len(parts.frames) > 1 else parts.frames[0]
    # The parts are shared by every summary read from them: new columns go on a copy.
    added: dict[str, Any] = {name: 0 for name in counts if name not in frame.columns}
    if bucket is not None:
        hours = frame["hour"].astype("int64")
        added["bucket"] = (hours if bucket == "hour" else (hours // 24) * 24) * HOUR
    if added:
        frame = frame.assign(**added)
    if keys:
        grouped = frame.groupby(keys, dropna=False, sort=True)
        groups = grouped.ngroup().to_numpy()
    else:
        groups = np.zeros(len(frame), dtype=np.int64)
        grouped = frame.groupby(groups)
    merged = grouped.agg(
        **{name: (name, "sum") for name in (*counts, "timed", "duration_sum_ms")},
        lowest=("duration_min_ms", "min"),
        highest=("duration_max_ms", "max"),
    ).reset_index(drop=not keys)
    percentiles = group_percentiles(
        groups,
        parts.entries,
        len(merged),
        percents,
        merged["lowest"].to_numpy(dtype="float64"),
        merged["highest"].to_numpy(dtype="float64"),
    )
    timed = merged["timed"].to_numpy(dtype="float64")
    total = merged["duration_sum_ms"].to_numpy(dtype="float64")
    merged["mean_ms"] = np.where(timed > 0, total / np.maximum(timed, 1), np.nan)
    for percent, values in percentiles.items():
        merged[f"p{percent}_ms"] = values
    merged["max_ms"] = merged["highest"]
    if bucket is not None:
        merged["bucket"] = pd.to_datetime(merged["bucket"], unit="s", utc=True)
    return merged
