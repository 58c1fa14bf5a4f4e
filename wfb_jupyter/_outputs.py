"""Values a notebook hands back to the workflow step that ran it: ``wfb_jupyter.output(name, value)``.

Each call displays the value under the MIME type ``OUTPUT_MIME`` (with a line of text for people reading the
executed notebook), so the ``notebook`` component reads the outputs back from the executed notebook itself: no
files on the side, and the notebook shows what it returned. Any kernel can do the same by displaying a
``{"name": ..., "value": ...}`` document of that MIME type.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

OUTPUT_MIME = "application/vnd.wfb.output+json"
_SHOWN_CHARACTERS = 200


def output(name: str, value: Any) -> None:
    """Mark ``value`` (JSON: numbers, text, booleans, None, lists and dicts with text keys) as the output
    ``name`` of this notebook; a later output of the same name replaces it."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("an output needs a name: wfb_jupyter.output('rows', 42)")
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"output {name!r} must be JSON (numbers, text, booleans, None, lists, dicts with text "
            f"keys): {error}"
        ) from None
    if len(text) > _SHOWN_CHARACTERS:
        text = text[:_SHOWN_CHARACTERS] + "..."
    from IPython.display import display

    document = {"name": name, "value": json.loads(json.dumps(value))}
    display({OUTPUT_MIME: document, "text/plain": f"output {name} = {text}"}, raw=True)  # type: ignore[no-untyped-call]


def notebook_outputs(cells: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The outputs an executed notebook's cells marked, by name, in the order they were first given."""
    found: dict[str, Any] = {}
    for cell in cells:
        for shown in cell.get("outputs") or ():
            document = (shown.get("data") or {}).get(OUTPUT_MIME)
            if isinstance(document, Mapping) and isinstance(document.get("name"), str):
                # As plain JSON types: nbformat reads objects as NotebookNode (a dict subclass), which the
                # data converter rightly refuses to pass off as a dict.
                found[document["name"]] = json.loads(json.dumps(document.get("value")))
    return found
