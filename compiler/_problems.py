"""Problems found in a definition, and the one exception that carries them.

Validation never stops at the first mistake: every stage appends to a ``Problems`` collector, and
``compile_workflow`` raises a single ``WorkflowDefinitionError`` holding the whole list, so a notebook can show
all of them in one message.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Level = Literal["error", "warning"]
PathPart = str | int
Path = tuple[PathPart, ...]


def format_path(path: Path) -> str:
    """Render ``("steps", 3, "retry")`` as ``steps[3].retry``; the empty path is the whole definition."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "<definition>"


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or suspicious) in a definition; ``line``/``column`` are 1-based when known."""

    level: Level
    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}: " if self.line is not None else ""
        return f"{self.level}: {where}{self.path}: {self.message}"


class WorkflowDefinitionError(Exception):
    """The definition cannot be compiled; ``problems`` lists every error and warning found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        # In source order, so the message reads top to bottom like the cell; problems without a position last.
        self.problems = sorted(problems, key=lambda p: (p.line is None, p.line or 0, p.column or 0))
        super().__init__(self._message())

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.level == "error"]

    def _message(self) -> str:
        count = len(self.errors)
        noun = "error" if count == 1 else "errors"
        lines = [f"workflow definition has {count} {noun}:"]
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)


def _printable(text: str) -> str:
    """Text any terminal can print: half of a UTF-16 pair (from a JSON escape) becomes an escape again."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@dataclass
class Problems:
    """Collects problems, resolving each path to a source position through the loader's marks."""

    marks: Mapping[Path, tuple[int, int]] = field(default_factory=dict)
    items: list[Problem] = field(default_factory=list)
    # Paths in a normalised definition that came from elsewhere in the source (a graph node's data).
    aliases: dict[Path, Path] = field(default_factory=dict)

    def error(self, path: Path, message: str) -> None:
        self._add("error", path, message)

    def warning(self, path: Path, message: str) -> None:
        self._add("warning", path, message)

    def unknown_key(self, path: Path, key: str, allowed: Iterable[str]) -> None:
        close = difflib.get_close_matches(key, sorted(allowed), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        self.error(path, f"unknown key {key!r}{hint}")

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    @property
    def has_errors(self) -> bool:
        return any(problem.level == "error" for problem in self.items)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.items)

    def _add(self, level: Level, path: Path, message: str) -> None:
        for end in range(len(path), 0, -1):
            origin = self.aliases.get(path[:end])
            if origin is not None:
                path = origin + path[end:]
                break
        line, column = self._position(path)
        self.items.append(
            Problem(level, _printable(format_path(path)), _printable(message), line, column)
        )

    def _position(self, path: Path) -> tuple[int | None, int | None]:
        # A missing key has no mark of its own: point at the closest enclosing node that has one.
        for end in range(len(path), -1, -1):
            mark = self.marks.get(path[:end])
            if mark is not None:
                return mark
        return None, None
