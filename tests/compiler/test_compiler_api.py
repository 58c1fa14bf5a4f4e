"""The public API the runtime codes against: names, checksums, schemas, problems and the activities module."""

from __future__ import annotations

import pytest
from compiler_fixtures import CATALOGUE, USER_COMPONENT

from wfb_jupyter.compiler import (
    COMPILER_VERSION,
    CompileOptions,
    ComponentSpec,
    Problem,
    WorkflowDefinitionError,
    compile_workflow,
    input_schema_of,
    parse_definition,
    render_activities_module,
    validate_definition,
    validate_input,
)

DEFINITION = """\
name: order-flow
input:
  customer: string
  amount: {type: number, minimum: 0, default: 10}
  mode: {enum: [fast, slow], default: fast}
signals:
  approve: {payload: {by: string}}
queries:
  total: ${input.amount}
steps:
  - id: greet
    call: echo
    with: {value: "${input.customer}"}
"""


def test_workflow_type_and_names_carry_the_version() -> None:
    compiled = compile_workflow(DEFINITION, CompileOptions(version=7, catalogue=CATALOGUE))
    assert compiled.workflow_type == "order-flow.v7"
    assert compiled.workflow_class == "OrderFlowWorkflow"
    assert compiled.module_name == "wfb_order_flow_v7"
    assert '@workflow.defn(\n    name="order-flow.v7",' in compiled.workflow_code
    assert compiled.manifest["compiler_version"] == COMPILER_VERSION == compiled.compiler_version


def test_checksum_ignores_the_version_but_build_id_follows_the_code() -> None:
    first = compile_workflow(DEFINITION, CompileOptions(version=1, catalogue=CATALOGUE))
    second = compile_workflow(DEFINITION, CompileOptions(version=2, catalogue=CATALOGUE))
    changed = compile_workflow(
        DEFINITION.replace("fast, slow", "fast, slower"), CompileOptions(catalogue=CATALOGUE)
    )
    assert first.checksum == second.checksum != changed.checksum
    assert first.build_id != second.build_id  # the version is part of the code (the workflow type)
    assert (
        first.build_id == compile_workflow(DEFINITION, CompileOptions(catalogue=CATALOGUE)).build_id
    )


def test_manifest_lists_schema_components_signals_and_queries() -> None:
    manifest = compile_workflow(DEFINITION, CompileOptions(catalogue=CATALOGUE)).manifest
    assert manifest["input_schema"] == {
        "type": "object",
        "properties": {
            "customer": {"type": "string"},
            "amount": {"type": "number", "minimum": 0, "default": 10},
            "mode": {"type": "string", "enum": ["fast", "slow"], "default": "fast"},
        },
        "required": ["customer"],
        "additionalProperties": False,
    }
    assert manifest["components"] == {"echo": "wfb.echo"}
    assert list(manifest["signals"]) == ["approve"]
    assert manifest["queries"] == ["progress", "total"]
    assert input_schema_of(DEFINITION) == manifest["input_schema"]


def test_validate_input_reports_readable_messages() -> None:
    schema = input_schema_of(DEFINITION)
    assert validate_input(schema, {"customer": "ann"}) == []
    assert validate_input(schema, {"amount": -1, "mode": "warp", "extra": 1}) == [
        "customer is required",
        "amount must be at least 0",
        "mode must be one of ['fast', 'slow']",
        "unknown input field 'extra'",
    ]


def test_problems_carry_level_path_and_position() -> None:
    problems = validate_definition(
        "name: x\nsteps:\n  - call: echo\n    retry: {max_attempts: -2}\n", CATALOGUE
    )
    assert problems == [
        Problem("error", "steps[0].retry.max_attempts", "-2 is out of range (at least 0)", 4, 13),
    ]
    assert validate_definition(DEFINITION, CATALOGUE) == []


def test_a_build_carries_its_warnings_with_their_positions() -> None:
    warned = "name: x\nsteps:\n  - id: stop\n    fail: no more\n  - id: never\n    call: echo\n"
    compiled = compile_workflow(warned, CompileOptions(catalogue=CATALOGUE))
    assert list(compiled.warnings) == validate_definition(warned, CATALOGUE)
    assert [(w.level, w.path, w.line) for w in compiled.warnings] == [("warning", "steps[1]", 5)]
    assert compile_workflow(DEFINITION, CompileOptions(catalogue=CATALOGUE)).warnings == ()


def test_without_a_catalogue_components_are_not_checked() -> None:
    text = DEFINITION.replace("call: echo", "call: anything_at_all")
    assert validate_definition(text) == []
    assert '"anything_at_all"' in compile_workflow(text).workflow_code


def test_one_exception_type_with_a_multi_line_message() -> None:
    with pytest.raises(WorkflowDefinitionError) as raised:
        parse_definition("name: x\nstep: []\n")
    assert str(raised.value).splitlines() == [
        "workflow definition has 2 errors:",
        "  error: line 1, column 1: steps: the workflow needs steps: a list of steps",
        "  error: line 2, column 1: step: unknown key 'step'; did you mean 'steps'?",
    ]


def test_parse_definition_accepts_yaml_json_and_graphs() -> None:
    assert parse_definition(DEFINITION).name == "order-flow"
    assert parse_definition('{"name": "j", "steps": [{"sleep": "1s"}]}').steps[0].kind == "sleep"
    graph = '{"name": "g", "nodes": [{"id": "a", "type": "delay", "data": {"duration": "2s"}}], "edges": []}'
    assert parse_definition(graph).steps[0].kind == "sleep"


def test_render_activities_module_for_builtins_and_user_components() -> None:
    code = render_activities_module(CATALOGUE)
    assert "from wfb_test_components import echo as _impl_wfb_echo" in code
    assert "def shout(text: str) -> str:" in code  # the user component's own source
    assert '@activity.defn(name="shout.v2")' in code
    assert code == render_activities_module(list(CATALOGUE.values())[::-1])  # order-independent
    namespace: dict[str, object] = {}
    exec(compile(code, "<activities>", "exec"), namespace)
    assert len(namespace["ACTIVITIES"]) == len(CATALOGUE)  # type: ignore[arg-type]


def test_user_component_must_define_its_function() -> None:
    broken = ComponentSpec(**{**USER_COMPONENT.__dict__, "source": "x = 1\n"})
    with pytest.raises(ValueError, match="must define 'shout'"):
        render_activities_module([broken])


def test_the_language_reference_example_compiles() -> None:
    import re
    from pathlib import Path

    import wfb_jupyter.compiler as compiler

    reference = (Path(compiler.__file__).parent / "LANGUAGE.md").read_text()
    example = re.search(r"```yaml\n(.*?)```", reference, re.S)
    assert example is not None
    assert validate_definition(example.group(1)) == []
    assert compile_workflow(example.group(1)).workflow_type == "order-pipeline.v1"


def test_an_internal_failure_still_surfaces_as_our_error() -> None:
    from unittest import mock

    import wfb_jupyter.compiler._compile as implementation

    with mock.patch.object(implementation, "Lowering", side_effect=RuntimeError("boom")):
        with pytest.raises(WorkflowDefinitionError, match="internal compiler error") as raised:
            compile_workflow("name: a\nsteps: [{sleep: 1s}]")
        assert isinstance(raised.value.__cause__, RuntimeError)
        assert (
            "internal compiler error"
            in validate_definition("name: a\nsteps: [{sleep: 1s}]")[0].message
        )


def test_one_model_module_and_one_template_per_step_kind() -> None:
    from pathlib import Path

    import wfb_jupyter.compiler as compiler
    from wfb_jupyter.compiler.model import STEP_KINDS

    package = Path(compiler.__file__).parent
    kinds = {kind.kind for kind in STEP_KINDS}
    assert {path.stem for path in (package / "model").glob("[!_]*.py")} - {
        "inputs",
        "workflow",
    } == kinds
    assert {
        path.name.removesuffix(".py.j2")
        for path in (package / "templates" / "steps").glob("[!_]*.j2")
    } == kinds
    assert {kind.__module__.rsplit(".", 1)[1] for kind in STEP_KINDS} == kinds


def test_every_step_kind_lives_in_one_place() -> None:
    """A kind is its model module (parsing, lowering, description), its template, and its entry in
    STEP_KINDS: nothing else has to know it."""
    from importlib.resources import files

    from wfb_jupyter.compiler.model import STEP_KINDS, Step

    templates = files("wfb_jupyter.compiler") / "templates" / "steps"
    keys: set[str] = set()
    for kind in STEP_KINDS:
        assert (templates / f"{kind.kind}.py.j2").is_file(), kind.kind
        assert kind.lower is not Step.lower, f"{kind.kind} has no lowering"
        assert kind.KIND_KEYS and not (kind.KIND_KEYS & keys), kind.kind
        keys |= kind.KIND_KEYS
