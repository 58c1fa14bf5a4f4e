"""``%wfb`` commands over stored definitions: project, versions, activate, diff, code, components, usage."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError
from magic_definitions import HELLO


@pytest.fixture
def two_versions(ip: Any, capsys: Any) -> Any:
    ip.run_line_magic("config", "WfbSettings.auto_start_worker = False")
    ip.run_cell_magic("workflow", "hello", HELLO)
    ip.run_cell_magic("workflow", "hello", HELLO.replace("Hello", "Hi"))
    capsys.readouterr()
    return ip


def test_versions_table(two_versions: Any, capsys: Any) -> None:
    two_versions.run_line_magic("wfb", "versions hello")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Versions of 'hello':"
    assert lines[1].split() == [
        "version",
        "state",
        "created",
        "(UTC)",
        "checksum",
        "steps",
        "open",
        "runs",
    ]
    assert lines[2].split()[0] == "v1" and "active" not in lines[2]
    assert lines[3].split()[:2] == ["v2", "active"]


def test_activate_rolls_back_and_forward(two_versions: Any, capsys: Any) -> None:
    two_versions.run_line_magic("wfb", "rollback hello 1")
    assert capsys.readouterr().out == (
        "'hello' v1 is now active (was v2); new executions use it, running ones finish on their own version.\n"
    )
    two_versions.run_line_magic("wfb", "activate hello v1")
    assert capsys.readouterr().out == "'hello' v1 was already active.\n"


def test_unknown_version_changes_nothing(two_versions: Any) -> None:
    with pytest.raises(UsageError) as raised:
        two_versions.run_line_magic("wfb", "activate hello 7")
    assert str(raised.value) == (
        "workflow 'hello' has no version 7 (versions: v1, v2); see %wfb versions hello"
    )
    from wfb_jupyter import workspace

    assert [v.active for v in workspace().versions.list("hello")] == [False, True]


def test_unknown_workflow(two_versions: Any) -> None:
    with pytest.raises(UsageError) as raised:
        two_versions.run_line_magic("wfb", "versions nope")
    project = two_versions.run_line_magic("config", "WfbSettings.project")
    assert str(raised.value) == (
        f"there is no workflow 'nope' in project {project!r} (workflows: hello); "
        "define it in a %%workflow cell"
    )


def test_diff_shows_the_changed_lines(two_versions: Any, capsys: Any) -> None:
    two_versions.run_line_magic("wfb", "diff hello 1 2 --which definition")
    out = capsys.readouterr().out
    summary, code = out.split("\n\n", 1)
    assert summary == (
        "'hello' v1 -> v2:\n  definition: 1 line(s) added, 1 removed (--which definition)"
    )
    assert code.startswith("--- hello v1 (definition)\n+++ hello v2 (definition)\n")
    assert '-    with: {value: "Hello ${input.who}"}' in out
    assert '+    with: {value: "Hi ${input.who}"}' in out


def test_diff_of_identical_code(two_versions: Any, capsys: Any) -> None:
    two_versions.run_line_magic("wfb", "diff hello 1 1")
    assert capsys.readouterr().out == "The workflow code of 'hello' v1 and v1 is identical.\n"


def test_html_diff_is_escaped() -> None:
    from wfb_jupyter.services import CodeDiff

    diff = CodeDiff("w<x>", "workflow", 1, 2, "x = 1\n", "x = '<script>'\n", "")
    html = diff.html()
    assert "&lt;script&gt;" in html and "w&lt;x&gt; v1" in html
    assert "<script>" not in html and "w<x>" not in html


def test_code_shows_generated_modules(two_versions: Any, capsys: Any) -> None:
    two_versions.run_line_magic("wfb", "code hello --version 1")
    workflow_code = capsys.readouterr().out
    assert 'WORKFLOW_TYPE = "hello.v1"' in workflow_code
    two_versions.run_line_magic("wfb", "code hello --which worker")
    assert "Worker(" in capsys.readouterr().out
    with pytest.raises(UsageError, match="argument --which: invalid choice: 'tests'"):
        two_versions.run_line_magic("wfb", "code hello --which tests")


def test_components_lists_builtins_and_notebook_components(ip: Any, capsys: Any) -> None:
    from wfb_jupyter.components import forget_components

    ip.run_cell(
        "from wfb_jupyter.components import component\n"
        "@component\n"
        "def shout(text: str) -> str:\n"
        '    """Upper-case the text."""\n'
        "    return text.upper()\n"
    ).raise_error()
    try:
        ip.run_line_magic("wfb", "components")
        rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    finally:
        forget_components()
    assert "echo" in rows and rows["echo"].split()[1] == "builtin"
    assert rows["shout"].split()[:4] == ["shout", "user", "1", "text"]


def test_projects_create_use_list(ip: Any, capsys: Any) -> None:
    ip.run_line_magic("wfb", "project create etl-demo")
    assert capsys.readouterr().out.startswith("Created project 'etl-demo' (task queue '")
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "project create etl-demo")
    assert str(raised.value) == (
        "project 'etl-demo' already exists; switch to it with %wfb project use etl-demo"
    )
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "project use missing")
    assert str(raised.value) == (
        "there is no project 'missing' (projects: etl-demo); create it with %wfb project create missing"
    )
    ip.run_line_magic("wfb", "project list")
    rows = capsys.readouterr().out.splitlines()
    assert rows[1].split() == ["*", "etl-demo", rows[1].split()[-1]]
    with pytest.raises(UsageError, match="project name 'bad name!' is not valid"):
        ip.run_line_magic("wfb", "project create 'bad name!'")


def test_usage_mistakes(ip: Any, capsys: Any) -> None:
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "version hello")
    assert str(raised.value) == "%wfb has no command 'version'; did you mean 'versions'?"
    with pytest.raises(UsageError, match="the following arguments are required: name"):
        ip.run_line_magic("wfb", "versions")
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "activate hello latest")
    assert str(raised.value) == "'latest' is not a version number (1, 2, ... or v1, v2, ...)"
    ip.run_line_magic("wfb", "")
    assert capsys.readouterr().out.startswith("%wfb commands: project, build, versions")


def test_config_and_environment(shell: Any, monkeypatch: Any) -> None:
    from wfb_jupyter.settings import WfbSettings

    monkeypatch.setenv("WFB_PROJECT", "from-env")
    monkeypatch.setenv("WFB_HEARTBEAT_SECONDS", "7")
    fresh = WfbSettings()
    assert (fresh.project, fresh.heartbeat_interval) == ("from-env", 7.0)
    shell.run_line_magic("config", "WfbSettings.poll_interval = 0.25")
    settings = next(c for c in shell.configurables if isinstance(c, WfbSettings))
    assert settings.poll_interval == 0.25
