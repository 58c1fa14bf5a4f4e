"""Run inputs typed in a magic line (``count=3 name=Ada tags='["a"]' who=$person``), read against the schema.

Values are read as the field's type expects (``read_value``); ``$name`` takes a notebook variable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wfb_jupyter.errors import InputError
from wfb_jupyter.services import read_value


def parse_assignments(
    tokens: Sequence[str], schema: Mapping[str, Any], namespace: Mapping[str, Any]
) -> dict[str, Any]:
    """``key=value`` tokens to a dict of input values; raises ``InputError`` for malformed tokens."""
    properties: Mapping[str, Any] = schema.get("properties", {})
    values: dict[str, Any] = {}
    for token in tokens:
        key, sep, text = token.partition("=")
        if not sep or not key:
            raise InputError(
                f"run inputs are written key=value (got {token!r}); "
                "use $name for a notebook variable, or --inputs VARIABLE for a dict"
            )
        if text.startswith("$") and len(text) > 1:
            name = text[1:]
            if name not in namespace:
                raise InputError(f"input {key}=${name}: there is no notebook variable {name!r}")
            values[key] = namespace[name]
        else:
            values[key] = read_value(text, properties.get(key, {}))
    return values


def namespace_inputs(name: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """``--inputs VARIABLE``: a dict held by a notebook variable."""
    if name not in namespace:
        raise InputError(f"--inputs {name}: there is no notebook variable {name!r}")
    value = namespace[name]
    if not isinstance(value, Mapping):
        raise InputError(
            f"--inputs {name}: the variable holds {type(value).__name__}; it must be a dict of input values"
        )
    return dict(value)
