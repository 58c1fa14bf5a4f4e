"""Duration histograms with log-spaced bins: merged by adding counts, read as percentiles within a stated
relative error.

A duration of ``d`` milliseconds (``d > 0``) falls in bin ``1 + ceil(log_γ d)`` with ``γ = (1 + α) / (1 - α)``;
bin 0 holds durations of 0 ms. Every duration in bin ``i >= 1`` lies in ``(γ^(i-2), γ^(i-1)]``, and the bin's
representative ``2 γ^(i-1) / (γ + 1)`` is within ``α`` (``RELATIVE_ERROR``) of each of them, relatively. A
percentile read from the counts takes, for each of the ranks it needs, the representative of the bin holding
that rank, so it is within ``α`` of the exact percentile (interpolating between two ranks keeps the bound).
This is the bucketing of DDSketch (Masson, Rim and Lee, VLDB 2019), without its bin collapsing: durations of
1 ms to a week need fewer than 1,100 bins.

A histogram is stored as bytes: little-endian records of (bin: uint16, count: uint32), by increasing bin, so a
reader can decode thousands of them at once (``numpy.frombuffer`` with ``RECORD_DTYPE``).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Mapping

RELATIVE_ERROR = 0.01
GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
_LOG_GAMMA = math.log(GAMMA)
RECORD = struct.Struct("<HI")
# The same layout, for numpy readers: bin then count, packed.
RECORD_DTYPE = [("bin", "<u2"), ("count", "<u4")]
MAX_BIN = 2**16 - 1


def bin_of(duration_ms: int | float) -> int:
    """The bin of a duration in milliseconds (negative durations count as 0)."""
    if duration_ms <= 0:
        return 0
    return min(MAX_BIN, 1 + math.ceil(math.log(duration_ms) / _LOG_GAMMA))


def representative(bin_index: int) -> float:
    """The value a percentile falling in ``bin_index`` reads as: within ``RELATIVE_ERROR`` of every duration
    in that bin."""
    if bin_index <= 0:
        return 0.0
    return 2 * GAMMA ** (bin_index - 1) / (GAMMA + 1)


def encode(counts: Mapping[int, int]) -> bytes:
    """Counts per bin as stored; bins with no count are left out."""
    flat: list[int] = []
    for bin_index in sorted(counts):
        count = counts[bin_index]
        if count:
            flat += (bin_index, count)
    return struct.pack(f"<{'HI' * (len(flat) // 2)}", *flat)


def decode(blob: bytes | None) -> dict[int, int]:
    if not blob:
        return {}
    return dict(RECORD.iter_unpack(blob))


def merged(blob: bytes | None, counts: Mapping[int, int]) -> bytes:
    """A stored histogram with ``counts`` added."""
    total = decode(blob)
    for bin_index, count in counts.items():
        total[bin_index] = total.get(bin_index, 0) + count
    return encode(total)


def counts_of(durations: Iterable[int | float]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for duration in durations:
        bin_index = bin_of(duration)
        counts[bin_index] = counts.get(bin_index, 0) + 1
    return counts
