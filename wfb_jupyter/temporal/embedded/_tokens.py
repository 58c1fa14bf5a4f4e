"""Task tokens: opaque to workers, but self-describing for the service.

A token names the task it was issued for (kind, namespace, execution, scheduled event and attempt), so a
completion for a task that has since timed out, been retried or been closed is recognised as stale rather than
applied to the wrong attempt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ._errors import invalid_argument

_PREFIX = b"wfb-embedded:"

WORKFLOW_TASK = "wft"
ACTIVITY_TASK = "act"
QUERY_TASK = "qry"


@dataclass(frozen=True)
class TaskToken:
    kind: str
    namespace: str
    workflow_id: str
    run_id: str
    # Scheduled event id for workflow and activity tasks; unused for queries.
    scheduled_event_id: int
    attempt: int
    # Query id for query tasks; empty otherwise.
    query_id: str = ""

    def encode(self) -> bytes:
        fields = [
            self.kind,
            self.namespace,
            self.workflow_id,
            self.run_id,
            self.scheduled_event_id,
            self.attempt,
            self.query_id,
        ]
        return _PREFIX + json.dumps(fields, separators=(",", ":")).encode()

    @staticmethod
    def decode(raw: bytes, expected_kind: str) -> TaskToken:
        if not raw:
            raise invalid_argument("Task token not set on request.")
        if not raw.startswith(_PREFIX):
            raise invalid_argument("Error deserializing task token: not issued by this service.")
        try:
            kind, namespace, workflow_id, run_id, scheduled, attempt, query_id = json.loads(
                raw[len(_PREFIX) :]
            )
            token = TaskToken(
                str(kind),
                str(namespace),
                str(workflow_id),
                str(run_id),
                int(scheduled),
                int(attempt),
                str(query_id),
            )
        except (ValueError, TypeError) as err:
            raise invalid_argument(f"Error deserializing task token: {err}") from None
        if token.kind != expected_kind:
            raise invalid_argument(
                f"Task token is for a {token.kind} task, not a {expected_kind} task."
            )
        return token
