"""The components a build compiles against: the project's stored ones, with this process's ``@component``
functions over them at the versions storing them gives (stored in the same transaction for a real build)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from wfb_jupyter.compiler import ComponentCatalogue
from wfb_jupyter.components import defined_components
from wfb_jupyter.components import notebook_catalogue as catalogue_with


def notebook_catalogue(
    session: Session, project_id: str, *, store: bool = False
) -> ComponentCatalogue:
    """With ``store``, the notebook's components are stored first, so that the build compiles against exactly
    the versions that are stored; without (a dry run, a listing), nothing is written."""
    return catalogue_with(session, project_id, defined_components(), store=store)
