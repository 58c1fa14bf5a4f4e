"""``wfb payloads``: the values stored outside Temporal histories (claim checks), and their retention."""

from __future__ import annotations

import argparse
import re
from datetime import timedelta

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dhm]?)\s*$")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "payloads",
        help="list or prune the large values stored outside Temporal histories",
        description=(
            "Values passed between steps that are larger than the threshold (WFB_PAYLOAD_THRESHOLD) are "
            "stored in the project's database, or the folder WFB_PAYLOAD_STORE names, and the history keeps "
            "a reference. `prune` removes those that no execution can ask for any more."
        ),
    )
    actions = parser.add_subparsers(dest="payloads_command", metavar="ACTION")
    actions.required = True
    prune = actions.add_parser(
        "prune",
        help="remove stored values whose executions all closed before --older-than",
        description=(
            "Remove the stored values not used for --older-than whose executions have all been closed "
            "at least that long (or are no longer recorded). A value of a running execution is never "
            "removed. Run it from cron, or after `temporal` history retention removed old runs."
        ),
    )
    prune.add_argument(
        "--older-than",
        default="30d",
        type=_age,
        help="age like 30d, 12h or 90m (default 30d); 0 removes every value of closed executions",
    )
    prune.add_argument("--dry-run", action="store_true", help="say what would go, remove nothing")
    prune.add_argument("--database-url", help="SQLAlchemy URL (default: WFB_DATABASE_URL)")
    prune.set_defaults(handler=run_prune)
    listing = actions.add_parser("list", help="how many values are stored, and their size")
    listing.add_argument("--database-url", help="SQLAlchemy URL (default: WFB_DATABASE_URL)")
    listing.set_defaults(handler=run_list)


def run_prune(args: argparse.Namespace) -> int:
    from wfb_jupyter.cli import CommandError
    from wfb_jupyter.conversion import format_size
    from wfb_jupyter.errors import WfbError
    from wfb_jupyter.payloads import prune_payloads
    from wfb_jupyter.settings import WfbSettings
    from wfb_jupyter.storage import get_engine

    url = args.database_url or WfbSettings().resolve().database_url
    try:
        result = prune_payloads(get_engine(url), args.older_than, dry_run=args.dry_run)
    except WfbError as error:
        raise CommandError(str(error)) from error
    verb = "Would remove" if result.dry_run else "Removed"
    print(f"{verb} {result.payloads} stored value(s), {format_size(result.bytes)}.")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from wfb_jupyter.cli import CommandError
    from wfb_jupyter.conversion import format_size
    from wfb_jupyter.errors import WfbError
    from wfb_jupyter.settings import WfbSettings
    from wfb_jupyter.storage import get_engine, list_payloads, read_scope

    url = args.database_url or WfbSettings().resolve().database_url
    try:
        with read_scope(get_engine(url)) as session:
            entries = list_payloads(session)
    except WfbError as error:
        raise CommandError(str(error)) from error
    for entry in entries:
        where = "database" if entry.location == "database" else f"folder {entry.location}"
        print(
            f"{entry.key[:16]}  {format_size(entry.size):>10}  {entry.kind}  ({where}, last used "
            f"{entry.last_used_at:%Y-%m-%d %H:%M})"
        )
    total = sum(entry.size for entry in entries)
    print(f"{len(entries)} stored value(s), {format_size(total)}.")
    return 0


def _age(text: str) -> timedelta:
    match = _AGE.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not an age like 30d, 12h or 90m")
    number, unit = float(match.group(1)), match.group(2) or "d"
    return timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[unit]: number})
