"""The problems of a definition that does not build, as the user reads them: each at its line of the text."""

from __future__ import annotations

from collections.abc import Sequence


def definition_problems_message(
    name: str,
    problems: Sequence[object],
    cell_text: str,
    *,
    first_line: int = 2,
    name_given_as: str | None = None,
    action: str = "built",
) -> str:
    """The problems of a definition, each pointing at its line as the user sees it in the cell.

    ``first_line`` is the line holding the definition's first line: 2 under a ``%%workflow`` line, 1 for a
    file or a variable.
    ``name_given_as`` says where the name came from when it was not in the text (``the %%workflow line``), so
    that a problem with the name points there rather than at a line the user never wrote.
    ``action`` is what did not happen: ``built``, or ``tested`` for a test run.
    """
    lines = cell_text.splitlines()
    errors = [p for p in problems if getattr(p, "level", "error") == "error"]
    count = len(errors)
    noun = "error" if count == 1 else "errors"
    out = [f"workflow {name!r} was not {action} ({count} {noun}; nothing was stored):"]
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
