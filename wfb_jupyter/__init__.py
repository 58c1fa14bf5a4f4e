"""wfb-jupyter: a Jupyter-native workflow builder on Temporal.

Load it in a notebook with ``%load_ext wfb_jupyter``. Importing this package stays cheap: the names below load
their modules when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wfb_jupyter._outputs import output
    from wfb_jupyter._workspace import Workspace
    from wfb_jupyter.components import component
    from wfb_jupyter.errors import WfbError
    from wfb_jupyter.services import ExecutionHandle
    from wfb_jupyter.settings import WfbSettings

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "load_ipython_extension",
    "workspace",
    "Workspace",
    "ExecutionHandle",
    "WfbSettings",
    "WfbError",
    "component",
    "output",
]

_LAZY = {
    "Workspace": "wfb_jupyter._workspace",
    "ExecutionHandle": "wfb_jupyter.services",
    "WfbSettings": "wfb_jupyter.settings",
    "WfbError": "wfb_jupyter.errors",
    "component": "wfb_jupyter.components",
    "output": "wfb_jupyter._outputs",
}


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext wfb_jupyter``: registers ``%%workflow`` and ``%wfb`` and the ``WfbSettings`` configurable."""
    from wfb_jupyter.magics import register

    register(ipython)


def workspace() -> Workspace:
    """The process-wide ``Workspace`` (what the magics use), for calls from Python code in a notebook."""
    from wfb_jupyter._workspace import workspace as process_workspace

    return process_workspace()


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'wfb_jupyter' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
