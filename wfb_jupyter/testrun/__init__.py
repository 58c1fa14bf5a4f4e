"""Test runs: a definition run once, unstored, on Temporal's time-skipping test server, with pinned step
results and scripted signals and updates, reported as the path it took."""

from wfb_jupyter.testrun._mocks import MOCKED_ERROR_TYPE
from wfb_jupyter.testrun._plan import (
    DEFAULT_TIMEOUT,
    MOCKABLE_KINDS,
    Pin,
    ScheduledMessage,
    TestPlan,
    TestPlanError,
    check_plan,
    format_duration,
    parse_message,
    parse_value,
    step_of,
)
from wfb_jupyter.testrun._recorded import recorded_pins, recorded_results
from wfb_jupyter.testrun._report import StepRun, TestReport
from wfb_jupyter.testrun._run import run_test
from wfb_jupyter.testrun._server import TestServerMissingError, find_test_server
from wfb_jupyter.testrun._subject import TestSubject, loaded_subject

__all__ = [
    # what to do instead of the real thing
    "DEFAULT_TIMEOUT",
    "MOCKABLE_KINDS",
    "MOCKED_ERROR_TYPE",
    "Pin",
    "ScheduledMessage",
    "TestPlan",
    "TestPlanError",
    "check_plan",
    "parse_message",
    "parse_value",
    "step_of",
    "recorded_pins",
    "recorded_results",
    # running and reporting
    "TestSubject",
    "loaded_subject",
    "run_test",
    "TestReport",
    "StepRun",
    "format_duration",
    "TestServerMissingError",
    "find_test_server",
]
