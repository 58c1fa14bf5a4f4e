"""Notebooks in a real JupyterLab, in headless Chromium, as a person uses them: the getting-started
tutorial (run all cells, see the run form, start a run with its button and see the result, see a Plotly chart
drawn), and a run form whose graph is coloured live while a for_each runs, then when a run fails.

Screenshots of every stage go to ``test-artifacts/browser/`` so that a failure can be looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from lab_process import CHROMIUM, CHROMIUM_FLAGS, jupyterlab, python_notebook

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
NOTEBOOK = "01_getting_started.ipynb"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    with _lab_page(tmp_path, NOTEBOOK, (REPO / "notebooks" / NOTEBOOK).read_text()) as opened:
        yield opened


@pytest.fixture
def live_page(tmp_path: Path) -> Iterator[Any]:
    with _lab_page(tmp_path, "live_graph.ipynb", _live_graph_notebook()) as opened:
        yield opened


@contextmanager
def _lab_page(tmp_path: Path, name: str, content: str) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(
            "Chromium is not installed (apt-get install -y chromium, or .ci/setup-chromium.sh)"
        )
    # Playwright is in the test extra: without it the installation is broken, which must fail, not skip.
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    root = tmp_path / "notebooks"
    root.mkdir()
    # The browser runs (and autosaves) a copy, never the tutorial itself.
    (root / name).write_text(content)
    with (
        jupyterlab(root, tmp_path / "jupyter", ARTIFACTS / "jupyterlab.log") as lab,
        sync_playwright() as play,
    ):
        # A new, empty profile directory (Playwright passes it as --user-data-dir).
        browser = play.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_FLAGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            page = browser.new_page()
            page.goto(lab.notebook_url(name))
            yield page
        finally:
            browser.close()


def shot(page: Any, name: str) -> None:
    page.wait_for_timeout(300)  # the notebook renders cells lazily after a scroll
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def test_getting_started_in_jupyterlab(page: Any) -> None:
    try:
        _run_all_cells(page)
        graph = page.locator(".jp-RenderedSVG").first  # the %%workflow cell draws the workflow
        graph.scroll_into_view_if_needed()
        assert graph.is_visible() and graph.bounding_box()["height"] > 100
        graph.screenshot(path=str(ARTIFACTS / "1b-workflow-graph.png"))

        form = page.locator(".wfb-run-form").first
        form.scroll_into_view_if_needed()
        assert form.is_visible()
        assert form.locator(".wfb-input-name input").is_visible()
        assert form.locator(".wfb-run-button").is_visible()
        shot(page, "2-run-form")

        form.locator(".wfb-input-name input").fill("Browser")
        form.locator(".wfb-run-button").click()
        outcome = form.locator(".wfb-outcome")
        outcome.get_by_text('"greeting": "Hello, Browser!"').wait_for(timeout=60_000)
        assert '"letters": 7' in outcome.inner_text()
        assert "completed" in form.locator(".wfb-status-area").inner_text()
        form.scroll_into_view_if_needed()
        shot(page, "3-run-completed")

        chart = page.locator(".js-plotly-plot").first
        chart.scroll_into_view_if_needed()
        chart.locator("g.trace").first.wait_for(timeout=30_000)
        assert chart.locator("g.trace").count() >= 1
        assert "Execution timeline" in chart.inner_text()
        shot(page, "4-plotly-chart")
    except Exception:
        shot(page, "failure")
        raise


LIVE_WORKFLOW = """\
%%workflow shipments
input:
  items: {type: array, default: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]}
  fail_on: {type: integer, default: -1}
steps:
  - id: each
    for_each: ${input.items}
    as: item
    concurrency: 2
    steps:
      - id: pack
        call: sleep
        with: {seconds: 0.5}
      - id: ship
        call: python_transform
        with: {expression: "1 // 0 if data == fail else data", data: "${item}", variables: {fail: "${input.fail_on}"}}
  - id: notify
    when: ${input.fail_on < 0}
    call: echo
    with: {value: shipped}
output: ${steps.each.result}"""


def _live_graph_notebook() -> str:
    cells = [
        "import os, tempfile\n"
        'os.environ["WFB_DATABASE_URL"] = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "wfb.db")\n'
        "%load_ext wfb_jupyter",
        LIVE_WORKFLOW,
        "form = %wfb form shipments\nform",
    ]
    return python_notebook(cells)


def test_a_loop_is_coloured_live_and_a_failure_in_red(live_page: Any) -> None:
    page = live_page
    try:
        _run_all_cells(page)
        form = page.locator(".wfb-run-form").first
        form.scroll_into_view_if_needed()
        graph = form.locator(".wfb-run-graph")
        form.locator(".wfb-run-button").click()
        # Some iterations done, more to come: the loop counts them while the body steps run.
        graph.locator("[data-step='each'][data-status='running']").wait_for(timeout=60_000)
        graph.locator("svg text", has_text=re.compile(r"^running ([2-9]|1[0-8])/20$")).wait_for(
            timeout=60_000
        )
        assert graph.locator("[data-step='notify'][data-status='not reached']").count() == 1
        graph.scroll_into_view_if_needed()
        graph.screenshot(path=str(ARTIFACTS / "5-live-graph-running.png"))
        graph.locator("[data-step='notify'][data-status='done']").wait_for(timeout=90_000)
        assert graph.locator("svg text", has_text="done 20/20").count() == 1

        form.locator(".wfb-input-fail_on input").fill("3")
        form.locator(".wfb-run-button").click()
        graph.locator("[data-step='ship'][data-status='failed']").wait_for(timeout=60_000)
        assert graph.locator("[data-step='notify'][data-status='not reached']").count() == 1
        assert "ZeroDivisionError" in graph.locator("[data-step='ship'] > title").text_content()
        graph.scroll_into_view_if_needed()
        graph.screenshot(path=str(ARTIFACTS / "6-live-graph-failed.png"))
    except Exception:
        shot(page, "live-graph-failure")
        raise


def _run_all_cells(page: Any) -> None:
    """Run → Run All Cells from the menu, then wait until every cell has run (no ``[*]`` prompt left)."""
    page.locator(".jp-Notebook").wait_for(timeout=60_000)
    # A fresh JupyterLab may ask which kernel to start; the notebook's own (Python 3) is preselected.
    select = page.locator(".jp-Dialog button", has_text="Select")
    try:
        select.wait_for(timeout=10_000)
        shot(page, "0-kernel-dialog")
        select.click()
    except Exception:  # noqa: BLE001 - no dialog: the kernel started on its own
        pass
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=60_000)
    shot(page, "1-notebook-open")
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        timeout=180_000,
    )
