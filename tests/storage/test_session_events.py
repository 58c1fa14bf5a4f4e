"""The storage layer's session events run for its own sessions only, never for the user's."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session

from wfb_jupyter.storage import activation_generation, storage_sessions


def test_a_users_own_session_does_not_run_the_packages_hooks(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'mine.db'}")
    seen: list[str] = []
    before = activation_generation()
    with Session(engine) as session:
        session.info["wfb.changes_activation"] = True  # what our own activation marks
        session.execute(text("SELECT 1"))
        session.commit()
    assert activation_generation() == before
    assert session.info["wfb.changes_activation"] is True  # nobody of ours popped it

    listener = lambda _session: seen.append("ours")  # noqa: E731
    event.listen(storage_sessions, "after_commit", listener)
    try:
        with storage_sessions(bind=engine) as ours:
            ours.info["wfb.changes_activation"] = True
            ours.execute(text("SELECT 1"))
            ours.commit()
        with Session(engine) as theirs:
            theirs.execute(text("SELECT 1"))
            theirs.commit()
    finally:
        event.remove(storage_sessions, "after_commit", listener)
    assert seen == ["ours"]
    assert activation_generation() > before
    engine.dispose()
