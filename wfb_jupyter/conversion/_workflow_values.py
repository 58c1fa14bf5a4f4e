"""What workflow code holds in place of a DataFrame, a numpy value or another value of a heavy library.

Workflow code runs in Temporal's sandbox, which would import pandas and numpy anew for every run: far too
slow, and numpy cannot be imported twice in one process. So inside a workflow such a value is a stand-in that
keeps the encoded value exactly as it came and passes it on unchanged to the next step, where it is the real
value again. Expressions can read a few properties (``${steps.load.result.rows}``); numbers and text stay
numbers and text (a numpy integer is an ``int`` there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wfb_jupyter.conversion._tree import Encoder

# What expressions may read of each kind (besides ``type``), all plain JSON values.
READABLE: dict[str, tuple[str, ...]] = {
    "pandas.DataFrame": ("rows", "columns", "dtypes"),
    "pandas.Series": ("rows", "dtype", "name"),
    "numpy.ndarray": ("shape", "dtype", "size"),
    "numpy.scalar": ("dtype", "value"),
    "pandas.Timestamp": ("value", "tz"),
    "pandas.Timedelta": ("value", "unit"),
}


class WorkflowValue:
    """A value inside workflow code that stands for one the workflow cannot (or should not) build."""

    def wfb_encode(self, encoder: Encoder, depth: int) -> Any:
        raise NotImplementedError


class OpaqueValue(WorkflowValue):
    """A stand-in: its kind, its readable fields, values nested in it (decoded, to encode again), and its
    bytes (a Parquet file, a .npy array) exactly as they came."""

    __slots__ = ("kind", "fields", "nested", "blobs", "order")

    def __init__(
        self,
        kind: str,
        fields: Mapping[str, Any],
        nested: Mapping[str, Any] | None = None,
        blobs: Mapping[str, bytes | memoryview] | None = None,
        order: Sequence[str] = (),
    ) -> None:
        self.kind = kind
        self.fields = dict(fields)
        self.nested = dict(nested or {})
        self.blobs = dict(blobs or {})
        self.order = tuple(
            order
        )  # of the fields as they came: passed on, the encoding is the same bytes

    def wfb_encode(self, encoder: Encoder, depth: int) -> Any:
        parts: dict[str, Any] = dict(self.fields)
        for name, value in self.nested.items():
            parts[name] = encoder.encode(value, depth + 1)
        for name, data in self.blobs.items():
            parts[name] = encoder.blob(data)
        names = [name for name in self.order if name in parts]
        names += [name for name in parts if name not in names]
        return encoder.tag(self.kind, **{name: parts[name] for name in names})

    def __getitem__(self, name: object) -> Any:
        if name == "type":
            return self.kind
        readable = READABLE.get(self.kind, ())
        if name in readable:
            return self.nested[name] if name in self.nested else self.fields.get(str(name))
        known = ", ".join(("type", *readable))
        raise KeyError(
            f"a {self.kind} has no {name!r} in workflow expressions (it has: {known}); read more of it "
            "in a component"
        )

    def __len__(self) -> int:
        if "rows" in self.fields:
            return int(self.fields["rows"])
        if "size" in self.fields:
            return int(self.fields["size"])
        raise TypeError(f"a {self.kind} has no length in workflow expressions")

    def __repr__(self) -> str:
        if self.kind == "pandas.DataFrame":
            return (
                f"<DataFrame: {self.fields['rows']:,} rows, {len(self.fields['columns'])} columns>"
            )
        if self.kind == "pandas.Series":
            return f"<Series: {self.fields['rows']} rows, {self.fields['dtype']}>"
        if self.kind == "numpy.ndarray":
            return f"<ndarray: shape {tuple(self.fields['shape'])}, {self.fields['dtype']}>"
        value = self.nested.get("value", self.fields.get("value"))
        return f"<{self.kind}: {value}>" if value is not None else f"<{self.kind}>"

    __str__ = __repr__


class _Wrapped(WorkflowValue):
    """Mixed into ``int``/``float``/``str`` stand-ins: the number or text, and the value it stands for."""

    _wfb_original: OpaqueValue

    def wfb_encode(self, encoder: Encoder, depth: int) -> Any:
        return self._wfb_original.wfb_encode(encoder, depth)


class WorkflowInt(_Wrapped, int):
    """A numpy integer or boolean inside workflow code: an ``int`` for expressions."""

    def __repr__(self) -> str:
        if self._wfb_original.fields.get("dtype", "").endswith("b1"):
            return repr(bool(self))
        return int.__repr__(self)

    __str__ = __repr__


class WorkflowFloat(_Wrapped, float):
    """A numpy float inside workflow code: a ``float`` for expressions."""


class WorkflowText(_Wrapped, str):
    """A numpy string or a pandas Timestamp (its ISO text) inside workflow code: text for expressions."""


def stand_in(original: OpaqueValue, readable: Any) -> Any:
    """The stand-in for ``original``: a number or text that expressions can use when ``readable`` is one,
    else the opaque value."""
    for base, wrapper in (
        (bool, WorkflowInt),
        (int, WorkflowInt),
        (float, WorkflowFloat),
        (str, WorkflowText),
    ):
        if type(readable) is base:
            value = wrapper(readable)
            value._wfb_original = original
            return value
    return original
