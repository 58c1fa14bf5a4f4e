"""Diffs of generated code between two versions: unified text for print, side-by-side HTML for widgets."""

from __future__ import annotations

import difflib
import html


def unified_diff(old: str, new: str, old_label: str, new_label: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_label, new_label
    )
    return "".join(lines)


def side_by_side_html(old: str, new: str, old_label: str, new_label: str) -> str:
    """A side-by-side table (difflib.HtmlDiff escapes the code itself; the labels are escaped here)."""
    table = difflib.HtmlDiff(tabsize=4, wrapcolumn=90).make_table(
        old.splitlines(),
        new.splitlines(),
        html.escape(old_label),
        html.escape(new_label),
        context=True,
        numlines=3,
    )
    style = (
        "<style>.wfb-diff table.diff{font-family:monospace;font-size:12px;border-collapse:collapse}"
        ".wfb-diff .diff_add{background:#e6ffec}.wfb-diff .diff_chg{background:#fff5b1}"
        ".wfb-diff .diff_sub{background:#ffebe9}.wfb-diff td{padding:0 4px}</style>"
    )
    return f'<div class="wfb-diff">{style}{table}</div>'
