"""Widgets without a browser: ipywidgets 8 talks to a dummy comm outside a kernel, so traits and callbacks
run as in a notebook. Each test gets its own database and project; workers stop afterwards."""

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

    settings = WfbSettings(
        database_url=f"sqlite:///{tmp_path / 'wfb.db'}",
        project=f"w-{uuid.uuid4().hex[:8]}",
        poll_interval=0.2,
    )
    ws = Workspace(settings)
    yield ws
    runtime().run(ws.workers.manager().stop_all(), 60)
