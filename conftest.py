"""Test session set-up shared by ``tests/`` and the nbval tutorials in ``notebooks/``.

Unless ``TEMPORAL_ADDRESS`` pins a server, the session gets a data directory of its own (``WFB_DATA_DIR``, which
notebook kernels, sidecar workers and subprocesses inherit): the default database and the managed local
Temporal server live there, never in the user's own. Whoever needs Temporal first starts that server through
the product's code; the session stops it at the end, so no server outlives the tests.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_SESSION_DATA_DIR: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _SESSION_DATA_DIR
    if os.environ.get("TEMPORAL_ADDRESS") or _SESSION_DATA_DIR is not None:
        return
    _SESSION_DATA_DIR = Path(tempfile.mkdtemp(prefix="wfb-tests-"))
    os.environ["WFB_DATA_DIR"] = str(_SESSION_DATA_DIR)


def pytest_unconfigure(config: pytest.Config) -> None:
    global _SESSION_DATA_DIR
    if _SESSION_DATA_DIR is None:
        return
    from wfb_jupyter.temporal import LocalServer

    LocalServer(_SESSION_DATA_DIR).stop()
    shutil.rmtree(_SESSION_DATA_DIR, ignore_errors=True)
    _SESSION_DATA_DIR = None
