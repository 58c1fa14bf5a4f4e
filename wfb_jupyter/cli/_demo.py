"""``wfb demo``: run a hello workflow on the resolved Temporal server and say which server that was."""

from __future__ import annotations

import argparse
import asyncio
import uuid


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo", help="run a hello workflow on the resolved Temporal server (embedded when none runs)"
    )
    parser.add_argument("--name", default="wfb-jupyter", help="who to greet")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from wfb_jupyter.cli import CommandError
    from wfb_jupyter.temporal import ServerStartError, TemporalUnavailableError

    try:
        result = asyncio.run(_hello(args.name))
    except (TemporalUnavailableError, ServerStartError) as error:
        raise CommandError(str(error)) from error
    print(result)
    return 0


async def _hello(name: str) -> str:
    from temporalio.worker import Worker

    from wfb_jupyter.temporal import close_temporal_connection, connection, get_temporal_client
    from wfb_jupyter.temporal._hello import HelloWorkflow, say_hello

    server = await asyncio.to_thread(connection().server)
    print(server.describe(), flush=True)
    try:
        client = await get_temporal_client()
        task_queue = f"wfb-demo-{uuid.uuid4()}"
        async with Worker(
            client, task_queue=task_queue, workflows=[HelloWorkflow], activities=[say_hello]
        ):
            workflow_id = f"wfb-demo-hello-{uuid.uuid4()}"
            handle = await client.start_workflow(
                HelloWorkflow.run, name, id=workflow_id, task_queue=task_queue
            )
            result = await handle.result()
            link = server.execution_url(workflow_id, handle.result_run_id)
            if link:
                print(f"Execution: {link}", flush=True)
            return result
    finally:
        await close_temporal_connection()
