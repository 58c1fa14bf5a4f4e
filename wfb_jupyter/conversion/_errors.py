"""Why a value cannot pass between steps, in words that name the step, the type and the fix."""

from __future__ import annotations

from collections.abc import Sequence

from wfb_jupyter.errors import DataError


class Unsupported(Exception):
    """Raised inside the walk; the converter turns it into an ``UnsupportedValueError`` naming the step."""

    def __init__(self, type_name: str, fix: str) -> None:
        super().__init__(type_name)
        self.type_name = type_name
        self.fix = fix
        self.path: list[str | int] = []


class UnsupportedValueError(DataError, TypeError):
    """A value the converter cannot pass on faithfully (it never passes on a lossy copy instead).

    A ``TypeError`` too, so that in workflow code it fails the run (as expression errors do) rather than the
    workflow task, which would retry for ever.
    """

    def __init__(self, subject: str, type_name: str, path: Sequence[str | int], fix: str) -> None:
        where = f" at {format_path(path)}" if path else ""
        what = f"holds a value of type {type_name}{where}" if path else f"is of type {type_name}"
        super().__init__(f"{subject} {what}, which cannot pass between steps faithfully; {fix}")
        self.subject = subject
        self.type_name = type_name
        self.path = tuple(path)
        self.fix = fix


class PayloadTooLargeError(DataError, ValueError):
    """A value whose encoded form is over the size limit; nothing of it was stored."""

    def __init__(self, subject: str, size: int, limit: int, why: str) -> None:
        super().__init__(
            f"{subject} is {format_size(size)} once encoded, over {why} ({format_size(limit)}); keep it "
            "in a file or table the next step can read, and pass its path or name instead"
        )
        self.subject = subject
        self.size = size
        self.limit = limit


def format_path(path: Sequence[str | int]) -> str:
    return "".join(f"[{part!r}]" for part in path)


def format_size(size: int) -> str:
    """``512 bytes``, ``256.0 KiB``, ``1.2 GiB``."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            break
    return f"{value:.1f} {unit}"
