from __future__ import annotations

import asyncio
import inspect
import types
import uuid

import pytest
from sqlalchemy import Engine

from wfb_jupyter.compiler import (
    CompileOptions,
    ComponentSpec,
    WorkflowDefinitionError,
    compile_workflow,
    render_activities_module,
)
from wfb_jupyter.components import (
    BUILTIN_SPECS,
    builtin_catalogue,
    builtins,
    load_catalogue,
    register_component,
)
from wfb_jupyter.storage import (
    Project,
    create_project,
    get_compiled_code,
    get_or_create_workflow,
    next_version,
    session_scope,
    store_compiled_code,
)

CLEAN_V1 = """
from wfb_jupyter.components import component
import statistics

@component(description="average of the positive values")
def positive_mean(values: list, minimum: float = 0.0) -> float:
    return statistics.mean(v for v in values if v > minimum)
"""


class TestBuiltinCatalogue:
    def test_every_builtin_spec_matches_its_implementation(self) -> None:
        catalogue = builtin_catalogue()
        assert set(catalogue) >= {"http_request", "sql_query", "python_transform", "log", "echo"}
        for spec in BUILTIN_SPECS:
            implementation = getattr(builtins, spec.function)
            signature = inspect.signature(implementation)
            assert [p.name for p in spec.parameters] == list(signature.parameters), spec.name
            required = [n for n, p in signature.parameters.items() if p.default is p.empty]
            assert [p.name for p in spec.parameters if p.required] == required, spec.name
            for parameter in spec.parameters:
                if not parameter.required:
                    assert parameter.default == signature.parameters[parameter.name].default
            assert spec.is_async == inspect.iscoroutinefunction(implementation), spec.name
            assert (spec.kind, spec.activity_type) == ("builtin", f"wfb.{spec.name}")


class TestRegisterComponent:
    def test_versions_follow_the_source(self, notebook, engine: Engine, project: Project) -> None:  # type: ignore[no-untyped-def]
        first = notebook.run(CLEAN_V1)["positive_mean"]
        with session_scope(engine) as session:
            assert register_component(session, project.id, first).version == 1
            assert register_component(session, project.id, first).version == 1
        changed = notebook.run(CLEAN_V1.replace("v > minimum", "v >= minimum"))["positive_mean"]
        with session_scope(engine) as session:
            spec = register_component(session, project.id, changed)
        assert (spec.version, spec.activity_type) == (2, "positive_mean.v2")
        assert spec.imports == ("import statistics",)
        assert spec.parameters[1].default == 0.0 and not spec.parameters[1].required


class TestLoadCatalogue:
    def test_builtins_and_the_latest_user_components_of_the_project(
        self,
        notebook,
        engine: Engine,
        project: Project,  # type: ignore[no-untyped-def]
    ) -> None:
        with session_scope(engine) as session:
            register_component(session, project.id, notebook.run(CLEAN_V1)["positive_mean"])
            changed = notebook.run(CLEAN_V1.replace("> minimum", ">= minimum"))["positive_mean"]
            register_component(session, project.id, changed)
            other = create_project(session, project.user_id, "other")
        with session_scope(engine) as session:
            catalogue = load_catalogue(session, project.id)
            other_catalogue = load_catalogue(session, other.id)
        assert set(catalogue) == set(builtin_catalogue()) | {"positive_mean"}
        assert catalogue["positive_mean"].version == 2
        assert ">= minimum" in catalogue["positive_mean"].source
        assert set(other_catalogue) == set(builtin_catalogue())


def _load_module(code: str) -> types.ModuleType:
    module = types.ModuleType(f"wfb_test_activities_{uuid.uuid4().hex}")
    exec(compile(code, module.__name__, "exec"), module.__dict__)
    return module


class TestCatalogueWithTheCompiler:
    def test_stored_component_runs_in_a_fresh_activities_module(
        self,
        notebook,
        engine: Engine,
        project: Project,  # type: ignore[no-untyped-def]
    ) -> None:
        with session_scope(engine) as session:
            register_component(session, project.id, notebook.run(CLEAN_V1)["positive_mean"])
        with session_scope(engine) as session:
            catalogue = load_catalogue(session, project.id)
        specs: list[ComponentSpec] = [
            catalogue["positive_mean"],
            catalogue["echo"],
            catalogue["pick"],
        ]
        module = _load_module(render_activities_module(specs))
        activities = {
            getattr(fn, "__temporal_activity_definition").name: fn  # noqa: B009 - name-mangling
            for fn in module.ACTIVITIES
        }
        assert set(activities) == {"positive_mean.v1", "wfb.echo", "wfb.pick"}
        mean = asyncio.run(activities["positive_mean.v1"]({"values": [-1, 2, 4], "minimum": 0}))
        assert mean == 3
        assert asyncio.run(activities["wfb.pick"]({"data": {"a": [5]}, "path": "a[0]"})) == 5

    def test_compiled_workflow_is_validated_stored_and_read_back(
        self,
        notebook,
        engine: Engine,
        project: Project,  # type: ignore[no-untyped-def]
    ) -> None:
        definition = {
            "name": "averages",
            "input": {"values": "array"},
            "steps": [
                {"id": "mean", "call": "positive_mean", "with": {"values": "${input.values}"}},
                {"id": "say", "call": "log", "with": {"message": "done"}},
            ],
            "output": "${steps.mean.result}",
        }
        with session_scope(engine) as session:
            register_component(session, project.id, notebook.run(CLEAN_V1)["positive_mean"])
            workflow = get_or_create_workflow(session, project.id, "averages")
            options = CompileOptions(
                version=next_version(session, workflow.id),
                catalogue=load_catalogue(session, project.id),
                project=project.id,
                task_queue=project.task_queue,
            )
            stored = store_compiled_code(
                session, workflow.id, compile_workflow(definition, options)
            )
        with session_scope(engine) as session:
            loaded = get_compiled_code(session, workflow.id)
        assert (loaded.version, loaded.id) == (1, stored.id)
        assert "positive_mean.v1" in loaded.activities_code and "wfb.log" in loaded.activities_code

        wrong = {**definition, "steps": [{"id": "x", "call": "log", "with": {"mesage": "typo"}}]}
        with session_scope(engine) as session, pytest.raises(WorkflowDefinitionError):
            compile_workflow(wrong, CompileOptions(catalogue=load_catalogue(session, project.id)))
