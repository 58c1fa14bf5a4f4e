from __future__ import annotations

import importlib
import sys
import traceback
import uuid

import pytest

from wfb_jupyter.runtime._import_hook import CompiledModuleFinder, ModuleSource


@pytest.fixture
def finder() -> CompiledModuleFinder:
    root = f"wfb_test_{uuid.uuid4().hex[:8]}"
    hook = CompiledModuleFinder(root)
    hook.install()
    yield hook
    hook.uninstall()
    for name in [n for n in sys.modules if n == root or n.startswith(root + ".")]:
        del sys.modules[name]


def test_serves_module_and_parent_packages(finder: CompiledModuleFinder) -> None:
    name = f"{finder.root}.proj.orders.v1"
    finder.add(ModuleSource(name, "ANSWER = 42\n", "wfb://proj/orders/v1/workflow.py"))
    module = importlib.import_module(name)
    assert module.ANSWER == 42
    assert module.__file__ == "wfb://proj/orders/v1/workflow.py"
    assert importlib.import_module(f"{finder.root}.proj").__path__ == []
    assert finder.registered() == [name]


def test_unknown_names_under_root_are_not_found(finder: CompiledModuleFinder) -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(f"{finder.root}.nothing.here")


def test_names_outside_root_are_refused(finder: CompiledModuleFinder) -> None:
    with pytest.raises(ValueError, match="not under"):
        finder.add(ModuleSource("os.fake", "", "x"))


def test_traceback_shows_stored_source_lines(finder: CompiledModuleFinder) -> None:
    name = f"{finder.root}.proj.broken.v2"
    source = "def explode():\n    raise ValueError('boom from stored code')\n"
    finder.add(ModuleSource(name, source, "wfb://proj/broken/v2/workflow.py"))
    module = importlib.import_module(name)
    with pytest.raises(ValueError) as caught:
        module.explode()
    text = "".join(traceback.format_exception(caught.value))
    assert 'File "wfb://proj/broken/v2/workflow.py", line 2, in explode' in text
    assert "raise ValueError('boom from stored code')" in text


def test_code_objects_are_cached_per_source(finder: CompiledModuleFinder) -> None:
    name = f"{finder.root}.proj.cached.v1"
    finder.add(ModuleSource(name, "X = 1\n", "wfb://c"))
    assert finder.get_code(name) is finder.get_code(name)


def test_fetch_serves_misses_lazily(finder: CompiledModuleFinder) -> None:
    asked: list[str] = []

    def fetch(fullname: str) -> ModuleSource | None:
        asked.append(fullname)
        return (
            ModuleSource(fullname, "FROM_DB = True\n", "wfb://db")
            if fullname.endswith(".v9")
            else None
        )

    lazy = CompiledModuleFinder(finder.root + "_lazy", fetch=fetch)
    lazy.install()
    try:
        module = importlib.import_module(f"{lazy.root}.v9")
        assert module.FROM_DB is True
    finally:
        lazy.uninstall()
        for n in [n for n in sys.modules if n.startswith(lazy.root)]:
            del sys.modules[n]
    assert f"{lazy.root}.v9" in asked


def test_forget_allows_fresh_import(finder: CompiledModuleFinder) -> None:
    name = f"{finder.root}.proj.fresh.v1"
    finder.add(ModuleSource(name, "V = 1\n", "wfb://f1"))
    assert importlib.import_module(name).V == 1
    finder.forget(name)
    finder.add(ModuleSource(name, "V = 2\n", "wfb://f2"))
    assert importlib.import_module(name).V == 2
