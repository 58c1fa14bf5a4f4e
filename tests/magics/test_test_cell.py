"""``%%workflow NAME --test``: a test run in a cell, with inputs, mocks and scripted messages."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError

WAITING = """\
input:
  amount: integer
vars:
  approver: null
signals:
  approve: {payload: {by: string}, set: {approver: "${signal.by}"}}
steps:
  - id: charge
    call: http_request
    with: {url: "https://payments.invalid/charge", method: POST}
  - id: cool_off
    sleep: 3d
  - id: wait_for_approval
    wait_signal: approve
    timeout: 12h
output: {approver: "${vars.approver}", amount: "${input.amount}"}
"""


def test_a_test_cell_runs_with_inputs_mocks_and_a_scripted_signal(ip: Any) -> None:
    report = ip.run_cell_magic(
        "workflow",
        """approval --test amount=250 --mock charge='{"status": 200}' --signal approve@3d2h='{"by": "ada"}'""",
        WAITING,
    )
    assert report.status == "completed"
    assert report.result == {"approver": "ada", "amount": 250}
    assert [s.status for s in report.steps] == ["mocked", "ran", "ran"]
    assert "simulated 3d 2h" in repr(report)
    from wfb_jupyter import workspace

    assert workspace().versions.workflows() == []  # a test stores nothing


def test_a_name_in_the_definition_and_a_failing_mock(ip: Any) -> None:
    report = ip.run_cell_magic(
        "workflow", "--test amount=1 --fail charge='card declined'", "name: pay\n" + WAITING
    )
    assert report.status == "failed" and report.step("charge").error == "card declined (mocked)"


def test_mistakes_are_one_message(ip: Any) -> None:
    with pytest.raises(UsageError) as raised:
        ip.run_cell_magic("workflow", "approval --mock charge=1", WAITING)
    assert str(raised.value) == "--mock goes with --test (a test run); add --test"
    with pytest.raises(UsageError) as raised:
        ip.run_cell_magic("workflow", "approval amount=1", WAITING)
    assert str(raised.value) == "amount=1 goes with --test (a test run); add --test"
    with pytest.raises(UsageError) as raised:
        ip.run_cell_magic("workflow", "approval --test amount=1 --mock chrage=1", WAITING)
    assert "no step 'chrage' (steps that can be mocked: charge)" in str(raised.value)
    with pytest.raises(UsageError) as raised:
        ip.run_cell_magic("workflow", "approval --test amount=1 --mock charge", WAITING)
    assert str(raised.value) == "--mock 'charge': write STEP=JSON"
    with pytest.raises(UsageError) as raised:
        ip.run_cell_magic("workflow", "approval --test amount=1 --signal approve@tomorrow", WAITING)
    assert "--signal 'approve@tomorrow': invalid duration 'tomorrow'" in str(raised.value)
    with pytest.raises(UsageError) as raised:
        ip.run_cell_magic(
            "workflow", "approval --test", WAITING.replace("sleep: 3d", "sleep: soon")
        )
    message = str(raised.value)
    assert message.startswith("workflow 'approval' was not tested (1 error; nothing was stored):")
    assert "cell line 13 `sleep: soon`" in message  # the %%workflow line is line 1
