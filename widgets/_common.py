"""Small pieces the widgets share: escaping, tables, and how an error reads in a widget."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any


def escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def html_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], css_class: str = "wfb-table"
) -> str:
    """An HTML table with every cell escaped (values come from users and workers)."""
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in rows)
    style = (
        f"<style>.{css_class}{{border-collapse:collapse;font-size:13px}}"
        f".{css_class} td,.{css_class} th{{padding:2px 8px;text-align:left;border-bottom:1px solid #ddd}}</style>"
    )
    return f'{style}<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def error_text(error: BaseException) -> str:
    """What a widget shows for an error: the user message for mistakes, the type and text for bugs."""
    from wfb_jupyter.errors import WfbError

    if isinstance(error, WfbError):
        return str(error)
    return f"unexpected error (please report it): {type(error).__name__}: {error}"


def error_html(message: str) -> str:
    return (
        f'<pre class="wfb-error" style="color:#b00020;white-space:pre-wrap">{escape(message)}</pre>'
    )


def note_html(message: str) -> str:
    return f'<div class="wfb-note" style="white-space:pre-wrap">{escape(message)}</div>'


def show_value(value: Any) -> str:
    """JSON, with a DataFrame or array as a few words and a result left in the payload store as what its
    reference says (the value itself is ``.result()``'s)."""
    from wfb_jupyter.conversion import summary
    from wfb_jupyter.payloads import StoredValue

    if isinstance(value, StoredValue):
        return str(value)

    def brief(item: Any) -> str:
        words = summary(item)
        return f"<{words}>" if " " in words else str(item)

    try:
        return json.dumps(value, indent=2, sort_keys=True, default=brief)
    except (TypeError, ValueError):
        return repr(value)
