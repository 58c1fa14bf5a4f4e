"""The name in ``%%workflow NAME`` and the ``name:`` in the definition must agree; either may be left out.

The name is added to the text without moving any line, so that problem positions still match the cell.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from wfb_jupyter.errors import InputError


def named_definition(text: str, name: str | None) -> tuple[str, str | None]:
    """``(text, name)`` where the text carries the name. Text that does not parse, or is not a mapping, is
    returned as it is: the compiler explains what is wrong with it, with a position."""
    data = _peek(text)
    if not isinstance(data, dict):
        return text, name
    declared = data.get("name")
    if name is None and declared is None:
        raise InputError(
            "the workflow needs a name: write it after the magic (%%workflow NAME) or in the definition "
            "(name: NAME)"
        )
    if name is None:
        return text, declared if isinstance(declared, str) else None
    if declared is not None:
        if declared != name:
            raise InputError(
                f"the cell is named {name!r} but its definition says name: {declared!r}; "
                "use the same name in both places, or leave one out"
            )
        return text, name
    if text.lstrip().startswith("{"):
        brace = text.index("{")
        separator = ", " if data else ""
        return f'{text[: brace + 1]}"name": {json.dumps(name)}{separator}{text[brace + 1 :]}', name
    tail = "" if text.endswith("\n") else "\n"
    return f"{text}{tail}name: {json.dumps(name)}\n", name


def _peek(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def declared_name(text: str) -> str | None:
    """The ``name:`` a definition's text declares, if it parses and has one."""
    data = _peek(text)
    declared = data.get("name") if isinstance(data, dict) else None
    return declared if isinstance(declared, str) else None
