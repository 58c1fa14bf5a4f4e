"""DataFrames and other values between steps on the real Temporal server: they come back as they went, in
the next step and in the result; large ones go by reference (the history stays small, the Web UI shows what
they are and where); what cannot pass, or is too large, or cannot be stored, fails the step clearly."""

from __future__ import annotations

import base64
import collections
import datetime
import datetime as dt
import decimal
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from google.protobuf.json_format import MessageToDict

from wfb_jupyter import Workspace
from wfb_jupyter.components import component, forget_components
from wfb_jupyter.payloads import StoredValue
from wfb_jupyter.runtime import runtime
from wfb_jupyter.settings import WfbSettings
from wfb_jupyter.storage import list_activity_attempts, list_payloads, read_scope


def expected_orders(rows: int) -> pd.DataFrame:
    numbers = np.arange(rows)
    return pd.DataFrame(
        {
            "order_id": numbers.astype("int32"),
            "customer": pd.Series(numbers % 7).map("c{}".format),
            "amount": numbers * 0.5,
            "ordered_at": pd.Timestamp("2026-01-01", tz="Europe/Paris")
            + pd.to_timedelta(numbers, unit="min"),
            "paid": numbers % 2 == 0,
        },
        index=pd.Index(numbers * 10, name="row"),
    )


def expected_extras() -> dict[str, Any]:
    return {
        "zebra first": 1,
        "count": np.int64(7),
        "ratio": np.float32(0.5),
        "vector": np.arange(4, dtype="uint16"),
        "when": dt.datetime(2026, 5, 1, 12, 30, tzinfo=dt.timezone.utc),
        "day": dt.date(2026, 5, 1),
        "price": decimal.Decimal("19.90"),
        "id": uuid.UUID("00000000-0000-4000-8000-000000000001"),
        "raw": b"\x00\x01\xff",
        "tags": {"b", "a"},
        "pair": (1, "one"),
        "apple last": None,
    }


def produce(rows: int) -> Any:
    numbers = np.arange(rows)
    orders = pd.DataFrame(
        {
            "order_id": numbers.astype("int32"),
            "customer": pd.Series(numbers % 7).map("c{}".format),
            "amount": numbers * 0.5,
            "ordered_at": pd.Timestamp("2026-01-01", tz="Europe/Paris")
            + pd.to_timedelta(numbers, unit="min"),
            "paid": numbers % 2 == 0,
        },
        index=pd.Index(numbers * 10, name="row"),
    )
    extras = {
        "zebra first": 1,
        "count": np.int64(7),
        "ratio": np.float32(0.5),
        "vector": np.arange(4, dtype="uint16"),
        "when": datetime.datetime(2026, 5, 1, 12, 30, tzinfo=datetime.timezone.utc),
        "day": datetime.date(2026, 5, 1),
        "price": decimal.Decimal("19.90"),
        "id": uuid.UUID("00000000-0000-4000-8000-000000000001"),
        "raw": b"\x00\x01\xff",
        "tags": {"b", "a"},
        "pair": (1, "one"),
        "apple last": None,
    }
    return {"orders": orders, "extras": extras}


def inspect_orders(orders: Any, extras: Any) -> Any:
    """What the next step received: types and dtypes, in the order they came."""
    return {
        "frame": type(orders).__module__ + "." + type(orders).__name__,
        "dtypes": {str(name): str(dtype) for name, dtype in orders.dtypes.items()},
        "index": [orders.index.name, str(orders.index.dtype)],
        "rows": len(orders),
        "amount": float(orders["amount"].sum()),
        "extras": [
            [key, type(value).__module__ + "." + type(value).__qualname__]
            for key, value in extras.items()
        ],
        "vector": [str(extras["vector"].dtype), extras["vector"].tolist()],
        "tags": sorted(extras["tags"]),
    }


def bad_value() -> Any:
    return collections.deque([1, 2])


def blob(size: int) -> Any:
    return bytes(size)


PIPELINE = """
input: {rows: {type: integer, default: 3}}
steps:
  - id: produce
    call: produce
    with: {rows: "${input.rows}"}
  - id: inspect
    call: inspect_orders
    with: {orders: "${steps.produce.result.orders}", extras: "${steps.produce.result.extras}"}
output:
  orders: ${steps.produce.result.orders}
  extras: ${steps.produce.result.extras}
  seen: ${steps.inspect.result}
  rows_in_workflow: ${steps.produce.result.orders.rows}
  columns_in_workflow: ${steps.produce.result.orders.columns}
  count_plus_one: ${steps.produce.result.extras.count + 1}
"""

FAILING = """
steps:
  - id: bad
    call: bad_value
    retry: {max_attempts: 3, initial_interval: 10ms}
"""

LARGE = """
input: {size: integer}
steps:
  - id: big
    call: blob
    with: {size: "${input.size}"}
    retry: {max_attempts: 2, initial_interval: 10ms}
output: ${steps.big.result}
"""


@pytest.fixture
def workspace_for(database_url: str) -> Iterator[Any]:
    made: list[Workspace] = []

    def make(**settings: Any) -> Workspace:
        ws = Workspace(
            WfbSettings(
                database_url=database_url, project=f"data-{uuid.uuid4().hex[:8]}", **settings
            )
        )
        made.append(ws)
        return ws

    for function in (produce, inspect_orders, bad_value, blob):
        component(function)  # registered per test: other tests see only their own components
    yield make
    for ws in made:
        runtime().run(ws.workers.manager().stop_all(), 60)
    forget_components()


def history_of(ws: Workspace, workflow_id: str) -> Any:
    async def fetch() -> Any:
        client = await ws.temporal.get_client()
        return await client.get_workflow_handle(workflow_id).fetch_history()

    return runtime().run(fetch(), 60)


def references_in(history: Any) -> list[dict[str, Any]]:
    """The claim checks in a history, as the Web UI shows them (json/protobuf payloads)."""
    found = []
    for event in history.events:
        document = MessageToDict(event)
        stack: list[Any] = [document]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                metadata = item.get("metadata", {})
                if metadata.get("messageType") and "data" in item:
                    found.append(json.loads(base64.b64decode(item["data"])))
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    return found


def test_a_dataframe_and_friends_pass_faithfully_and_large_ones_by_reference(
    workspace_for: Any,
) -> None:
    ws = workspace_for()
    ws.build("orders", PIPELINE)
    handle = ws.run("orders", {"rows": 50_000})
    result = handle.result(120)

    # In the result: the same types and values, keys in the order the steps wrote them.
    assert list(result) == [
        "orders",
        "extras",
        "seen",
        "rows_in_workflow",
        "columns_in_workflow",
        "count_plus_one",
    ]
    pd.testing.assert_frame_equal(result["orders"], expected_orders(50_000), check_exact=True)
    extras = result["extras"]
    assert list(extras) == list(expected_extras())
    for key, value in expected_extras().items():
        assert type(extras[key]) is type(value), key
        if isinstance(value, np.ndarray):
            assert np.array_equal(extras[key], value) and extras[key].dtype == value.dtype
        else:
            assert extras[key] == value, key

    # In the next step: the same, as that step saw it.
    seen = result["seen"]
    assert seen["frame"] == "pandas.DataFrame" and seen["rows"] == 50_000
    assert seen["dtypes"] == {
        "order_id": "int32",
        "customer": str(expected_orders(1)["customer"].dtype),
        "amount": "float64",
        "ordered_at": str(expected_orders(1)["ordered_at"].dtype),
        "paid": "bool",
    }
    assert seen["index"] == ["row", "int64"]
    assert seen["amount"] == float(expected_orders(50_000)["amount"].sum())
    assert [key for key, _ in seen["extras"]] == list(expected_extras())
    assert dict(seen["extras"])["count"] == "numpy.int64"
    assert dict(seen["extras"])["price"] == "decimal.Decimal"
    assert dict(seen["extras"])["pair"] == "builtins.tuple"
    assert seen["vector"] == ["uint16", [0, 1, 2, 3]] and seen["tags"] == ["a", "b"]

    # In workflow expressions: a few readable properties, numbers as numbers.
    assert result["rows_in_workflow"] == 50_000
    assert result["columns_in_workflow"] == ["order_id", "customer", "amount", "ordered_at", "paid"]
    assert result["count_plus_one"] == 8

    # The history holds references, not the frame; each says what it is, how large, and where.
    history = history_of(ws, handle.workflow_id)
    assert sum(event.ByteSize() for event in history.events) < 100_000
    claims = [ref["claimData"] for ref in references_in(history) if "claimData" in ref]
    assert claims, "no reference in the history"
    assert {claim["store"] for claim in claims} == {"database"}
    assert any(claim["type"].startswith("dict of 2 keys") for claim in claims)
    assert all(int(claim["bytes"]) > 16 * 1024 for claim in claims)
    with read_scope(ws.engine) as session:
        stored = list_payloads(session)
    assert {entry.key for entry in stored} == {claim["key"] for claim in claims}

    # The execution's record keeps a summary (no bytes); the value itself comes from the store.
    [summary] = [row for row in ws.runs.list("orders") if row.workflow_id == handle.workflow_id]
    assert summary.status == "completed"

    # Its state (%wfb status, the run form) says what the stored result is, without loading it.
    state = ws.runs.get(handle.workflow_id).status()
    assert isinstance(state.result, StoredValue)
    assert (state.result.type, state.result.store) == ("dict of 6 keys", "database")
    assert state.result.key in {entry.key for entry in stored}
    assert str(state.result) == (
        f"<stored dict of 6 keys, {state.result.size} in database; .result() loads it>"
    )


def test_another_process_resolves_a_stored_result(workspace_for: Any, database_url: str) -> None:
    ws = workspace_for()
    ws.build("orders", PIPELINE)
    handle = ws.run("orders", {"rows": 20_000})
    handle.result(120)
    script = (
        "import sys\n"
        "from wfb_jupyter import Workspace\n"
        "from wfb_jupyter.settings import WfbSettings\n"
        "ws = Workspace(WfbSettings(database_url=sys.argv[1], project=sys.argv[2], auto_start_worker=False))\n"
        "result = ws.runs.get(sys.argv[3]).result(60)\n"
        "frame = result['orders']\n"
        "print(type(frame).__name__, len(frame), frame['order_id'].dtype, type(result['extras']['price']).__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, database_url, ws.settings.project, handle.workflow_id],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "DataFrame 20000 int32 Decimal"


def test_a_folder_store_holds_the_values(workspace_for: Any, tmp_path: Path) -> None:
    folder = tmp_path / "payloads"
    ws = workspace_for(payload_store=str(folder))
    ws.build("orders", PIPELINE)
    handle = ws.run("orders", {"rows": 20_000})
    pd.testing.assert_frame_equal(handle.result(120)["orders"], expected_orders(20_000))
    claims = [
        r["claimData"]
        for r in references_in(history_of(ws, handle.workflow_id))
        if "claimData" in r
    ]
    assert {claim["store"] for claim in claims} == {f"folder {folder}"}
    assert {path.name for path in folder.glob("*/*")} == {claim["key"] for claim in claims}


def test_a_value_that_cannot_pass_fails_the_step_once_with_the_fix(workspace_for: Any) -> None:
    ws = workspace_for()
    ws.build("failing", FAILING)
    outcome = ws.run("failing").wait(120)
    assert outcome.status == "failed"
    assert (
        "the result of step 'bad' (component 'bad_value.v1') is of type collections.deque, which "
        "cannot pass between steps faithfully; return JSON-like data"
    ) in str(outcome.error)
    with read_scope(ws.engine) as session:
        attempts = list_activity_attempts(session, outcome.ref.workflow_id)
    assert len(attempts) == 1  # not retried: it would fail the same way


def test_a_result_over_the_hard_limit_fails_and_stores_nothing(workspace_for: Any) -> None:
    ws = workspace_for(payload_threshold=20_000, payload_max_bytes=100_000)
    ws.build("large", LARGE)
    outcome = ws.run("large", {"size": 200_000}).wait(120)
    assert outcome.status == "failed"
    assert (
        "the result of step 'big' (component 'blob.v1') is 195.4 KiB once encoded, over the size limit"
        in str(outcome.error)
    )
    with read_scope(ws.engine) as session:
        assert list_payloads(session) == []
        assert len(list_activity_attempts(session, outcome.ref.workflow_id)) == 1


def test_a_store_that_cannot_be_written_fails_the_attempt_and_references_nothing(
    workspace_for: Any, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    ws = workspace_for(payload_store=str(blocker))
    ws.build("large", LARGE)
    outcome = ws.run("large", {"size": 300_000}).wait(120)
    assert outcome.status == "failed"
    assert "could not store a value of 293.1 KiB (bytes)" in str(outcome.error)
    assert f"in the payload folder {blocker}: Not a directory" in str(outcome.error)
    with read_scope(ws.engine) as session:
        assert list_payloads(session) == []
        assert len(list_activity_attempts(session, outcome.ref.workflow_id)) == 2  # retried
