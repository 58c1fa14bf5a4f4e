"""The errors wfb-jupyter raises for what a user can act on: one root, ``WfbError``, and a subclass per kind.

Callers catch ``WfbError``; each message says what went wrong and where, in words that fit any caller (a
notebook, a shell, a script). The notebook layer shows one as a single line, without a traceback, and may add
the command to type next; anything that is not a ``WfbError`` is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Sequence


class WfbError(Exception):
    """A failure the user can fix."""


class SettingsError(WfbError):
    """A setting or environment variable with a value that cannot be used."""


class DefinitionError(WfbError):
    """A workflow definition that does not build; ``problems`` are the compiler's, each with its position."""

    def __init__(self, message: str, problems: Sequence[object] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


class InputError(WfbError):
    """Input that does not fit: a run's, a signal's, a command's arguments."""


class NotFoundError(WfbError):
    """Something named that does not exist: a project, workflow, version, execution, component."""


class StateError(WfbError):
    """The right request at the wrong time: an execution that already ended, no worker serving a project."""


class StorageError(WfbError):
    """The database refuses: unreachable, locked, full, read-only, or not a wfb-jupyter database."""


class TemporalError(WfbError):
    """Temporal cannot be reached, or the local Temporal server cannot be started."""


class ComponentError(WfbError):
    """A component (a notebook function) that cannot be captured, stored or called."""


class WorkerError(WfbError):
    """A project's worker cannot start or load its code."""


class DataError(WfbError):
    """A value that cannot pass between steps faithfully, one over the size limit, or a payload store that
    cannot keep or give back a stored value."""
