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
    cells = _dense_cells(group_of_entry, entries, group_count)
    if cells is None:
        cells = _sorted_cells(group_of_entry, entries)
    cell_groups, cell_bins, counts = cells
    cumulative = np.cumsum(counts)
    totals = np.bincount(cell_groups, weights=counts, minlength=group_count).astype(np.int64)
    before = np.concatenate([[0], np.cumsum(totals)[:-1]])
    timed = totals > 0

    def at_rank(rank: IntArray) -> FloatArray:
        # The first cell whose running count passes the rank; empty cells never do, so they are skipped.
        found = np.searchsorted(cumulative, before + rank, side="right")
        found = np.minimum(found, max(len(cell_bins) - 1, 0))
        read = representatives(cell_bins[found]) if len(cell_bins) else np.zeros(group_count)
        return np.clip(read, lowest, highest)

    result: dict[int, FloatArray] = {}
    for percent in percents:
        scaled = np.maximum(totals - 1, 0) * percent
        lower = scaled // 100
        fraction = (scaled % 100) / 100.0
        upper = np.minimum(lower + 1, np.maximum(totals - 1, 0))
        low, high = at_rank(lower), at_rank(upper)
        result[percent] = np.where(timed, low + (high - low) * fraction, np.nan)
    return result


# A table of every group by every bin between the lowest and highest bin seen, when it has at most this many
# cells: counting into it is linear in the entries, where sorting them is not.
DENSE_CELLS = 4_000_000


def _dense_cells(
    group_of_entry: IntArray, entries: Entries, group_count: int
) -> tuple[IntArray, IntArray, FloatArray] | None:
    """(group, bin, count) of every cell of the group-by-bin table, in group then bin order; None when the
    table would be too large."""
    if not len(entries.bins):
        nothing = np.zeros(0, dtype=np.int64)
        return nothing, nothing, np.zeros(0)
    first_bin = int(entries.bins.min())
    span = int(entries.bins.max()) - first_bin + 1
    if group_count * span > DENSE_CELLS:
        return None
    index = group_of_entry * span + (entries.bins - first_bin)
    counts = np.bincount(index, weights=entries.counts, minlength=group_count * span)
    cell = np.arange(group_count * span, dtype=np.int64)
    return cell // span, cell % span + first_bin, counts.astype(np.float64)


def _sorted_cells(
    group_of_entry: IntArray, entries: Entries
) -> tuple[IntArray, IntArray, FloatArray]:
    """(group, bin, count) of each (group, bin) that has entries, in group then bin order."""
    width = 2**16
    keys = group_of_entry * width + entries.bins
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], entries.counts[order]
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    summed: FloatArray = np.add.reduceat(counts, starts).astype(np.float64)
    keys = keys[starts]
    return (keys // width).astype(np.int64), (keys % width).astype(np.int64), summed
