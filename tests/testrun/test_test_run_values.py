"""A test run passes values between steps as a real run does: a DataFrame (large enough to go by reference)
reaches the next step and the result as itself, through the project's data converter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from wfb_jupyter.components import component, forget_components


def frame(rows: int) -> Any:
    numbers = np.arange(rows)
    return pd.DataFrame(
        {
            "order_id": numbers.astype("int32"),
            "amount": numbers * 0.5,
            "ordered_at": pd.Timestamp("2026-01-01", tz="Europe/Paris")
            + pd.to_timedelta(numbers, unit="min"),
        }
    )


def load_orders(rows: int) -> Any:
    import numpy as np
    import pandas as pd

    numbers = np.arange(rows)
    return pd.DataFrame(
        {
            "order_id": numbers.astype("int32"),
            "amount": numbers * 0.5,
            "ordered_at": pd.Timestamp("2026-01-01", tz="Europe/Paris")
            + pd.to_timedelta(numbers, unit="min"),
        }
    )


def total(orders: Any) -> Any:
    return {"type": type(orders).__name__, "sum": float(orders["amount"].sum())}


PIPELINE = """\
name: orders-test
input: {rows: {type: integer, default: 3}}
steps:
  - id: load
    call: load_orders
    with: {rows: "${input.rows}"}
  - id: total
    call: total
    with: {orders: "${steps.load.result}"}
output:
  orders: ${steps.load.result}
  rows: ${steps.load.result.rows}
  total: ${steps.total.result}
"""


@pytest.fixture
def components() -> Iterator[None]:
    for function in (load_orders, total):
        component(function)
    yield
    forget_components()


@pytest.mark.parametrize("rows", [3, 20_000])  # in the history, and by reference
def test_a_dataframe_passes_between_steps_and_into_the_result(
    workspace: Any, components: None, rows: int
) -> None:
    report = workspace.tests.run(PIPELINE, {"rows": rows})
    assert report.status == "completed", report.error
    result = report.result
    pd.testing.assert_frame_equal(result["orders"], frame(rows), check_exact=True)
    assert result["rows"] == rows
    assert result["total"] == {"type": "DataFrame", "sum": float(frame(rows)["amount"].sum())}
    assert f"pandas.DataFrame {rows:,} rows, 3 columns" in str(report)
    assert workspace.versions.workflows() == [] and workspace.runs.list() == []


def test_a_mocked_step_may_stand_in_a_dataframe_for_the_next(
    workspace: Any, components: None
) -> None:
    report = workspace.tests.run(
        PIPELINE, {"rows": 5}, mocks={"total": {"type": "pinned", "sum": 1}}
    )
    assert report.status == "completed", report.error
    assert report.result["total"] == {"type": "pinned", "sum": 1}
    assert [(step.run_id, step.status) for step in report.steps] == [
        ("load", "ran"),
        ("total", "mocked"),
    ]
