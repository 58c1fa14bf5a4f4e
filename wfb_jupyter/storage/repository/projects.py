"""Users and projects.

A user's id is the slug of the name (``Alice Smith`` -> ``alice-smith``), made unique with a numeric suffix when
two names slugify alike. A project's id is the slug of its name and a random suffix (``etl-jobs-3fa91c0e``),
and its task queue ``f"{user_id}-{project_id}"``, computed once at creation and stored. The suffix makes the
task queue unique beyond this database: every database whose projects run on the same Temporal namespace (a
tutorial's, a colleague's, the default one) shares that namespace's task queues, and two projects polling one
queue would take each other's work.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from wfb_jupyter.storage._errors import ConflictError, NotFoundError
from wfb_jupyter.storage.orm import Project, User

_MAX_SLUG = 48


def slugify(name: str) -> str:
    """A lowercase ASCII identifier of letters, digits and single dashes; never empty."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:_MAX_SLUG].strip("-")
    return slug or "x"


def _free_id(session: Session, model: type[User] | type[Project], base: str) -> str:
    candidate, suffix = base, 1
    while session.get(model, candidate) is not None:
        suffix += 1
        candidate = f"{base}-{suffix}"
    return candidate


def create_user(session: Session, name: str) -> User:
    if get_user_by_name(session, name) is not None:
        raise ConflictError(f"a user named {name!r} already exists")
    user = User(id=_free_id(session, User, slugify(name)), name=name)
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("user", user_id)
    return user


def get_user_by_name(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).one_or_none()


def get_or_create_user(session: Session, name: str) -> User:
    return get_user_by_name(session, name) or create_user(session, name)


def create_project(session: Session, user_id: str, name: str, description: str = "") -> Project:
    """A new project of ``user_id`` with its task queue; project names are unique per user."""
    user = get_user(session, user_id)
    if get_project_by_name(session, user_id, name) is not None:
        raise ConflictError(f"user {user_id!r} already has a project named {name!r}")
    while True:
        project_id = f"{slugify(name)}-{secrets.token_hex(4)}"
        taken = (
            session.get(Project, project_id) is not None
            or session.scalars(
                select(Project.id).where(Project.task_queue == f"{user_id}-{project_id}")
            ).first()
        )
        if not taken:
            break
    project = Project(
        id=project_id,
        user_id=user_id,
        name=name,
        description=description,
        task_queue=f"{user_id}-{project_id}",
        execution_count=0,
        execution_success_count=0,
        execution_failure_count=0,
        activity_attempt_count=0,
        activity_failure_count=0,
    )
    project.user = user
    session.add(project)
    session.flush()
    return project


def get_project(session: Session, project_id: str) -> Project:
    """The project with its user loaded (``project.user``, ``project.task_queue``)."""
    project = session.get(Project, project_id, options=[joinedload(Project.user)])
    if project is None:
        raise NotFoundError("project", project_id)
    return project


def get_project_by_name(session: Session, user_id: str, name: str) -> Project | None:
    statement = (
        select(Project)
        .options(joinedload(Project.user))
        .where(Project.user_id == user_id, Project.name == name)
    )
    return session.scalars(statement).one_or_none()


def get_or_create_project(session: Session, user_id: str, name: str) -> Project:
    return get_project_by_name(session, user_id, name) or create_project(session, user_id, name)


def list_projects(session: Session, user_id: str | None = None) -> list[Project]:
    statement = (
        select(Project).options(joinedload(Project.user)).order_by(Project.user_id, Project.name)
    )
    if user_id is not None:
        statement = statement.where(Project.user_id == user_id)
    return list(session.scalars(statement))
