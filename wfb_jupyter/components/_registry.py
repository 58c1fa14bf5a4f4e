"""The component registry: builtins plus each project's stored user components, as the compiler sees them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session

from compiler import ComponentCatalogue, ComponentParameter, ComponentSpec
from wfb_jupyter.components._builtin_specs import BUILTIN_NAMES, BUILTIN_SPECS
from wfb_jupyter.components._decorator import UserComponent
from wfb_jupyter.storage import Component, list_components, store_component


def builtin_catalogue() -> ComponentCatalogue:
    """The built-in components only (what every project can call)."""
    return ComponentCatalogue.of(BUILTIN_SPECS)


def register_component(
    session: Session, project_id: str, component: UserComponent
) -> ComponentSpec:
    """Store the component in the project (a new version only if it changed); returns its catalogue spec."""
    row = store_component(
        session,
        project_id,
        name=component.name,
        function=component.function.__name__,
        source=component.source,
        imports=component.imports,
        parameters=[_parameter_document(p) for p in component.parameters],
        requirements=component.requirements,
        description=component.description,
        is_async=component.is_async,
    )
    return spec_from_row(row)


def load_catalogue(session: Session, project_id: str) -> ComponentCatalogue:
    """What a workflow of the project may call: the builtins and the latest version of each user component."""
    user_specs = [
        spec_from_row(row)
        for row in list_components(session, project_id)
        if row.name not in BUILTIN_NAMES
    ]
    return ComponentCatalogue.of([*BUILTIN_SPECS, *user_specs])


def spec_from_row(row: Component) -> ComponentSpec:
    return ComponentSpec(
        name=row.name,
        kind="user",
        parameters=tuple(_parameter(document) for document in row.parameters),
        description=row.description,
        version=row.version,
        function=row.function,
        source=row.source,
        imports=tuple(row.imports),
        requirements=tuple(row.requirements),
        is_async=row.is_async,
    )


def _parameter_document(parameter: ComponentParameter) -> dict[str, Any]:
    document = asdict(parameter)
    document["enum"] = list(parameter.enum) if parameter.enum is not None else None
    return document


def _parameter(document: dict[str, Any]) -> ComponentParameter:
    enum = document.get("enum")
    return ComponentParameter(
        name=document["name"],
        type=document.get("type", "any"),
        required=bool(document.get("required", False)),
        default=document.get("default"),
        description=document.get("description", ""),
        enum=tuple(enum) if enum is not None else None,
    )
