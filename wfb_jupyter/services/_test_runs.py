"""Test runs of a definition: compiled (never stored), run once on a time-skipping test server with pinned
step results and scripted signals and updates, and reported as the path it took."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from wfb_jupyter.builds import compile_next, notebook_catalogue
from wfb_jupyter.compiler import (
    CompiledWorkflow,
    ComponentSpec,
    WorkflowDefinitionError,
    changed_steps,
    validate_input,
)
from wfb_jupyter.components import BUILTIN_SPECS
from wfb_jupyter.errors import DefinitionError, InputError
from wfb_jupyter.services._context import ServiceContext
from wfb_jupyter.services._inputs import describe_fields
from wfb_jupyter.services._naming import declared_name, named_definition
from wfb_jupyter.services._problems import definition_problems_message
from wfb_jupyter.services._projects import Projects
from wfb_jupyter.services._runs import Runs
from wfb_jupyter.services._versions import Versions
from wfb_jupyter.storage import NotFoundError as RowNotFoundError
from wfb_jupyter.storage import get_compiled_code, get_workflow_by_name
from wfb_jupyter.testrun import (
    DEFAULT_TIMEOUT,
    MOCKABLE_KINDS,
    Pin,
    ScheduledMessage,
    TestPlan,
    TestPlanError,
    TestReport,
    check_plan,
    loaded_subject,
    parse_message,
    recorded_pins,
    recorded_results,
    run_test,
    step_of,
)
from wfb_jupyter.workers import load_project_code

Message = str | ScheduledMessage


class TestRuns:
    __test__ = False  # not a pytest test class

    def __init__(
        self, context: ServiceContext, projects: Projects, versions: Versions, runs: Runs
    ) -> None:
        self._context = context
        self._projects = projects
        self._versions = versions
        self._runs = runs

    def run(
        self,
        source: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        mocks: Mapping[str, Any] | None = None,
        fails: Mapping[str, str] | None = None,
        mock_from: str | None = None,
        run_again: Iterable[str] = (),
        signals: Iterable[Message] = (),
        updates: Iterable[Message] = (),
        timeout: float = DEFAULT_TIMEOUT,
    ) -> TestReport:
        """Test ``source`` once, storing nothing. ``mocks`` pin a step (or one run of it, ``ship[2]``) to a
        result, ``fails`` make it fail with a message; ``mock_from`` pins every step to what that execution
        recorded, except the steps changed since and those in ``run_again``. ``signals`` and ``updates`` are
        ``NAME[@WHEN][=PAYLOAD]`` (``approve@2h={"by": "ada"}``)."""
        text, name = named_definition(source, name)
        compiled, components = self._compile(text, name)
        manifest = compiled.manifest
        values = {key: value for key, value in dict(inputs or {}).items() if value is not None}
        schema = manifest.get("input_schema", {})
        problems = validate_input(schema, values)
        if problems:
            raise InputError(
                f"test of {compiled.name!r} not started: "
                + "; ".join(problems)
                + f" (it takes: {describe_fields(schema)})"
            )
        given = {key: Pin(value) for key, value in dict(mocks or {}).items()}
        given.update({key: Pin(error=str(message)) for key, message in dict(fails or {}).items()})
        messages = (
            *(_message("signal", message) for message in signals),
            *(_message("update", message) for message in updates),
        )
        plan = TestPlan(given, messages, float(timeout))
        check_plan(plan, manifest)
        again = set(run_again)
        unknown = sorted(step for step in again if step not in manifest.get("step_kinds", {}))
        if unknown:
            raise TestPlanError(
                f"--run {', '.join(unknown)}: no such step (steps: {', '.join(manifest['steps'])})"
            )
        if mock_from is not None:
            recorded = self._recorded_pins(mock_from, text, manifest, again)
            plan = TestPlan({**recorded, **given}, messages, float(timeout))
        children, extra_activities = self._children(manifest, plan)
        with loaded_subject(compiled, components, children, extra_activities) as subject:
            return self._context.on_loop(run_test(subject, values, plan), timeout=plan.timeout + 30)

    def _compile(self, text: str, name: str | None) -> tuple[CompiledWorkflow, list[ComponentSpec]]:
        info = self._projects.current()

        def compile_in(session: Session) -> tuple[CompiledWorkflow, list[ComponentSpec]]:
            workflow_name = name or declared_name(text)
            existing = (
                get_workflow_by_name(session, info.id, workflow_name) if workflow_name else None
            )
            catalogue = notebook_catalogue(session, info.id)
            compiled = compile_next(
                session, info.id, text, existing.id if existing else None, catalogue
            )
            users = [
                spec
                for component in (compiled.manifest.get("components") or {})
                if (spec := catalogue.get(component)) is not None and spec.kind != "builtin"
            ]
            return compiled, [*BUILTIN_SPECS, *users]

        try:
            return self._context.read(compile_in)
        except WorkflowDefinitionError as error:
            shown = name or declared_name(text) or "(unnamed)"
            message = definition_problems_message(
                shown, error.problems, text, first_line=1, action="tested"
            )
            raise DefinitionError(message, error.problems) from None

    def _recorded_pins(
        self, workflow_id: str, text: str, manifest: Mapping[str, Any], again: set[str]
    ) -> dict[str, Pin]:
        ref = self._runs.get(workflow_id).ref
        results = self._context.with_client(
            lambda client: recorded_results(client, ref.workflow_id, ref.run_id)
        )
        old_definition = self._versions.code(ref.workflow_name, ref.version, "definition")
        rerun = again | changed_steps(old_definition, text)
        kinds: Mapping[str, str] = manifest.get("step_kinds", {})
        pins = recorded_pins(results, f"recorded in {workflow_id}", run_again=rerun)
        return {key: pin for key, pin in pins.items() if kinds.get(step_of(key)) in MOCKABLE_KINDS}

    def _children(
        self, manifest: Mapping[str, Any], plan: TestPlan
    ) -> tuple[list[type], list[Any]]:
        """The stored workflow classes the unpinned child steps start, with the activities they call."""
        pinned_steps = {step_of(key) for key in plan.pins}
        children: Mapping[str, str] = manifest.get("child_workflows", {})
        needed = {kind for step, kind in children.items() if step not in pinned_steps}
        pinned = {kind for step, kind in children.items() if step in pinned_steps}
        if needed & pinned:
            kind = sorted(needed & pinned)[0]
            steps = sorted(step for step, other in children.items() if other == kind)
            raise TestPlanError(
                f"steps {', '.join(steps)} all start {kind!r}: mock all of them or none"
            )
        if not needed:
            return [], []
        info = self._projects.current()
        stored = self._context.read(lambda session: _stored_versions(session, info.id, needed))
        missing = sorted(needed - set(stored))
        if missing:
            steps = sorted(step for step, kind in children.items() if kind in missing)
            raise TestPlanError(
                f"step {steps[0]!r} starts child workflow {missing[0]!r}, which is not stored in this "
                f"project: mock it (--mock {steps[0]}=RESULT) or build that workflow first"
            )
        code = load_project_code(self._context.engine, info.id, keep=stored.values())
        classes = [
            version.workflow_class for version in code.versions if version.workflow_type in needed
        ]
        return classes, list(code.activities)


def _stored_versions(
    session: Session, project_id: str, types: set[str]
) -> dict[str, tuple[int, int]]:
    """Workflow type -> (workflow id, version) for the types stored in the project."""
    found: dict[str, tuple[int, int]] = {}
    for workflow_type in types:
        name, _, number = workflow_type.rpartition(".v")
        workflow = get_workflow_by_name(session, project_id, name) if number.isdigit() else None
        if workflow is None:
            continue
        try:
            get_compiled_code(session, workflow.id, int(number))
        except RowNotFoundError:
            continue
        found[workflow_type] = (workflow.id, int(number))
    return found


def _message(kind: str, message: Message) -> ScheduledMessage:
    if isinstance(message, ScheduledMessage):
        return message
    return parse_message("signal" if kind == "signal" else "update", message)
