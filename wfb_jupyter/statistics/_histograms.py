"""Percentiles from log-bucket duration histograms, merged per group with numpy.

The histograms come from rollup rows (``wfb_jupyter.storage``'s format: (bin, count) records) and from raw rows
binned here the same way. Each percentile is interpolated between two ranks exactly as ``numpy.percentile``
does by default, but every rank reads as the representative of its bin, clamped to the group's exact minimum
and maximum: so it is within ``RELATIVE_ERROR`` of the exact percentile (and exact for a group of one value).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wfb_jupyter.storage import GAMMA, RECORD_DTYPE

_RECORD = np.dtype(RECORD_DTYPE)
_LOG_GAMMA = float(np.log(GAMMA))

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Entries:
    """Histogram entries: entry ``i`` adds ``counts[i]`` durations in bin ``bins[i]`` to part ``parts[i]``."""

    parts: IntArray
    bins: IntArray
    counts: IntArray

    @staticmethod
    def empty() -> Entries:
        nothing = np.zeros(0, dtype=np.int64)
        return Entries(nothing, nothing, nothing)

    @staticmethod
    def decode(blobs: Sequence[bytes], first_part: int = 0) -> Entries:
        """The entries of stored histograms, the ``k``-th blob belonging to part ``first_part + k``."""
        lengths = np.fromiter((len(blob) for blob in blobs), dtype=np.int64, count=len(blobs))
        records = np.frombuffer(b"".join(blobs), dtype=_RECORD)
        parts = np.repeat(
            np.arange(first_part, first_part + len(blobs)), lengths // _RECORD.itemsize
        )
        return Entries(
            parts.astype(np.int64),
            records["bin"].astype(np.int64),
            records["count"].astype(np.int64),
        )

    @staticmethod
    def of_durations(durations: npt.NDArray[np.float64], first_part: int = 0) -> Entries:
        """One entry per raw duration (NaN: untimed, no entry), part ``first_part + k`` for the ``k``-th."""
        timed = np.flatnonzero(~np.isnan(durations))
        return Entries(
            (timed + first_part).astype(np.int64),
            bins_of(durations[timed]),
            np.ones(len(timed), dtype=np.int64),
        )

    def shifted(self, offset: int) -> Entries:
        return self if offset == 0 else Entries(self.parts + offset, self.bins, self.counts)

    def moved(self, parts: IntArray, sign: int = 1) -> Entries:
        """The entries given to other parts (``parts[k]`` instead of ``k``), counts times ``sign``: a
        negative count takes durations out of a part (its failures, from an attempt rollup row)."""
        return Entries(parts[self.parts], self.bins, self.counts * sign)

    def concat(self, other: Entries) -> Entries:
        return Entries(
            np.concatenate([self.parts, other.parts]),
            np.concatenate([self.bins, other.bins]),
            np.concatenate([self.counts, other.counts]),
        )


def bins_of(durations: npt.NDArray[np.float64]) -> IntArray:
    """``storage.bin_of`` for many durations at once."""
    positive = durations > 0
    bins = np.zeros(len(durations), dtype=np.int64)
    bins[positive] = 1 + np.ceil(np.log(durations[positive]) / _LOG_GAMMA).astype(np.int64)
    return np.minimum(bins, 2**16 - 1)


def representatives(bins: IntArray) -> FloatArray:
    """``storage.representative`` for many bins at once."""
    values = 2 * np.power(GAMMA, bins - 1.0) / (GAMMA + 1)
    return np.where(bins > 0, values, 0.0)


def group_percentiles(
    groups: IntArray,
    entries: Entries,
    group_count: int,
    percents: Sequence[int],
    lowest: FloatArray,
    highest: FloatArray,
) -> dict[int, FloatArray]:
    """Per group and percent, the percentile of the durations of the group's entries (NaN for a group with
    none). ``groups[part]`` is the group of each part; ``lowest``/``highest`` the exact extremes per group."""
    group_of_entry = groups[entries.parts] if len(entries.parts) else entries.parts
    cells = _dense_cells(group_of_entry, entries, group_count) or _sorted_cells(
        group_of_entry, entries, group_count
    )
    cumulative = np.cumsum(cells.counts)
    before = np.concatenate([[0], np.cumsum(cells.totals)[:-1]])
    timed = cells.totals > 0

    def at_rank(rank: IntArray) -> FloatArray:
        # The first cell whose running count passes the rank; empty cells never do, so they are skipped.
        found = np.searchsorted(cumulative, before + rank, side="right")
        found = np.minimum(found, max(len(cells.counts) - 1, 0))
        read = representatives(cells.bins_at(found)) if len(cells.counts) else np.zeros(group_count)
        return np.clip(read, lowest, highest)

    result: dict[int, FloatArray] = {}
    for percent in percents:
        scaled = np.maximum(cells.totals - 1, 0) * percent
        lower = scaled // 100
        fraction = (scaled % 100) / 100.0
        upper = np.minimum(lower + 1, np.maximum(cells.totals - 1, 0))
        low, high = at_rank(lower), at_rank(upper)
        result[percent] = np.where(timed, low + (high - low) * fraction, np.nan)
    return result


@dataclass(frozen=True)
class _Cells:
    """(group, bin) cells in group then bin order: their counts, each group's total, and the bin of a cell."""

    counts: FloatArray
    totals: IntArray
    first_bin: int
    span: int  # bins per group in a table of every bin; 0 when ``bins`` lists each cell's bin
    bins: IntArray

    def bins_at(self, cells: IntArray) -> IntArray:
        return cells % self.span + self.first_bin if self.span else self.bins[cells]


# A table of every group by every bin between the lowest and highest bin seen, when it has at most this many
# cells (16 bytes each, counts and running counts): counting into it is linear in the entries, where sorting
# them is not.
DENSE_CELLS = 1_000_000


def _dense_cells(group_of_entry: IntArray, entries: Entries, group_count: int) -> _Cells | None:
    """The group-by-bin table, or None when it would be too large."""
    nothing = np.zeros(0, dtype=np.int64)
    if not len(entries.bins):
        return _Cells(np.zeros(0), np.zeros(group_count, dtype=np.int64), 0, 0, nothing)
    first_bin = int(entries.bins.min())
    span = int(entries.bins.max()) - first_bin + 1
    if group_count * span > DENSE_CELLS:
        return None
    index = group_of_entry * span + (entries.bins - first_bin)
    table = np.bincount(index, weights=entries.counts, minlength=group_count * span)
    totals = table.reshape(group_count, span).sum(axis=1).round().astype(np.int64)
    return _Cells(table.astype(np.float64), totals, first_bin, span, nothing)


def _sorted_cells(group_of_entry: IntArray, entries: Entries, group_count: int) -> _Cells:
    """Only the (group, bin) cells that have entries, found by sorting them."""
    width = 2**16
    keys = group_of_entry * width + entries.bins
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], entries.counts[order]
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    summed: FloatArray = np.add.reduceat(counts, starts).astype(np.float64)
    keys = keys[starts]
    totals = np.bincount(keys // width, weights=summed, minlength=group_count)
    bins: IntArray = (keys % width).astype(np.int64)
    return _Cells(summed, totals.round().astype(np.int64), 0, 0, bins)
