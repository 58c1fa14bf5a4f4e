"""``wfb db``: inspect, migrate and prune the wfb-jupyter database."""

from __future__ import annotations

import argparse
import functools
import re
from datetime import timedelta
from typing import Any

PRUNE_BATCH = 5_000
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(w|weeks?|d|days?|h|hours?)\s*$", re.IGNORECASE)
_UNIT = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1)}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "db",
        help="manage the wfb-jupyter database (schema migrations, pruning old attempts)",
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
    prune = actions.add_parser(
        "prune",
        help="remove old activity attempt rows; the rollups keep their statistics",
        description=(
            "Remove the raw activity attempt rows that started more than AGE ago (whole hours). "
            "Summaries, percentiles and the dashboard read the hourly rollups, which are kept, so they "
            "still count them; what goes is the drill-down into those attempts (timelines, errors). "
            "Executions are kept. Workers may keep running: rows go in small batches. Values stored "
            "outside the Temporal history (large step results) go too once every execution that used "
            "them has been closed for AGE (as `wfb payloads prune`)."
        ),
    )
    prune.add_argument(
        "--older-than",
        required=True,
        metavar="AGE",
        help="how old attempts must be to go: a number of weeks, days or hours, e.g. 12w, 90d, 36h",
    )
    prune.add_argument(
        "--dry-run", action="store_true", help="say what would be removed, and remove nothing"
    )
    prune.add_argument("--url", help="SQLAlchemy database URL (default as for upgrade)")
    prune.set_defaults(handler=run_prune)


def parse_age(text: str) -> timedelta:
    """``90d``, ``36h``, ``12w`` (or ``90 days``...) as a duration; a ``CommandError`` otherwise."""
    from wfb_jupyter.cli import CommandError

    match = _AGE.match(text)
    age = _UNIT[match.group(2)[0].lower()] * float(match.group(1)) if match else None
    if age is None or age < timedelta(hours=1):
        raise CommandError(
            f"--older-than takes an age of at least one hour, in weeks, days or hours, such as 90d, 36h "
            f"or 12w; not {text!r}. Nothing was removed."
        )
    return age


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


def run_prune(args: argparse.Namespace) -> int:
    from wfb_jupyter.cli import CommandError
    from wfb_jupyter.errors import WfbError
    from wfb_jupyter.settings import WfbSettings
    from wfb_jupyter.storage import create_storage_engine, describe

    age = parse_age(args.older_than)
    url = args.url or WfbSettings().resolve().database_url
    try:
        engine = create_storage_engine(url)  # never migrates by itself, unlike get_engine
        try:
            _prune(engine, age, dry_run=args.dry_run, where=describe(url))
            _prune_payloads(engine, age, dry_run=args.dry_run)
        finally:
            engine.dispose()
    except WfbError as error:  # the database, or a payload folder
        raise CommandError(str(error)) from error
    return 0


def _prune_payloads(engine: Any, age: timedelta, *, dry_run: bool) -> None:
    """The stored values of executions closed for ``age``: the references in their histories go with them."""
    from wfb_jupyter.conversion import format_size
    from wfb_jupyter.payloads import prune_payloads

    result = prune_payloads(engine, age, dry_run=dry_run)
    if result.payloads:
        verb = "Would remove" if dry_run else "Removed"
        print(
            f"{verb} {result.payloads:,} stored value(s) ({format_size(result.bytes)}) that only "
            "executions closed before then used."
        )


def _prune(engine: Any, age: timedelta, *, dry_run: bool, where: str) -> None:
    from wfb_jupyter.cli import CommandError
    from wfb_jupyter.storage import (
        current_revision,
        delete_attempts_before,
        head_revision,
        plan_prune,
        read_scope,
        run_write,
        utc_now,
        whole_hour,
    )

    if current_revision(engine) != head_revision():
        raise CommandError(
            f"{where} is not at this version's schema (it has no rollups to keep the statistics of "
            "what would be removed): run `wfb db upgrade` first. Nothing was removed."
        )
    cutoff = whole_hour(utc_now() - age)
    with read_scope(engine) as session:
        plans = plan_prune(session, cutoff)
    when = f"{cutoff:%Y-%m-%d %H:%M} UTC"
    total = sum(plan.attempts for plan in plans)
    if not plans:
        print(f"{where}: no activity attempts started before {when}; nothing to remove.")
        return
    verb = "would remove" if dry_run else "removing"
    print(f"{where}: {verb} {total:,} activity attempt rows started before {when}:")
    for plan in plans:
        span = f" ({plan.oldest:%Y-%m-%d} to {plan.newest:%Y-%m-%d})" if plan.attempts else ""
        print(f"  project {plan.project_name} ({plan.project_id}): {plan.attempts:,} rows{span}")
        if plan.uncovered_from is not None:
            print(
                f"    keeps {plan.kept_uncovered:,} rows from {plan.uncovered_from:%Y-%m-%d %H:%M} UTC "
                "on: the rollups do not count all of them (written by an older wfb-jupyter?)"
            )
    if dry_run:
        print("Dry run: nothing was removed. The rollups would keep their counts and percentiles.")
        return
    removed = 0
    for plan in plans:
        batch = functools.partial(
            delete_attempts_before,
            project_id=plan.project_id,
            before=plan.before,
            limit=PRUNE_BATCH,
        )
        while True:  # one short transaction per batch: recording workers wait little
            deleted = run_write(engine, batch)
            removed += deleted
            if deleted < PRUNE_BATCH:
                break
    print(
        f"Removed {removed:,} attempt rows. The rollups keep their counts, durations and percentiles: "
        "summaries and the dashboard still include them."
    )
    if engine.dialect.name == "sqlite":
        print("SQLite reuses the freed space; VACUUM returns it to the disk.")
