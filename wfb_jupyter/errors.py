"""The root of every error wfb-jupyter raises for something a user can act on.

Callers catch ``WfbError``; its message says what went wrong and where. The notebook layer shows it as one line
(no traceback) and adds the command to type; anything that is not a ``WfbError`` is a bug and keeps its traceback.
"""

from __future__ import annotations


class WfbError(Exception):
    """A failure the user can fix: a bad definition or input, an unknown name, a wrong state, an unreachable
    or unstartable Temporal server, a database that refuses."""
