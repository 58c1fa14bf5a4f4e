"""Regenerate the golden files and the bad-definition message snapshots from the current compiler.

    .venv/bin/python tests/golden/regen.py

Review the diff before committing: a change here is a change in what users get.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compiler"))

from compiler_fixtures import bad_cases, error_message, golden_cases, golden_outputs  # noqa: E402


def main() -> None:
    for case in golden_cases():
        for name, text in golden_outputs(case).items():
            (case / name).write_text(text)
        print(f"golden: {case.name}")
    for definition in bad_cases():
        definition.with_suffix(".txt").write_text(error_message(definition))
        print(f"bad: {definition.name}")


if __name__ == "__main__":
    main()
