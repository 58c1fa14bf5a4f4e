"""Built-in components: the activities every project can call without writing code.

Each takes keyword arguments and returns JSON-serialisable data. Failures raise ``ApplicationError`` with a
``type`` a workflow's ``retry.non_retryable_error_types`` can name, and ``non_retryable=True`` when trying again
cannot help (a 404, a bad expression). The generated activities module imports these functions by name, so
their names and parameters are part of the compiled code's contract: change them only compatibly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from wfb_jupyter.components._data import json_safe, pick_path
from wfb_jupyter.components._transform import TransformError, evaluate_transform

_logger = logging.getLogger("wfb_jupyter.components")


def _error(message: str, error_type: str, *, retryable: bool, **details: Any) -> ApplicationError:
    return ApplicationError(
        message, *([details] if details else []), type=error_type, non_retryable=not retryable
    )


# Statuses that mean "later may work" although they are 4xx.
_RETRYABLE_CLIENT_STATUSES = frozenset({408, 425, 429})


async def http_request(
    url: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    json: Any = None,
    body: str | None = None,
    timeout: float = 30.0,
    expected_status: list[int] | None = None,
) -> dict[str, Any]:
    """Send an HTTP request; return ``{"status", "headers", "body", "url"}`` (``body`` parsed when JSON).

    Without ``expected_status`` any 2xx/3xx is success. A 4xx fails without retry (``HttpClientError``)
    except 408/425/429; a 5xx fails with retry (``HttpServerError``); network errors and timeouts retry.
    """
    import httpx

    if json is not None and body is not None:
        raise _error("give either json or body, not both", "InvalidArguments", retryable=False)
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client:
            response = await client.request(
                method.upper(),
                url,
                headers=headers,
                params=params,
                json=json,
                content=body.encode() if body is not None else None,
            )
    except httpx.TimeoutException as error:
        raise _error(
            f"{method} {url} timed out after {timeout} s", "HttpTimeout", retryable=True
        ) from error
    except httpx.InvalidURL as error:
        raise _error(
            f"invalid URL {url!r}: {error}", "InvalidArguments", retryable=False
        ) from error
    except httpx.TransportError as error:
        raise _error(
            f"{method} {url} failed: {error}", "HttpConnectionError", retryable=True
        ) from error
    result = {
        "status": response.status_code,
        "headers": dict(response.headers),
        "body": _response_body(response),
        "url": str(response.url),
    }
    _check_status(method, url, response.status_code, expected_status, result["body"])
    return result


def _response_body(response: Any) -> Any:
    if "json" in response.headers.get("content-type", ""):
        try:
            return response.json()
        except ValueError:
            pass
    return response.text


def _check_status(
    method: str, url: str, status: int, expected: list[int] | None, body: Any
) -> None:
    ok = status in expected if expected else 200 <= status < 400
    if ok:
        return
    excerpt = body if isinstance(body, (dict, list)) else str(body)[:500]
    message = f"{method.upper()} {url} returned HTTP {status}"
    if 500 <= status < 600:
        raise _error(message, "HttpServerError", retryable=True, status=status, body=excerpt)
    if 400 <= status < 500:
        retryable = status in _RETRYABLE_CLIENT_STATUSES
        raise _error(message, "HttpClientError", retryable=retryable, status=status, body=excerpt)
    raise _error(
        f"{message}, expected one of {expected}",
        "HttpUnexpectedStatus",
        retryable=False,
        status=status,
        body=excerpt,
    )


_TRANSIENT_SQL_MARKERS = (
    "locked",
    "busy",
    "connection",
    "could not connect",
    "timeout",
    "timed out",
    "server closed",
    "terminating",
    "unable to open",
)


def sql_query(
    url: str, query: str, parameters: dict[str, Any] | None = None, max_rows: int = 10_000
) -> dict[str, Any]:
    """Run one SQL statement through a SQLAlchemy URL, in its own transaction.

    Returns ``{"rows": [...], "row_count": n}`` for statements that return rows (each row a dict, values made
    JSON-safe), ``{"rows": [], "row_count": affected}`` otherwise. Use ``:name`` placeholders and
    ``parameters`` for values; never format values into the query text.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

    try:
        engine = create_engine(url)
    except (ArgumentError, NoSuchModuleError) as error:
        raise _error(
            f"invalid database URL: {error}", "InvalidArguments", retryable=False
        ) from error
    try:
        with engine.begin() as connection:
            result = connection.execute(text(query), parameters or {})
            if not result.returns_rows:
                return {"rows": [], "row_count": result.rowcount}
            rows = [json_safe(dict(row)) for row in result.mappings().fetchmany(max_rows + 1)]
    except OperationalError as error:
        # SQLite reports syntax errors as OperationalError too: only connection trouble is worth a retry.
        if error.connection_invalidated or any(
            marker in str(error.orig).lower() for marker in _TRANSIENT_SQL_MARKERS
        ):
            raise _error(
                f"database unavailable: {error.orig}", "SqlOperationalError", retryable=True
            ) from error
        raise _error(f"query failed: {error.orig}", "SqlError", retryable=False) from error
    except DBAPIError as error:
        raise _error(f"query failed: {error.orig}", "SqlError", retryable=False) from error
    finally:
        engine.dispose()
    if len(rows) > max_rows:
        raise _error(
            f"the query returned more than max_rows={max_rows} rows; add a LIMIT or raise max_rows",
            "SqlTooManyRows",
            retryable=False,
        )
    return {"rows": rows, "row_count": len(rows)}


def python_transform(
    expression: str, data: Any = None, variables: dict[str, Any] | None = None
) -> Any:
    """Evaluate a Python expression over ``data`` (and ``variables``) and return its JSON-safe value.

    This runs user code in the worker. Names are limited to ``data``, the variables, a few builtins
    (``len``, ``sum``, ``sorted``, ...) and the ``math``, ``json`` and ``re`` modules, and dunder attributes
    are refused, but this is a convenience, not a sandbox: only run expressions you would run yourself.
    """
    try:
        value = evaluate_transform(expression, data, variables or {})
    except TransformError as error:
        raise _error(str(error), "TransformError", retryable=False) from error
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        value = json_safe(value)
    return value


def log(message: str, level: str = "info", data: Any = None) -> dict[str, Any]:
    """Write ``message`` (and ``data``) to the worker's log; returns what was logged."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise _error(f"unknown log level {level!r}", "InvalidArguments", retryable=False)
    logger = activity.logger if activity.in_activity() else _logger
    logger.log(
        numeric, "%s%s", message, f" {json.dumps(data, default=str)}" if data is not None else ""
    )
    return {"message": message, "level": level.lower(), "data": data}


def echo(value: Any = None) -> Any:
    """Return ``value`` unchanged: useful to shape data or to test a workflow's wiring."""
    return value


def noop() -> None:
    """Do nothing (a placeholder step)."""
    return None


async def sleep(seconds: float, heartbeat_interval: float = 5.0) -> dict[str, Any]:
    """Wait ``seconds`` inside an activity, heartbeating every ``heartbeat_interval`` seconds so a heartbeat
    timeout notices a lost worker and a cancellation stops the wait. For plain waits in a workflow prefer
    the ``sleep`` step, which costs no worker time."""
    if seconds < 0 or heartbeat_interval <= 0:
        raise _error(
            "seconds must be >= 0 and heartbeat_interval > 0", "InvalidArguments", retryable=False
        )
    started = time.monotonic()
    remaining = seconds
    while remaining > 0:
        await asyncio.sleep(min(heartbeat_interval, remaining))
        elapsed = time.monotonic() - started
        remaining = seconds - elapsed
        if activity.in_activity():
            activity.heartbeat({"elapsed": round(elapsed, 3)})
    return {"slept": seconds}


async def notebook(
    path: str,
    parameters: dict[str, Any] | None = None,
    cell_timeout: float | None = None,
    startup_timeout: float = 60.0,
) -> dict[str, Any]:
    """Run the notebook at ``path`` in a fresh kernel with ``parameters`` (injected after its cell tagged
    ``parameters``); return ``{"outputs": {...}, "executed_notebook": path}``, the values it marked with
    ``wfb_jupyter.output(name, value)`` and where the executed notebook is kept. A cell that raises fails the
    attempt (``NotebookCellError``, with the cell's number), retried like any step."""
    from wfb_jupyter.components._notebook import run_notebook

    return await run_notebook(
        path, parameters, cell_timeout=cell_timeout, startup_timeout=startup_timeout
    )


def pick(data: Any, path: str, default: Any = None, required: bool = False) -> Any:
    """The value at ``path`` in ``data``: ``a.b[0].c``, ``$.items[2]``, ``['odd key'].x``.

    A missing path gives ``default``, or fails with ``PathNotFound`` when ``required``.
    """
    try:
        return pick_path(data, path)
    except LookupError as error:
        if required:
            raise _error(str(error), "PathNotFound", retryable=False) from error
        return default
    except ValueError as error:
        raise _error(str(error), "InvalidArguments", retryable=False) from error
