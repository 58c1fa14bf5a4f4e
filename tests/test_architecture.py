"""The shape of the code, checked: no import cycles, and private modules used only inside their package.

The layer contracts (who may import whom) are import-linter's, in ``pyproject.toml`` (``make lint``); these
are the rules it cannot express. Imports made only for type checkers are left out, as they never run.
"""

from __future__ import annotations

import grimp
import pytest

ROOTS = ("wfb_jupyter",)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*ROOTS, exclude_type_checking_imports=True)


def test_no_module_imports_itself_back(graph: grimp.ImportGraph) -> None:
    """No cycles, not even through a package's ``__init__`` or an import inside a function."""
    cycles = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back:
                cycles.append(" -> ".join((module, *back)))
    assert cycles == []


def test_private_modules_stay_inside_their_package(graph: grimp.ImportGraph) -> None:
    """``a.b._x`` is ``a.b``'s own: other packages use what ``a.b`` exports."""
    reaching_in = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            parts = imported.split(".")
            private = next((i for i, part in enumerate(parts) if part.startswith("_")), None)
            if private is None or parts[private] == "__init__":
                continue
            owner = ".".join(parts[:private])
            if not (module == owner or module.startswith(owner + ".")):
                reaching_in.append(f"{module} -> {imported}")
    assert reaching_in == []
