"""Projects: one task queue and one worker each, owned by the settings' user."""

from __future__ import annotations

from sqlalchemy.orm import Session

from wfb_jupyter.errors import InputError
from wfb_jupyter.services._context import ServiceContext
from wfb_jupyter.services._errors import ProjectExistsError, UnknownProjectError
from wfb_jupyter.services._results import ProjectInfo
from wfb_jupyter.settings import valid_name
from wfb_jupyter.storage import (
    get_or_create_project,
    get_or_create_user,
    get_user_by_name,
    list_projects,
)


class Projects:
    def __init__(self, context: ServiceContext) -> None:
        self._context = context

    def current(self) -> ProjectInfo:
        """The current project (``WfbSettings.project``), created on first use."""
        return self.get(self._context.config.project)

    def get(self, name: str) -> ProjectInfo:
        """The named project of the current user, created on first use."""
        user = self._context.config.user
        _check_name("project", name)
        _check_name("user", user)
        key = (self._context.settings.database_url, user, name)
        cached = self._context.projects.get(key)
        if cached is None:

            def create(session: Session) -> ProjectInfo:
                owner = get_or_create_user(session, user)
                row = get_or_create_project(session, owner.id, name)
                return ProjectInfo(row.id, row.name, row.user_id, row.task_queue)

            cached = self._context.projects[key] = self._context.write(create)
        return cached

    def list(self) -> list[ProjectInfo]:
        def read(session: Session) -> list[ProjectInfo]:
            owner = get_user_by_name(session, self._context.config.user)
            if owner is None:
                return []
            return [
                ProjectInfo(p.id, p.name, p.user_id, p.task_queue)
                for p in list_projects(session, owner.id)
            ]

        return self._context.read(read)

    def create(self, name: str) -> ProjectInfo:
        """Create a project and make it the current one; an existing name is a mistake."""
        if any(p.name == name for p in self.list()):
            raise ProjectExistsError(name)
        info = self.get(name)
        self._context.config.project = name
        return info

    def use(self, name: str) -> ProjectInfo:
        """Make an existing project the current one."""
        _check_name("project", name)
        known = self.list()
        if not any(p.name == name for p in known):
            raise UnknownProjectError(name, [p.name for p in known])
        self._context.config.project = name
        return self.get(name)


def _check_name(kind: str, name: str) -> None:
    if not valid_name(name):
        raise InputError(
            f"{kind} name {name!r} is not valid: use letters, digits, '_', '.' and '-' "
            "(up to 63 characters, starting with a letter or digit)"
        )
