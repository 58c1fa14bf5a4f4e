"""pandas and numpy values: DataFrames and Series as Parquet (through pyarrow), arrays as ``.npy``, scalars by
their bytes and dtype; each comes back with the same type, dtypes, index and values.

Nothing here imports pandas, numpy or pyarrow until a value needs them: a value can only be a DataFrame if
pandas is already loaded, so ``sys.modules`` tells, and workflow code (which never decodes them for real)
never loads them at all.
"""

from __future__ import annotations

import base64
import io
import sys
import warnings
from typing import TYPE_CHECKING, Any

from wfb_jupyter.conversion._errors import Unsupported
from wfb_jupyter.conversion._workflow_values import OpaqueValue, stand_in

if TYPE_CHECKING:
    from wfb_jupyter.conversion._tree import Decoder, Encoder

# Per kind: the fields holding bytes, and those holding values encoded in their own right.
BLOB_FIELDS = {
    "pandas.DataFrame": ("parquet",),
    "pandas.Series": ("parquet",),
    "numpy.ndarray": ("npy",),
}
NESTED_FIELDS = {
    "pandas.DataFrame": ("attrs",),
    "pandas.Series": ("name", "attrs"),
    "numpy.scalar": ("value",),
}
_SERIES_COLUMN = "values"


def encode(encoder: Encoder, value: Any, depth: int) -> dict[str, Any] | None:
    """The node of a pandas or numpy value, or None when ``value`` is neither."""
    module = type(value).__module__
    if module.startswith("pandas"):
        return _encode_pandas(encoder, value, depth)
    if module == "numpy":
        return _encode_numpy(encoder, value)
    return None


def decode(decoder: Decoder, tag: str, node: dict[str, Any]) -> Any:
    if tag not in _DECODERS:
        raise ValueError(f"unknown value kind {tag!r} (written by a newer wfb-jupyter?)")
    if decoder.for_workflow:
        return _stand_in(decoder, tag, node)
    return _DECODERS[tag](decoder, node)


def summary(value: Any) -> str | None:
    """A few words on a pandas or numpy value for references (``pandas.DataFrame 1,000 rows, 5 columns``)."""
    module = type(value).__module__
    pd = sys.modules.get("pandas")
    if module.startswith("pandas") and pd is not None:
        if type(value) is pd.DataFrame:
            return f"pandas.DataFrame {len(value):,} rows, {len(value.columns):,} columns"
        if type(value) is pd.Series:
            return f"pandas.Series {len(value):,} rows ({value.dtype})"
    np = sys.modules.get("numpy")
    if module == "numpy" and np is not None and type(value) is np.ndarray:
        return f"numpy.ndarray {value.shape} {value.dtype}"
    if isinstance(value, OpaqueValue):
        return repr(value).strip("<>")
    return None


# Encoding ---------------------------------------------------------------------------------------------------
def _encode_pandas(encoder: Encoder, value: Any, depth: int) -> dict[str, Any] | None:
    pd = sys.modules.get("pandas")
    if pd is None:
        return None
    kind = type(value)
    if kind is pd.DataFrame:
        node = encoder.tag(
            "pandas.DataFrame",
            rows=len(value),
            columns=[str(column) for column in value.columns],
            dtypes={str(column): str(dtype) for column, dtype in value.dtypes.items()},
            parquet=encoder.blob(_parquet(value, "pandas.DataFrame")),
        )
        if any(type(column) is not str for column in value.columns):
            # Parquet names columns with text: the names themselves come back from here.
            node["names"] = encoder.encode(list(value.columns), depth + 1)
    elif kind is pd.Series:
        frame = value.to_frame(name=_SERIES_COLUMN)
        node = encoder.tag(
            "pandas.Series",
            rows=len(value),
            dtype=str(value.dtype),
            name=encoder.encode(value.name, depth + 1),
            parquet=encoder.blob(_parquet(frame, "pandas.Series")),
        )
    elif kind is pd.Timestamp:
        zone = getattr(value.tzinfo, "key", None) or getattr(value.tzinfo, "zone", None)
        return encoder.tag("pandas.Timestamp", value=value.isoformat(), unit=value.unit, tz=zone)
    elif kind is pd.Timedelta:
        return encoder.tag("pandas.Timedelta", value=int(value.value), unit=value.unit)
    elif value is pd.NaT:
        return encoder.tag("pandas.NaT")
    elif value is pd.NA:
        return encoder.tag("pandas.NA")
    else:
        return None
    if value.attrs:
        node["attrs"] = encoder.encode(dict(value.attrs), depth + 1)
    return node


def _parquet(frame: Any, kind: str) -> memoryview:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if frame.columns.nlevels > 1:
        raise Unsupported(kind, "its columns have several levels; flatten them to text names first")
    if not frame.columns.is_unique:
        duplicated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise Unsupported(
            kind, f"its column names repeat ({', '.join(duplicated)}); rename them first"
        )
    try:
        with warnings.catch_warnings():
            # "column names of mixed type ... will not roundtrip": they do, the encoder keeps them aside.
            warnings.filterwarnings("ignore", "The DataFrame has column names of mixed type")
            table = pa.Table.from_pandas(frame, preserve_index=None)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
    except (pa.ArrowException, ValueError, TypeError) as error:
        reason = (
            str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
        )
        raise Unsupported(
            kind,
            f"Parquet cannot hold one of its columns ({reason}); give each column a single type, "
            "e.g. df[column] = df[column].astype(str)",
        ) from error
    return memoryview(sink.getvalue())


def _encode_numpy(encoder: Encoder, value: Any) -> dict[str, Any] | None:

    np = sys.modules.get("numpy")
    if np is None:
        return None
    if type(value) is np.ndarray:
        if value.dtype.hasobject:
            raise Unsupported(
                f"numpy.ndarray of dtype {value.dtype}",
                "its items are Python objects; return value.tolist(), or an array of one numeric type",
            )
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, value, allow_pickle=False)
        return encoder.tag(
            "numpy.ndarray",
            shape=list(value.shape),
            dtype=str(value.dtype),
            size=int(value.size),
            npy=encoder.blob(buffer.getbuffer()),
        )
    if isinstance(value, np.generic) and type(value).__module__ == "numpy":
        if value.dtype.kind in "OV":
            raise Unsupported(f"numpy scalar of dtype {value.dtype}", "return value.item()")
        return encoder.tag(
            "numpy.scalar",
            dtype=value.dtype.str,
            data=base64.b64encode(value.tobytes()).decode("ascii"),
            value=encoder.encode(value.item()),
        )
    return None


# Decoding ---------------------------------------------------------------------------------------------------
def _decode_frame(decoder: Decoder, node: dict[str, Any]) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pq.read_table(pa.py_buffer(decoder.blob(node["parquet"]))).to_pandas()
    if "names" in node:
        frame.columns = decoder.decode(node["names"])
    if "attrs" in node:
        frame.attrs = decoder.decode(node["attrs"])
    return frame


def _decode_series(decoder: Decoder, node: dict[str, Any]) -> Any:
    series = _decode_frame(decoder, {"parquet": node["parquet"]})[_SERIES_COLUMN]
    series.name = decoder.decode(node["name"])
    if "attrs" in node:
        series.attrs = decoder.decode(node["attrs"])
    return series


def _decode_array(decoder: Decoder, node: dict[str, Any]) -> Any:
    import numpy as np

    return np.lib.format.read_array(io.BytesIO(decoder.blob(node["npy"])), allow_pickle=False)


def _decode_scalar(decoder: Decoder, node: dict[str, Any]) -> Any:
    import numpy as np

    return np.frombuffer(base64.b64decode(node["data"]), dtype=np.dtype(node["dtype"]))[0]


def _decode_timestamp(decoder: Decoder, node: dict[str, Any]) -> Any:
    import pandas as pd

    value = pd.Timestamp(node["value"])
    if node.get("tz"):
        value = value.tz_convert(node["tz"])
    return value.as_unit(node["unit"])


def _decode_timedelta(decoder: Decoder, node: dict[str, Any]) -> Any:
    import pandas as pd

    return pd.Timedelta(node["value"], unit="ns").as_unit(node["unit"])


def _pandas_constant(name: str) -> Any:
    def decode(decoder: Decoder, node: dict[str, Any]) -> Any:
        import pandas as pd

        return getattr(pd, name)

    return decode


_DECODERS = {
    "pandas.DataFrame": _decode_frame,
    "pandas.Series": _decode_series,
    "pandas.Timestamp": _decode_timestamp,
    "pandas.Timedelta": _decode_timedelta,
    "pandas.NaT": _pandas_constant("NaT"),
    "pandas.NA": _pandas_constant("NA"),
    "numpy.ndarray": _decode_array,
    "numpy.scalar": _decode_scalar,
}


def _stand_in(decoder: Decoder, tag: str, node: dict[str, Any]) -> Any:
    """Inside workflow code: the value as it came (bytes untouched), with numbers and text usable as such."""
    blob_names, nested_names = BLOB_FIELDS.get(tag, ()), NESTED_FIELDS.get(tag, ())
    fields = {
        k: v
        for k, v in node.items()
        if k != "$wfb" and k not in blob_names and k not in nested_names
    }
    nested = {name: decoder.decode(node[name]) for name in nested_names if name in node}
    blobs = {name: decoder.blob(node[name]) for name in blob_names}
    original = OpaqueValue(tag, fields, nested, blobs, order=[k for k in node if k != "$wfb"])
    if tag == "numpy.scalar":
        return stand_in(original, nested.get("value"))
    if tag == "pandas.Timestamp":
        return stand_in(original, fields["value"])
    return original
