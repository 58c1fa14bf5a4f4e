"""What the compiler knows about each built-in component: parameters, types, defaults, descriptions.

Kept apart from ``builtins.py`` so that building the catalogue imports neither httpx nor temporalio.
"""

from __future__ import annotations

from typing import Any

from wfb_jupyter.compiler import ComponentParameter, ComponentSpec

BUILTINS_MODULE = "wfb_jupyter.components.builtins"


def _param(name: str, type: Any, description: str, *, default: Any = None, required: bool = False,
           enum: tuple[Any, ...] | None = None) -> ComponentParameter:  # fmt: skip
    return ComponentParameter(
        name=name, type=type, required=required, default=default, description=description, enum=enum
    )


def _spec(
    name: str,
    description: str,
    *parameters: ComponentParameter,
    is_async: bool = False,
    runs_inline: bool = False,
) -> ComponentSpec:
    return ComponentSpec(
        name=name,
        kind="builtin",
        parameters=parameters,
        description=description,
        module=BUILTINS_MODULE,
        function=name,
        is_async=is_async,
        runs_inline=runs_inline,
    )


HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

BUILTIN_SPECS: tuple[ComponentSpec, ...] = (
    _spec(
        "http_request",
        "Send an HTTP request; 4xx fails without retry (HttpClientError), 5xx retries (HttpServerError).",
        _param("url", "string", "the URL to call", required=True),
        _param("method", "string", "HTTP method", default="GET", enum=HTTP_METHODS),
        _param("headers", "object", "request headers"),
        _param("params", "object", "query string parameters"),
        _param("json", "any", "a JSON request body"),
        _param("body", "string", "a raw text request body"),
        _param("timeout", "number", "seconds before the request times out", default=30.0),
        _param("expected_status", "array", "statuses that count as success (default: 2xx and 3xx)"),
        is_async=True,
    ),
    _spec(
        "sql_query",
        "Run one SQL statement through a SQLAlchemy URL; rows come back as a list of dicts.",
        _param("url", "string", "SQLAlchemy database URL", required=True),
        _param("query", "string", "SQL with :name placeholders", required=True),
        _param("parameters", "object", "values for the placeholders"),
        _param("max_rows", "integer", "fail when more rows than this come back", default=10_000),
    ),
    _spec(
        "python_transform",
        "Evaluate a Python expression over `data` in the worker (runs your code; not a sandbox).",
        _param(
            "expression",
            "string",
            "a Python expression, e.g. [r['id'] for r in data]",
            required=True,
        ),
        _param("data", "any", "the value the expression sees as `data`"),
        _param("variables", "object", "extra names for the expression"),
    ),
    _spec(
        "log",
        "Write a message to the worker's log.",
        _param("message", "string", "what to log", required=True),
        _param(
            "level",
            "string",
            "log level",
            default="info",
            enum=("debug", "info", "warning", "error"),
        ),  # fmt: skip
        _param("data", "any", "data to log with the message"),
    ),
    _spec(
        "echo",
        "Return the value unchanged.",
        _param("value", "any", "the value to return"),
        runs_inline=True,
    ),
    _spec("noop", "Do nothing.", runs_inline=True),
    _spec(
        "sleep",
        "Wait inside an activity, heartbeating (prefer the workflow `sleep` step for plain waits).",
        _param("seconds", "number", "how long to wait", required=True),
        _param("heartbeat_interval", "number", "seconds between heartbeats", default=5.0),
        is_async=True,
    ),
    _spec(
        "pick",
        "Take the value at a path such as a.b[0].c out of data.",
        _param("data", "any", "the data to read", required=True),
        _param("path", "string", "the path: a.b[0].c, $.items[2], ['odd key']", required=True),
        _param("default", "any", "the value when the path is missing"),
        _param(
            "required", "boolean", "fail (PathNotFound) instead of returning default", default=False
        ),
        runs_inline=True,
    ),
)

BUILTIN_NAMES = frozenset(spec.name for spec in BUILTIN_SPECS)
