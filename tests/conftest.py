"""Shared fixtures.

Temporal: by default one embedded service per test session, running on its own thread and loop; when
``TEMPORAL_ADDRESS`` is set, the same tests run against that server instead. Tests isolate themselves with a
uuid task queue and workflow ids, never by restarting the server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest


@pytest.fixture(scope="session")
def temporal_address() -> Iterator[str]:
    pinned = os.environ.get("TEMPORAL_ADDRESS")
    if pinned:
        yield pinned
        return
    from wfb_jupyter.temporal.embedded import start_background_service

    service = start_background_service()
    try:
        yield service.address
    finally:
        service.stop()


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
