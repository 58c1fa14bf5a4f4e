"""``%wfb export``: the same export as ``Versions.export``, its mistakes as one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError

HELLO = """
steps:
  - id: greet
    call: echo
    with: {value: hello}
output: ${steps.greet.result}
"""


def test_export_from_the_notebook(ip: Any, capsys: Any, tmp_path: Path) -> None:
    ip.run_line_magic("config", "WfbSettings.auto_start_worker = False")
    ip.run_cell_magic("workflow", "hello", HELLO)
    capsys.readouterr()
    ip.user_ns["target"] = str(tmp_path / "hello")
    ip.run_line_magic("wfb", "export hello $target")
    assert capsys.readouterr().out.startswith(f"Exported 'hello' v1 to {tmp_path / 'hello'}: ")
    assert (tmp_path / "hello" / "wfb_hello_v1.py").is_file()
    with pytest.raises(UsageError, match="is not empty; export into a new or empty directory"):
        ip.run_line_magic("wfb", "export hello $target")
    ip.run_line_magic("wfb", "export hello --version 1 $target --force")
    with pytest.raises(UsageError, match="workflow 'hello' has no version 2"):
        ip.run_line_magic("wfb", f"export hello {tmp_path / 'v2'} --version 2")
    with pytest.raises(UsageError, match="the following arguments are required: directory"):
        ip.run_line_magic("wfb", "export hello")
