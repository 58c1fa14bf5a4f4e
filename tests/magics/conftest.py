"""Magics through IPython's testing shell: a fresh database and project per test, workers stopped after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def shell() -> Any:
    from IPython.testing.globalipapp import get_ipython

    ip = get_ipython()
    ip.run_line_magic("load_ext", "wfb_jupyter")
    return ip


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'wfb.db'}"


@pytest.fixture
def ip(shell: Any, database_url: str) -> Iterator[Any]:
    """The shell pointed at a new database and project; auto-start on, as a user has it."""
    settings = _settings(shell)
    saved = {
        name: getattr(settings, name) for name in ("database_url", "project", "auto_start_worker")
    }
    shell.run_line_magic("config", f"WfbSettings.database_url = {database_url!r}")
    shell.run_line_magic("config", f"WfbSettings.project = 'p-{uuid.uuid4().hex[:8]}'")
    shell.run_line_magic("config", "WfbSettings.auto_start_worker = True")
    magics = shell.magics_manager.registry["WorkflowMagics"]
    magics._context = None  # a fresh Workspace and no "last execution" from another test
    yield shell
    _stop_workers(database_url)
    for name, value in saved.items():
        setattr(settings, name, value)
    magics._context = None


def _settings(shell: Any) -> Any:
    from wfb_jupyter.settings import WfbSettings

    return next(c for c in shell.configurables if isinstance(c, WfbSettings))


def _stop_workers(database_url: str) -> None:
    from wfb_jupyter.runtime import runtime
    from wfb_jupyter.storage import get_engine
    from wfb_jupyter.workers import kernel_worker_manager

    runtime().run(kernel_worker_manager(get_engine(database_url)).stop_all(), 60)
