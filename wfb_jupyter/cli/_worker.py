"""``wfb worker PROJECT``: serve a project's workflows from this process (a sidecar that outlives kernels, or a
service on any host: several may serve one project at once).

As a service: SIGTERM (or Ctrl-C) drains it (no more polling; running activities finish, up to
``--drain-timeout``; their records are written; the row says ``stopped``), a second signal stops it at once;
``--health`` serves ``/healthz`` and ``/readyz``; ``--check`` is the same question as an exit status;
``--log-format json`` writes one JSON object per log line; ``--metrics`` exports the Temporal SDK's metrics
(and wfb-jupyter's) for Prometheus.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run a project's worker in this process until interrupted",
        description=(
            "Run a worker of PROJECT: it loads the project's active versions (and those with running "
            "executions) from the database, polls the project's task queue, and records executions and "
            "activity attempts. Any number may run at once, on any hosts; each loads newly activated "
            "versions within --refresh-interval. SIGTERM or Ctrl-C drains it: it stops polling and lets "
            "running activities finish (up to --drain-timeout); a second signal stops it at once."
        ),
    )
    parser.add_argument("project", help="project id, or project name of --user")
    parser.add_argument("--user", help="the user whose project name PROJECT is (default: WFB_USER)")
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: WFB_DATABASE_URL or the data directory's)"
    )
    parser.add_argument(
        "--drain-timeout",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="on SIGTERM, how long running activities may take to finish (default 30)",
    )
    parser.add_argument(
        "--refresh-interval",
        type=_seconds,
        default=2.0,
        metavar="SECONDS",
        help="how often to look for newly activated versions (default 2)",
    )
    parser.add_argument(
        "--health",
        metavar="[HOST:]PORT",
        help="serve GET /healthz (alive) and /readyz (polling) on this address (host default 127.0.0.1)",
    )
    parser.add_argument(
        "--metrics",
        metavar="[HOST:]PORT",
        help="export the Temporal SDK's metrics for Prometheus at http://HOST:PORT/metrics",
    )
    parser.add_argument("--log-format", choices=("text", "json"), default="text")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO (default), WARNING, ERROR")
    parser.add_argument(
        "--check",
        action="store_true",
        help="start nothing: exit 0 when a worker of PROJECT on this host serves it, 1 otherwise",
    )
    parser.set_defaults(handler=run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 86_400:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


def _address(option: str, text: str | None) -> tuple[str, int] | None:
    from wfb_jupyter.cli import CommandError
    from wfb_jupyter.workers import parse_address

    if text is None:
        return None
    try:
        return parse_address(text)
    except ValueError as error:
        raise CommandError(f"{option}: {error}") from None


def run(args: argparse.Namespace) -> int:
    from wfb_jupyter.cli import CommandError
    from wfb_jupyter.errors import WfbError
    from wfb_jupyter.settings import WfbSettings
    from wfb_jupyter.storage import get_engine

    settings = WfbSettings().resolve()
    health = _address("--health", args.health)
    metrics = _address("--metrics", args.metrics)
    try:
        engine = get_engine(args.database_url or settings.database_url)
        project_id = _project_id(engine, args.project, args.user or settings.user)
        if args.check:
            return _check(engine, project_id, settings.stale_after)
        from wfb_jupyter.workers import configure_worker_logging

        configure_worker_logging(args.log_format, args.log_level)
        if metrics is not None:
            from wfb_jupyter.temporal import enable_prometheus_metrics

            enable_prometheus_metrics(f"{metrics[0]}:{metrics[1]}")
        _serve(engine, project_id, settings, args, health)
    except WfbError as error:
        raise CommandError(str(error)) from error
    return 0


def _serve(
    engine: Any, project_id: str, settings: Any, args: argparse.Namespace, health: Any
) -> None:
    from wfb_jupyter.components import NotebookPlaces, NotebookPlacesInterceptor
    from wfb_jupyter.executions import reconcile_project_runs
    from wfb_jupyter.payloads import project_data_converter
    from wfb_jupyter.temporal import TemporalConnection
    from wfb_jupyter.workers import serve_project

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
            drain_timeout=args.drain_timeout,
            refresh_interval=args.refresh_interval,
            health=health,
        )
    )


def _check(engine: Any, project_id: str, stale_after: float) -> int:
    """The health check as an exit status: 0 when a worker of the project on this host is serving."""
    import socket

    from wfb_jupyter.storage import read_scope, worker_statuses

    here = socket.gethostname()
    with read_scope(engine) as session:
        mine = [
            status
            for status in worker_statuses(session, project_id, stale_after=stale_after)
            if status.host == here
        ]
    for status in mine:
        print(status.describe())
    if any(status.status == "running" for status in mine):
        return 0
    if not mine:
        print(f"no worker of project {project_id!r} runs on {here}")
    return 1


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
