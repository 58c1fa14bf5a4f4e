"""Worker panel and version history, driven through their buttons; the poller's pause and stop."""

from __future__ import annotations

import threading
import time
from typing import Any

from wfb_jupyter.widgets import ActivationRequest, VersionHistory, WorkerPanel
from wfb_jupyter.widgets._poller import StatusPoller
from wfb_jupyter.widgets._worker_panel import worker_rows

HELLO = """\
input:
  who: string
steps:
  - id: greet
    call: echo
    with: {value: "Hello ${input.who}"}
output: ${steps.greet.result}
"""


def test_worker_panel_starts_restarts_and_stops(workspace: Any) -> None:
    workspace.settings.auto_start_worker = False
    workspace.build("hello", HELLO)
    panel = WorkerPanel(workspace)
    assert "No worker serves this project" in panel.table.value
    panel.buttons["Start"].click()
    assert panel.message.value.endswith("Start: done.</div>")
    assert (
        "<td>in-kernel</td><td>running</td>" in panel.table.value
        and "hello.v1" in panel.table.value
    )
    panel.buttons["Restart"].click()
    assert "<td>running</td>" in panel.table.value
    panel.buttons["Stop"].click()
    assert "No worker serves this project" in panel.table.value
    panel.buttons["Stop"].click()
    assert "runs in this process" in panel.message.value and "wfb-error" in panel.message.value


def test_worker_rows() -> None:
    class Status:
        mode, status, pid, host, heartbeat_age_seconds = "sidecar", "stale", 7, "h", 130.4
        loaded_versions, error = ["a.v1", "b.v2"], None

    assert worker_rows([Status()]) == [["sidecar", "stale", "7", "h", "130s ago", "a.v1, b.v2", ""]]


def test_version_history_diff_and_confirmed_rollback(workspace: Any) -> None:
    workspace.settings.auto_start_worker = False
    workspace.build("hello", HELLO)
    workspace.build("hello", HELLO.replace("Hello", "Hi"))
    history = VersionHistory(workspace, "hello")
    assert (
        "<td>v1</td>" in history.table.value and "<td>v2</td><td>active</td>" in history.table.value
    )
    history.which.value = "definition"
    history.diff_button.click()
    assert 'class="diff"' in history.diff.value and 'class="diff_chg"' in history.diff.value
    history.target.value = 1
    history.activate_button.click()
    assert "Roll back &#x27;hello&#x27; to v1 (active now: v2)?" in history.message.value
    assert history.confirm_button.layout.display is None and history.activate_button.disabled
    history.cancel_button.click()
    assert [v.active for v in workspace.versions.list("hello")] == [False, True]
    history.activate_button.click()
    history.confirm_button.click()
    assert history.message.value.endswith("v1 is now active.</div>")
    assert [v.active for v in workspace.versions.list("hello")] == [True, False]
    assert "<td>v1</td><td>active</td>" in history.table.value
    assert history.confirm_button.layout.display == "none"


def test_activation_request_wording() -> None:
    assert (
        ActivationRequest("w", 3, 2).question().startswith("Activate 'w' to v3 (active now: v2)?")
    )
    assert not ActivationRequest("w", 2, 2).needed


def test_poller_pauses_resumes_and_ends_on_a_final_state() -> None:
    counter = {"n": 0}
    seen: list[int] = []
    lock = threading.Lock()

    def fetch() -> int:
        with lock:
            counter["n"] += 1
            return counter["n"]

    poller = StatusPoller(
        fetch, seen.append, is_final=lambda n: n >= 6, on_error=print, interval=0.02
    )
    poller.start()
    time.sleep(0.05)
    poller.pause()
    time.sleep(0.05)
    frozen = len(seen)
    time.sleep(0.1)
    assert len(seen) == frozen and not poller.done
    poller.resume()
    assert poller.join(5) and seen[-1] == 6 and poller.done


def test_poller_keeps_going_after_a_failed_fetch() -> None:
    calls = {"n": 0}
    errors: list[BaseException] = []

    def fetch() -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("worker restarting")
        return "completed"

    poller = StatusPoller(fetch, lambda s: None, is_final=lambda s: s == "completed",
                          on_error=errors.append, interval=0.01).start()  # fmt: skip
    assert poller.join(5) and [str(e) for e in errors] == ["worker restarting"]


def test_worker_panel_live_updates_start_and_stop(workspace: Any) -> None:
    workspace.settings.auto_start_worker = False
    workspace.build("hello", HELLO)
    panel = WorkerPanel(workspace)
    panel.live.value = True
    poller = panel.poller
    assert poller is not None
    workspace.workers.start()
    deadline = time.monotonic() + 30
    while "<td>running</td>" not in panel.table.value and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "<td>running</td>" in panel.table.value and poller.updates >= 1
    panel.live.value = False
    assert panel.poller is None and poller.join(5) and poller.done
