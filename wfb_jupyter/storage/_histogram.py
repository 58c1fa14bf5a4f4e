"""Duration histograms with log-spaced bins: merged by adding counts, read as percentiles within a stated
relative error.

A duration of ``d`` milliseconds (``d > 0``) falls in bin ``1 + ceil(log_γ d)`` with ``γ = (1 + α) / (1 - α)``;
bin 0 holds durations of 0 ms. Every duration in bin ``i >= 1`` lies in ``(γ^(i-2), γ^(i-1)]``, and the bin's
representative ``2 γ^(i-1) / (γ + 1)`` is within ``α`` (``RELATIVE_ERROR``) of each of them, relatively. A
percentile read from the counts takes, for each of the ranks it needs, the representative of the bin holding
that rank, so it is within ``α`` of the exact percentile (interpolating between two ranks keeps the bound).
This is the bucketing of DDSketch (Masson, Rim and Lee, VLDB 2019), without its bin collapsing: durations of
1 ms to a week need fewer than 1,100 bins.

A histogram is stored as bytes: little-endian records of (bin: uint32, count: uint32), by increasing bin, so a
reader can decode thousands of them at once (``numpy.frombuffer`` with ``RECORD_DTYPE``) and a writer merges a
few counts into one with C-level array operations (a commit merges one per rollup row it touches).
"""

from __future__ import annotations

import bisect
import math
import sys
from array import array
from collections.abc import Iterable, Mapping
from itertools import chain

RELATIVE_ERROR = 0.01
GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
LOG_GAMMA = math.log(GAMMA)
# The layout for numpy readers: bin then count, packed.
RECORD_DTYPE = [("bin", "<u4"), ("count", "<u4")]
MAX_BIN = 2**16 - 1
_UINT32 = "I" if array("I").itemsize == 4 else "L"
_SWAP = sys.byteorder != "little"


def bin_of(duration_ms: int | float) -> int:
    """The bin of a duration in milliseconds (negative durations count as 0)."""
    if duration_ms <= 0:
        return 0
    return min(MAX_BIN, 1 + math.ceil(math.log(duration_ms) / LOG_GAMMA))


def representative(bin_index: int) -> float:
    """The value a percentile falling in ``bin_index`` reads as: within ``RELATIVE_ERROR`` of every duration
    in that bin."""
    if bin_index <= 0:
        return 0.0
    return 2 * GAMMA ** (bin_index - 1) / (GAMMA + 1)


def encode(counts: Mapping[int, int]) -> bytes:
    """Counts per bin as stored; bins with no count are left out."""
    # Runs for every rollup row a commit touches, and its counts rarely hold a zero.
    items = sorted(counts.items())
    return _pack(items if 0 not in counts.values() else [item for item in items if item[1]])


def decode(blob: bytes | None) -> dict[int, int]:
    records = _unpack(blob)
    return dict(zip(records[0::2], records[1::2], strict=True))


def merged(blob: bytes | None, counts: Mapping[int, int]) -> bytes:
    """A stored histogram with ``counts`` added."""
    if not blob:
        return _pack(sorted(counts.items()))
    # A batch adds a few bins to many: inserting those in place beats rebuilding the whole.
    records = _unpack(blob)
    bins, tallies = records[0::2], records[1::2]
    for bin_index in sorted(counts):
        at = bisect.bisect_left(bins, bin_index)
        if at < len(bins) and bins[at] == bin_index:
            tallies[at] += counts[bin_index]
        else:
            bins.insert(at, bin_index)
            tallies.insert(at, counts[bin_index])
    records = array(_UINT32, bytes(8 * len(bins)))
    records[0::2] = bins
    records[1::2] = tallies
    if _SWAP:
        records.byteswap()
    return records.tobytes()


def counts_of(durations: Iterable[int | float]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for duration in durations:
        bin_index = bin_of(duration)
        counts[bin_index] = counts.get(bin_index, 0) + 1
    return counts


def _unpack(blob: bytes | None) -> array[int]:
    """The stored records as one flat array: bin, count, bin, count..."""
    records = array(_UINT32)
    if blob:
        records.frombytes(blob)
        if _SWAP:
            records.byteswap()
    return records


def _pack(items: Iterable[tuple[int, int]]) -> bytes:
    """(bin, count) pairs, in the order given, as stored."""
    records = array(_UINT32, chain.from_iterable(items))
    if _SWAP:
        records.byteswap()
    return records.tobytes()
