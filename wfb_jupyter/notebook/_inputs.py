"""Run inputs typed in a magic line (``count=3 name=Ada tags='["a"]' who=$person``), read against the schema.

A string field keeps the text as typed (``zip=01234`` stays ``"01234"``); other fields read the text as JSON,
so numbers, booleans, lists and objects need no quoting beyond the shell's. ``$name`` takes a notebook variable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from wfb_jupyter.notebook._errors import WorkspaceError


def parse_assignments(
    tokens: Sequence[str], schema: Mapping[str, Any], namespace: Mapping[str, Any]
) -> dict[str, Any]:
    """``key=value`` tokens to a dict of input values; raises ``WorkspaceError`` for malformed tokens."""
    properties: Mapping[str, Any] = schema.get("properties", {})
    values: dict[str, Any] = {}
    for token in tokens:
        key, sep, text = token.partition("=")
        if not sep or not key:
            raise WorkspaceError(
                f"run inputs are written key=value (got {token!r}); "
                "use $name for a notebook variable, or --inputs VARIABLE for a dict"
            )
        values[key] = _value(key, text, properties.get(key, {}), namespace)
    return values


def _value(
    key: str, text: str, field_schema: Mapping[str, Any], namespace: Mapping[str, Any]
) -> Any:
    if text.startswith("$") and len(text) > 1:
        name = text[1:]
        if name not in namespace:
            raise WorkspaceError(f"input {key}=${name}: there is no notebook variable {name!r}")
        return namespace[name]
    if field_schema.get("type") == "string":
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text  # left as text; validation against the schema says what was expected


def coerce_form_value(text: str, field_schema: Mapping[str, Any]) -> Any:
    """A run form's text box value, read like a magic argument (empty text means "not given")."""
    if text == "":
        return None
    return _value("", text, field_schema, {})


def namespace_inputs(name: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """``--inputs VARIABLE``: a dict held by a notebook variable."""
    if name not in namespace:
        raise WorkspaceError(f"--inputs {name}: there is no notebook variable {name!r}")
    value = namespace[name]
    if not isinstance(value, Mapping):
        raise WorkspaceError(
            f"--inputs {name}: the variable holds {type(value).__name__}; it must be a dict of input values"
        )
    return dict(value)


def input_problems_message(
    workflow: str, version: int, problems: Sequence[str], schema: Mapping[str, Any]
) -> str:
    """Why a run was refused, with the fields the workflow takes."""
    lines = [f"{workflow!r} v{version} was not started: the input is invalid"]
    lines.extend(f"  - {problem}" for problem in problems)
    lines.append(f"  it takes: {describe_fields(schema)}")
    return "\n".join(lines)


def describe_fields(schema: Mapping[str, Any]) -> str:
    properties: Mapping[str, Any] = schema.get("properties", {})
    if not properties:
        return "no input"
    required = set(schema.get("required", []))
    parts = []
    for name, spec in properties.items():
        kind = spec.get("type", "any") if "enum" not in spec else "|".join(map(str, spec["enum"]))
        text = f"{name}: {kind}"
        if "default" in spec:
            text += f" = {json.dumps(spec['default'])}"
        elif name not in required:
            text += " (optional)"
        parts.append(text)
    return ", ".join(parts)
