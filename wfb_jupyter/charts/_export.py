"""Several figures in one self-contained HTML file that opens offline."""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from pathlib import Path

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs


def write_charts_html(
    figures: Mapping[str, go.Figure],
    path: str | os.PathLike[str],
    *,
    title: str = "wfb-jupyter statistics",
) -> Path:
    """Write ``figures`` (heading -> figure, in the mapping's order) to ``path`` and return it.

    plotly.js is inlined once, at the top, so the file works without a network; each figure is a ``div``
    with a stable id (``chart-1``, ``chart-2``...), so writing the same figures twice gives the same file.
    """
    sections = []
    for number, (heading, figure) in enumerate(figures.items(), start=1):
        body = figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=f"chart-{number}",
            config={"responsive": True},
        )
        sections.append(f"<section>\n<h2>{html.escape(heading)}</h2>\n{body}\n</section>")
    if not sections:
        sections.append("<p>No charts.</p>")
    document = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{html.escape(title)}</title>",
            '<script type="text/javascript">',
            get_plotlyjs(),
            "</script>",
            "</head>",
            "<body>",
            f"<h1>{html.escape(title)}</h1>",
            *sections,
            "</body>",
            "</html>",
            "",
        ]
    )
    target = Path(path)
    target.write_text(document, encoding="utf-8")
    return target
