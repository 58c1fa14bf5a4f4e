"""Diffs of generated code between two versions: unified text for print, side-by-side HTML for widgets."""

from __future__ import annotations

import difflib
import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wfb_jupyter.notebook._results import CodeDiff


def unified_diff(old: str, new: str, old_label: str, new_label: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_label, new_label
    )
    return "".join(lines)


def side_by_side_html(diff: CodeDiff) -> str:
    """A side-by-side table (difflib.HtmlDiff escapes the code itself; the labels are escaped here)."""
    table = difflib.HtmlDiff(tabsize=4, wrapcolumn=90).make_table(
        diff.old_code.splitlines(),
        diff.new_code.splitlines(),
        html.escape(f"{diff.workflow} v{diff.old_version} ({diff.which})"),
        html.escape(f"{diff.workflow} v{diff.new_version} ({diff.which})"),
        context=True,
        numlines=3,
    )
    style = (
        "<style>.wfb-diff table.diff{font-family:monospace;font-size:12px;border-collapse:collapse}"
        ".wfb-diff .diff_add{background:#e6ffec}.wfb-diff .diff_chg{background:#fff5b1}"
        ".wfb-diff .diff_sub{background:#ffebe9}.wfb-diff td{padding:0 4px}</style>"
    )
    return f'<div class="wfb-diff">{style}{table}</div>'
