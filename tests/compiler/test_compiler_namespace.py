"""Generated code owns its namespace (issue 13, item 2): no component name or import can hide the module's own
imports, and each component's imports stay with that component, in the activities module and the exported
worker."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from wfb_jupyter.compiler import (
    CompileOptions,
    ComponentCatalogue,
    ComponentParameter,
    ComponentSpec,
    compile_workflow,
    render_activities_module,
)


def user(name: str, source: str, *imports: str, function: str | None = None) -> ComponentSpec:
    return ComponentSpec(
        name=name,
        kind="user",
        parameters=(ComponentParameter("x"),),
        function=function or name,
        source=source,
        imports=imports,
    )


def load(code: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    sys.modules[name] = module
    try:
        exec(compile(code, f"<{name}>", "exec"), module.__dict__)
    finally:
        del sys.modules[name]
    return module


def call(module: types.ModuleType, activity_type: str, **args: Any) -> Any:
    (found,) = [
        fn for fn in module.ACTIVITIES if fn.__temporal_activity_definition.name == activity_type
    ]
    return asyncio.run(found(args))


@pytest.mark.parametrize("name", ["activity", "asyncio", "Any", "ACTIVITIES", "_impl_echo_v1"])
def test_a_component_cannot_hide_what_the_module_imports(name: str) -> None:
    shadowing = user(name, f"def {name}(x):\n    return x * 2\n")
    other = user("echo", "def echo(x):\n    return x\n")
    module = load(render_activities_module([shadowing, other]), f"shadow_{name}")
    assert call(module, f"{name}.v1", x=21) == 42
    assert call(module, "echo.v1", x="kept") == "kept"


def test_each_component_keeps_its_own_imports() -> None:
    # One component's `from datetime import datetime` broke another's `import datetime`.
    first = user(
        "first",
        "def first(x):\n    return datetime(2020, 1, x).day\n",
        "from datetime import datetime",
    )
    second = user(
        "second", "def second(x):\n    return datetime.date(2021, 2, x).day\n", "import datetime"
    )
    module = load(render_activities_module([first, second]), "own_imports")
    assert call(module, "first.v1", x=3) == 3
    assert call(module, "second.v1", x=4) == 4


def test_component_text_in_multi_line_strings_is_unchanged() -> None:
    source = (
        "def query(x):\n"
        '    """Reads rows."""\n'
        "    sql = '''\n"
        "SELECT *\n"
        "  FROM t\n"
        "'''\n"
        "    return sql + str(x)\n"
    )
    module = load(render_activities_module([user("query", source)]), "multi_line")
    assert call(module, "query.v1", x=1) == "\nSELECT *\n  FROM t\n1"


def test_the_exported_worker_imports_every_component(tmp_path: Path) -> None:
    catalogue = ComponentCatalogue.of(
        [
            user("asyncio", "def asyncio(x):\n    return x\n"),
            user(
                "when",
                "def when(x):\n    return datetime.date(2020, 1, x).day\n",
                "import datetime",
            ),
            user(
                "now",
                "def now(x):\n    return datetime(2020, 1, x).day\n",
                "from datetime import datetime",
            ),
        ]
    )
    definition = {
        "name": "exported",
        "steps": [{"call": name, "with": {"x": 1}} for name in ("asyncio", "when", "now")],
    }
    compiled = compile_workflow(json.dumps(definition), CompileOptions(catalogue=catalogue))
    (tmp_path / f"{compiled.module_name}.py").write_text(compiled.workflow_code)
    (tmp_path / f"{compiled.module_name}_activities.py").write_text(compiled.activities_code)
    (tmp_path / "exported_worker.py").write_text(compiled.worker_code)
    sys.path.insert(0, str(tmp_path))
    try:
        worker = importlib.import_module("exported_worker")
        assert len(worker.ACTIVITIES) == 3
        activities = sys.modules[f"{compiled.module_name}_activities"]
        assert [call(activities, f"{name}.v1", x=2) for name in ("asyncio", "when", "now")] == [
            2,
            2,
            2,
        ]
    finally:
        sys.path.remove(str(tmp_path))
        for name in ("exported_worker", compiled.module_name, f"{compiled.module_name}_activities"):
            sys.modules.pop(name, None)
