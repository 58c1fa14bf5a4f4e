"""User-facing errors of the notebook surface, and one place that turns any known failure into one message.

Magics show these messages as a ``UsageError`` (no traceback); widgets show them in their status line. Internal
failures that are not the user's doing keep their traceback.
"""

from __future__ import annotations

from collections.abc import Sequence

from wfb_jupyter.errors import WfbError


class WorkspaceError(Exception):
    """A mistake the user can fix (unknown workflow or version, bad input, wrong state); the message says how."""


def definition_problems_message(
    name: str,
    problems: Sequence[object],
    cell_text: str,
    *,
    first_line: int = 2,
    name_given_as: str | None = None,
) -> str:
    """The problems of a definition, each pointing at its line as the user sees it in the cell.

    ``first_line`` is the cell line holding the definition's first line: 2 under a ``%%workflow`` line.
    ``name_given_as`` says where the name came from when it was not in the text (``the %%workflow line``), so
    that a problem with the name points there rather than at a line the user never wrote.
    """
    lines = cell_text.splitlines()
    errors = [p for p in problems if getattr(p, "level", "error") == "error"]
    count = len(errors)
    noun = "error" if count == 1 else "errors"
    out = [f"workflow {name!r} was not built ({count} {noun}; nothing was stored):"]
    for problem in problems:
        level = getattr(problem, "level", "error")
        path = getattr(problem, "path", "")
        message = getattr(problem, "message", str(problem))
        line = getattr(problem, "line", None)
        if name_given_as is not None and path == "name":
            out.append(f"  {level}: {name_given_as}: {message}")
        elif line is not None:
            cell_line = line + first_line - 1
            source = lines[line - 1].strip() if 0 < line <= len(lines) else ""
            label = (
                "cell line" if first_line > 1 else "line"
            )  # a file or variable has its own lines
            where = f"{label} {cell_line}" + (f" `{source}`" if source else "")
            out.append(f"  {level}: {where}: {path}: {message}")
        else:
            out.append(f"  {level}: {path}: {message}")
    return "\n".join(out)


def user_message(error: BaseException) -> str | None:
    """The one-line (or short) message for an error the user can act on; None for internal failures."""
    if isinstance(error, (WorkspaceError, WfbError)):
        return str(error)
    # Imported lazily: each of these packages is heavy, and only the ones already loaded can have raised.
    import sys

    storage = sys.modules.get("wfb_jupyter.storage")
    if storage is not None and isinstance(error, storage.StorageError):
        return str(error)
    temporal = sys.modules.get("wfb_jupyter.temporal")
    if temporal is not None and isinstance(
        error, (temporal.TemporalUnavailableError, temporal.ServerStartError)
    ):
        return str(error)
    executions = sys.modules.get("wfb_jupyter.executions")
    if executions is not None and isinstance(error, executions.ExecutionError):
        return str(error)
    workers = sys.modules.get("wfb_jupyter.workers")
    if workers is not None and isinstance(error, (workers.WorkerStartError, workers.CodeLoadError)):
        return str(error)
    components = sys.modules.get("wfb_jupyter.components")
    if components is not None and isinstance(error, components.ComponentCaptureError):
        return str(error)
    return None
