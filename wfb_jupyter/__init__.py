"""wfb-jupyter: a Jupyter-native workflow builder on Temporal.

Load it in a notebook with ``%load_ext wfb_jupyter``. Importing this package stays cheap: heavy modules load when
first used.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "load_ipython_extension", "workspace"]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext wfb_jupyter``: registers ``%%workflow`` and ``%wfb`` and the ``WfbSettings`` configurable."""
    from wfb_jupyter.magics import register

    register(ipython)


def workspace() -> Any:
    """The process-wide ``Workspace`` (what the magics use), for calls from Python code in a notebook."""
    from wfb_jupyter._workspace import workspace as process_workspace

    return process_workspace()
