"""``%wfb`` commands that return widgets and charts, ``%wfb build`` from a file, and a cheap ``%load_ext``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from magic_definitions import HELLO


def test_widgets_from_magics(ip: Any, capsys: Any) -> None:
    from wfb_jupyter.widgets import RunForm, VersionHistory, WorkerPanel
    from wfb_jupyter.widgets._stats_dashboard import StatisticsDashboard

    ip.run_cell_magic("workflow", "hello", HELLO)
    form = ip.run_line_magic("wfb", "form hello")
    assert isinstance(form, RunForm) and list(form.inputs) == ["who"]
    history = ip.run_line_magic("wfb", "history hello")
    assert (
        isinstance(history, VersionHistory) and "<td>v1</td><td>active</td>" in history.table.value
    )
    panel = ip.run_line_magic("wfb", "workers panel")
    assert isinstance(panel, WorkerPanel) and "<td>running</td>" in panel.table.value
    ip.run_line_magic("wfb", "run hello who=Stats --wait")
    dashboard = ip.run_line_magic("wfb", "stats hello")
    assert isinstance(dashboard, StatisticsDashboard) and dashboard.workflow.value == "hello"
    table = ip.run_line_magic("wfb", "stats --table")
    assert table[["workflow", "version", "executions", "completed"]].values.tolist() == [
        ["hello", 1, 1, 1]
    ]
    timeline = ip.run_line_magic("wfb", "stats --timeline last")
    assert timeline.layout.title.text == "Execution timeline"
    assert list(timeline.data[0].y) == ["greet"]


def test_build_from_a_file_or_a_variable(ip: Any, tmp_path: Path, capsys: Any) -> None:
    ip.run_line_magic("config", "WfbSettings.auto_start_worker = False")
    path = tmp_path / "hello.yaml"
    path.write_text(HELLO.replace("echo", "ecko"))
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", f"build {path} --name hello")
    # Outside a cell the line numbers are the file's own.
    assert "error: line 5 `call: ecko`" in str(raised.value)
    ip.user_ns["definition_text"] = HELLO
    ip.run_line_magic("wfb", "build definition_text --name hello --dry-run")
    assert capsys.readouterr().out.startswith("Dry run: 'hello' compiles (1 step)")
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "build nowhere.yaml")
    assert (
        str(raised.value)
        == "'nowhere.yaml' is neither a file nor a notebook variable holding a definition (its text, or a dict)"
    )


def test_side_by_side_diff_is_html(ip: Any, capsys: Any) -> None:
    from unittest import mock

    ip.run_line_magic("config", "WfbSettings.auto_start_worker = False")
    ip.run_cell_magic("workflow", "hello", HELLO)
    ip.run_cell_magic("workflow", "hello", HELLO.replace("Hello", "Hi"))
    with mock.patch("wfb_jupyter.magics._build_commands.display_html") as shown:
        ip.run_line_magic("wfb", "diff hello 1 2 --html")
    (html,), _ = shown.call_args
    assert html.startswith('<div class="wfb-diff">') and 'class="diff"' in html


def test_load_ext_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "before = set(sys.modules)\n"
        "shell.run_line_magic('load_ext', 'wfb_jupyter')\n"
        "print(' '.join(sorted(set(sys.modules) - before)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    modules = loaded.stdout.split()
    heavy = (
        "sqlalchemy",
        "temporalio",
        "pandas",
        "plotly",
        "ipywidgets",
        "yaml",
        "jinja2",
    )
    assert [m for m in modules if m.split(".")[0] in heavy] == []
    assert [
        m for m in modules if m.startswith(("wfb_jupyter.compiler", "wfb_jupyter.widgets"))
    ] == []
    assert "wfb_jupyter.magics._magics" in modules
