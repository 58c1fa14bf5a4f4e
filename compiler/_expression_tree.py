"""The syntax tree of ``${ ... }`` expressions: what the parser (``_expressions``) builds and everything after
it (validation, code generation, the text shown back to users) reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Ref:
    """A path from a root name: ``parts`` holds attribute names (str), integer indexes and computed indexes."""

    root: str
    parts: tuple[str | int | Node, ...]


@dataclass(frozen=True)
class Unary:
    op: str
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class ListExpr:
    items: tuple[Node, ...]


Node = Literal | Ref | Unary | Binary | Call | ListExpr


@dataclass(frozen=True)
class Template:
    """A string with embedded expressions: literal text and nodes, in order.

    A template that is exactly one ``${...}`` evaluates to that expression's value (any type); anything else
    evaluates to text.
    """

    parts: tuple[str | Node, ...]
    source: str

    @property
    def single(self) -> Node | None:
        if len(self.parts) == 1 and not isinstance(self.parts[0], str):
            return self.parts[0]
        return None


def node_count(node: Node) -> int:
    """How many nodes the tree has, counted without recursion (a long chain is a deep tree)."""
    count, pending = 0, [node]
    while pending:
        current = pending.pop()
        count += 1
        if isinstance(current, Unary):
            pending.append(current.operand)
        elif isinstance(current, Binary):
            pending.extend((current.left, current.right))
        elif isinstance(current, (Call, ListExpr)):
            pending.extend(current.args if isinstance(current, Call) else current.items)
        elif isinstance(current, Ref):
            pending.extend(part for part in current.parts if not isinstance(part, (str, int)))
    return count
