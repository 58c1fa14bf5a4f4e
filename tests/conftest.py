"""Shared fixtures.

Temporal: one real Temporal server per test session, the product's managed local server in the session's data
directory (see the repository's root ``conftest.py``), started here by the product's own code; notebook kernels,
sidecars and subprocesses find the same one. With ``TEMPORAL_ADDRESS`` set, every test uses that server instead.
Tests isolate themselves with a uuid task queue and workflow ids, never by restarting the server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest


@pytest.fixture(scope="session")
def temporal_address() -> str:
    pinned = os.environ.get("TEMPORAL_ADDRESS")
    if pinned:
        return pinned
    from wfb_jupyter.settings import temporal_settings
    from wfb_jupyter.temporal import local_server

    status = local_server(temporal_settings()).ensure()
    assert status.address is not None
    return status.address


@pytest.fixture
async def temporal_client(temporal_address: str) -> AsyncIterator[object]:
    from temporalio.client import Client

    client = await Client.connect(
        temporal_address, namespace=os.environ.get("TEMPORAL_NAMESPACE", "default")
    )
    yield client


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4()}"
