"""The files an export writes beside the stored code: ``run.py`` (the same for every version) and the README."""

RUN_SCRIPT = '''"""Run this exported workflow version: ``python run.py worker`` serves it, ``python run.py start`` starts an
execution (and prints its result).

Both connect as Temporal's own tools do: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE,
TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH,
TEMPORAL_TLS_SERVER_CA_CERT_PATH, or a profile of TEMPORAL_CONFIG_FILE (TEMPORAL_PROFILE). What the version
is (workflow type, modules, task queue) comes from manifest.json, written by the export. Values between
steps go through wfb-jupyter's data converter; large ones are stored in WFB_DATABASE_URL's database (default:
SQLite in wfb-jupyter's data directory) or the WFB_PAYLOAD_STORE folder.
"""

import argparse
import asyncio
import importlib
import json
import os
import signal
import socket
import sys
import uuid
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.envconfig import ClientConfig
from temporalio.worker import Worker

from wfb_jupyter.payloads import project_data_converter

MANIFEST: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parent / "manifest.json").read_text(encoding="utf-8")
)


async def connect() -> Client:
    config = ClientConfig.load_client_connect_config()
    config.setdefault("target_host", "localhost:7233")
    # The project's data converter, as in every worker of the project: DataFrames, dates and key order pass
    # between steps unchanged, and large values by reference in the payload store (WFB_DATABASE_URL's
    # database, or the WFB_PAYLOAD_STORE folder), which the worker and the starter must share.
    return await Client.connect(**config, data_converter=project_data_converter())


def task_queue(options: argparse.Namespace) -> str:
    return options.task_queue or os.environ.get("WFB_TASK_QUEUE") or MANIFEST["task_queue"]


async def serve(options: argparse.Namespace) -> None:
    workflows = importlib.import_module(MANIFEST["module_name"])
    activities = importlib.import_module(MANIFEST["module_name"] + "_activities")
    client = await connect()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    queue = task_queue(options)
    worker = Worker(
        client,
        task_queue=queue,
        workflows=[getattr(workflows, MANIFEST["workflow_class"])],
        activities=activities.ACTIVITIES,
        identity=f"wfb-export-{MANIFEST['build_id']}@{socket.gethostname()}",
    )
    async with worker:
        print(f"serving {MANIFEST['workflow_type']} on task queue {queue!r}", flush=True)
        await stop.wait()
    print("stopped", flush=True)


async def start(options: argparse.Namespace) -> None:
    inputs = json.loads(options.input)
    if not isinstance(inputs, dict):
        raise SystemExit("--input must be a JSON object")
    client = await connect()
    workflow_id = options.id or f"{MANIFEST['name']}-{uuid.uuid4().hex[:12]}"
    handle = await client.start_workflow(
        MANIFEST["workflow_type"], inputs, id=workflow_id, task_queue=task_queue(options)
    )
    print(f"started {handle.id}", flush=True)
    if not options.no_wait:
        print(json.dumps(await handle.result(), sort_keys=True), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--task-queue", help="default: WFB_TASK_QUEUE, else the project's queue in manifest.json"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("worker", help="serve the version until Ctrl-C or SIGTERM")
    starting = commands.add_parser("start", help="start an execution and print its result")
    starting.add_argument("--input", default="{}", help="the input, a JSON object")
    starting.add_argument("--id", help="the workflow id (default: NAME-<random>)")
    starting.add_argument("--no-wait", action="store_true", help="do not wait for the result")
    options = parser.parse_args()
    asyncio.run(serve(options) if options.command == "worker" else start(options))
    # Skip the interpreter's teardown: the SDK's native threads can abort it (temporalio/sdk-python#300).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
'''

README = """# {name} v{version}, exported from wfb-jupyter

The workflow `{name}` at version {version} (Temporal workflow type `{workflow_type}`, build `{build_id}`), as
a project of its own: it needs no notebook and runs on any Temporal server. Values too large for a Temporal
history (over 256 KiB) are kept in a payload store that the worker and whoever starts executions share:
the database `WFB_DATABASE_URL` names (default: a SQLite file in wfb-jupyter's data directory,
`~/.local/share/wfb-jupyter`), or a folder given by `WFB_PAYLOAD_STORE`.

| file | what it is |
| --- | --- |
| `{module}.py` | the workflow module, as stored with the version (executions replay on exactly this code) |
| `{module}_activities.py` | the activities its steps call |
| `worker.py` | the compiler's minimal worker (`--address`, `--namespace`, `--task-queue`; no TLS) |
| `run.py` | `worker`: serve the version; `start`: start an execution; both connect like Temporal's tools |
| `manifest.json` | what the version is: workflow type, input schema, components, signals, queries |
| `definition.yaml` | the definition it was built from |
| `requirements.txt` | what to install, pinned to the versions it was built and tried with |

## Install

```bash
python -m venv .venv
.venv/bin/pip install -r requirements.txt
```
{wfb_jupyter}
## Run the worker

```bash
export TEMPORAL_ADDRESS=localhost:7233    # host:port of the Temporal frontend
export TEMPORAL_NAMESPACE=default
.venv/bin/python run.py worker
```

For Temporal Cloud or a cluster with TLS, add what it needs; these are the variables Temporal's own CLI and
SDKs read (a profile of `TEMPORAL_CONFIG_FILE`, chosen with `TEMPORAL_PROFILE`, works too):

| variable | for |
| --- | --- |
| `TEMPORAL_API_KEY` | an API key (turns TLS on) |
| `TEMPORAL_TLS=true` | TLS with the system's certificate authorities |
| `TEMPORAL_TLS_CLIENT_CERT_PATH`, `TEMPORAL_TLS_CLIENT_KEY_PATH` | mutual TLS |
| `TEMPORAL_TLS_SERVER_CA_CERT_PATH` | a private certificate authority |

The worker polls the task queue `{task_queue}`, the project's own in wfb-jupyter. On a server where that
project's worker also runs, give this one a queue of its own: `--task-queue QUEUE` or `WFB_TASK_QUEUE=QUEUE`
(for `start` too).

## Start an execution

```bash
.venv/bin/python run.py start --input {inputs}
```

It prints the workflow id, then the result (`--no-wait` returns at once; `--id` chooses the workflow id). Any
Temporal client can start it: the workflow type is `{workflow_type}` and its one argument is the input object.
{notebooks}"""
