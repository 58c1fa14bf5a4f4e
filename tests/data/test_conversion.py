"""The payload converter without a server: what comes back is what went in (type and value), or nothing
passes and the message says which step, which type and what to do."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import decimal
import enum
import json
import subprocess
import sys
import uuid
import zoneinfo
from typing import Any

import numpy as np
import pandas as pd
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue
from temporalio.converter import ActivitySerializationContext, WorkflowSerializationContext
from temporalio.exceptions import ApplicationError

from wfb_jupyter.conversion import (
    BUNDLE,
    TAGGED_KEY,
    OpaqueValue,
    PayloadLimits,
    PayloadTooLargeError,
    UnsupportedValueError,
    WorkflowInt,
    converter_class,
    data_converter,
    describe_value,
)
from wfb_jupyter.conversion._payload_converter import _unbundle
from wfb_jupyter.conversion._tree import Decoder

CONVERTER = data_converter().payload_converter
STEP = ActivitySerializationContext(
    namespace="default",
    activity_id="load",
    activity_type="load_orders.v1",
    activity_task_queue="q",
    workflow_id="wf-1",
    workflow_type="orders.v1",
    is_local=False,
)


def round_trip(value: Any) -> Any:
    [payload] = CONVERTER.to_payloads([value])
    [back] = CONVERTER.from_payloads([payload])
    return back


def in_workflow(payload: Payload) -> Any:
    """What workflow code gets for a payload (the converter's sandbox side)."""
    if payload.metadata["encoding"] == BUNDLE:
        tree, blobs = _unbundle(payload.data)
        return Decoder(blobs, for_workflow=True).decode(tree)
    return Decoder(for_workflow=True).decode(json.loads(payload.data))


def orders() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "order_id": np.array([3, 1, 2], dtype="int32"),
            "customer": ["b", "a", None],
            "amount": [1.5, float("nan"), 3.0],
            "ordered_at": pd.to_datetime(["2026-01-01", "2026-02-01", None], utc=True),
            "local_time": pd.to_datetime(
                ["2026-01-01 10:00", "2026-01-02 00:00", "2026-01-03 00:00"]
            ),
            "paid": [True, False, True],
            "status": pd.Categorical(["new", "paid", "new"]),
            "price": [decimal.Decimal("1.10"), None, decimal.Decimal("3")],
            "maybe": pd.array([1, None, 3], dtype="Int64"),
            "wait": pd.to_timedelta([1, 2, 3], unit="s"),
        },
        index=pd.Index([10, 20, 30], name="row"),
    )
    frame.attrs = {"source": "shop"}
    return frame


class TestRoundTrips:
    def test_a_dataframe_comes_back_with_its_dtypes_index_values_and_attrs(self) -> None:
        frame = orders()
        back = round_trip(frame)
        assert type(back) is pd.DataFrame
        pd.testing.assert_frame_equal(back, frame, check_exact=True)
        assert back.attrs == {"source": "shop"}
        assert list(back.columns) == list(frame.columns)

    @pytest.mark.parametrize(
        "frame",
        [
            pd.DataFrame(),
            pd.DataFrame({"x": []}),
            pd.DataFrame({"a": [1, 2]}, index=pd.MultiIndex.from_tuples([("x", 1), ("y", 2)])),
            pd.DataFrame({1: ["int column name"], "b": ["text"]}),
            pd.DataFrame({"a": [1.0]}, index=pd.RangeIndex(5, 6)),
            pd.DataFrame({"nested": [{"k": 1}, {"k": 2}]}),
        ],
        ids=["empty", "no-rows", "multi-index", "int-column-name", "range-index", "struct"],
    )
    def test_frames_of_other_shapes(self, frame: pd.DataFrame) -> None:
        pd.testing.assert_frame_equal(round_trip(frame), frame, check_exact=True)

    def test_a_series_keeps_its_name_index_and_dtype(self) -> None:
        series = pd.Series([1, 2, 3], index=["a", "b", "c"], name=("total", 2026), dtype="int16")
        back = round_trip(series)
        pd.testing.assert_series_equal(back, series)
        assert back.name == ("total", 2026)

    def test_numpy_arrays_and_scalars(self) -> None:
        array = np.arange(12, dtype=">u2").reshape(3, 4)[:, ::2]  # big-endian, not contiguous
        back = round_trip(array)
        assert type(back) is np.ndarray and back.dtype == array.dtype
        assert np.array_equal(back, array)
        for scalar in (
            np.int64(-5),
            np.uint8(200),
            np.float32(1.25),
            np.float64("nan"),
            np.bool_(True),
            np.str_("é"),
            np.datetime64("2026-01-01T00:00:00.123456789"),
            np.timedelta64(5, "ms"),
            np.complex64(1 + 2j),
        ):
            again = round_trip(scalar)
            assert type(again) is type(scalar) and again.dtype == scalar.dtype
            assert again == scalar or (np.isnan(scalar) and np.isnan(again))

    def test_the_standard_library_types(self) -> None:
        value = {
            "when": dt.datetime(2026, 3, 29, 2, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
            "naive": dt.datetime(2026, 1, 1, 12, 0, 0, 7),
            "utc": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
            "offset": dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
            "fold": dt.datetime(
                2026, 10, 25, 2, 30, fold=1, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")
            ),
            "day": dt.date(2026, 2, 28),
            "at": dt.time(23, 59, 59, 999999),
            "took": dt.timedelta(days=-1, microseconds=3),
            "price": decimal.Decimal("1.10"),
            "nan_price": decimal.Decimal("NaN"),
            "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "raw": b"\x00\xff",
            "large": bytes(range(256)) * 1000,
            "buffer": bytearray(b"abc"),
            "tags": {"a", "b"},
            "frozen": frozenset({1}),
            "pair": (1, ("nested", [2, (3,)])),
            "number": 1 + 2j,
            "infinity": float("-inf"),
        }
        back = round_trip(value)
        assert list(back) == list(value)
        for key, item in value.items():
            assert type(back[key]) is type(item), key
            assert back[key] == item or key == "nan_price", key
            if isinstance(item, (dt.datetime, dt.time)):
                assert back[key].tzinfo == item.tzinfo and back[key].fold == item.fold, key
        assert back["nan_price"].is_nan()

    def test_key_order_is_kept_and_keys_keep_their_types(self) -> None:
        value = {"zebra": 1, "apple": {"y": 1, "x": 2}, 3: "int key", (1, 2): "tuple key", None: 0}
        back = round_trip(value)
        assert list(back) == ["zebra", "apple", 3, (1, 2), None]
        assert list(back["apple"]) == ["y", "x"]
        assert back == value

    def test_plain_json_stays_plain_and_readable(self) -> None:
        [payload] = CONVERTER.to_payloads([{"b": [1, "two", None, True, 2.5], "a": {}}])
        assert dict(payload.metadata) == {"encoding": b"json/plain"}
        assert payload.data == b'{"b":[1,"two",null,true,2.5],"a":{}}'

    def test_a_dict_with_the_tag_key_is_not_mistaken_for_a_tag(self) -> None:
        value = {"$wfb": "decimal", "value": "1"}
        assert round_trip(value) == value and type(round_trip(value)["value"]) is str

    def test_small_values_of_other_types_stay_readable_json(self) -> None:
        [payload] = CONVERTER.to_payloads([{"price": decimal.Decimal("1.10")}])
        assert payload.metadata[TAGGED_KEY] == b"1"
        assert json.loads(payload.data) == {"price": {"$wfb": "decimal", "value": "1.10"}}

    def test_payloads_of_other_senders_decode(self) -> None:
        plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"b":1,"a":2}')
        null = Payload(metadata={"encoding": b"binary/null"})
        raw = Payload(metadata={"encoding": b"binary/plain"}, data=b"\x01")
        assert CONVERTER.from_payloads([plain, null, raw]) == [{"b": 1, "a": 2}, None, b"\x01"]
        assert list(CONVERTER.from_payloads([plain])[0]) == ["b", "a"]

    def test_a_raw_value_is_handed_over_as_it_came(self) -> None:
        """What a dynamic workflow asks for (a test run's stand-in for a pinned child workflow)."""
        [payload] = CONVERTER.to_payloads([{"rows": 3}])
        [raw] = CONVERTER.from_payloads([payload], [RawValue])
        assert isinstance(raw, RawValue) and raw.payload == payload


class TestInWorkflowCode:
    def test_a_dataframe_is_a_stand_in_that_passes_on_unchanged(self) -> None:
        frame = orders()
        [payload] = CONVERTER.to_payloads([{"orders": frame, "count": np.int64(3)}])
        seen = in_workflow(payload)
        stand_in = seen["orders"]
        assert isinstance(stand_in, OpaqueValue)
        assert (stand_in["type"], stand_in["rows"], len(stand_in)) == ("pandas.DataFrame", 3, 3)
        assert stand_in["columns"] == list(frame.columns)
        assert stand_in["dtypes"]["order_id"] == "int32"
        assert str(stand_in) == "<DataFrame: 3 rows, 10 columns>"
        with pytest.raises(KeyError, match="has no 'values' in workflow expressions"):
            stand_in["values"]
        assert isinstance(seen["count"], WorkflowInt) and seen["count"] + 1 == 4
        [again] = CONVERTER.to_payloads([seen])
        assert again.data == payload.data  # the same bytes go on to the next step
        back = CONVERTER.from_payloads([again])[0]
        pd.testing.assert_frame_equal(back["orders"], frame, check_exact=True)
        assert type(back["count"]) is np.int64

    def test_numbers_and_text_stay_usable_in_expressions(self) -> None:
        values = [
            np.float64(2.5),
            np.bool_(False),
            np.str_("x"),
            pd.Timestamp("2026-01-01", tz="UTC"),
        ]
        [payload] = CONVERTER.to_payloads([values])
        seen = in_workflow(payload)
        assert seen[0] * 2 == 5.0 and not seen[1] and seen[2] + "y" == "xy"
        assert seen[3] == "2026-01-01T00:00:00+00:00" and str(seen[1]) == "False"
        back = CONVERTER.from_payloads(CONVERTER.to_payloads([seen]))[0]
        assert [type(v) for v in back] == [np.float64, np.bool_, np.str_, pd.Timestamp]
        assert back[3] == values[3] and str(back[3].tz) == "UTC"

    def test_workflow_code_never_imports_pandas_numpy_or_pyarrow(self) -> None:
        """In the sandbox (its thread-local flag on), decoding and encoding a DataFrame loads none of them."""
        [payload] = CONVERTER.to_payloads([{"orders": orders(), "n": np.int32(1)}])
        script = (
            "import sys\n"
            "from temporalio.api.common.v1 import Payload\n"
            "import temporalio.workflow\n"
            "from wfb_jupyter.conversion import data_converter\n"
            "converter = data_converter().payload_converter\n"
            "temporalio.workflow.unsafe._set_in_sandbox(True)\n"
            "payload = Payload.FromString(sys.stdin.buffer.read())\n"
            "value = converter.from_payloads([payload])[0]\n"
            "again = converter.to_payloads([value])[0]\n"
            "assert again.data == payload.data\n"
            "print(sorted(m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script],
            input=payload.SerializeToString(),
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()
        assert done.stdout.decode().strip() == "[]"


@dataclasses.dataclass
class Point:
    x: int


class Colour(enum.Enum):
    RED = "red"


class TestRefusals:
    @pytest.mark.parametrize(
        ("value", "words"),
        [
            (collections.deque([1]), "is of type collections.deque, which cannot pass"),
            ({"a": [1, {"b": Point(1)}]}, "holds a value of type"),
            (Colour.RED, "return value.value"),
            (collections.OrderedDict(a=1), "return dict(value)"),
            (np.array([object()]), "its items are Python objects"),
            (pd.DataFrame({"a": [1, "x"]}), "Parquet cannot hold one of its columns"),
            (pd.DataFrame([[1, 2]], columns=["a", "a"]), "its column names repeat (a)"),
            (pd.Index([1, 2]), "is of type pandas.Index"),
            (iter([1]), "return list(value)"),
        ],
    )
    def test_a_value_that_cannot_pass_faithfully_is_refused(self, value: Any, words: str) -> None:
        with pytest.raises(UnsupportedValueError) as raised:
            CONVERTER.to_payloads([value])
        assert words in str(raised.value)

    def test_the_message_names_the_path_inside_the_value(self) -> None:
        with pytest.raises(UnsupportedValueError) as raised:
            CONVERTER.to_payloads([{"a": [1, {"b": Point(1)}]}])
        assert str(raised.value) == (
            "the value holds a value of type "
            f"{Point.__module__}.Point at ['a'][1]['b'], which cannot pass between steps "
            "faithfully; return dataclasses.asdict(value) (a dict), and rebuild the dataclass in the "
            "next step"
        )

    def test_in_an_activity_it_fails_the_attempt_for_good_naming_the_step(self) -> None:
        with pytest.raises(ApplicationError) as raised:
            CONVERTER.with_context(STEP).to_payloads([collections.deque()])
        assert raised.value.non_retryable
        assert raised.value.type == "UnsupportedValueError"
        assert raised.value.message.startswith(
            "the result of step 'load' (component 'load_orders.v1') is of type collections.deque"
        )

    def test_a_cycle_is_refused_not_followed_for_ever(self) -> None:
        looped: list[Any] = []
        looped.append(looped)
        with pytest.raises(UnsupportedValueError, match="holding itself"):
            CONVERTER.to_payloads([looped])

    def test_over_the_hard_limit_nothing_is_encoded(self) -> None:
        small = converter_class(PayloadLimits(threshold=1024, max_bytes=10_000, stored=True))(STEP)
        with pytest.raises(ApplicationError) as raised:
            small.to_payloads([bytes(20_000)])
        assert raised.value.non_retryable
        assert "is 19.6 KiB once encoded, over the size limit" in raised.value.message
        assert "(payload_max_bytes, WFB_PAYLOAD_MAX_BYTES) (9.8 KiB)" in raised.value.message

    def test_without_a_payload_store_the_limit_is_temporals(self) -> None:
        context = WorkflowSerializationContext(namespace="default", workflow_id="wf-9")
        with pytest.raises(PayloadTooLargeError) as raised:
            CONVERTER.with_context(context).to_payloads([bytes(3_000_000)])
        assert str(raised.value).startswith("the input of workflow 'wf-9' is 2.9 MiB once encoded")
        assert "no payload store is configured here" in str(raised.value)


class TestDescriptions:
    def test_records_get_json_with_the_bytes_left_out(self) -> None:
        described = describe_value({"orders": orders(), "price": decimal.Decimal("2")})
        assert json.loads(json.dumps(described, allow_nan=False)) == described
        frame = described["orders"]
        assert (frame["$wfb"], frame["rows"], frame["columns"][:2]) == (
            "pandas.DataFrame",
            3,
            ["order_id", "customer"],
        )
        assert set(frame["parquet"]) == {"bytes"}
        assert described["price"] == {"$wfb": "decimal", "value": "2"}

    def test_plain_json_is_recorded_as_it_is(self) -> None:
        assert describe_value({"b": 1, "a": [None]}) == {"b": 1, "a": [None]}
        assert describe_value(collections.deque()) == {
            "$wfb": "unsupported",
            "type": "collections.deque",
        }
