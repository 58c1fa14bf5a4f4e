"""The statistics dashboard as a person sees it on a long history: JupyterLab and headless Chromium, a notebook
that shows ``%wfb stats`` for a project of 1,000,000 attempts (the history ``statistics_scale.py`` seeds), and
the time from a filter change to the moment every chart in the browser shows the new data, per kind of filter,
against the goal of under a second. No Temporal server is needed: statistics are read from the database.

The end of an update is the dashboard's status line: it is written after the charts, numbered
(``data-refresh``), so an update is on screen when that number has moved on and as many charts as it sent
again (``data-sent``: those whose content changed) are new Plotly plots with traces drawn.

Run: .venv/bin/python benchmarks/dashboard_browser.py [--attempts 1000000] [--database PATH] [--rounds 2]
(``--database``: seed that file once and reuse it on later runs; by default a temporary one. Chromium from
the system: apt-get install -y chromium.) Screenshots: test-artifacts/browser/dashboard-1m-*.png.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import psutil
from _history import END, WORKFLOWS, seeded

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "notebooks"))  # the browser test's JupyterLab launcher
from lab_process import CHROMIUM, CHROMIUM_FLAGS, jupyterlab, python_notebook  # noqa: E402

ARTIFACTS = REPO / "test-artifacts" / "browser"
GOAL_SECONDS = 1.0
CHARTS = 5
COMPONENTS = sorted({component for steps in WORKFLOWS.values() for component in steps.values()})
# Each kind of filter and the values a person picks in turn (dropdowns by label, dates as yyyy-mm-dd), the
# last one undoing the filter, so that each kind starts from the whole project (a version and a time window
# together may well have no runs: versions follow each other in time).
CHANGES: dict[str, tuple[str, list[str]]] = {
    "workflow": ("select", [*WORKFLOWS, "(all)"]),
    "version": ("select", ["1", "2", "3", "(all)"]),
    "component": ("select", [*COMPONENTS, "(all)"]),
    "time window (From)": (
        "date",
        [*((END - timedelta(days=days)).date().isoformat() for days in (7, 1, 14)), ""],
    ),
    "bucket (Per)": ("select", ["day", "minute", "hour"]),
}
CONTROL = {
    "workflow": "workflow",
    "version": "version",
    "component": "component",
    "time window (From)": "since",
    "bucket (Per)": "bucket",
}

# Marks the plots on screen as old, makes the change and returns the refresh number it waits for.
CHANGE_JS = """([control, kind, value]) => {
    const dashboard = document.querySelector('.wfb-stats-dashboard');
    dashboard.querySelectorAll('.js-plotly-plot').forEach(plot => { plot.dataset.wfbOld = '1'; });
    const status = dashboard.querySelector('.wfb-stats-updated');
    const refresh = Number(status ? status.dataset.refresh : 0);
    const input = dashboard.querySelector(`.wfb-stats-${control} ${kind === 'date' ? 'input' : 'select'}`);
    if (kind === 'select') {
        const option = [...input.options].find(o => o.textContent === value);
        if (!option) throw new Error(`no option ${value} in ${control}`);
        input.value = option.value;
    } else {
        input.value = value;
    }
    window.wfbChangedAt = performance.now();
    input.dispatchEvent(new Event('change', {bubbles: true}));
    return refresh + 1;
}"""
# True once update ``refresh`` is on screen: the status line has its number, and the five charts are new plots
# with traces drawn. Polled every animation frame; the first frame it holds is when it was seen.
SHOWN_JS = """([refresh, charts]) => {
    const dashboard = document.querySelector('.wfb-stats-dashboard');
    const status = dashboard && dashboard.querySelector('.wfb-stats-updated');
    if (!status || Number(status.dataset.refresh) < refresh) return false;
    const plots = [...dashboard.querySelectorAll('.js-plotly-plot')];
    // Drawn: traces, or the "no data" note of a chart with nothing to show. Charts whose content did not
    // change are not sent again (data-sent says how many were), and stay as they were.
    const drawn = plots.filter(p => !p.dataset.wfbOld && p.querySelector('.main-svg') &&
        (p.querySelector('g.trace') || /no data/.test(p.textContent)));
    const sent = Number(status.dataset.sent);
    if (plots.length !== charts || drawn.length < sent) return false;
    window.wfbShownAt = performance.now();
    return true;
}"""


@dataclass(frozen=True)
class Change:
    kind: str
    value: str
    browser_seconds: float  # from the change event to the new charts seen on screen
    kernel_seconds: float  # what the status line says the kernel's refresh took (queries, figures)


def notebook(database: Path, data_dir: Path) -> str:
    cells = [
        "%load_ext wfb_jupyter\n"
        f"%config WfbSettings.database_url = {f'sqlite:///{database}'!r}\n"
        f"%config WfbSettings.data_dir = {str(data_dir)!r}\n"
        "%config WfbSettings.user = 'bench'\n"
        "%config WfbSettings.project = 'history'\n"
        "%config WfbSettings.auto_start_worker = False",
        "dashboard = %wfb stats\ndashboard",
    ]
    return python_notebook(cells)


@contextmanager
def lab_page(directory: Path, content: str, log: Path) -> Iterator[Any]:
    """The notebook open in JupyterLab in Chromium; JupyterLab, its kernels and Chromium stopped afterwards."""
    from playwright.sync_api import sync_playwright

    root = directory / "notebooks"
    root.mkdir()
    (root / "dashboard.ipynb").write_text(content)
    kernels: list[psutil.Process] = []
    try:
        with jupyterlab(root, directory / "jupyter", log) as lab:
            server = _listening_on(lab.url)
            try:
                with sync_playwright() as play:
                    browser = play.chromium.launch_persistent_context(
                        str(directory / "chromium-profile"),
                        executable_path=CHROMIUM,
                        args=CHROMIUM_FLAGS,
                        headless=True,
                        viewport={"width": 1500, "height": 2300},
                    )
                    try:
                        page = browser.new_page()
                        page.goto(lab.notebook_url("dashboard.ipynb"))
                        yield page
                    finally:
                        browser.close()
            finally:
                kernels = server.children(recursive=True) if server else []
    finally:
        _stop_leftovers(kernels)


def _listening_on(url: str) -> psutil.Process | None:
    """The JupyterLab process serving ``url`` (its kernels are its children, in sessions of their own)."""
    port = int(url.rsplit(":", 1)[1])
    for connection in psutil.net_connections("tcp"):
        if connection.laddr and connection.laddr.port == port and connection.status == "LISTEN":
            return psutil.Process(connection.pid) if connection.pid else None
    return None


def _stop_leftovers(processes: list[psutil.Process]) -> None:
    """Kernels JupyterLab did not shut down on its way out (none, normally), killed by their pid."""
    _, alive = psutil.wait_procs(processes, timeout=10)
    for process in alive:
        print(f"  (stopping leftover pid {process.pid}: {' '.join(process.cmdline()[:3])})")
        os.kill(process.pid, signal.SIGKILL)


def run_notebook(page: Any) -> float:
    """Run every cell; seconds from Run All to the dashboard's first charts on screen."""
    page.locator(".jp-Notebook").wait_for(timeout=60_000)
    select = page.locator(
        ".jp-Dialog button", has_text="Select"
    )  # which kernel: Python 3 is chosen
    try:
        select.wait_for(timeout=10_000)
        select.click()
    except Exception:  # noqa: BLE001 - no dialog: the kernel started on its own
        pass
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=60_000)
    began = time.perf_counter()
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_function(SHOWN_JS, arg=[1, CHARTS], polling="raf", timeout=300_000)
    return time.perf_counter() - began


def change(page: Any, kind: str, value: str) -> Change:
    control_kind, _ = CHANGES[kind]
    refresh = page.evaluate(CHANGE_JS, [CONTROL[kind], control_kind, value])
    page.wait_for_function(SHOWN_JS, arg=[refresh, CHARTS], polling="raf", timeout=120_000)
    shown = page.evaluate("() => window.wfbShownAt - window.wfbChangedAt")
    status = page.locator(".wfb-stats-dashboard .wfb-stats-updated").inner_text()
    kernel = re.fullmatch(r"Updated in ([\d,]+) ms", status)
    assert kernel, status
    return Change(kind, value, shown / 1000, int(kernel[1].replace(",", "")) / 1000)


def screenshot(page: Any, label: str, name: str) -> Path:
    path = ARTIFACTS / f"dashboard-{label}-{name}.png"
    dashboard = page.locator(".wfb-stats-dashboard")
    dashboard.scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # let the last frame paint
    dashboard.screenshot(path=str(path))
    return path


def report(changes: list[Change]) -> None:
    """Median and max per kind of filter, to the new charts on screen (what is measured against the goal)
    and the kernel's refresh in it (queries, figures, sending them); the rest is the change reaching the
    kernel and the browser drawing the charts."""
    print(
        f"\n  {'filter':<20} {'changes':>7} {'median':>8} {'max':>8}  {'goal <':>6} "
        f"{GOAL_SECONDS:g} s   median in the kernel"
    )
    groups = {kind: [c for c in changes if c.kind == kind] for kind in CHANGES}
    for kind, group in {**groups, "every change": changes}.items():
        seconds = [c.browser_seconds for c in group]
        mark = "ok" if max(seconds) < GOAL_SECONDS else "OVER"
        print(
            f"  {kind:<20} {len(seconds):>7} {statistics.median(seconds):7.3f}s "
            f"{max(seconds):7.3f}s  {mark:>6}         "
            f"{statistics.median(c.kernel_seconds for c in group):7.3f}s"
        )


def label_of(attempts: int) -> str:
    """1,000,003 attempts (a run's last attempts go over the count asked for) as 1m, 100,002 as 100k."""
    return f"{round(attempts / 1e6, 1):g}m" if attempts >= 1e6 else f"{round(attempts / 1e3):g}k"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--database", type=Path, help="seed this file once, reuse it afterwards")
    parser.add_argument(
        "--rounds", type=int, default=2, help="times through each kind's values (default 2)"
    )
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(
            "dashboard_browser.py: skipped, Chromium is not installed (apt-get install -y chromium)"
        )
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wfb-dashboard-bench-") as name:
        directory = Path(name)
        database = (args.database or directory / "history.db").resolve()
        began = time.perf_counter()
        history = seeded(database, args.attempts)
        history.engine.dispose()
        label = label_of(history.attempts)
        print(
            f"history: {history.attempts:,} attempts and {history.executions:,} executions "
            f"in {database} ({time.perf_counter() - began:.0f} s to seed or open)"
        )
        log = ARTIFACTS / f"dashboard-{label}-jupyterlab.log"
        with lab_page(directory, notebook(database, directory / "wfb-data"), log) as page:
            try:
                first = run_notebook(page)
                print(f"  first display (Run All to five charts on screen): {first:.2f} s")
                print(f"  shown: {screenshot(page, label, 'initial')}")
                changes: list[Change] = []
                for kind, (_, values) in CHANGES.items():
                    for index, value in enumerate(values * args.rounds):
                        changes.append(change(page, kind, value))
                        print(
                            f"  {kind:<20} -> {value or '(none)':<16} "
                            f"{changes[-1].browser_seconds:6.3f} s to the new charts on screen "
                            f"({changes[-1].kernel_seconds:.3f} s of it in the kernel's refresh)"
                        )
                        if index == 0:  # a filtered view; the last change of a kind undoes it
                            name = f"{CONTROL[kind]}-{value}"
                            print(f"  shown: {screenshot(page, label, name)}")
            except Exception:
                page.screenshot(path=str(ARTIFACTS / f"dashboard-{label}-failure.png"))
                raise
        print(f"\ndashboard in Chromium on {history.attempts:,} attempts (JupyterLab log: {log})")
        report(changes)


if __name__ == "__main__":
    main()
