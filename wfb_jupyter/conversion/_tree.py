"""Values as JSON trees: what JSON holds stays as it is; everything else the converter supports becomes a
tagged object ``{"$wfb": kind, ...}``; large bytes go to blobs beside the tree.

Types are checked exactly (``type(v) is dict``), never with ``isinstance``: a subclass (an ``OrderedDict``,
a ``StrEnum``, a named tuple) would come back as its base class, and the converter never passes on a copy
that differs from what the step returned.
"""

from __future__ import annotations

import base64
import math
import uuid
import zoneinfo
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from wfb_jupyter.conversion import _scientific as scientific
from wfb_jupyter.conversion._errors import Unsupported
from wfb_jupyter.conversion._workflow_values import WorkflowValue

TAG = "$wfb"
# Bytes up to this size stay in the tree (as base64, readable in the Web UI); larger ones become blobs.
INLINE_BLOB_BYTES = 16 * 1024
MAX_DEPTH = 200
_PLAIN = (str, int, bool, type(None))


class Encoder:
    """One walk over one value. ``describe`` replaces bytes by their size: a short summary for records."""

    def __init__(self, *, describe: bool = False) -> None:
        self.describe = describe
        self.blobs: list[bytes | memoryview] = []
        self.tagged = False

    def encode(self, value: Any, depth: int = 0) -> Any:
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind is float:
            return value if math.isfinite(value) else self.tag("float", value=repr(value))
        if depth > MAX_DEPTH:
            raise Unsupported(
                f"value nested over {MAX_DEPTH} levels deep (or holding itself)",
                "flatten it, or break the cycle",
            )
        if kind is list:
            return self._items(value, depth)
        if kind is dict:
            return self._dict(value, depth)
        stdlib = _STDLIB.get(kind)
        if stdlib is not None:
            self.tagged = True
            return stdlib(self, value, depth)
        if isinstance(value, WorkflowValue):
            self.tagged = True
            return value.wfb_encode(self, depth)
        node = scientific.encode(self, value, depth)
        if node is not None:
            self.tagged = True
            return node
        raise Unsupported(type_name(value), fix_for(value))

    def tag(self, kind: str, **fields: Any) -> dict[str, Any]:
        self.tagged = True
        return {TAG: kind, **fields}

    def blob(self, data: bytes | memoryview) -> Any:
        """Where a tree keeps bytes: base64 text when small, else the index of a blob."""
        if self.describe:
            return {"bytes": len(data)}
        if len(data) <= INLINE_BLOB_BYTES:
            return base64.b64encode(data).decode("ascii")
        self.blobs.append(data)
        return len(self.blobs) - 1

    def _items(self, values: Sequence[Any], depth: int) -> list[Any]:
        out: list[Any] = []
        for index, item in enumerate(values):
            if type(item) in _PLAIN:
                out.append(item)
                continue
            try:
                out.append(self.encode(item, depth + 1))
            except Unsupported as error:
                error.path.insert(0, index)
                raise
        return out

    def _dict(self, mapping: dict[Any, Any], depth: int) -> Any:
        if TAG in mapping or any(type(key) is not str for key in mapping):
            pairs = [[key, item] for key, item in mapping.items()]
            return self.tag("dict", items=self._items(pairs, depth))
        out: dict[str, Any] = {}
        for key, item in mapping.items():
            if type(item) in _PLAIN:
                out[key] = item
                continue
            try:
                out[key] = self.encode(item, depth + 1)
            except Unsupported as error:
                error.path.insert(0, key)
                raise
        return out


class Decoder:
    """Rebuilds values from a tree. ``for_workflow``: inside workflow code, where pandas and numpy must not
    load, their values become light stand-ins (``WorkflowValue``) that pass on unchanged."""

    def __init__(self, blobs: Sequence[memoryview] = (), *, for_workflow: bool = False) -> None:
        self.blobs = blobs
        self.for_workflow = for_workflow

    def decode(self, node: Any) -> Any:
        kind = type(node)
        if kind is list:
            return [self.decode(item) for item in node]
        if kind is not dict:
            return node
        tag = node.get(TAG)
        if tag is None:
            return {key: self.decode(item) for key, item in node.items()}
        stdlib = _STDLIB_DECODERS.get(tag)
        if stdlib is not None:
            return stdlib(self, node)
        return scientific.decode(self, tag, node)

    def blob(self, ref: Any) -> bytes | memoryview:
        if isinstance(ref, str):
            return base64.b64decode(ref)
        blob: memoryview = self.blobs[int(ref)]
        return blob


def type_name(value: Any) -> str:
    kind = type(value)
    module = kind.__module__
    return (
        kind.__qualname__ if module in ("builtins", "__main__") else f"{module}.{kind.__qualname__}"
    )


def fix_for(value: Any) -> str:
    """What to return instead, for the types people return most often."""
    import dataclasses
    import enum

    if dataclasses.is_dataclass(value):
        return (
            "return dataclasses.asdict(value) (a dict), and rebuild the dataclass in the next step"
        )
    if isinstance(value, enum.Enum):
        return "return value.value (or value.name)"
    if hasattr(value, "model_dump"):
        return "return value.model_dump() (a dict)"
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return "return value._asdict() (a dict) or tuple(value)"
    if isinstance(value, dict):
        return "return dict(value)"
    if isinstance(value, (list, tuple, set, frozenset, str, int, float, bytes)):
        base = next(
            t for t in (list, tuple, set, frozenset, str, int, float, bytes) if isinstance(value, t)
        )
        return f"return {base.__name__}(value)"
    if hasattr(value, "__fspath__"):
        return "return str(path)"
    if hasattr(value, "__iter__") and hasattr(value, "__next__"):
        return "return list(value)"
    return (
        "return JSON-like data (dict, list, str, number, bool, None) or a DataFrame, Series, numpy array "
        "or scalar, datetime, date, time, timedelta, Decimal, UUID, bytes, set or tuple"
    )


# The standard library's types ------------------------------------------------------------------------------
def _zone_key(zone: tzinfo | None) -> str | None:
    """The IANA name of a time zone, when it has one (a fixed offset has none: the ISO text keeps it)."""
    return zone.key if isinstance(zone, zoneinfo.ZoneInfo) else None


def _moment(kind: str) -> Callable[[Encoder, Any, int], Any]:
    def encode(encoder: Encoder, value: Any, depth: int) -> Any:
        node = encoder.tag(kind, value=value.isoformat())
        zone = _zone_key(value.tzinfo) if kind != "date" else None
        if zone:
            node["tz"] = zone
        if kind != "date" and value.fold:
            node["fold"] = 1
        return node

    return encode


def _decode_moment(parse: Callable[[str], Any]) -> Callable[[Decoder, dict[str, Any]], Any]:
    def decode(decoder: Decoder, node: dict[str, Any]) -> Any:
        value = parse(node["value"])
        if (
            "tz" in node
        ):  # the ISO text has the wall time and offset; the zone itself comes back by name
            value = value.replace(tzinfo=zoneinfo.ZoneInfo(node["tz"]))
        if node.get("fold"):
            value = value.replace(fold=1)
        return value

    return decode


def _collection(kind: str) -> Callable[[Encoder, Any, int], Any]:
    def encode(encoder: Encoder, value: Any, depth: int) -> Any:
        return encoder.tag(kind, items=encoder._items(list(value), depth))

    return encode


_STDLIB: dict[type, Callable[[Encoder, Any, int], Any]] = {
    tuple: _collection("tuple"),
    set: _collection("set"),
    frozenset: _collection("frozenset"),
    complex: lambda e, v, d: e.tag("complex", real=e.encode(v.real), imag=e.encode(v.imag)),
    Decimal: lambda e, v, d: e.tag("decimal", value=str(v)),
    uuid.UUID: lambda e, v, d: e.tag("uuid", value=str(v)),
    datetime: _moment("datetime"),
    date: _moment("date"),
    time: _moment("time"),
    timedelta: lambda e, v, d: e.tag(
        "timedelta", days=v.days, seconds=v.seconds, micros=v.microseconds
    ),
    bytes: lambda e, v, d: e.tag("bytes", data=e.blob(v)),
    bytearray: lambda e, v, d: e.tag("bytearray", data=e.blob(memoryview(v))),
}

_STDLIB_DECODERS: dict[str, Callable[[Decoder, dict[str, Any]], Any]] = {
    "tuple": lambda d, n: tuple(d.decode(n["items"])),
    "set": lambda d, n: set(d.decode(n["items"])),
    "frozenset": lambda d, n: frozenset(d.decode(n["items"])),
    "dict": lambda d, n: {d.decode(key): d.decode(item) for key, item in n["items"]},
    "float": lambda d, n: float(n["value"]),
    "complex": lambda d, n: complex(d.decode(n["real"]), d.decode(n["imag"])),
    "decimal": lambda d, n: Decimal(n["value"]),
    "uuid": lambda d, n: uuid.UUID(n["value"]),
    "datetime": _decode_moment(datetime.fromisoformat),
    "date": _decode_moment(date.fromisoformat),
    "time": _decode_moment(time.fromisoformat),
    "timedelta": lambda d, n: timedelta(
        days=n["days"], seconds=n["seconds"], microseconds=n["micros"]
    ),
    "bytes": lambda d, n: bytes(d.blob(n["data"])),
    "bytearray": lambda d, n: bytearray(d.blob(n["data"])),
}
