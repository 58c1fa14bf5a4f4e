"""Short texts for the graph: the compiler writes expressions and values back as text; here they are cut to fit.

These texts are not escaped here; the SVG writer escapes everything it draws.
"""

from __future__ import annotations

from wfb_jupyter.compiler import describe_value, expression_text

__all__ = ["describe_value", "expression_text", "shorten"]


def shorten(text: str, limit: int = 40) -> str:
    """At most ``limit`` characters, with an ellipsis when cut (the full text goes in a tooltip)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
