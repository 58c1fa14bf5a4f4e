"""``%%workflow NAME``: build the cell's definition and show what was stored, with the workflow's graph."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError

from wfb_jupyter.magics._context import CommandContext


def build_and_show(
    ctx: CommandContext,
    name: str | None,
    text: str,
    *,
    project: str | None,
    activate: bool,
    dry_run: bool,
    first_line: int = 2,
) -> Any:
    from wfb_jupyter.errors import DefinitionError

    try:
        result = ctx.workspace.build(
            name, text, project=project, activate=activate, dry_run=dry_run
        )
    except DefinitionError as error:
        raise UsageError(_problems_message(name, text, error, first_line)) from None
    print(result.summary(first_line))
    show_graph(ctx, result.definition_source)
    ctx.extras["last_build"] = result
    return result


def test_and_show(ctx: CommandContext, args: Any, text: str, first_line: int = 2) -> Any:
    """``%%workflow NAME --test key=value --mock STEP=JSON ...``: one run on a time-skipping test server."""
    from wfb_jupyter.compiler import WorkflowDefinitionError, input_schema_of
    from wfb_jupyter.errors import DefinitionError
    from wfb_jupyter.magics._inputs import parse_assignments
    from wfb_jupyter.testrun import parse_value

    name, tokens = args.name, list(args.inputs)
    if name is not None and "=" in name:  # no name on the line: the first word is an input
        name, tokens = None, [name, *tokens]
    try:
        schema = input_schema_of(text)
    except WorkflowDefinitionError:
        schema = {}  # the test run reports what is wrong with the definition
    inputs = parse_assignments(tokens, schema, ctx.namespace)
    mocks = {key: parse_value(value) for key, value in _pairs("--mock", args.mock, "STEP=JSON")}
    fails = dict(_pairs("--fail", args.fail, "STEP=MESSAGE"))
    options: dict[str, Any] = {"timeout": args.timeout} if args.timeout is not None else {}
    try:
        report = ctx.workspace.tests.run(
            text, inputs, name=name, mocks=mocks, fails=fails, mock_from=args.mock_from,
            run_again=args.run, signals=args.signal, updates=args.update, **options,
        )  # fmt: skip
    except DefinitionError as error:
        raise UsageError(_problems_message(name, text, error, first_line, "tested")) from None
    ctx.extras["last_test"] = report
    from IPython.display import SVG

    from wfb_jupyter.widgets import workflow_graph_svg

    states = report.step_states()
    ctx.display(
        SVG(workflow_graph_svg(report.definition_source, states=states, run_status=report.status))
    )
    return report


def _pairs(flag: str, values: list[str], form: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise UsageError(f"{flag} {value!r}: write {form}")
        pairs.append((key, rest))
    return pairs


def _problems_message(
    name: str | None, text: str, error: Any, first_line: int, action: str = "built"
) -> str:
    from wfb_jupyter.services import declared_name, definition_problems_message

    declared = declared_name(text)
    given_as = None
    if name is not None and declared is None:
        given_as = "the %%workflow line" if first_line > 1 else "--name"
    shown = name or declared or "(unnamed)"
    return definition_problems_message(
        shown, error.problems, text, first_line=first_line, name_given_as=given_as, action=action
    )


def show_graph(ctx: CommandContext, definition_source: str) -> None:
    """The rendered graph of the definition, as SVG (deterministic: the same definition, the same picture)."""
    from IPython.display import SVG

    from wfb_jupyter.widgets import workflow_graph_svg

    ctx.display(SVG(workflow_graph_svg(definition_source)))
