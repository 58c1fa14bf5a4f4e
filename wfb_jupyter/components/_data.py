"""Small data helpers shared by the built-in components."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import re
import uuid
from collections.abc import Mapping
from typing import Any

# One path segment: `.name`, `[3]`, `['key']` or `["key"]`.
_SEGMENT = re.compile(r"""\.?([A-Za-z_][\w-]*)|\[(-?\d+)\]|\[(['"])(.*?)\3\]""")


def json_safe(value: Any) -> Any:
    """``value`` with database and Python types turned into JSON types (timestamps as ISO 8601 text)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(item) for item in value]
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    return str(value)


def pick_path(data: Any, path: str) -> Any:
    """Follow ``path`` into ``data``; LookupError names the first segment that is missing."""
    remaining = path.strip()
    if remaining.startswith("$"):
        remaining = remaining[1:]
    current = data
    walked = "$"
    while remaining:
        match = _SEGMENT.match(remaining)
        if match is None:
            raise ValueError(f"cannot read path {path!r} at {remaining!r}")
        name, index, _, quoted = match.groups()
        remaining = remaining[match.end() :]
        if index is not None:
            walked += f"[{index}]"
            if not isinstance(current, list) or not -len(current) <= int(index) < len(current):
                raise LookupError(f"{walked} does not exist in the data")
            current = current[int(index)]
            continue
        key = name if name is not None else quoted
        walked += f".{key}"
        if not isinstance(current, Mapping) or key not in current:
            raise LookupError(f"{walked} does not exist in the data")
        current = current[key]
    return current
