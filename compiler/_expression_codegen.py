"""Expression trees to Python source, resolving every path against what the definition declares.

Paths become dict subscripts on the workflow's state (``self._input``, ``self._results``, ``self._vars``,
``self._signals``) or on the iteration ``scope``; every key from the definition goes through ``py_str``, so a
name such as ``__class__`` is only ever a dictionary key. Unknown names are reported as problems.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from compiler._escape import Code, py_dict, py_list, py_literal, py_str
from compiler._expressions import Binary, Call, ListExpr, Literal, Node, Ref, Template, Unary
from compiler._problems import Path, Problems

ROOTS = ("input", "steps", "vars", "signals")
_PRECEDENCE = {
    "or": 1,
    "and": 2,
    "not": 3,
    "==": 4,
    "!=": 4,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "in": 4,
}
_PRECEDENCE.update({"+": 5, "-": 5, "*": 6, "/": 6, "//": 6, "%": 6})
_UNARY_MINUS = 7
_NEGATED = {"==": "!=", "!=": "=="}
_ATOM = 8


@dataclass(frozen=True)
class Names:
    """What expressions at one place may refer to."""

    inputs: frozenset[str]
    steps: frozenset[str]
    variables: frozenset[str]
    signals: frozenset[str]
    loop_names: tuple[str, ...] = ()  # item/index names of enclosing for_each steps
    local_steps: frozenset[str] = frozenset()  # steps inside enclosing for_each bodies
    in_signal_handler: bool = False
    in_query: bool = False

    def inside_loop(self, names: Iterable[str], body_steps: Iterable[str]) -> Names:
        return replace(
            self,
            loop_names=self.loop_names + tuple(names),
            local_steps=self.local_steps | frozenset(body_steps),
        )


@dataclass
class ExpressionCompiler:
    problems: Problems
    helpers: set[str] = field(
        default_factory=set
    )  # expression helper functions the module must define

    def value(self, value: Any, names: Names, path: Path, depth: int = 0) -> Code:
        """A definition value (JSON with templates) as a Python expression."""
        if isinstance(value, Template):
            return self.template(value, names, path)
        if isinstance(value, dict):
            items = {
                py_str(key): self.value(item, names, (*path, key), depth + 1)
                for key, item in value.items()
            }
            return py_dict(items, depth)
        if isinstance(value, list):
            return py_list(
                [self.value(item, names, (*path, i), depth + 1) for i, item in enumerate(value)],
                depth,
            )
        return py_literal(value)

    def template(self, template: Template, names: Names, path: Path) -> Code:
        single = template.single
        if single is not None:
            return self.expression(single, names, path)
        self.helpers.add("text")
        parts = [
            py_str(part) if isinstance(part, str) else self.expression(part, names, path)
            for part in template.parts
        ]
        return Code(f"_text({', '.join(parts)})")

    def expression(self, node: Node, names: Names, path: Path, outer: int = 0) -> Code:
        """``node`` as Python, parenthesised if its precedence is below ``outer``."""
        code, precedence = self._emit(node, names, path)
        return Code(f"({code})" if precedence < outer else code)

    def _emit(self, node: Node, names: Names, path: Path) -> tuple[str, int]:
        if isinstance(node, Literal):
            return py_literal(node.value), _ATOM
        if isinstance(node, Ref):
            return self._ref(node, names, path), _ATOM
        if isinstance(node, ListExpr):
            items = ", ".join(self.expression(item, names, path) for item in node.items)
            return f"[{items}]", _ATOM
        if (
            isinstance(node, Call) and node.function == "bool"
        ):  # only made by the double negation above
            return f"bool({self.expression(node.args[0], names, path)})", _ATOM
        if isinstance(node, Call):
            self.helpers.add(node.function)
            args = ", ".join(self.expression(arg, names, path) for arg in node.args)
            return f"_fn_{node.function}({args})", _ATOM
        if isinstance(node, Unary):
            operand = node.operand
            if node.op == "not" and isinstance(operand, Binary) and operand.op in _NEGATED:
                # `not a == b` reads (and lints) better as `a != b`.
                return self._emit(
                    Binary(_NEGATED[operand.op], operand.left, operand.right), names, path
                )
            if node.op == "not" and isinstance(operand, Unary) and operand.op == "not":
                return self._emit(Call("bool", (operand.operand,)), names, path)
            if node.op == "not":
                return (
                    f"not {self.expression(node.operand, names, path, _PRECEDENCE['not'])}",
                    _PRECEDENCE["not"],
                )
            return f"-{self.expression(node.operand, names, path, _UNARY_MINUS)}", _UNARY_MINUS
        if node.op == "*":
            # Repeating text or lists is capped: `'a' * 10**9` must fail cleanly, not exhaust the worker.
            self.helpers.add("times")
            left = self.expression(node.left, names, path)
            return f"_times({left}, {self.expression(node.right, names, path)})", _ATOM
        precedence = _PRECEDENCE[node.op]
        # Left-associative: the right operand needs parentheses at equal precedence; comparisons never chain.
        left_floor = precedence + 1 if precedence == 4 else precedence
        left = self.expression(node.left, names, path, left_floor)
        right = self.expression(node.right, names, path, precedence + 1)
        return f"{left} {node.op} {right}", precedence

    def _ref(self, ref: Ref, names: Names, path: Path) -> str:
        for part in ref.parts:
            if isinstance(part, str) and part.startswith("__"):
                self.problems.error(
                    path, f"'{_describe(ref)}': names starting with '__' are not allowed"
                )
                return "None"
        base = self._base(ref, names, path)
        if base is None:
            return "None"
        code, rest = base
        for part in rest:
            if isinstance(part, (str, int)) and not isinstance(part, bool):
                code += f"[{py_literal(part)}]"
            else:
                code += f"[{self.expression(part, names, path)}]"
        return code

    def _base(self, ref: Ref, names: Names, path: Path) -> tuple[str, tuple[Any, ...]] | None:
        root, parts = ref.root, ref.parts
        first = parts[0] if parts else None
        if root in names.loop_names:
            return f"scope[{py_str(root)}]", parts
        if root == "signal" and names.in_signal_handler:
            return "payload", parts
        if root not in ROOTS:
            known = ", ".join(
                [*ROOTS, *names.loop_names, *(["signal"] if names.in_signal_handler else [])]
            )
            self.problems.error(
                path, f"unknown name {root!r} in expression; expected one of: {known}"
            )
            return None
        if not isinstance(first, str):
            self.problems.error(path, f"'{root}' must be followed by a name, e.g. {root}.something")
            return None
        declared = {
            "input": names.inputs,
            "steps": names.steps,
            "vars": names.variables,
            "signals": names.signals,
        }
        if first not in declared[root]:
            self._unknown(root, first, declared[root], path)
            return None
        key = py_str(first)
        if root == "input":
            return f"self._input[{key}]", parts[1:]
        if root == "vars":
            return f"self._vars[{key}]", parts[1:]
        if root == "signals":
            return f"self._signals[{key}]", parts[1:]
        if len(parts) < 2 or parts[1] != "result":
            self.problems.error(
                path, f"write steps.{first}.result to use the result of step {first!r}"
            )
            return None
        if first in names.local_steps and not names.in_query:
            return f'scope["@results"].get({key})', parts[2:]
        # A step that has not run (a branch not taken, a skipped step) has the result None.
        return f"self._results.get({key})", parts[2:]

    def _unknown(self, root: str, name: str, known: frozenset[str], path: Path) -> None:
        import difflib

        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f"; did you mean {root}.{close[0]}?" if close else ""
        what = {"input": "input field", "steps": "step", "vars": "variable", "signals": "signal"}[
            root
        ]
        self.problems.error(path, f"unknown {what} {name!r} in expression{hint}")


def _describe(ref: Ref) -> str:
    return ".".join([ref.root, *(str(part) for part in ref.parts if isinstance(part, (str, int)))])
