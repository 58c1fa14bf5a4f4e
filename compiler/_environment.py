"""The Jinja environment: templates from this package, and the filters, gathered in one place.

``finalize`` is the autoescape of this code generator: every ``{{ ... }}`` must be a ``Code`` fragment (or an
int), so a raw user string can never be written into generated code by forgetting to escape it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import jinja2

from wfb_jupyter.compiler._escape import INDENT, Code, indent


def _require_code(value: Any) -> Any:
    if isinstance(value, Code) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(f"template received an unescaped {type(value).__name__}: {str(value)[:80]!r}")


def _shift_block(text: str, levels: int) -> Code:
    """Indent every non-empty line of a rendered block (a step body placed inside ``try:``)."""
    pad = INDENT * levels
    return Code("\n".join(pad + line if line.strip() else line for line in text.split("\n")))


def _zip(first: Iterable[Any], second: Iterable[Any]) -> list[tuple[Any, Any]]:
    return list(zip(first, second, strict=True))


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("wfb_jupyter.compiler", "templates"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # the output is Python, not HTML: escaping is _require_code's job
        undefined=jinja2.StrictUndefined,
        finalize=_require_code,
    )
    env.filters["shift"] = indent
    env.filters["shift_block"] = _shift_block
    env.filters["zip"] = _zip
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
