"""``PreparedWrite``: batched writes on the driver's cursor behave as SQLAlchemy's own execution would."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from wfb_jupyter.storage import ConflictError, ExecutionRecord, Project, session_scope
from wfb_jupyter.storage._prepared import PreparedWrite, one_round_trip

_executions = ExecutionRecord.__table__
_projects = Project.__table__
_COLUMNS = (
    "workflow_id",
    "version",
    "temporal_workflow_id",
    "temporal_run_id",
    "status",
    "input",
    "started_at",
)
_INSERT = PreparedWrite(insert(_executions), _COLUMNS)


def _row(workflow_id: int, run: str, started_at: datetime, **extra: object) -> dict[str, object]:
    row = {
        "workflow_id": workflow_id,
        "version": 1,
        "temporal_workflow_id": f"wf-{run}",
        "temporal_run_id": run,
        "status": "running",
        "input": {"n": 1, "text": "a 'quoted' %s value"},
        "started_at": started_at,
    }
    row.update(extra)
    return row


@pytest.fixture
def workflow_id(engine: Engine, project: Project) -> int:
    from wfb_jupyter.storage import get_or_create_workflow

    with session_scope(engine) as session:
        return get_or_create_workflow(session, project.id, "orders").id


def test_rows_read_back_as_sqlalchemy_wrote_them(engine: Engine, workflow_id: int) -> None:
    started = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=2)))
    with session_scope(engine) as session:
        _INSERT.execute(session.connection(), [_row(workflow_id, "a", started)])
        session.execute(insert(_executions), [_row(workflow_id, "b", started)])
    with session_scope(engine) as session:
        rows = session.scalars(select(ExecutionRecord).order_by(ExecutionRecord.id)).all()
        ours, theirs = [(r.input, r.started_at, r.status) for r in rows]
    assert ours == theirs
    assert ours[1] == started  # the same instant, read back in UTC
    assert ours[1].tzinfo is not None


def test_rows_as_values_in_column_order_write_the_same(engine: Engine, workflow_id: int) -> None:
    """``execute_values``: values in ``columns`` order, through the same processors (JSON, timestamps)."""
    started = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc)
    by_mapping, by_values = _row(workflow_id, "a", started), _row(workflow_id, "b", started)
    with session_scope(engine) as session:
        _INSERT.execute(session.connection(), [by_mapping])
        _INSERT.execute_values(session.connection(), [[by_values[c] for c in _COLUMNS]])
    with session_scope(engine) as session:
        rows = session.scalars(select(ExecutionRecord).order_by(ExecutionRecord.id)).all()
        ours, theirs = [(r.input, r.started_at, r.status) for r in rows]
    assert [r.temporal_run_id for r in rows] == ["a", "b"]
    assert ours == theirs


def test_literals_and_repeated_parameters_of_the_statement(
    engine: Engine, project: Project
) -> None:
    add = PreparedWrite(
        update(_projects)
        .where(_projects.c.id == bindparam("project"), _projects.c.name != "never")
        .values(
            execution_count=_projects.c.execution_count + bindparam("runs"),
            execution_failure_count=_projects.c.execution_failure_count + bindparam("runs") - 1,
        )
    )
    with session_scope(engine) as session:
        add.execute(session.connection(), [{"project": project.id, "runs": 3}] * 2)
    with session_scope(engine) as session:
        stored = session.get(Project, project.id)
        assert (stored.execution_count, stored.execution_failure_count) == (6, 4)


def test_a_missing_parameter_is_named(engine: Engine, workflow_id: int) -> None:
    row = _row(workflow_id, "a", datetime.now(timezone.utc))
    del row["temporal_run_id"]
    with session_scope(engine) as session, pytest.raises(KeyError, match="temporal_run_id"):
        _INSERT.execute(session.connection(), [row])


def test_a_driver_error_is_sqlalchemys_and_the_transaction_rolls_back(
    engine: Engine, workflow_id: int
) -> None:
    now = datetime.now(timezone.utc)
    with pytest.raises(IntegrityError, match="temporal"), engine.begin() as connection:
        _INSERT.execute(connection, [_row(workflow_id, "a", now)])
        _INSERT.execute(connection, [_row(workflow_id, "a", now)])  # the same run twice
    # Through a session, the error reaches the caller as storage's own, naming the conflict.
    with pytest.raises(ConflictError, match="temporal"), session_scope(engine) as session:
        _INSERT.execute(session.connection(), [_row(workflow_id, "b", now)] * 2)
    with session_scope(engine) as session:
        assert session.scalars(select(ExecutionRecord)).all() == []


def test_pipelined_writes_fail_as_sqlalchemys_and_roll_back(
    engine: Engine, workflow_id: int
) -> None:
    """In one round trip (a psycopg pipeline on PostgreSQL) a failing write surfaces by the end of the
    block at the latest, as the same SQLAlchemy error, and none of the block's writes stays."""
    now = datetime.now(timezone.utc)
    with (
        pytest.raises(IntegrityError, match="temporal"),
        engine.begin() as connection,
        one_round_trip(connection),
    ):
        _INSERT.execute(connection, [_row(workflow_id, "a", now)])
        _INSERT.execute(connection, [_row(workflow_id, "a", now)])  # the same run twice
        _INSERT.execute(connection, [_row(workflow_id, "b", now)])
    with engine.begin() as connection, one_round_trip(connection):
        _INSERT.execute(connection, [_row(workflow_id, "c", now)])
        _INSERT.execute(connection, [_row(workflow_id, "d", now)])
    with session_scope(engine) as session:
        stored = session.scalars(select(ExecutionRecord.temporal_run_id)).all()
        assert sorted(stored) == ["c", "d"]
