"""``Versions.export``, ``wfb export`` and ``%wfb export``: what is written, and what is refused."""

from __future__ import annotations

import ast
import json
import uuid
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from wfb_jupyter import Workspace
from wfb_jupyter.cli import main
from wfb_jupyter.errors import InputError, NotFoundError
from wfb_jupyter.services._export import StoredVersion, pinned_requirements
from wfb_jupyter.settings import WfbSettings

GREET = """
input:
  name: {type: string, default: "O'Brien"}
steps:
  - id: greet
    call: echo
    with: {value: "Hello, ${input.name}!"}
output: ${steps.greet.result}
"""

NO_ACTIVITIES = """
steps:
  - set: {n: 1}
output: ${vars.n}
"""


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace(
        WfbSettings(
            database_url=f"sqlite:///{tmp_path / 'wfb.db'}",
            project=f"ex-{uuid.uuid4().hex[:8]}",
            auto_start_worker=False,
        )
    )
    workspace.build("greet", GREET)
    yield workspace


def test_the_export_holds_the_stored_code_and_what_runs_it(ws: Workspace, tmp_path: Path) -> None:
    ws.build("greet", GREET.replace("Hello", "Hi"))
    result = ws.versions.export("greet", tmp_path / "out", version=1)
    out = tmp_path / "out"
    assert (result.workflow, result.version, result.directory) == ("greet", 1, out)
    assert result.files == (
        "README.md",
        "definition.yaml",
        "manifest.json",
        "requirements.txt",
        "run.py",
        "wfb_greet_v1.py",
        "wfb_greet_v1_activities.py",
        "worker.py",
    )
    assert sorted(path.name for path in out.iterdir()) == list(result.files)
    for which, file in (
        ("workflow", "wfb_greet_v1.py"),
        ("activities", "wfb_greet_v1_activities.py"),
        ("worker", "worker.py"),
    ):
        assert (out / file).read_text() == ws.versions.code("greet", 1, which)
    assert json.loads((out / "manifest.json").read_text()) == ws.versions.manifest("greet", 1)
    assert "Hello" in (out / "definition.yaml").read_text()
    # The built-in echo comes from wfb-jupyter, so it is a requirement, pinned like temporalio.
    assert (out / "requirements.txt").read_text().splitlines() == [
        f"temporalio=={metadata.version('temporalio')}",
        f"wfb-jupyter=={metadata.version('wfb-jupyter')}",
    ]
    ast.parse((out / "run.py").read_text())
    readme = (out / "README.md").read_text()
    for needed in (
        "TEMPORAL_ADDRESS",
        "TEMPORAL_NAMESPACE",
        "TEMPORAL_API_KEY",
        "TEMPORAL_TLS_CLIENT_CERT_PATH",
        "python run.py worker",
        "WFB_TASK_QUEUE",
        "greet.v1",
    ):
        assert needed in readme
    # The example input is quoted for a shell, whatever the defaults hold.
    assert """run.py start --input '{"name": "O'"'"'Brien"}'""" in readme
    assert str(result).startswith(f"Exported 'greet' v1 to {out}: README.md, ")


def test_an_export_is_the_same_every_time(ws: Workspace, tmp_path: Path) -> None:
    first = ws.versions.export("greet", tmp_path / "a")
    second = ws.versions.export("greet", tmp_path / "b")
    assert [(tmp_path / "a" / f).read_bytes() for f in first.files] == [
        (tmp_path / "b" / f).read_bytes() for f in second.files
    ]


def test_every_export_needs_wfb_jupyter_for_its_data_converter(
    ws: Workspace, tmp_path: Path
) -> None:
    ws.build("plain", NO_ACTIVITIES)
    result = ws.versions.export("plain", tmp_path / "plain")
    assert result.requirements == (
        f"temporalio=={metadata.version('temporalio')}",
        f"wfb-jupyter=={metadata.version('wfb-jupyter')}",
    )
    assert "not on PyPI" in (tmp_path / "plain" / "README.md").read_text()
    assert "project_data_converter()" in (tmp_path / "plain" / "run.py").read_text()


def test_user_component_requirements_come_as_stored() -> None:
    stored = StoredVersion(
        name="x",
        version=1,
        workflow_code="from temporalio import workflow\n",
        activities_code="def _define():\n    import numpy\n",
        worker_code="",
        requirements="temporalio>=1.35,<2\nnumpy==1.26.4\nTemporalio==1.0\n",
        manifest={},
        definition_source="",
    )
    assert pinned_requirements(stored) == [
        f"temporalio=={metadata.version('temporalio')}",
        f"wfb-jupyter=={metadata.version('wfb-jupyter')}",
        "numpy==1.26.4",
    ]


def test_what_an_export_refuses(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="there is no workflow 'gret' in project"):
        ws.versions.export("gret", tmp_path / "x")
    with pytest.raises(NotFoundError, match=r"workflow 'greet' has no version 7 \(versions: v1\)"):
        ws.versions.export("greet", tmp_path / "x", version=7)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="is not empty; export into a new or empty directory"):
        ws.versions.export("greet", busy)
    ws.versions.export("greet", busy, force=True)
    assert (busy / "notes.txt").read_text() == "mine"  # --force leaves other files alone
    assert (busy / "run.py").is_file()
    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="is a file"):
        ws.versions.export("greet", tmp_path / "file")
    assert not (tmp_path / "x").exists()


def test_wfb_export_on_the_command_line(
    ws: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WFB_DATABASE_URL", ws.database_url)
    monkeypatch.setenv("WFB_USER", ws.settings.user)
    project = ws.settings.project
    assert main(["export", "greet", str(tmp_path / "cli"), "--project", project]) == 0
    assert capsys.readouterr().out.startswith(f"Exported 'greet' v1 to {tmp_path / 'cli'}")
    assert main(["export", "greet", str(tmp_path / "cli"), "--project", project]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert main(["export", "greet", "--version", "v1", str(tmp_path / "cli"), "--project", project,
                 "--force"]) == 0  # fmt: skip
    assert main(["export", "greet", str(tmp_path / "other"), "--project", "nope"]) == 2
    assert capsys.readouterr().err.endswith(
        f"(projects: {project}); choose one with --project and --user\n"
    )
    assert main(["export", "greet", str(tmp_path / "other"), "--project", project,
                 "--version", "3"]) == 2  # fmt: skip
    assert capsys.readouterr().err == (
        "wfb export: workflow 'greet' has no version 3 (versions: v1)\n"
    )
    assert not (tmp_path / "other").exists()
    assert [p.name for p in ws.projects.list()] == [project]  # nothing created by a wrong name
