"""The visual builder's graph (``nodes`` and ``edges``) normalised into the structured definition.

A node becomes a step; a node with conditional outgoing edges becomes a ``switch``; a node with several
unconditional outgoing edges forks ``parallel`` branches; branches end where they meet again (the first node
every branch reaches). Dangling edges, cycles, several start nodes and unreachable nodes are reported.

Each node is visited once, so normalisation takes polynomial time. A graph whose branches do not nest (a
"ladder", where nodes of two branches feed both nodes of the next level) would need nodes copied into several
branches, exponentially many; without conditions it runs level by level instead (each node once all the nodes
before it have run), and with conditions it is refused.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping
from typing import Any

from wfb_jupyter.compiler._problems import Path, Problems

# Forks inside forks; the steps they become nest at most this deep anyway.
MAX_FORK_DEPTH = 30

_NODE_KINDS = {
    "activity": "call",
    "action": "call",
    "component": "call",
    "delay": "sleep",
    "sleep": "sleep",
    "wait": "sleep",
    "signal": "wait_signal",
    "wait_signal": "wait_signal",
    "set": "set",
    "variable": "set",
    "fail": "fail",
    "error": "fail",
    "child_workflow": "child_workflow",
    "for_each": "for_each",
    "loop": "for_each",
}
_STRUCTURAL = {"start", "trigger", "end", "condition", "switch", "if", "parallel", "join", "merge"}
_GRAPH_KEYS = (
    "name",
    "description",
    "input",
    "output",
    "defaults",
    "metadata",
    "signals",
    "queries",
    "vars",
)


def is_graph(data: Any) -> bool:
    return isinstance(data, Mapping) and "nodes" in data


def normalise_graph(data: Mapping[str, Any], problems: Problems) -> dict[str, Any] | None:
    nodes_raw, edges_raw = data.get("nodes"), data.get("edges", [])
    if not isinstance(nodes_raw, list) or not isinstance(edges_raw, list):
        problems.error(("nodes",), "a graph has a list of nodes and a list of edges")
        return None
    for key in data:
        if key not in (*_GRAPH_KEYS, "nodes", "edges", "viewport"):
            problems.unknown_key((key,), str(key), (*_GRAPH_KEYS, "nodes", "edges"))
    nodes: dict[str, dict[str, Any]] = {}
    for index, node in enumerate(nodes_raw):
        if not isinstance(node, Mapping) or not isinstance(node.get("id"), str):
            problems.error(("nodes", index), "a node is a mapping with a text id")
            continue
        node_type = node.get("type", "activity")
        if not isinstance(node_type, str) or (
            node_type not in _NODE_KINDS and node_type not in _STRUCTURAL
        ):
            problems.error(("nodes", index, "type"), f"unknown node type {node_type!r}")
            continue
        if not isinstance(node.get("data", {}), Mapping):
            problems.error(("nodes", index, "data"), "node data must be a mapping")
            continue
        if node["id"] in nodes:
            problems.error(("nodes", index, "id"), f"duplicate node id {node['id']!r}")
        nodes[node["id"]] = {"index": index, **node}
    outgoing: dict[str, list[dict[str, Any]]] = {node_id: [] for node_id in nodes}
    incoming: dict[str, int] = {node_id: 0 for node_id in nodes}
    for index, edge in enumerate(edges_raw):
        if not isinstance(edge, Mapping):
            problems.error(("edges", index), "an edge is a mapping with source and target")
            continue
        source, target = edge.get("source"), edge.get("target")
        for end, value in (("source", source), ("target", target)):
            if not isinstance(value, str) or value not in nodes:
                problems.error(("edges", index, end), f"edge {end} {value!r} is not a node")
        condition = edge.get("condition")
        if condition is not None and not isinstance(condition, str):
            problems.error(
                ("edges", index, "condition"), "an edge condition is an expression (text)"
            )
            continue
        if (
            isinstance(source, str)
            and isinstance(target, str)
            and source in nodes
            and target in nodes
        ):
            outgoing[source].append(dict(edge))
            incoming[target] += 1
    starts = [node_id for node_id in nodes if incoming[node_id] == 0]
    marked = [node_id for node_id in starts if nodes[node_id].get("type") in ("start", "trigger")]
    if len(marked) == 1:
        starts = marked  # the other nodes without incoming edges are reported as unreachable below
    if len(starts) != 1:
        problems.error(
            ("nodes",),
            f"a graph needs exactly one start node (no incoming edges), found {len(starts)}",
        )
        return None
    if _has_cycle(nodes, outgoing, problems):
        return None  # the builder follows edges, so it must not meet a cycle
    builder = _Builder(nodes, outgoing, problems)
    try:
        steps = builder.chain(starts[0], None, 0)
    except _NotNested as error:
        if any(
            edge.get("condition") not in (None, "") for edges in outgoing.values() for edge in edges
        ):
            node = nodes[error.node_id]
            problems.error(
                ("nodes", node["index"]),
                f"node {error.node_id!r} is reached from branches that have not met again: with "
                "conditions, every fork's branches must join at one node before they go on",
            )
            return None
        steps = builder.levels(starts[0])
    for node_id, node in nodes.items():
        if node_id not in builder.visited:
            problems.error(
                ("nodes", node["index"]), f"node {node_id!r} is unreachable from the start"
            )
    structured = {key: data[key] for key in _GRAPH_KEYS if key in data}
    structured["steps"] = steps or [{"set": {"graph_empty": True}}]
    _record_origins(structured["steps"], ("steps",), builder.origins, problems)
    return structured


def _record_origins(value: Any, path: Path, origins: dict[int, Path], problems: Problems) -> None:
    """Point problems in a step made from a node at that node's data, where the user wrote it."""
    origin = origins.get(id(value))
    if origin is not None:
        problems.aliases[path] = origin
    if isinstance(value, dict):
        for key, item in value.items():
            _record_origins(item, (*path, key), origins, problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _record_origins(item, (*path, index), origins, problems)


def _has_cycle(
    nodes: Mapping[str, Any], outgoing: Mapping[str, list[dict[str, Any]]], problems: Problems
) -> bool:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in nodes:
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node_id, position = stack.pop()
            if position == 0:
                if state.get(node_id) == 2:
                    continue
                state[node_id] = 1
            edges = outgoing[node_id]
            if position < len(edges):
                stack.append((node_id, position + 1))
                target = edges[position]["target"]
                if state.get(target) == 1:
                    problems.error(
                        ("nodes", nodes[target]["index"]), f"cycle through node {target!r}"
                    )
                    return True
                if state.get(target) != 2:
                    stack.append((target, 0))
            else:
                state[node_id] = 2
    return False


class _NotNested(Exception):
    """The builder met a node it had already placed, or forks nested too deep: the branches do not nest."""

    def __init__(self, node_id: str) -> None:
        self.node_id = node_id


class _Builder:
    def __init__(
        self,
        nodes: dict[str, dict[str, Any]],
        outgoing: dict[str, list[dict[str, Any]]],
        problems: Problems,
    ) -> None:
        self.nodes = nodes
        self.outgoing = outgoing
        self.problems = problems
        self.visited: set[str] = set()
        # id() of a step made from a node -> ("nodes", i, "data")
        self.origins: dict[int, Path] = {}

    def reachable(self, start: str) -> list[str]:
        order, seen, queue = [], {start}, deque([start])
        while queue:
            current = queue.popleft()
            order.append(current)
            for edge in self.outgoing[current]:
                if edge["target"] not in seen:
                    seen.add(edge["target"])
                    queue.append(edge["target"])
        return order

    def chain(self, start: str | None, stop: str | None, depth: int) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = []
        current = start
        while current is not None and current != stop:
            if current in self.visited:
                raise _NotNested(current)  # placing it again would copy it into a second branch
            self.visited.add(current)
            node = self.nodes[current]
            step = self.step(node)
            edges = self.outgoing[current]
            if len(edges) <= 1:
                if step:
                    steps.append(step)
                current = edges[0]["target"] if edges else None
                continue
            if depth >= MAX_FORK_DEPTH:
                raise _NotNested(current)
            join = self.join([edge["target"] for edge in edges], stop)
            if step:
                steps.append(step)
            conditional = [edge for edge in edges if edge.get("condition") not in (None, "")]
            if conditional:
                steps.append(
                    {
                        "id": _graph_id(current, "switch"),
                        "switch": self.cases(node, edges, join, depth),
                    }
                )
            else:
                # A branch that goes straight to the join adds nothing to run.
                branches = [
                    b for b in (self.chain(e["target"], join, depth + 1) for e in edges) if b
                ]
                if len(branches) == 1:
                    steps.extend(branches[0])
                elif branches:
                    steps.append({"id": _graph_id(current, "parallel"), "parallel": branches})
            current = join
        return steps

    def join(self, targets: list[str], stop: str | None) -> str | None:
        reach = [self.reachable(target) for target in targets]
        common = set(reach[0]).intersection(*map(set, reach[1:]))
        for candidate in reach[0]:
            if candidate in common:
                return candidate
        return stop

    def cases(
        self, node: Mapping[str, Any], edges: list[dict[str, Any]], join: str | None, depth: int
    ) -> list[dict[str, Any]]:
        expression = (
            (node.get("data") or {}).get("expression")
            if isinstance(node.get("data"), Mapping)
            else None
        )
        cases, default = [], None
        for edge in edges:
            condition = edge.get("condition")
            body = self.chain(edge["target"], join, depth + 1) or [{"set": {"graph_branch": True}}]
            if condition in (None, "", "default", "else") and default is None:
                default = body
            elif condition in ("true", "false") and isinstance(expression, str):
                # The builder keeps the test on the node and labels its two edges true and false.
                text = expression if condition == "true" else f"not ({expression})"
                cases.append({"when": text, "steps": body})
            else:
                cases.append({"when": str(condition), "steps": body})
        if default is not None:
            cases.append({"default": default})
        return cases

    def levels(self, start: str) -> list[dict[str, Any]]:
        """Steps level by level: a node runs once every node with an edge to it has run (graphs without
        conditions whose branches do not nest). Each level's nodes run in parallel."""
        self.visited, self.origins = set(), {}
        order = self.reachable(start)
        incoming = {node_id: 0 for node_id in order}
        for node_id in order:
            for edge in self.outgoing[node_id]:
                incoming[edge["target"]] += 1
        level = {start: 0}
        ready = deque([start])
        while ready:  # Kahn's topological order; a node's level is one past its deepest predecessor
            current = ready.popleft()
            for edge in self.outgoing[current]:
                target = edge["target"]
                level[target] = max(level.get(target, 0), level[current] + 1)
                incoming[target] -= 1
                if incoming[target] == 0:
                    ready.append(target)
        by_level: dict[int, list[str]] = {}
        for node_id in order:
            by_level.setdefault(level[node_id], []).append(node_id)
            self.visited.add(node_id)
        steps: list[dict[str, Any]] = []
        for number in sorted(by_level):
            made = [step for step in map(self.step, map(self.nodes.get, by_level[number])) if step]
            if len(made) == 1:
                steps.extend(made)
            elif made:
                steps.append({"id": f"level_{number}_parallel", "parallel": [[s] for s in made]})
        return steps

    def step(self, node: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if node is None:
            return None
        node_type = node.get("type", "activity")
        data = node.get("data") or {}
        if node_type in _STRUCTURAL or not isinstance(data, Mapping):
            return None
        key = _NODE_KINDS[node_type]
        step = {"id": _graph_id(str(node["id"]), "")}
        body = {k: v for k, v in data.items() if k not in ("label", "kind")}
        if key not in body:
            # The builder stores the kind's main value under a friendlier name.
            main = {
                "call": "component",
                "sleep": "duration",
                "wait_signal": "signal",
                "fail": "message",
            }.get(key)
            if main and main in body:
                body[key] = body.pop(main)
        step.update(body)
        self.origins[id(step)] = ("nodes", node["index"], "data")
        return step


def _graph_id(node_id: str, suffix: str) -> str:
    cleaned = re.sub(r"\W", "_", node_id).strip("_") or "node"
    if not cleaned[0].isalpha():
        cleaned = f"n_{cleaned}"
    return f"{cleaned}_{suffix}" if suffix else cleaned
