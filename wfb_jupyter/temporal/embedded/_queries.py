"""Queries: delivered on the run's pending workflow task when there is one, else as stand-alone query tasks.

A query that arrives while a workflow task is in a worker's hands waits for that task to finish, then rides on
the next workflow task or goes out on its own.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import query_pb2 as query_enums
from temporalio.api.query.v1 import message_pb2 as query_pb

if TYPE_CHECKING:
    from ._workflow_state import DispatchTicket, WorkflowTask


@dataclass(eq=False)
class QueryResult:
    answered: bool
    payloads: common.Payloads
    error_message: str


@dataclass(eq=False)
class PendingQuery:
    """A query waiting for a worker, either attached to a workflow task or sent as a query task."""

    query: query_pb.WorkflowQuery
    result: asyncio.Future[QueryResult]
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    ticket: DispatchTicket | None = None
    dispatched: bool = False


class RunQueries:
    """The query side of a WorkflowRun."""

    workflow_task: WorkflowTask | None
    pending_queries: list[PendingQuery]
    queries: dict[str, PendingQuery]

    def _route(self, ticket: DispatchTicket) -> None:
        raise NotImplementedError

    def _ticket_for(self, query: PendingQuery) -> DispatchTicket:
        raise NotImplementedError

    def _requeue_unanswered(self, task: WorkflowTask) -> None:
        for query in task.queries.values():
            if not query.result.done():
                query.dispatched = False
                self.pending_queries.append(query)
        task.queries.clear()

    def dispatch_idle_queries(self) -> None:
        """Queries with no workflow task to ride on go out as stand-alone query tasks."""
        if self.workflow_task is not None:
            return
        queries, self.pending_queries = self.pending_queries, []
        for query in queries:
            if not query.result.done():
                query.ticket = self._ticket_for(query)
                self._route(query.ticket)

    def add_query(self, query: PendingQuery) -> None:
        self.queries[query.id] = query
        query.result.add_done_callback(lambda _: self.queries.pop(query.id, None))
        task = self.workflow_task
        if task is not None and not task.started:
            task.queries[query.id] = query
        elif task is not None:
            self.pending_queries.append(query)
        else:
            self.pending_queries.append(query)
            self.dispatch_idle_queries()

    def answer_query(self, query_id: str, result: QueryResult) -> bool:
        query = self.queries.get(query_id)
        if query is None or query.result.done():
            return False
        query.result.set_result(result)
        return True

    def answer_from_completion(self, results: dict[str, query_pb.WorkflowQueryResult]) -> None:
        for query_id, result in results.items():
            answered = result.result_type == query_enums.QUERY_RESULT_TYPE_ANSWERED
            self.answer_query(query_id, QueryResult(answered, result.answer, result.error_message))
