from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from wfb_jupyter.components import builtins


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server naming
        status = (
            int(self.path.split("/status/")[1].split("?")[0]) if "/status/" in self.path else 200
        )
        self._reply(status, {"path": self.path, "auth": self.headers.get("Authorization")})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        self._reply(201, {"received": json.loads(self.rfile.read(length) or b"null")})

    def _reply(self, status: int, document: Any) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def application_error(call: Any) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        result = call()
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    return caught.value


class TestHttpRequest:
    def test_json_round_trip(self, server: str) -> None:
        result = asyncio.run(
            builtins.http_request(
                f"{server}/items", params={"q": "x"}, headers={"Authorization": "Bearer t"}
            )
        )
        assert result["status"] == 200
        assert result["body"] == {"path": "/items?q=x", "auth": "Bearer t"}
        posted = asyncio.run(builtins.http_request(f"{server}/items", "post", json={"a": 1}))
        assert (posted["status"], posted["body"]) == (201, {"received": {"a": 1}})

    def test_client_error_is_not_retried(self, server: str) -> None:
        error = application_error(lambda: builtins.http_request(f"{server}/status/404"))
        assert (error.type, error.non_retryable) == ("HttpClientError", True)
        assert "returned HTTP 404" in str(error) and error.details[0]["status"] == 404

    def test_too_many_requests_and_server_errors_are_retried(self, server: str) -> None:
        for status, kind in ((429, "HttpClientError"), (503, "HttpServerError")):
            error = application_error(
                lambda s=status: builtins.http_request(f"{server}/status/{s}")
            )
            assert (error.type, error.non_retryable) == (kind, False)

    def test_expected_status(self, server: str) -> None:
        accepted = asyncio.run(
            builtins.http_request(f"{server}/status/404", expected_status=[200, 404])
        )
        assert accepted["status"] == 404
        error = application_error(
            lambda: builtins.http_request(f"{server}/status/200", expected_status=[204])
        )
        assert (error.type, error.non_retryable) == ("HttpUnexpectedStatus", True)

    def test_connection_refused_is_retried(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        error = application_error(lambda: builtins.http_request(f"http://127.0.0.1:{port}/"))
        assert (error.type, error.non_retryable) == ("HttpConnectionError", False)

    def test_json_and_body_together_are_refused(self, server: str) -> None:
        error = application_error(lambda: builtins.http_request(server, "POST", json={}, body="x"))
        assert (error.type, error.non_retryable) == ("InvalidArguments", True)


class TestSqlQuery:
    @pytest.fixture
    def url(self, tmp_path: Path) -> str:
        url = f"sqlite:///{tmp_path}/data.db"
        builtins.sql_query(url, "CREATE TABLE t (id INTEGER, name TEXT, price NUMERIC, day DATE)")
        return url

    def test_rows_as_dicts_and_parameters(self, url: str) -> None:
        inserted = builtins.sql_query(
            url,
            "INSERT INTO t VALUES (:id, :name, :price, :day)",
            {"id": 1, "name": "a", "price": 2.5, "day": "2026-01-02"},
        )
        assert inserted["row_count"] == 1
        result = builtins.sql_query(url, "SELECT id, name FROM t WHERE id = :id", {"id": 1})
        assert result == {"rows": [{"id": 1, "name": "a"}], "row_count": 1}
        json.dumps(builtins.sql_query(url, "SELECT * FROM t"))

    def test_bad_sql_is_not_retried(self, url: str) -> None:
        error = application_error(lambda: builtins.sql_query(url, "SELEKT 1"))
        assert (error.type, error.non_retryable) == ("SqlError", True)
        missing = application_error(lambda: builtins.sql_query(url, "SELECT * FROM nope"))
        assert (missing.type, missing.non_retryable) == ("SqlError", True)

    def test_unreachable_database_is_retried(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path}/no/such/dir/data.db"
        error = application_error(lambda: builtins.sql_query(url, "SELECT 1"))
        assert (error.type, error.non_retryable) == ("SqlOperationalError", False)

    def test_too_many_rows(self, url: str) -> None:
        for index in range(3):
            builtins.sql_query(url, "INSERT INTO t (id) VALUES (:i)", {"i": index})
        error = application_error(lambda: builtins.sql_query(url, "SELECT * FROM t", max_rows=2))
        assert error.type == "SqlTooManyRows"

    def test_invalid_url(self) -> None:
        error = application_error(lambda: builtins.sql_query("nosuchdb://x", "SELECT 1"))
        assert (error.type, error.non_retryable) == ("InvalidArguments", True)


class TestPythonTransform:
    def test_expression_over_data_and_variables(self) -> None:
        rows = [{"id": 1, "v": 3}, {"id": 2, "v": 9}]
        expression = "[r['id'] for r in data if r['v'] > limit]"
        assert builtins.python_transform(expression, rows, {"limit": 5}) == [2]
        assert builtins.python_transform("math.sqrt(data)", 16) == 4.0

    @pytest.mark.parametrize(
        ("expression", "fragment"),
        [
            ("().__class__.__bases__", "not allowed"),
            ("__import__('os')", "not allowed"),
            ("open('/etc/passwd')", "NameError"),
            ("1 +", "not a Python expression"),
            ("data['missing']", "KeyError"),
            ("(x := 1)", "not allowed"),
        ],
    )
    def test_refusals_and_failures_are_not_retried(self, expression: str, fragment: str) -> None:
        error = application_error(lambda: builtins.python_transform(expression, {}))
        assert (error.type, error.non_retryable) == ("TransformError", True)
        assert fragment in str(error)

    def test_result_is_made_json_safe(self) -> None:
        assert builtins.python_transform("set(data)", [2, 2]) == [2]


class TestLogEchoNoop:
    def test_log(self, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.INFO, logger="wfb_jupyter.components"):
            assert builtins.log("hello", "warning", {"n": 1})["level"] == "warning"
        assert 'hello {"n": 1}' in caplog.text
        assert application_error(lambda: builtins.log("x", "loud")).type == "InvalidArguments"

    def test_echo_and_noop(self) -> None:
        assert builtins.echo({"a": [1]}) == {"a": [1]}
        assert builtins.noop() is None


class TestSleep:
    def test_heartbeats_inside_an_activity(self) -> None:
        environment = ActivityEnvironment()
        beats: list[Any] = []
        environment.on_heartbeat = lambda *details: beats.append(details)
        result = asyncio.run(environment.run(builtins.sleep, 0.25, 0.1))
        assert result == {"slept": 0.25}
        assert len(beats) >= 2

    def test_bad_arguments(self) -> None:
        assert application_error(lambda: builtins.sleep(-1)).type == "InvalidArguments"


class TestPick:
    DATA = {"a": {"b": [{"c": 1}, {"c": 2}]}, "odd key": {"x": True}}

    @pytest.mark.parametrize(
        ("path", "value"),
        [("a.b[1].c", 2), ("$.a.b[0]", {"c": 1}), ("['odd key'].x", True), ("a.b[-1].c", 2)],
    )
    def test_paths(self, path: str, value: Any) -> None:
        assert builtins.pick(self.DATA, path) == value

    def test_missing_path(self) -> None:
        assert builtins.pick(self.DATA, "a.zz", default=0) == 0
        error = application_error(lambda: builtins.pick(self.DATA, "a.b[5]", required=True))
        assert (error.type, error.message) == (
            "PathNotFound",
            "$.a.b[5] does not exist in the data",
        )
        assert (
            application_error(lambda: builtins.pick(self.DATA, "a..b")).type == "InvalidArguments"
        )
