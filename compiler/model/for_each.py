"""``for_each``: run steps once per item of a list, at most ``concurrency`` at a time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from wfb_jupyter.compiler._escape import Code, py_str
from wfb_jupyter.compiler._expression_text import describe_value
from wfb_jupyter.compiler._expressions import Binary, Call, Literal, Template, Unary
from wfb_jupyter.compiler._problems import Path, Problems
from wfb_jupyter.compiler._step_lowering import StepLowering
from wfb_jupyter.compiler.model._common import (
    Context,
    Step,
    Value,
    read_name,
    read_number,
    read_value,
    walk,
)

MAX_CONCURRENCY = 1_000
# What expressions already mean: a loop variable with one of these names would hide it (`steps.x.result`
# inside the loop would read the loop variable), or could never be read (`true`).
_TAKEN_NAMES = frozenset({"input", "steps", "vars", "signals", "signal", "true", "false", "null"})
# Operators and functions that never give a list.
_SCALAR_OPERATORS = frozenset({"==", "!=", "<", "<=", ">", ">=", "in", "-", "/", "//", "%"})
_SCALAR_FUNCTIONS = frozenset(
    {
        "abs",
        "contains",
        "float",
        "int",
        "join",
        "len",
        "lower",
        "round",
        "str",
        "sum",
        "trim",
        "upper",
    }
)


@dataclass
class ForEachStep(Step):
    items: Value = None
    item_name: str = "item"
    index_name: str = "index"
    concurrency: int = 1
    steps: list[Step] = field(default_factory=list)

    kind = "for_each"
    KIND_KEYS = frozenset({"for_each"})
    KEYS = frozenset({"for_each", "as", "index_as", "concurrency", "steps"})
    ALIASES: ClassVar[dict[str, str]] = {}

    @classmethod
    def parse(
        cls, raw: Mapping[str, Any], path: Path, context: Context, common: dict[str, Any]
    ) -> ForEachStep:
        problems = context.problems
        items = read_value(raw.get("for_each"), (*path, "for_each"), problems)
        if not isinstance(items, list) and not _may_give_a_list(items):
            problems.error(
                (*path, "for_each"), "for_each takes a list or a ${...} expression giving one"
            )
        concurrency = raw.get("concurrency", 1)
        concurrency = (
            read_number(concurrency, (*path, "concurrency"), problems, integer=True, minimum=1) or 1
        )
        if concurrency > MAX_CONCURRENCY:
            problems.error((*path, "concurrency"), f"concurrency is at most {MAX_CONCURRENCY}")
        item_name = (
            _loop_name(raw.get("as", "item"), (*path, "as"), problems, "loop variable") or "item"
        )
        index_name = _loop_name(
            raw.get("index_as", "index"), (*path, "index_as"), problems, "index variable"
        )
        if item_name == index_name:
            problems.error(
                (*path, "index_as"), "the index variable needs a different name from the item"
            )
        return cls(
            **common,
            items=items,
            item_name=item_name,
            index_name=index_name or "index",
            concurrency=int(concurrency),
            steps=context.parse_steps(raw.get("steps"), (*path, "steps")),
        )

    def sequences(self) -> list[tuple[str, list[Step]]]:
        return [("body", self.steps), *super().sequences()]

    def lower(self, lowering: StepLowering) -> dict[str, Any]:
        lowering.uses("asyncio")
        inner = lowering.names.inside_loop(
            (self.item_name, self.index_name), (step.id for step in walk(self.steps))
        )
        return {
            "items": lowering.value(self.items, "for_each"),
            "concurrency": Code(str(int(self.concurrency))),
            "item_name": py_str(self.item_name),
            "index_name": py_str(self.index_name),
            "method": lowering.nested("body", self.steps, ("steps",), inner),
        }

    def describe(self) -> str:
        at_once = "" if self.concurrency == 1 else f", max {self.concurrency}"
        return f"for each {self.item_name} in {describe_value(self.items)}{at_once}"


def _loop_name(raw: object, path: Path, problems: Problems, what: str) -> str | None:
    name = read_name(raw, path, problems, what)
    if name in _TAKEN_NAMES:
        problems.error(path, f"{what} {name!r} would hide what {name!r} means in expressions")
        return None
    return name


def _may_give_a_list(items: Value) -> bool:
    """False for what is sure not to be a list: text, numbers, mappings, or ${...} giving one of those."""
    if not isinstance(items, Template) or items.single is None:
        return False
    node = items.single
    if isinstance(node, (Literal, Unary)):
        return False
    if isinstance(node, Binary) and node.op in _SCALAR_OPERATORS:
        return False
    return not (isinstance(node, Call) and node.function in _SCALAR_FUNCTIONS)
