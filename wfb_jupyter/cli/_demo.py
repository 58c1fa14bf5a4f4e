"""``wfb demo``: the getting-started notebook, headless. Define a workflow, compile and store it, start the
project's worker, run it, print the result and write its charts to an HTML file; on the local Temporal server
(started on first use, kept running for the next time) unless TEMPORAL_ADDRESS pins one. It says which, and
links each run to the Temporal Web UI."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wfb_jupyter._workspace import Workspace

DEMO_PROJECT = "demo"
DEMO_WORKFLOW = "order-report"
DEMO_DEFINITION = """\
description: Total an order, find its largest line, and log a summary.
input:
  customer: {type: string, default: ACME}
  lines:
    type: array
    default:
      - {sku: A-1, qty: 2, price: 9.5}
      - {sku: B-7, qty: 1, price: 120}
      - {sku: C-3, qty: 5, price: 3.2}
steps:
  - id: total
    call: python_transform
    with: {expression: "round(sum(l['qty'] * l['price'] for l in data), 2)", data: "${input.lines}"}
  - id: largest
    call: python_transform
    with: {expression: "max(data, key=lambda l: l['qty'] * l['price'])['sku']", data: "${input.lines}"}
  - id: announce
    call: log
    with: {message: "order for ${input.customer} totals ${steps.total.result}"}
output: {customer: "${input.customer}", total: "${steps.total.result}", largest: "${steps.largest.result}"}
"""
# A few more orders, so the charts have a distribution to show.
MORE_ORDERS = [
    [{"sku": "D-2", "qty": 3, "price": 14.0}],
    [{"sku": "E-5", "qty": 10, "price": 1.25}, {"sku": "F-1", "qty": 1, "price": 60.0}],
    [{"sku": "G-9", "qty": 4, "price": 7.75}, {"sku": "A-1", "qty": 1, "price": 9.5}],
    [{"sku": "H-4", "qty": 2, "price": 42.0}],
]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="define, build and run a workflow, print its result and write its charts (on the local "
        "Temporal server unless TEMPORAL_ADDRESS is set)",
    )
    parser.add_argument("--name", default="ACME", help="the customer of the demo order")
    parser.add_argument(
        "--database",
        help="SQLAlchemy URL to store into (default: WFB_DATABASE_URL or the per-user file)",
    )
    parser.add_argument(
        "--temp-database",
        action="store_true",
        help="store into a new database in a temporary directory",
    )
    parser.add_argument("--charts", type=Path, help="where to write the charts (an .html file)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from wfb_jupyter.cli import CommandError
    from wfb_jupyter.errors import WfbError

    try:
        _demo(args)
    except WfbError as error:
        raise CommandError(str(error)) from error
    return 0


def _demo(args: argparse.Namespace) -> None:
    from wfb_jupyter._workspace import Workspace
    from wfb_jupyter.settings import WfbSettings
    from wfb_jupyter.storage import describe

    database = args.database
    if args.temp_database:
        database = f"sqlite:///{Path(tempfile.mkdtemp(prefix='wfb-demo-')) / 'wfb.db'}"
    workspace = Workspace(WfbSettings(database_url=database, project=DEMO_PROJECT))
    print(workspace.server().describe(), flush=True)
    print(f"Database: {describe(workspace.database_url)}", flush=True)
    try:
        built = workspace.build(DEMO_WORKFLOW, DEMO_DEFINITION)
        print(built.summary(), flush=True)
        first = workspace.run(DEMO_WORKFLOW, {"customer": args.name})
        result = first.result(timeout=60)
        print(f"Execution {first.workflow_id}: completed", flush=True)
        if first.link:
            print(f"Execution: {first.link}", flush=True)
        for lines in MORE_ORDERS:
            workspace.run(DEMO_WORKFLOW, {"lines": lines}).result(timeout=60)
        charts = _write_charts(workspace, args.charts)
        runs = len(workspace.runs.list(DEMO_WORKFLOW, limit=None))
        print(f"Charts of {runs} executions of {DEMO_WORKFLOW!r}: {charts}", flush=True)
        listing = workspace.runs.link(DEMO_WORKFLOW)
        if listing:
            print(f"All its executions in the Web UI: {listing}", flush=True)
        print(f"Result: {_json(result)}", flush=True)
    finally:
        _shut_down(workspace)


def _write_charts(workspace: Workspace, path: Path | None) -> Path:
    target = path or Path(tempfile.mkdtemp(prefix="wfb-demo-")) / "charts.html"
    return workspace.stats.write_charts(target, DEMO_WORKFLOW)


def _shut_down(workspace: Workspace) -> None:
    """Stop the worker, flushing its activity records (the local Temporal server keeps running)."""
    from wfb_jupyter.runtime import runtime

    runtime().run(workspace.workers.manager().stop_all(), 60)
    runtime().run(workspace.temporal.close(), 30)


def _json(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True)
