"""``switch`` (cases with ``when``, then an optional ``default``) and its short form ``if``/``then``/``else``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from wfb_jupyter.compiler._expression_text import expression_text
from wfb_jupyter.compiler._expressions import Node
from wfb_jupyter.compiler._problems import Path
from wfb_jupyter.compiler._step_lowering import StepLowering
from wfb_jupyter.compiler.model._common import (
    Context,
    Step,
    check_keys,
    read_condition,
    read_mapping,
)


@dataclass
class Case:
    when: Node | None  # None: the default case
    steps: list[Step]


@dataclass
class SwitchStep(Step):
    cases: list[Case] = field(default_factory=list)

    kind = "switch"
    KIND_KEYS = frozenset({"switch", "if"})
    KEYS = frozenset({"switch", "if", "then", "else"})
    ALIASES: ClassVar[dict[str, str]] = {}

    @classmethod
    def parse(
        cls, raw: Mapping[str, Any], path: Path, context: Context, common: dict[str, Any]
    ) -> SwitchStep:
        problems = context.problems
        cases: list[Case] = []
        if "if" in raw:
            if "switch" in raw:
                problems.error((*path, "switch"), "use either switch or if/then/else, not both")
            cases.append(
                Case(
                    read_condition(raw["if"], (*path, "if"), problems),
                    context.parse_steps(raw.get("then"), (*path, "then")),
                )
            )
            if "else" in raw:
                cases.append(Case(None, context.parse_steps(raw["else"], (*path, "else"))))
            return cls(**common, cases=cases)
        for key in ("then", "else"):
            if key in raw:
                problems.error((*path, key), f"{key} belongs to an if step")
        entries = raw.get("switch")
        if not isinstance(entries, list) or not entries:
            problems.error(
                (*path, "switch"),
                "switch takes a non-empty list of cases ({when, steps} or {default})",
            )
            return cls(**common)
        for index, entry in enumerate(entries):
            case_path = (*path, "switch", index)
            case = read_mapping(entry, case_path, problems, "a case")
            if case is None:
                continue
            if "default" in case:
                check_keys(case, ("default",), case_path, problems)
                if index != len(entries) - 1:
                    problems.error(case_path, "the default case must come last")
                cases.append(
                    Case(None, context.parse_steps(case["default"], (*case_path, "default")))
                )
                continue
            check_keys(case, ("when", "steps"), case_path, problems)
            if "when" not in case:
                problems.error(case_path, "a case needs when: (or be the last, default: case)")
            when = read_condition(case.get("when"), (*case_path, "when"), problems)
            cases.append(Case(when, context.parse_steps(case.get("steps"), (*case_path, "steps"))))
        return cls(**common, cases=cases)

    def sequences(self) -> list[tuple[str, list[Step]]]:
        return [
            (f"case_{index}", case.steps) for index, case in enumerate(self.cases)
        ] + super().sequences()

    def lower(self, lowering: StepLowering) -> dict[str, Any]:
        owner = lowering.owner
        cases = []
        for index, case in enumerate(self.cases):
            condition = None
            if case.when is not None:
                condition = owner.expressions.expression(
                    case.when, lowering.names, (*self.path, "switch", index, "when")
                )
            cases.append(
                {
                    "when": condition,
                    "method": lowering.nested(f"case_{index}", case.steps, ("switch", index)),
                }
            )
        conditional = [case for case in cases if case["when"] is not None]
        default = next((case["method"] for case in cases if case["when"] is None), None)
        return {"conditional": conditional, "default": default}

    def describe(self) -> str:
        return "switch on " + " / ".join(
            "else" if case.when is None else expression_text(case.when) for case in self.cases
        )
