"""The components a build compiles against: the project's stored ones, with this process's ``@component``
functions over them (a changed function is compiled as its next version)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from compiler import ComponentCatalogue
from wfb_jupyter.components import defined_components, load_catalogue, register_component


def notebook_catalogue(session: Session, project_id: str) -> ComponentCatalogue:
    stored = load_catalogue(session, project_id)
    notebook = {c.name: c for c in defined_components()}
    if not notebook:
        return stored
    specs = {name: stored[name] for name in stored}
    for name, component in notebook.items():
        current = specs.get(name)
        if current is None or current.source != component.source:
            specs[name] = component.spec(version=(current.version + 1) if current else 1)
    return ComponentCatalogue.of(specs.values())


def register_notebook_components(session: Session, project_id: str) -> None:
    """Store this process's ``@component`` functions in the project (an unchanged one stores nothing)."""
    for component in defined_components():
        register_component(session, project_id, component)
