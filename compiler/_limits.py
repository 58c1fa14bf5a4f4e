"""The documented limits of a definition, checked once on the loaded data whatever its format.

Everything after loading (validation, lowering, code generation) walks the data recursively and emits Python
whose nesting the Python parser bounds, so the shape is checked here first, iteratively: a definition within
these limits never reaches a recursion or parser limit, and one beyond them gets one clear error with a path.
The limits are listed in ``LANGUAGE.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wfb_jupyter.compiler._problems import Path, Problems

MAX_DEFINITION_CHARACTERS = 1_000_000
# Values (each mapping and list counts too), after YAML aliases are expanded.
MAX_VALUES = 50_000
# Mappings and lists inside each other, counting the definition itself; steps nest 30 levels at most besides.
MAX_NESTING = 100
# Integers as wide as a 64-bit integer: what JSON, Temporal's payloads and durations can carry exactly.
MAX_INTEGER = 2**63 - 1
MAX_INTEGER_DIGITS = 19


class LargeInteger:
    """An integer literal too long to convert (the loader keeps its text so that the check can report it)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"<integer of {len(self.text.lstrip('+-'))} digits>"


def check_data(data: Any, problems: Problems) -> bool:
    """Report what in ``data`` is beyond the limits; True when nothing is."""
    count = 0
    found = False
    stack: list[tuple[Any, Path, int]] = [(data, (), 1)]
    while stack:
        value, path, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            problems.error((), f"the definition has more than {MAX_VALUES:,} values")
            return False
        if isinstance(value, (Mapping, list)):
            if depth > MAX_NESTING:
                problems.error(nesting_owner(path), f"nested more than {MAX_NESTING} levels deep")
                found = True
                continue
            if isinstance(value, Mapping):
                for key, item in value.items():
                    if not isinstance(key, str):
                        problems.error(path, f"keys must be text, got {type(key).__name__} {key!r}")
                        found = True
                        continue
                    found |= _check_text(key, (*path, key), problems, "key")
                    stack.append((item, (*path, key), depth + 1))
            else:
                stack.extend((item, (*path, index), depth + 1) for index, item in enumerate(value))
        elif isinstance(value, LargeInteger) or (
            isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER
        ):
            problems.error(
                path, f"{_describe(value)} is too large: integers are at most {MAX_INTEGER:,}"
            )
            found = True
        elif isinstance(value, str):
            found |= _check_text(value, path, problems, "text")
        elif value is not None and not isinstance(value, (bool, int, float)):
            problems.error(path, f"unsupported value of type {type(value).__name__}")
            found = True
    return not found


def count_values(data: Any, stop: int = MAX_VALUES + 1) -> int:
    """How many values ``data`` holds (mappings and lists count too), counting no further than ``stop``."""
    count, pending = 0, [data]
    while pending and count < stop:
        value = pending.pop()
        count += 1
        if isinstance(value, Mapping):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return count


def nesting_owner(path: Path) -> Path:
    """Where to report nesting that is too deep: the value under the last key, not a hundred indexes."""
    keys = [index for index, part in enumerate(path) if isinstance(part, str)]
    end = keys[-1] + 1 if keys else 0
    return path[: min(end, 12)]


def _check_text(text: str, path: Path, problems: Problems, what: str) -> bool:
    """A lone surrogate (from a JSON escape such as \\ud800) is not text: it cannot even be printed."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        bad = ascii(text[error.start : error.end])
        problems.error(path, f"{what} holds {bad}, half of a UTF-16 pair, which is not text")
        return True
    return False


def _describe(value: Any) -> str:
    if isinstance(value, LargeInteger):
        return f"an integer of {len(value.text.lstrip('+-'))} digits"
    # str() of an integer over 4,300 digits raises: count its digits from its bits instead.
    return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
