"""A notebook's parameters, papermill's way: a cell tagged ``parameters`` holds the defaults, and a cell tagged
``injected-parameters`` right after it (or first, without one) assigns the values a step gives.

The injected cell is built from literals only: each name must be a plain identifier and each value JSON, which
``repr`` writes back as a Python literal. Nothing a step passes can become code.
"""

from __future__ import annotations

import ast
import keyword
import math
from collections.abc import Mapping
from typing import Any

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"


class ParameterError(ValueError):
    """Parameters that cannot be given to the notebook: a bad name, a value that is not JSON, a typo."""


def inject_parameters(notebook: Any, parameters: Mapping[str, Any], label: str) -> int | None:
    """Insert the cell assigning ``parameters`` into ``notebook`` (an nbformat node), replacing one injected
    before; returns its index, or None when there is nothing to inject."""
    import nbformat

    cells = notebook.cells
    cells[:] = [cell for cell in cells if INJECTED_TAG not in _tags(cell)]
    if not parameters:
        return None
    declared_at = next((i for i, cell in enumerate(cells) if PARAMETERS_TAG in _tags(cell)), None)
    lines = ["# Parameters given by the workflow step"]
    for name, value in parameters.items():
        _check_name(name)
        lines.append(f"{name} = {_literal(name, value)}")
    if declared_at is not None:
        _check_declared(parameters, cells[declared_at], label)
    cell = nbformat.v4.new_code_cell("\n".join(lines), metadata={"tags": [INJECTED_TAG]})  # type: ignore[no-untyped-call]
    index = 0 if declared_at is None else declared_at + 1
    cells.insert(index, cell)
    return index


def _tags(cell: Any) -> list[str]:
    return list((cell.get("metadata") or {}).get("tags") or [])


def _check_name(name: object) -> None:
    if (
        not isinstance(name, str)
        or not name.isidentifier()
        or keyword.iskeyword(name)
        or name.startswith("__")
    ):
        raise ParameterError(f"{name!r} cannot be a parameter name: use letters, digits and _")


def _check_declared(parameters: Mapping[str, Any], cell: Any, label: str) -> None:
    """A name the parameters cell does not set is most likely a typo: say which names it sets."""
    try:
        tree = ast.parse(cell.get("source") or "")
    except SyntaxError:
        return  # IPython syntax (a magic) in the parameters cell: nothing to compare with
    declared: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                declared.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    unknown = sorted(set(parameters) - declared)
    if unknown:
        names = ", ".join(sorted(declared)) or "nothing"
        raise ParameterError(
            f"{label} has no parameter {', '.join(map(repr, unknown))} (its parameters cell sets {names})"
        )


def _literal(name: str, value: Any) -> str:
    try:
        text = _python_literal(value)
    except RecursionError:
        raise ParameterError(f"parameter {name!r} is nested too deeply") from None
    except ParameterError as error:
        raise ParameterError(f"parameter {name!r}: {error}") from None
    return text


def _python_literal(value: Any) -> str:
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ParameterError(f"{value!r} is not a JSON number")
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_python_literal(item) for item in value) + "]"
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise ParameterError("the keys of a dict must be text")
        items = ", ".join(f"{key!r}: {_python_literal(item)}" for key, item in value.items())
        return "{" + items + "}"
    raise ParameterError(f"a {type(value).__name__} is not a JSON value")
