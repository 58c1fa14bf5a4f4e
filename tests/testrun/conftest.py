"""Test runs: a Workspace on a fresh database and project per test (the mock-from tests also run for real on
the session's Temporal server); workers stop afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Any]:
    from wfb_jupyter import Workspace
    from wfb_jupyter.runtime import runtime
    from wfb_jupyter.settings import WfbSettings

    ws = Workspace(
        WfbSettings(
            database_url=f"sqlite:///{tmp_path / 'wfb.db'}", project=f"t-{uuid.uuid4().hex[:8]}"
        )
    )
    yield ws
    runtime().run(ws.workers.manager().stop_all(), 60)
