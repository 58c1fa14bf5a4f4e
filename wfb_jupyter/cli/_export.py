"""``wfb export NAME [--version V] DIR``: write a stored workflow version as a standalone project."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write a workflow version as a standalone project (runs on any Temporal server)",
        description=(
            "Write version V of workflow NAME (default: the active version) into DIR, which must be new "
            "or empty: its workflow and activities modules as stored, worker.py, run.py (serve it and "
            "start executions against any Temporal server), manifest.json, requirements.txt pinned to "
            "the installed versions, and a README saying how to run it."
        ),
    )
    parser.add_argument("name", help="the workflow's name")
    parser.add_argument("directory", help="where to write the project")
    parser.add_argument(
        "--version", type=_version, help="a version number (default: the active one)"
    )
    parser.add_argument(
        "--project", help="the workflow's project (default: WFB_PROJECT or 'default')"
    )
    parser.add_argument("--user", help="the project's owner (default: WFB_USER or the login name)")
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: WFB_DATABASE_URL or the data directory's)"
    )
    parser.add_argument(
        "--force", action="store_true", help="write into a directory that is not empty"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from wfb_jupyter._workspace import Workspace
    from wfb_jupyter.cli import CommandError
    from wfb_jupyter.errors import WfbError
    from wfb_jupyter.settings import WfbSettings

    settings = WfbSettings()
    for name in ("database_url", "project", "user"):
        if getattr(args, name):
            setattr(settings, name, getattr(args, name))
    ws = Workspace(settings)
    try:
        # Looking a workflow up creates its project when missing: an unknown project is a mistake here.
        known = [project.name for project in ws.projects.list()]
        if settings.project not in known:
            raise CommandError(
                f"no project {settings.project!r} of user {settings.user!r} in "
                f"{ws.database_url} (projects: {', '.join(known) or 'none'}); "
                "choose one with --project and --user"
            )
        result = ws.versions.export(
            args.name, args.directory, version=args.version, force=args.force
        )
    except WfbError as error:
        raise CommandError(str(error)) from error
    print(result)
    return 0


def _version(text: str) -> int:
    cleaned = text.lower().removeprefix("v")
    if not cleaned.isdigit() or int(cleaned) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a version number (1, 2, ... or v1, v2)")
    return int(cleaned)
