"""A PostgreSQL schema of its own for a benchmark run, so that runs never see each other's rows."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from wfb_jupyter.storage import upgrade_database


@contextlib.contextmanager
def fresh_schema(base_url: str) -> Iterator[str]:
    """A migrated schema of its own in ``base_url``'s database, dropped afterwards; yields its URL."""
    schema = f"wfb_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    try:
        upgrade_database(rendered)
        yield rendered
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
