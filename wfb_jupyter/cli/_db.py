"""``wfb db``: inspect and migrate the wfb-jupyter database."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "db",
        help="manage the wfb-jupyter database (schema migrations)",
        description=(
            "The database is $WFB_DATABASE_URL (any SQLAlchemy URL, e.g. postgresql+psycopg://...) when "
            "set, else the SQLite file $XDG_DATA_HOME/wfb-jupyter/wfb.db "
            "(~/.local/share/wfb-jupyter/wfb.db when XDG_DATA_HOME is unset). Migrations also run "
            "automatically the first time a process opens the database."
        ),
    )
    actions = parser.add_subparsers(dest="db_command", metavar="ACTION")
    actions.required = True
    upgrade = actions.add_parser(
        "upgrade", help="migrate the database to this version's schema (safe to run again)"
    )
    upgrade.add_argument(
        "--url",
        help="SQLAlchemy database URL (default: $WFB_DATABASE_URL, else the per-user SQLite file)",
    )
    upgrade.set_defaults(handler=run_upgrade)
    status = actions.add_parser("status", help="show where the database is and its schema revision")
    status.add_argument("--url", help="SQLAlchemy database URL (default as for upgrade)")
    status.set_defaults(handler=run_status)


def run_upgrade(args: argparse.Namespace) -> int:
    from wfb_jupyter.cli import CommandError
    from wfb_jupyter.settings import WfbSettings
    from wfb_jupyter.storage import (
        StorageError,
        create_storage_engine,
        current_revision,
        describe,
        upgrade_database,
    )

    url = args.url or WfbSettings().resolve().database_url
    try:
        engine = create_storage_engine(url)
        try:
            before = current_revision(engine)
            reached = upgrade_database(engine)
        finally:
            engine.dispose()
    except StorageError as error:
        raise CommandError(str(error)) from error
    where = describe(url)
    if before == reached:
        print(f"{where}: already at the newest schema revision {reached}")
    else:
        print(f"{where}: upgraded from {before or 'an empty database'} to revision {reached}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    from wfb_jupyter.cli import CommandError
    from wfb_jupyter.settings import WfbSettings
    from wfb_jupyter.storage import (
        StorageError,
        create_storage_engine,
        current_revision,
        describe,
        head_revision,
        is_known_revision,
    )

    url = args.url or WfbSettings().resolve().database_url
    try:
        engine = create_storage_engine(url)
        try:
            current = current_revision(engine)
        finally:
            engine.dispose()
    except StorageError as error:
        raise CommandError(str(error)) from error
    head = head_revision()
    if current == head:
        state = "up to date"
    elif current is not None and not is_known_revision(current):
        state = "written by a newer wfb-jupyter (upgrade wfb-jupyter to use it)"
    else:
        state = f"needs `wfb db upgrade` to reach {head}"
    print(f"{describe(url)}: schema revision {current or 'none (empty database)'}, {state}")
    return 0
