"""The error of a function that cannot be stored as a component."""

from __future__ import annotations

from wfb_jupyter.errors import ComponentError


class ComponentCaptureError(ComponentError, ValueError):
    """The function cannot be stored as a component; ``problems`` lists each reason with its fix."""

    def __init__(self, function_name: str, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.function_name = function_name
        self.problems = problems
