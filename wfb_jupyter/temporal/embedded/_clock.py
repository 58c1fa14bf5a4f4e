"""Time conversions between the loop's wall clock and protobuf Timestamp/Duration."""

from __future__ import annotations

import time

from google.protobuf import duration_pb2, timestamp_pb2


def now() -> float:
    return time.time()


def timestamp(seconds: float) -> timestamp_pb2.Timestamp:
    whole = int(seconds)
    return timestamp_pb2.Timestamp(seconds=whole, nanos=int((seconds - whole) * 1e9))


def duration(seconds: float) -> duration_pb2.Duration:
    whole = int(seconds)
    return duration_pb2.Duration(seconds=whole, nanos=int((seconds - whole) * 1e9))


def seconds_of(value: duration_pb2.Duration | timestamp_pb2.Timestamp) -> float:
    return value.seconds + value.nanos / 1e9
