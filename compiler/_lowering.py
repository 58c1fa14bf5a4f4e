"""From the definition model to what the templates render: checked, with every fragment already escaped.

This pass is also the semantic validation: it resolves expressions, components, signals and ``goto`` targets,
so a definition that lowers without errors is one that compiles.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from wfb_jupyter.compiler._catalogue import ComponentCatalogue, ComponentSpec
from wfb_jupyter.compiler._escape import Code, py_identifier, py_literal, py_str
from wfb_jupyter.compiler._expression_codegen import ExpressionCompiler, Names
from wfb_jupyter.compiler._expressions import Unary
from wfb_jupyter.compiler._goto import spinning_cycle
from wfb_jupyter.compiler._problems import Path, Problems
from wfb_jupyter.compiler._step_lowering import StepLowering
from wfb_jupyter.compiler.model import (
    FailStep,
    InputField,
    OnError,
    SetStep,
    Step,
    UpdateSpec,
    WorkflowDefinition,
    walk,
)


@dataclass
class SequenceView:
    method: Code
    steps: list[Code]  # step method names, in order
    step_ids: list[Code]  # their ids as literals, for goto dispatch
    has_goto: bool
    last_id: Code | None


@dataclass
class StepView:
    kind: str
    id: Code  # the step id as a literal
    method: Code
    skip_when: Code | None  # the negated `when`: skip the step if it holds
    on_error: dict[str, Any] | None
    body: dict[str, Any]
    budget: bool = False  # its expressions use a `budget`, made when the method starts


@dataclass
class WorkflowView:
    # Step and sequence methods in document order: each step is followed by the lists nested in it.
    methods: list[SequenceView | StepView] = field(default_factory=list)
    components: dict[str, ComponentSpec] = field(default_factory=dict)
    uses: set[str] = field(
        default_factory=set
    )  # features that decide imports: "timedelta", "retry", ...
    helpers: set[str] = field(default_factory=set)  # expression helper functions to emit
    variables: list[str] = field(default_factory=list)
    var_values: list[tuple[Code, Code]] = field(default_factory=list)
    output: Code = Code("dict(self._results)")
    run_budget: bool = False  # the output's expression needs a budget in ``run``
    init_budget: bool = False  # the variables' initial values need one in ``__init__``
    signals: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    queries: list[dict[str, Any]] = field(default_factory=list)


class Lowering:
    def __init__(
        self,
        definition: WorkflowDefinition,
        catalogue: ComponentCatalogue | None,
        problems: Problems,
    ) -> None:
        self.definition = definition
        self.catalogue = catalogue
        self.problems = problems
        self.expressions = ExpressionCompiler(problems)
        self.view = WorkflowView()
        all_steps = list(walk(definition.steps))
        self.names = Names(
            inputs=frozenset(field.name for field in definition.inputs),
            steps=frozenset(step.id for step in all_steps),
            variables=frozenset(self._variable_names(all_steps)),
            signals=frozenset(signal.name for signal in definition.signals),
        )
        self._check_duplicate_ids(all_steps)

    def run(self) -> WorkflowView:
        definition, names, view = self.definition, self.names, self.view
        view.variables = sorted(names.variables)
        self.expressions.budgeted = False
        view.var_values = [
            (py_str(name), self.expressions.value(value, names, ("vars", name)))
            for name, value in definition.variables.items()
        ]
        view.init_budget = self.expressions.budgeted
        self.expressions.budgeted = False
        if definition.has_output:
            view.output = self.expressions.value(definition.output, names, ("output",))
        view.run_budget = self.expressions.budgeted
        self.sequence(definition.steps, Code("_main"), names, ("steps",))
        handler_names = replace(names, in_signal_handler=True)
        for signal in definition.signals:
            self.expressions.budgeted = False
            sets = [
                (
                    py_str(var),
                    self.expressions.value(
                        value, handler_names, ("signals", signal.name, "set", var)
                    ),
                )
                for var, value in signal.sets.items()
            ]
            view.signals.append(
                {
                    "name": py_str(signal.name),
                    "method": py_identifier(signal.name, "on_"),
                    "sets": sets,
                    "budget": self.expressions.budgeted,
                    "defaults": _payload_defaults(signal.payload),
                }
            )
        update_names = replace(names, in_update_handler=True)
        for update in definition.updates:
            view.updates.append(self._update(update, update_names))
        query_names = replace(names, in_query=True)
        for query in definition.queries:
            self.expressions.budgeted = False
            value = self.expressions.value(query.value, query_names, ("queries", query.name))
            view.queries.append(
                {
                    "name": py_str(query.name),
                    "method": py_identifier(query.name, "query_"),
                    "value": value,
                    "budget": self.expressions.budgeted,
                }
            )
        view.helpers = set(self.expressions.helpers)
        return view

    def _update(self, update: UpdateSpec, names: Names) -> dict[str, Any]:
        """The handler's sets and result, and the validator's check and message, each with its own budget."""
        path = ("updates", update.name)
        self.expressions.budgeted = False
        check = message = None
        if update.validate is not None:
            check = self.expressions.value(update.validate, names, (*path, "validate"))
            message = self.expressions.value(update.message, names, (*path, "message"))
        check_budget, self.expressions.budgeted = self.expressions.budgeted, False
        sets = [
            (py_str(var), self.expressions.value(value, names, (*path, "set", var)))
            for var, value in update.sets.items()
        ]
        result = self.expressions.value(update.result, names, (*path, "result"))
        return {
            "name": py_str(update.name),
            "method": py_identifier(update.name, "update_"),
            "validator": py_identifier(update.name, "validate_"),
            "sets": sets,
            "result": result,
            "budget": self.expressions.budgeted,
            "check": check,
            "message": message,
            "check_budget": check_budget,
            "fields": py_str(", ".join(field.name for field in update.payload))
            if update.payload
            else None,
            "defaults": _payload_defaults(update.payload),
        }

    # -- sequences and steps -------------------------------------------------------------------------------
    def sequence(self, steps: list[Step], method: Code, names: Names, path: Path) -> Code:
        slot = len(self.view.methods)
        self.view.methods.append(SequenceView(method, [], [], False, None))  # filled in below
        sibling_ids = {step.id for step in steps}
        has_goto = False
        for index, step in enumerate(steps):
            if step.on_error and step.on_error.action == "goto":
                has_goto = True
                if step.on_error.target not in sibling_ids:
                    self.problems.error(
                        (*step.path, "on_error", "goto"),
                        f"goto target {step.on_error.target!r} is not a step in the same list",
                    )
            if isinstance(step, FailStep) and step.when is None and index < len(steps) - 1:
                later = steps[index + 1]
                if not has_goto:
                    self.problems.warning(
                        later.path, f"step {later.id!r} is unreachable: it follows a fail step"
                    )
        cycle = spinning_cycle(steps) if has_goto else None
        if cycle is not None:
            loop = " -> ".join(step.id for step in [*cycle, cycle[0]])
            jumper = next(s for s in reversed(cycle) if s.on_error and s.on_error.action == "goto")
            self.problems.error(
                (*jumper.path, "on_error", "goto"),
                f"this goto makes a loop ({loop}) in which no step waits: it would spin without end. "
                "Put an activity, a sleep or a wait_signal in the loop",
            )
        self.view.methods[slot] = SequenceView(
            method=method,
            steps=[self.step(step, names) for step in steps],
            step_ids=[py_str(step.id) for step in steps],
            has_goto=has_goto,
            last_id=py_str(steps[-1].id) if steps else None,
        )
        return method

    def step(self, step: Step, names: Names) -> Code:
        method = py_identifier(step.id, "_step_")
        slot = len(self.view.methods)
        self.view.methods.append(
            StepView(step.kind, Code(""), method, None, None, {})
        )  # filled in below
        outer_budget, self.expressions.budgeted = self.expressions.budgeted, False
        skip_when = None
        if step.when is not None:
            when = step.when
            negated = (
                when.operand if isinstance(when, Unary) and when.op == "not" else Unary("not", when)
            )
            skip_when = self.expressions.expression(negated, names, (*step.path, "when"))
        lowering = StepLowering(self, step, names)
        body = step.lower(lowering)
        on_error = self._on_error(step, step.on_error, names)
        budget, self.expressions.budgeted = self.expressions.budgeted, outer_budget
        self.view.methods[slot] = StepView(
            step.kind, py_str(step.id), method, skip_when, on_error, body, budget
        )
        return method

    def nested(self, step: Step, label: str, steps: list[Step], names: Names, path: Path) -> Code:
        """A nested step list becomes its own method, named after its owner."""
        return self.sequence(steps, py_identifier(step.id, f"_{label}_"), names, path)

    def _on_error(
        self, step: Step, on_error: OnError | None, names: Names
    ) -> dict[str, Any] | None:
        if on_error is None:
            return None
        path = (*step.path, "on_error")
        view: dict[str, Any] = {"action": on_error.action}
        if on_error.action != "fail":
            self.expressions.helpers.add("error_message")
        if on_error.action == "fail":
            message = on_error.message if on_error.message is not None else f"step {step.id} failed"
            view["message"] = self.expressions.value(message, names, (*path, "fail"))
        elif on_error.action == "goto":
            view["target"] = py_str(on_error.target or "")
        elif on_error.action == "steps":
            view["method"] = self.nested(step, "on_error", on_error.steps, names, (*path, "steps"))
        return view

    # -- checks ----------------------------------------------------------------------------------------------
    def component(self, name: str, path: Path) -> ComponentSpec | None:
        if self.catalogue is None:
            return None
        spec = self.catalogue.get(name)
        if spec is None:
            import difflib

            close = difflib.get_close_matches(name, list(self.catalogue), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.problems.error(path, f"unknown component {name!r}{hint}")
            return None
        self.view.components[name] = spec
        return spec

    def _check_duplicate_ids(self, steps: list[Step]) -> None:
        seen: dict[str, Path] = {}
        for step in steps:
            if step.id in seen and step.id:
                self.problems.error((*step.path, "id"), f"duplicate step id {step.id!r}")
            seen.setdefault(step.id, step.path)

    def _variable_names(self, steps: list[Step]) -> set[str]:
        names = set(self.definition.variables)
        for signal in self.definition.signals:
            names.update(signal.sets)
        for update in self.definition.updates:
            names.update(update.sets)
        for step in steps:
            if isinstance(step, SetStep):
                names.update(step.values)
        return names


def _payload_defaults(payload: list[InputField]) -> Code | None:
    """The defaults of a signal's or update's payload fields, which the handler fills in when left out
    (whoever sends it: a notebook, the Temporal CLI or Web UI)."""
    defaults = {field.name: field.default for field in payload if field.has_default}
    return py_literal(defaults) if defaults else None
