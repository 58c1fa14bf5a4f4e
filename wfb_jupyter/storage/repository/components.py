"""User components (notebook functions) as stored, versioned rows.

A component version is immutable. Storing the same source, imports and parameters again returns the version
that has them; any change gives the next version number.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from wfb_jupyter.storage._errors import NotFoundError
from wfb_jupyter.storage.orm import Component


def component_checksum(
    function: str,
    source: str,
    imports: Sequence[str],
    parameters: Sequence[dict[str, Any]],
    requirements: Sequence[str],
    is_async: bool,
) -> str:
    document = json.dumps(
        [function, source, list(imports), list(parameters), list(requirements), is_async],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(document.encode()).hexdigest()


def store_component(
    session: Session,
    project_id: str,
    *,
    name: str,
    function: str,
    source: str,
    imports: Sequence[str] = (),
    parameters: Sequence[dict[str, Any]] = (),
    requirements: Sequence[str] = (),
    description: str = "",
    is_async: bool = False,
) -> Component:
    """Store a component version, or return the existing version with identical content."""
    checksum = component_checksum(function, source, imports, parameters, requirements, is_async)
    fields = {
        "description": description,
        "function": function,
        "source": source,
        "imports": list(imports),
        "requirements": list(requirements),
        "parameters": [dict(parameter) for parameter in parameters],
        "is_async": is_async,
        "checksum": checksum,
    }
    attempts = 3
    for attempt in range(attempts):
        existing = session.scalars(
            select(Component).where(
                Component.project_id == project_id,
                Component.name == name,
                Component.checksum == checksum,
            )
        ).first()
        if existing is not None:
            return existing
        latest = session.scalar(
            select(func.max(Component.version)).where(
                Component.project_id == project_id, Component.name == name
            )
        )
        row = Component(project_id=project_id, name=name, version=(latest or 0) + 1, **fields)
        try:
            with session.begin_nested():
                session.add(row)
            return row
        except IntegrityError:
            # Another process stored a version of this component at the same moment: look again.
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def get_component(
    session: Session, project_id: str, name: str, version: int | None = None
) -> Component:
    """One version of a component; the latest when ``version`` is None."""
    statement = select(Component).where(Component.project_id == project_id, Component.name == name)
    if version is not None:
        statement = statement.where(Component.version == version)
    found = session.scalars(statement.order_by(Component.version.desc()).limit(1)).first()
    if found is None:
        raise NotFoundError(f"component of project {project_id!r}", (name, version))
    return found


def list_components(session: Session, project_id: str) -> list[Component]:
    """The latest version of every component of the project, by name."""
    newer = aliased(Component)
    has_newer = (
        select(newer.id)
        .where(
            newer.project_id == Component.project_id,
            newer.name == Component.name,
            newer.version > Component.version,
        )
        .exists()
    )
    statement = (
        select(Component)
        .where(Component.project_id == project_id, ~has_newer)
        .order_by(Component.name)
    )
    return list(session.scalars(statement))


def list_component_versions(session: Session, project_id: str, name: str) -> list[Component]:
    statement = (
        select(Component)
        .where(Component.project_id == project_id, Component.name == name)
        .order_by(Component.version)
    )
    return list(session.scalars(statement))
