"""Golden files: each case's generated code, byte for byte; and snapshots of the messages for bad definitions.

Regenerate both with ``.venv/bin/python tests/golden/regen.py`` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from compiler_fixtures import bad_cases, compile_case, error_message, golden_cases, golden_outputs

GOLDEN = golden_cases()


def test_there_is_a_golden_case_per_construct() -> None:
    names = {case.name for case in GOLDEN}
    constructs = {
        "activity_retry",
        "switch",
        "if_else",
        "parallel",
        "for_each",
        "sleep_and_wait_until",
    }
    constructs |= {
        "wait_signal",
        "child_workflow",
        "set_vars",
        "fail",
        "on_error",
        "signals_queries",
    }
    constructs |= {
        "expressions",
        "input_types",
        "graph",
        "json_definition",
        "sequence",
        "user_component",
    }
    assert constructs <= names


@pytest.mark.parametrize("case", GOLDEN, ids=lambda case: case.name)
def test_generated_code_matches_golden_files(case: Path) -> None:
    for name, text in golden_outputs(case).items():
        assert (case / name).read_text() == text, (
            f"{case.name}/{name} differs: run tests/golden/regen.py"
        )


@pytest.mark.parametrize("case", GOLDEN[:3], ids=lambda case: case.name)
def test_compiling_twice_gives_identical_output(case: Path) -> None:
    first, second = compile_case(case), compile_case(case)
    assert first == second


@pytest.mark.parametrize("definition", bad_cases(), ids=lambda path: path.name)
def test_error_message_snapshot(definition: Path) -> None:
    assert error_message(definition) == definition.with_suffix(".txt").read_text()
