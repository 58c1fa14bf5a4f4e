"""Expression trees to Python source, resolving every path against what the definition declares.

Paths become dict subscripts on the workflow's state (``self._input``, ``self._results``, ``self._vars``,
``self._signals``) or on the iteration ``scope``; every key from the definition goes through ``py_str``, so a
name such as ``__class__`` is only ever a dictionary key. Unknown names are reported as problems.

Whatever can build a large value (joining text or lists, repeating them, turning data into text) or go through
one (``sum``, ``max``...) is a helper that counts the size against the method's ``budget`` before doing it, so
no expression can exhaust a worker. A chain such as ``a + b + c`` becomes one call, ``_add(budget, a, b, c)``,
which also keeps the generated code's nesting flat however long the chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from wfb_jupyter.compiler._escape import Code, py_dict, py_list, py_literal, py_str
from wfb_jupyter.compiler._expressions import (
    Binary,
    Call,
    ListExpr,
    Literal,
    Node,
    Ref,
    Template,
    Unary,
)
from wfb_jupyter.compiler._problems import Path, Problems

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
# Functions whose helper takes the budget: they build text or lists, or go through every item of a value.
BUDGETED_FUNCTIONS = frozenset(
    {"join", "keys", "lower", "max", "min", "round", "str", "sum", "trim", "upper"}
)
# Functions that give a number (or fail): an operation with a number cannot build large text or lists.
_NUMERIC_FUNCTIONS = frozenset({"abs", "float", "int", "len", "round", "sum"})


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
    in_update_handler: bool = False  # an update's handler or validator: ``update`` is its payload
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
    # Expression helper functions the module must define.
    helpers: set[str] = field(default_factory=set)
    # Whether the method being generated uses ``budget`` (its lowering resets and reads this).
    budgeted: bool = False

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
        if all(isinstance(part, str) for part in template.parts):
            return py_str("".join(part for part in template.parts if isinstance(part, str)))
        self._use_budget("text")
        parts = [
            py_str(part) if isinstance(part, str) else self.expression(part, names, path)
            for part in template.parts
        ]
        return Code(f"_text(budget, {', '.join(parts)})")

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
            args = [self.expression(arg, names, path) for arg in node.args]
            if node.function in BUDGETED_FUNCTIONS:
                self._use_budget(node.function)
                args.insert(0, Code("budget"))
            else:
                self.helpers.add(node.function)
            return f"_fn_{node.function}({', '.join(args)})", _ATOM
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
        if _PRECEDENCE[node.op] != 4:
            return self._chain(node, names, path)
        # Comparisons never chain: both operands bind tighter, and need parentheses if they are comparisons.
        left = self.expression(node.left, names, path, 5)
        right = self.expression(node.right, names, path, 5)
        return f"{left} {node.op} {right}", 4

    def _chain(self, node: Binary, names: Names, path: Path) -> tuple[str, int]:
        """A left-associative chain of one precedence level (``a + b - c``, ``a * b / c``, ``a and b``),
        walked in a loop so that a long chain stays off the recursion limit.

        Adding or repeating what may be text or lists goes through a helper that counts it against the
        budget, in one call for the leading run (``_add(budget, a, b, c)``) so that the nesting of the code
        stays flat. Once a ``-``, ``/``, ``//`` or ``%`` has applied, the value is a number and the rest of
        the chain is plain arithmetic. A chain that would need more than one helper call (``x // 2 * y //
        2 * y ...``) becomes one ``_arith`` call over all its operators, so no chain nests.
        """
        level = _PRECEDENCE[node.op]
        operators: list[str] = []
        operands: list[Node] = []
        current: Node = node
        while isinstance(current, Binary) and _PRECEDENCE[current.op] == level:
            operators.append(current.op)
            operands.append(current.right)
            current = current.left
        operands.append(current)
        operands.reverse()
        operators.reverse()
        run, checked = _checked_operations(operators, operands, {5: "+", 6: "*"}.get(level))
        if bool(run) + sum(checked) > 1:  # one helper call would wrap another
            return self._arith(operators, operands, names, path), _ATOM
        if run:
            helper = "add" if operators[0] == "+" else "times"
            self._use_budget(helper)
            args = ", ".join(self.expression(item, names, path) for item in operands[: run + 1])
            text, precedence, start = f"_{helper}(budget, {args})", _ATOM, run
        else:
            text, precedence, start = self.expression(operands[0], names, path, level), level, 0
        for index in range(start, len(operators)):
            operator, operand = operators[index], operands[index + 1]
            if checked[index]:
                helper = {"%": "mod", "+": "add", "*": "times"}[operator]
                if helper == "mod":
                    # `%` is the remainder of a division; on text Python would format ('%09999999d' % 1).
                    self.helpers.add("mod")
                else:
                    self._use_budget(helper)
                budget = "" if helper == "mod" else "budget, "
                text = f"_{helper}({budget}{text}, {self.expression(operand, names, path)})"
                precedence = _ATOM
            else:
                right = self.expression(operand, names, path, level + 1)
                text = f"{text if precedence >= level else f'({text})'} {operator} {right}"
                precedence = level
        return text, precedence

    def _arith(self, operators: list[str], operands: list[Node], names: Names, path: Path) -> str:
        self._use_budget("arith")
        self.helpers.update(("add", "times", "mod"))
        args = [self.expression(operands[0], names, path)]
        for operator, operand in zip(operators, operands[1:], strict=True):
            args += [py_str(operator), self.expression(operand, names, path)]
        return f"_arith(budget, {', '.join(args)})"

    def _use_budget(self, helper: str) -> None:
        self.helpers.update((helper, "budget"))
        self.budgeted = True

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
        if (root == "signal" and names.in_signal_handler) or (
            root == "update" and names.in_update_handler
        ):
            return "payload", parts
        if root not in ROOTS:
            handler = ["signal"] if names.in_signal_handler else []
            handler += ["update"] if names.in_update_handler else []
            known = ", ".join([*ROOTS, *names.loop_names, *handler])
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


def _checked_operations(
    operators: list[str], operands: list[Node], lead: str | None
) -> tuple[int, list[bool]]:
    """Which operations of a chain need a helper: the length of a leading ``+`` (or ``*``) run on what may
    be text or lists (0 if none), and for each operator after it, whether it needs one of its own."""
    run = next((i for i, op in enumerate(operators) if op != lead), len(operators))
    numeric = _numeric(operands[0])
    if lead == "+":
        numeric = numeric or _numeric(operands[1])  # a number added to anything is a number
    elif lead == "*":
        numeric = all(_numeric(item) for item in operands[: run + 1])
    if numeric or lead is None:
        run = 0
    checked = [False] * len(operators)
    for index in range(run, len(operators)):
        operator, sure = operators[index], _numeric(operands[index + 1])
        checked[index] = (
            (operator == "%" and not (numeric and sure))
            or (operator == "*" and not (numeric and sure))
            or (operator == "+" and not (numeric or sure))
        )
        if operator in ("-", "/", "//", "%"):
            numeric = True
        elif operator == "+":
            numeric = numeric or sure
        elif operator == "*":
            numeric = numeric and sure
    return run, checked


def _numeric(node: Node) -> bool:
    """Whether ``node`` gives a number whenever it gives anything (else it fails)."""
    while isinstance(node, Binary) and node.op == "+":
        # A number added to anything is a number, or fails; walk the chain rather than recurse.
        if _numeric(node.right):
            return True
        node = node.left
    if isinstance(node, Literal):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, Unary):
        return node.op == "-"
    if isinstance(node, Binary):
        if node.op in ("-", "/", "//", "%"):
            return True  # `%` is a remainder here, never text formatting
        if node.op == "*":  # but text times a number is text
            while isinstance(node, Binary) and node.op == "*":
                if not _numeric(node.right):
                    return False
                node = node.left
            return _numeric(node)
        return False
    return isinstance(node, Call) and node.function in _NUMERIC_FUNCTIONS


def _describe(ref: Ref) -> str:
    return ".".join([ref.root, *(str(part) for part in ref.parts if isinstance(part, (str, int)))])
