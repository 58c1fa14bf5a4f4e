"""IPython magics: ``%%workflow`` to define and build, ``%wfb`` for everything else.

Registered by ``%load_ext wfb_jupyter``. Loading imports IPython and traitlets only; the compiler, storage and
Temporal load when a magic first needs them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["register"]


def register(shell: Any) -> None:
    """Register the magics and make ``WfbSettings`` reachable with ``%config`` (loading twice is harmless)."""
    from wfb_jupyter.magics._magics import WorkflowMagics
    from wfb_jupyter.settings import WfbSettings

    settings = next((c for c in shell.configurables if isinstance(c, WfbSettings)), None)
    if settings is None:
        settings = WfbSettings(parent=shell)
        shell.configurables.append(settings)
    shell.register_magics(WorkflowMagics(shell, settings))
