"""List/count filters: a small parser for Temporal's visibility query language over in-memory runs.

Supported: comparisons (``= != <> > >= < <=``), ``IN (...)``, ``BETWEEN x AND y``, ``STARTS_WITH``,
``IS [NOT] NULL``, ``AND``/``OR``/``NOT`` and parentheses, on WorkflowId, WorkflowType, RunId, ExecutionStatus,
TaskQueue, StartTime, CloseTime, ExecutionTime and custom search attributes; a trailing ``ORDER BY`` is accepted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from temporalio.api.common.v1 import message_pb2 as common
from temporalio.api.enums.v1 import workflow_pb2 as wf
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb

from ._clock import timestamp
from ._errors import invalid_argument
from ._workflow_state import WorkflowRun

Predicate = Callable[[WorkflowRun], bool]

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")|(?P<op><>|!=|>=|<=|=|>|<)"
    r"|(?P<punct>[(),])|(?P<word>`[^`]+`|[A-Za-z_][\w.]*|-?\d+(?:\.\d+)?))"
)
_KEYWORDS = {"AND", "OR", "NOT", "IN", "BETWEEN", "IS", "NULL", "ORDER", "BY", "STARTS_WITH"}
_STATUS_NAMES = {
    "running": wf.WORKFLOW_EXECUTION_STATUS_RUNNING,
    "completed": wf.WORKFLOW_EXECUTION_STATUS_COMPLETED,
    "failed": wf.WORKFLOW_EXECUTION_STATUS_FAILED,
    "canceled": wf.WORKFLOW_EXECUTION_STATUS_CANCELED,
    "terminated": wf.WORKFLOW_EXECUTION_STATUS_TERMINATED,
    "continuedasnew": wf.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
    "timedout": wf.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
}
_TIME_FIELDS = {"StartTime", "CloseTime", "ExecutionTime"}


def _field_value(run: WorkflowRun, name: str) -> Any:
    if name == "WorkflowId":
        return run.workflow_id
    if name == "WorkflowType":
        return run.workflow_type
    if name == "RunId":
        return run.run_id
    if name == "TaskQueue":
        return run.task_queue
    if name == "ExecutionStatus":
        return run.status
    if name in ("StartTime", "ExecutionTime"):
        return run.start_time
    if name == "CloseTime":
        return run.close_time
    payload = run.search_attributes.indexed_fields.get(name)
    if payload is None:
        return None
    try:
        return json.loads(payload.data)
    except ValueError:
        return None


def _coerce(name: str, raw: str | float | bool) -> Any:
    """Turn a literal into the type the field compares as."""
    if name == "ExecutionStatus":
        status = _STATUS_NAMES.get(str(raw).lower().replace("_", ""))
        if status is None:
            raise invalid_argument(f"invalid query: unknown ExecutionStatus {raw!r}")
        return status
    if name in _TIME_FIELDS:
        text = str(raw).replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise invalid_argument(f"invalid query: cannot parse {raw!r} as a time") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    return raw


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, Any]] = []
        position = 0
        text = text.strip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise invalid_argument(f"invalid query: cannot parse near {text[position:]!r}")
            position = match.end()
            if match.group("str") is not None:
                self.tokens.append(("value", match.group("str")[1:-1]))
            elif match.group("op") is not None:
                self.tokens.append(("op", match.group("op")))
            elif match.group("punct") is not None:
                self.tokens.append(("punct", match.group("punct")))
            else:
                word = match.group("word")
                if word.upper() in _KEYWORDS:
                    self.tokens.append(("kw", word.upper()))
                elif re.fullmatch(r"-?\d+(?:\.\d+)?", word):
                    self.tokens.append(("value", float(word) if "." in word else int(word)))
                elif word.lower() in ("true", "false"):
                    self.tokens.append(("value", word.lower() == "true"))
                else:
                    self.tokens.append(("ident", word.strip("`")))
        self.index = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, kind: str, value: Any = None) -> Any:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            wanted = value or kind
            raise invalid_argument(f"invalid query: expected {wanted} at token {self.index + 1}")
        self.index += 1
        return token[1]

    def accept(self, kind: str, value: Any) -> bool:
        if self.peek() == (kind, value):
            self.index += 1
            return True
        return False

    def parse(self) -> Predicate:
        if not self.tokens or self.peek() == ("kw", "ORDER"):
            predicate: Predicate = lambda run: True  # noqa: E731
        else:
            predicate = self.or_expr()
        if self.accept("kw", "ORDER"):
            self.take("kw", "BY")
            while self.peek() is not None:
                self.index += 1  # ordering is always newest first here
        if self.peek() is not None:
            raise invalid_argument(f"invalid query: unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return predicate

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.accept("kw", "OR"):
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda run: any(p(run) for p in parts))

    def and_expr(self) -> Predicate:
        parts = [self.unary()]
        while self.accept("kw", "AND"):
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda run: all(p(run) for p in parts))

    def unary(self) -> Predicate:
        if self.accept("kw", "NOT"):
            inner = self.unary()
            return lambda run: not inner(run)
        if self.accept("punct", "("):
            inner = self.or_expr()
            self.take("punct", ")")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        name = self.take("ident")
        if self.accept("kw", "IS"):
            negate = self.accept("kw", "NOT")
            self.take("kw", "NULL")
            return lambda run: (_field_value(run, name) is None) != negate
        negate = self.accept("kw", "NOT")
        if self.accept("kw", "IN"):
            self.take("punct", "(")
            values = [_coerce(name, self.take("value"))]
            while self.accept("punct", ","):
                values.append(_coerce(name, self.take("value")))
            self.take("punct", ")")
            return lambda run: (_field_value(run, name) in values) != negate
        if self.accept("kw", "BETWEEN"):
            low = _coerce(name, self.take("value"))
            self.take("kw", "AND")
            high = _coerce(name, self.take("value"))
            return lambda run: _between(_field_value(run, name), low, high) != negate
        if self.accept("kw", "STARTS_WITH"):
            prefix = str(self.take("value"))
            return lambda run: str(_field_value(run, name) or "").startswith(prefix) != negate
        if negate:
            raise invalid_argument("invalid query: NOT must precede IN or BETWEEN here")
        op = self.take("op")
        value = _coerce(name, self.take("value"))
        return lambda run: _compare(_field_value(run, name), op, value)


def _between(value: Any, low: Any, high: Any) -> bool:
    return _compare(value, ">=", low) and _compare(value, "<=", high)


def _compare(left: Any, op: str, right: Any) -> bool:
    if op in ("=",):
        return bool(left == right)
    if op in ("!=", "<>"):
        return bool(left != right)
    if left is None:
        return False
    try:
        if op == ">":
            return bool(left > right)
        if op == ">=":
            return bool(left >= right)
        if op == "<":
            return bool(left < right)
        return bool(left <= right)
    except TypeError:
        return False


def compile_query(text: str) -> Predicate:
    return _Parser(text).parse()


def execution_info(run: WorkflowRun) -> workflow_pb.WorkflowExecutionInfo:
    info = workflow_pb.WorkflowExecutionInfo(
        execution=run.execution,
        type=common.WorkflowType(name=run.workflow_type),
        start_time=timestamp(run.start_time),
        execution_time=timestamp(run.start_time),
        status=run.status,
        history_length=len(run.history.events),
        history_size_bytes=run.history.size_bytes,
        task_queue=run.task_queue,
        memo=run.memo,
        search_attributes=run.search_attributes,
        first_run_id=run.started.first_execution_run_id,
    )
    if run.close_time is not None:
        info.close_time.CopyFrom(timestamp(run.close_time))
    if run.started.HasField("parent_workflow_execution"):
        info.parent_execution.CopyFrom(run.started.parent_workflow_execution)
        info.parent_namespace_id = run.started.parent_workflow_namespace
    return info
