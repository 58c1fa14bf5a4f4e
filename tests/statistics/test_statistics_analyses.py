"""analyze_activity_performance and project_overview."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import Engine
from stats_seeding import T0, Seeder

from wfb_jupyter.compiler import CompiledWorkflow
from wfb_jupyter.statistics import (
    RELATIVE_ERROR,
    analyze_activity_performance,
    project_overview,
)
from wfb_jupyter.storage import (
    NotFoundError,
    heartbeat_worker,
    register_worker,
    session_scope,
    store_compiled_code,
)


def test_performance_of_one_component(engine: Engine, seeder: Seeder) -> None:
    slow = [900, 1000, 1100, 5000]
    seeder.attempts(
        [{"step_id": "slow", "duration_ms": value} for value in slow]
        + [{"step_id": "quick", "duration_ms": 10}]
        + [
            {
                "step_id": "quick",
                "status": "failed",
                "attempt": 2,
                "error_type": "TimeoutError",
                "duration_ms": 20,
            },
            {
                "step_id": "quick",
                "status": "failed",
                "error_type": "TimeoutError",
                "duration_ms": 30,
            },
            {"step_id": "quick", "status": "failed", "error_type": None, "duration_ms": 40},
            {"step_id": "other", "component": "store", "duration_ms": 99_999},
        ]
    )
    with session_scope(engine) as session:
        performance = analyze_activity_performance(session, seeder.project_id, "fetch")

    every = [*slow, 10, 20, 30, 40]
    assert (performance.attempts, performance.successes, performance.failures) == (8, 5, 3)
    assert performance.retries == 1
    assert performance.success_rate == pytest.approx(5 / 8)
    assert performance.mean_ms == pytest.approx(np.mean(every))
    assert [performance.p50_ms, performance.p95_ms, performance.p99_ms] == pytest.approx(
        np.percentile(every, [50, 95, 99]), rel=RELATIVE_ERROR
    )
    assert performance.max_ms == 5000
    assert [step.step for step in performance.slowest_steps] == ["slow", "quick"]
    assert performance.slowest_steps[0].p95_ms == pytest.approx(
        np.percentile(slow, 95), rel=RELATIVE_ERROR
    )
    assert [(error.error_type, error.count) for error in performance.common_errors] == [
        ("TimeoutError", 2),
        ("(unknown)", 1),
    ]
    frame = performance.to_frame()
    assert frame.loc[0, "attempts"] == 8 and frame.loc[0, "component"] == "fetch"
    assert list(performance.steps_frame()["step"]) == ["slow", "quick"]


def test_performance_filters_by_workflow_and_since(engine: Engine, seeder: Seeder) -> None:
    seeder.attempts([{"duration_ms": 1}], workflow="orders")
    seeder.attempts([{"duration_ms": 2, "started_at": T0 + timedelta(days=1)}], workflow="billing")
    with session_scope(engine) as session:
        project = seeder.project_id
        assert analyze_activity_performance(session, project, "fetch").attempts == 2
        assert (
            analyze_activity_performance(session, project, "fetch", workflow="billing").max_ms == 2
        )
        recent = analyze_activity_performance(
            session, project, "fetch", since=T0 + timedelta(hours=1)
        )
        assert (recent.attempts, recent.max_ms) == (1, 2)


def test_performance_of_an_unknown_component_is_empty_and_html_is_escaped(
    engine: Engine, seeder: Seeder
) -> None:
    hostile = "<script>alert(1)</script>"
    with session_scope(engine) as session:
        nothing = analyze_activity_performance(session, seeder.project_id, hostile)
    assert (nothing.attempts, nothing.success_rate, nothing.p95_ms) == (0, None, None)
    assert nothing.slowest_steps == () and nothing.common_errors == ()
    rendered = nothing._repr_html_()
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered
    seeder.attempts([{"component": hostile, "step_id": hostile, "duration_ms": 5}])
    with session_scope(engine) as session:
        found = analyze_activity_performance(session, seeder.project_id, hostile)
    assert found.attempts == 1
    assert "<script>" not in found._repr_html_()


def test_project_overview(engine: Engine, seeder: Seeder) -> None:
    seeder.run("orders", "r1")
    seeder.run("orders", "r2", status="failed", started_at=T0 + timedelta(minutes=5))
    seeder.run("billing", "r3", status="running")
    seeder.attempts([{"duration_ms": 1}, {"status": "failed", "duration_ms": 2}])
    with session_scope(engine) as session:
        build = CompiledWorkflow(
            name="orders",
            version=1,
            workflow_type="orders_v1",
            workflow_class="OrdersV1",
            module_name="wfb_generated.orders_v1",
            workflow_code="# w\n",
            activities_code="# a\n",
            worker_code="# k\n",
            requirements="",
            manifest={},
            checksum="c1",
            build_id="b1",
            definition_source="",
            compiler_version="0",
        )
        store_compiled_code(session, seeder.workflow("orders"), build, activate=True)
        alive = register_worker(session, seeder.project_id, "in-kernel", status="running")
        silent = register_worker(session, seeder.project_id, "sidecar", status="running")
        heartbeat_worker(session, silent.id, now=T0)  # long ago: not counted as active
        register_worker(session, seeder.project_id, "sidecar", status="stopped")
        assert alive.id != silent.id

    with session_scope(engine) as session:
        overview = project_overview(session, seeder.project_id)
    assert (overview.executions, overview.execution_successes, overview.execution_failures) == (
        2,
        1,
        1,
    )
    assert overview.execution_success_rate == 0.5
    assert (overview.activity_attempts, overview.activity_failures) == (2, 1)
    assert overview.active_workers == 1
    assert [(w.name, w.versions, w.active_version, w.executions) for w in overview.workflows] == [
        ("billing", 0, None, 1),
        ("orders", 1, 1, 2),
    ]
    assert overview.workflows[1].last_started_at == T0 + timedelta(minutes=5)
    assert overview.last_execution_at is not None
    assert "orders" in overview._repr_html_()


def test_project_overview_of_an_unknown_project(engine: Engine) -> None:
    with session_scope(engine) as session, pytest.raises(NotFoundError):
        project_overview(session, "nobody")
