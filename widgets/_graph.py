"""The workflow drawn as a graph: the layout of ``widgets._graph_layout`` rendered as SVG, and a widget
showing it. Every text comes from users (names, conditions, messages) and is escaped."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, Protocol

import ipywidgets

from wfb_jupyter.compiler import WorkflowDefinition, parse_definition
from wfb_jupyter.widgets._graph_layout import Block, GraphNode, Point, layout_workflow
from wfb_jupyter.widgets._graph_text import shorten

COLUMN_WIDTH = 190
ROW_HEIGHT = 78
BOX_WIDTH = 168
BOX_HEIGHT = 44
MARGIN = 24
LABEL_ROOM = 60  # edge labels may run past the rightmost column
FILLS = {
    "start": "#37474f",
    "end": "#37474f",
    "activity": "#e3f2fd",
    "switch": "#fff8e1",
    "for_each": "#fff3e0",
    "sequence": "#f5f5f5",
    "fail": "#ffebee",
}
EDGE_COLOURS = {"flow": "#607d8b", "error": "#d62728", "loop": "#ef6c00", "goto": "#d62728"}
# A run drawn on the graph: (fill, stroke, stroke width, opacity) per step status.
STATE_STYLES = {
    "done": ("#e8f5e9", "#2e7d32", 2.0, 1.0),
    "handled": ("#fff3e0", "#ef6c00", 2.0, 1.0),
    "mocked": ("#f3e5f5", "#8250df", 2.0, 1.0),  # a test run's pinned step
    "running": ("#fff9c4", "#f9a825", 3.0, 1.0),
    "retrying": ("#fff3e0", "#ef6c00", 3.0, 1.0),
    "failed": ("#ffebee", "#c62828", 3.0, 1.0),
    "stopped": ("#eceff1", "#546e7a", 3.0, 1.0),
    "skipped": ("#f5f5f5", "#9e9e9e", 1.0, 0.7),
    "not taken": ("#fafafa", "#bdbdbd", 1.0, 0.45),
    "not reached": ("#ffffff", "#bdbdbd", 1.0, 0.6),
}
END_STYLES = {
    "completed": "#2e7d32",
    "failed": "#c62828",
    "running": "#9e9e9e",
    "timed out": "#c62828",
}


class StepState(Protocol):
    """What the graph needs of a step's state in a run (``services.StepProgress``)."""

    @property
    def status(self) -> str: ...

    def caption(self) -> str: ...

    def tooltip(self) -> str: ...


def workflow_graph_svg(
    definition: WorkflowDefinition | str | Mapping[str, Any],
    *,
    states: Mapping[str, StepState] | None = None,
    run_status: str | None = None,
) -> str:
    """The definition (a model, or text/mapping that ``compiler.parse_definition`` accepts) as an SVG
    document; the same definition always gives the same text. With ``states`` (step id -> its state in a
    run) each step is coloured by where the run is, with a caption and the error on hover."""
    model = (
        definition if isinstance(definition, WorkflowDefinition) else parse_definition(definition)
    )
    return render_svg(
        layout_workflow(model), title=model.name, states=states, run_status=run_status
    )


def render_svg(
    graph: Block,
    *,
    title: str,
    states: Mapping[str, StepState] | None = None,
    run_status: str | None = None,
) -> str:
    def x(col: float) -> float:
        return MARGIN + col * COLUMN_WIDTH

    def y(row: float) -> float:
        return MARGIN + row * ROW_HEIGHT + BOX_HEIGHT / 2

    width = x(graph.width) + MARGIN + LABEL_ROOM
    height = y(graph.height - 1) + BOX_HEIGHT / 2 + MARGIN
    where = {node.key: node for node in graph.nodes}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wfb-graph" width="{width:g}" '
        f'height="{height:g}" viewBox="0 0 {width:g} {height:g}" font-family="sans-serif" font-size="12">',
        f"<title>{html.escape(title)}</title>",
        "<defs>",
        *(
            f'<marker id="wfb-arrow-{style}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
            for style, colour in EDGE_COLOURS.items()
        ),
        "</defs>",
    ]
    for edge in graph.edges:
        source, target = where[edge.source], where[edge.target]
        via = edge.via
        if not via and edge.style == "goto":
            # A jump goes around the steps between, in the gap left of the leftmost of the two.
            lane = min(source.col, target.col) - 0.47
            via = [(lane, source.row), (lane, target.row)]
        centres = [(x(source.col), y(source.row)), *((x(c), y(r)) for c, r in via)]
        centres.append((x(target.col), y(target.row)))
        points = [_clip(source, centres[0], centres[1]), *centres[1:-1]]
        points.append(_clip(target, centres[-1], centres[-2]))
        path = " ".join(
            f"{'M' if n == 0 else 'L'}{px:.1f},{py:.1f}" for n, (px, py) in enumerate(points)
        )
        dash = ' stroke-dasharray="5,4"' if edge.style != "flow" else ""
        parts.append(
            f'<path class="wfb-edge wfb-edge-{edge.style}" data-source="{html.escape(edge.source)}" '
            f'data-target="{html.escape(edge.target)}" d="{path}" fill="none" '
            f'stroke="{EDGE_COLOURS[edge.style]}" stroke-width="1.5"{dash} '
            f'marker-end="url(#wfb-arrow-{edge.style})"/>'
        )
        if edge.label:
            (ax, ay), (bx, by) = points[0], points[1]
            # Above a level segment, beside a slanted or upright one.
            level = abs(by - ay) < 1
            where_text = (
                f'x="{(ax + bx) / 2:.1f}" y="{ay - 5:.1f}" text-anchor="middle"'
                if level
                else f'x="{(ax + bx) / 2 + 4:.1f}" y="{(ay + by) / 2:.1f}"'
            )
            parts.append(
                f'<text class="wfb-edge-label" {where_text} fill="{EDGE_COLOURS[edge.style]}" '
                f'font-size="11"><title>{html.escape(edge.label)}</title>'
                f"{html.escape(shorten(edge.label, 28))}</text>"
            )
    parts += [
        _node_svg(node, x(node.col), y(node.row), (states or {}).get(node.key), run_status)
        for node in graph.nodes
    ]
    parts.append("</svg>")
    return "\n".join(parts)


def _half_size(node: GraphNode) -> Point:
    if node.kind == "merge":
        return 7, 7
    if node.kind == "loop_end":
        return 9, 9
    if node.kind in ("fork", "join"):
        return BOX_WIDTH / 2, 4
    if node.kind == "switch":
        return BOX_WIDTH / 2 + 8, BOX_HEIGHT / 2 + 6
    return BOX_WIDTH / 2, BOX_HEIGHT / 2


def _clip(node: GraphNode, centre: Point, toward: Point) -> Point:
    """Where the line from the node's centre to ``toward`` leaves the node's box, so arrows end on its
    border instead of under it."""
    (cx, cy), (tx, ty) = centre, toward
    dx, dy = tx - cx, ty - cy
    half_width, half_height = _half_size(node)
    scales = [
        half_width / abs(dx) if dx else float("inf"),
        half_height / abs(dy) if dy else float("inf"),
    ]
    scale = min(1.0, *scales)
    return cx + dx * scale, cy + dy * scale


def _node_svg(
    node: GraphNode, cx: float, cy: float, state: StepState | None, run_status: str | None
) -> str:
    key = html.escape(node.key)
    described = [node.title, f"({node.kind})", node.detail, node.note]
    if state is not None:
        described.append(f"— {state.tooltip()}")
    tooltip = html.escape(" ".join(filter(None, described)))
    style = STATE_STYLES.get(state.status, STATE_STYLES["done"]) if state is not None else None
    marks = ""
    if state is not None and style is not None:
        marks = f' data-status="{html.escape(state.status)}" opacity="{style[3]:g}"'
    opening = (
        f'<g class="wfb-node wfb-{node.kind}" data-step="{key}"{marks}><title>{tooltip}</title>'
    )
    if node.kind == "merge":
        return f'{opening}<circle cx="{cx:g}" cy="{cy:g}" r="7" fill="#90a4ae"/></g>'
    if node.kind in ("fork", "join"):
        colour = style[1] if style is not None else "#37474f"
        bar = f'<rect x="{cx - BOX_WIDTH / 2:g}" y="{cy - 4:g}" width="{BOX_WIDTH}" height="8" fill="{colour}"/>'
        if node.kind == "join":
            return f"{opening}{bar}</g>"
        label = shorten(node.title, 12) + (f" · {state.caption()}" if state is not None else "")
        text = (  # at the bar's left end, clear of the edge coming in at its middle
            f'<text x="{cx - BOX_WIDTH / 2:g}" y="{cy - 8:g}" font-weight="bold">'
            f"{html.escape(shorten(label, 34))}</text>"
        )
        return f"{opening}{bar}{text}</g>"
    if node.kind == "loop_end":
        return (
            f'{opening}<circle cx="{cx:g}" cy="{cy:g}" r="9" fill="#ffcc80" stroke="#ef6c00"/></g>'
        )
    fill = FILLS.get(node.kind, "#ede7f6")
    stroke = "#d62728" if node.kind == "fail" else "#78909c"
    width = 1.0
    if style is not None:
        fill, stroke, width = style[0], style[1], style[2]
    elif node.kind == "end" and run_status is not None:
        fill = END_STYLES.get(run_status, "#37474f")
    ink = "#ffffff" if node.kind in ("start", "end") else "#212121"
    left, top = cx - BOX_WIDTH / 2, cy - BOX_HEIGHT / 2
    outline = f'stroke="{stroke}"' + (f' stroke-width="{width:g}"' if width != 1.0 else "")
    if node.kind == "switch":
        edge = outline if style is not None else 'stroke="#f9a825"'
        shape = (
            f'<polygon points="{cx:g},{top - 6:g} {left + BOX_WIDTH + 8:g},{cy:g} {cx:g},'
            f'{top + BOX_HEIGHT + 6:g} {left - 8:g},{cy:g}" fill="{fill}" {edge}/>'
        )
    else:
        radius = BOX_HEIGHT / 2 if node.kind in ("start", "end") else 6
        dashed = node.kind == "sequence" or (state is not None and state.status == "skipped")
        dash = ' stroke-dasharray="4,3"' if dashed else ""
        shape = (
            f'<rect x="{left:g}" y="{top:g}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="{radius:g}" '
            f'fill="{fill}" {outline}{dash}/>'
        )
    lines = [(node.title, f'font-weight="bold" fill="{ink}"')]
    if node.detail:
        lines.append((node.detail, f'fill="{ink}"'))
    if state is not None:  # where the run is, in place of the condition (still in the tooltip)
        colour = style[1] if style is not None else "#212121"
        lines.append((state.caption(), f'fill="{colour}" font-size="10" font-weight="bold"'))
    elif node.note:
        lines.append((node.note, 'fill="#8d2a2a" font-size="10" font-style="italic"'))
    first = cy + 4 - 6.5 * (len(lines) - 1)
    texts = "".join(
        f'<text x="{cx:g}" y="{first + 13 * n:g}" text-anchor="middle" {style_text}>'
        f"{html.escape(shorten(text, 26))}</text>"
        for n, (text, style_text) in enumerate(lines)
    )
    return f"{opening}{shape}{texts}</g>"


class WorkflowGraph(ipywidgets.HTML):
    """The workflow graph as a widget; ``show(definition)`` redraws it."""

    def __init__(
        self, definition: WorkflowDefinition | str | Mapping[str, Any], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.show(definition)

    def show(self, definition: WorkflowDefinition | str | Mapping[str, Any]) -> None:
        self.value = f'<div style="overflow:auto">{workflow_graph_svg(definition)}</div>'
