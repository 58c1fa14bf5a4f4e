"""Updates: a validated message to a running execution, answered with a result or refused with a reason.

A refusal is an answer, not a failure: the workflow's validator said no (an amount over a limit, say) and the
run is unchanged. It comes back as an ``UpdateOutcome`` that says so, with the validator's message.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from wfb_jupyter.executions._control import declared_names, require_running, translate, unknown_name
from wfb_jupyter.executions._errors import ExecutionError
from wfb_jupyter.executions._start import ExecutionRef

_UPDATE_TIMEOUT = timedelta(seconds=30)


@dataclass(frozen=True)
class UpdateOutcome:
    """How the execution answered: ``accepted`` with its ``result``, or refused with ``message``."""

    update: str
    accepted: bool
    result: Any = None
    message: str | None = None

    def __str__(self) -> str:
        if self.accepted:
            return f"{self.update!r} accepted: {self.result!r}"
        return f"{self.update!r} refused: {self.message}"


async def update_execution(
    engine: Engine, client: Client, ref: ExecutionRef, update: str, payload: Any = None
) -> UpdateOutcome:
    """Send the update and wait for the execution's answer (at most 30 s, as a query)."""
    declared = await asyncio.to_thread(declared_names, engine, ref, "updates")
    if declared is not None and update not in declared:
        raise ExecutionError(unknown_name("update", update, ref, declared))
    await require_running(client, ref, f"send update {update!r} to")
    handle = client.get_workflow_handle(ref.workflow_id, run_id=ref.run_id or None)
    args = [] if payload is None else [payload]
    try:
        result = await handle.execute_update(update, *args, rpc_timeout=_UPDATE_TIMEOUT)
    except WorkflowUpdateFailedError as failure:
        cause = failure.cause
        if isinstance(cause, ApplicationError) and cause.type == "UpdateRejected":
            return UpdateOutcome(update, False, message=cause.message)
        raise ExecutionError(
            f"update {update!r} of {ref.workflow_id!r} failed: {cause or failure}"
        ) from failure
    except RPCError as error:
        raise translate(error, ref) from error
    return UpdateOutcome(update, True, result=result)
