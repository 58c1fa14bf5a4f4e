"""Generated code passes ruff (lint and format) and mypy --strict, like hand-written code would."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from compiler_fixtures import golden_cases

VENV_BIN = Path(sys.executable).parent
RUFF = str(VENV_BIN / "ruff") if (VENV_BIN / "ruff").exists() else shutil.which("ruff")
LINT_RULES = "E,F,W,I,B,UP,SIM"


def _generated_files(tmp_path: Path) -> list[Path]:
    """Every golden case's generated modules, copied under unique names (mypy wants distinct modules)."""
    files = []
    for case in golden_cases():
        for name in ("workflow.py", "activities.py", "worker.py"):
            target = tmp_path / f"{case.name}_{name}"
            target.write_text((case / name).read_text())
            files.append(target)
    return files


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.skipif(RUFF is None, reason="ruff is not installed")
def test_generated_code_is_ruff_clean(tmp_path: Path) -> None:
    files = [str(path) for path in _generated_files(tmp_path)]
    lint = _run(
        str(RUFF),
        "check",
        "--isolated",
        "--select",
        LINT_RULES,
        "--target-version",
        "py310",
        *files,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    formatted = _run(str(RUFF), "format", "--isolated", "--check", "--diff", *files)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_generated_workflows_pass_mypy_strict(tmp_path: Path) -> None:
    workflows = [
        str(path) for path in _generated_files(tmp_path) if path.name.endswith("_workflow.py")
    ]
    result = _run(
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--no-incremental",
        "--cache-dir",
        str(tmp_path / ".mypy"),
        *workflows,
    )
    assert result.returncode == 0, result.stdout + result.stderr
