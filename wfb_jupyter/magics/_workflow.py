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
    from wfb_jupyter.services import definition_problems_message

    try:
        result = ctx.workspace.build(
            name, text, project=project, activate=activate, dry_run=dry_run
        )
    except DefinitionError as error:
        from wfb_jupyter.services import declared_name

        declared = declared_name(text)
        given_as = None
        if name is not None and declared is None:
            given_as = "the %%workflow line" if first_line > 1 else "--name"
        shown = name or declared or "(unnamed)"
        message = definition_problems_message(
            shown, error.problems, text, first_line=first_line, name_given_as=given_as
        )
        raise UsageError(message) from None
    print(result.summary(first_line))
    show_graph(ctx, result.definition_source)
    ctx.extras["last_build"] = result
    return result


def show_graph(ctx: CommandContext, definition_source: str) -> None:
    """The rendered graph of the definition, as SVG (deterministic: the same definition, the same picture)."""
    from IPython.display import SVG

    from wfb_jupyter.widgets import workflow_graph_svg

    ctx.display(SVG(workflow_graph_svg(definition_source)))
