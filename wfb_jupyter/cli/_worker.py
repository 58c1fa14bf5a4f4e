"""``wfb worker PROJECT``: serve a project's workflows from this process (a sidecar that outlives kernels)."""

from __future__ import annotations

import argparse
import asyncio


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run a project's worker in this process until interrupted",
        description=(
            "Run the worker of PROJECT: it loads the project's active versions (and those with running "
            "executions) from the database, polls the project's task queue, and records executions and "
            "activity attempts. Stops cleanly on Ctrl-C or SIGTERM."
        ),
    )
    parser.add_argument("project", help="project id, or project name of --user")
    parser.add_argument("--user", help="the user whose project name PROJECT is (default: WFB_USER)")
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: WFB_DATABASE_URL or the data directory's)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from wfb_jupyter.cli import CommandError
    from wfb_jupyter.components import NotebookPlaces, NotebookPlacesInterceptor
    from wfb_jupyter.errors import WfbError
    from wfb_jupyter.executions import reconcile_project_runs
    from wfb_jupyter.payloads import project_data_converter
    from wfb_jupyter.settings import WfbSettings
    from wfb_jupyter.storage import get_engine
    from wfb_jupyter.temporal import TemporalConnection
    from wfb_jupyter.workers import serve_project

    settings = WfbSettings().resolve()
    try:
        engine = get_engine(args.database_url or settings.database_url)
        project_id = _project_id(engine, args.project, args.user or settings.user)
        asyncio.run(
            serve_project(
                engine,
                project_id,
                connection=TemporalConnection(
                    settings.temporal, data_converter=project_data_converter(settings, engine)
                ),
                heartbeat_interval=settings.heartbeat_interval,
                stale_after=settings.stale_after,
                reconciler=reconcile_project_runs,
                interceptors=(NotebookPlacesInterceptor(lambda: NotebookPlaces.of(settings)),),
            )
        )
    except WfbError as error:
        raise CommandError(str(error)) from error
    return 0


def _project_id(engine: object, project: str, user: str) -> str:
    from wfb_jupyter.cli import CommandError
    from wfb_jupyter.storage import (
        NotFoundError,
        get_project,
        get_project_by_name,
        get_user_by_name,
        session_scope,
    )

    with session_scope(engine) as session:  # type: ignore[arg-type]
        try:
            return get_project(session, project).id
        except NotFoundError:
            pass
        owner = get_user_by_name(session, user)
        found = get_project_by_name(session, owner.id, project) if owner else None
        if found is None:
            raise CommandError(
                f"no project {project!r} (by id, or by name for user {user!r}); "
                "create it from a notebook with `%wfb project create`"
            )
        return found.id
