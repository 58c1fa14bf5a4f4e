"""Merging a stored histogram (``storage._histogram``) with an upsert's new one inside the database, so that a
rollup upsert needs no read of the stored value first.

The result is the same bytes ``_histogram.merged`` gives: records of (bin, count), little-endian uint32, by
increasing bin, the counts of a bin on both sides added. PostgreSQL computes it in SQL; SQLite calls
``_histogram.merged`` itself through a function registered on the driver's connection. Because the merge is
part of ``INSERT ... ON CONFLICT DO UPDATE``, it runs under the row's lock against its latest committed value:
two writers of one row cannot lose each other's counts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, func, literal_column

from wfb_jupyter.storage import _histogram

SQLITE_FUNCTION = "wfb_histogram_merge"
_REGISTERED = "wfb_histogram_merge_registered"


def merge_expression(dialect: str, stored: str, added: str) -> ColumnElement[Any]:
    """The merge of the histograms in SQL columns ``stored`` and ``added`` (as the statement names them,
    ``activity_rollups.histogram`` and ``excluded.histogram``)."""
    if dialect == "sqlite":
        expression: ColumnElement[Any] = getattr(func, SQLITE_FUNCTION)(
            literal_column(stored), literal_column(added)
        )
        return expression
    if dialect != "postgresql":
        raise ValueError(f"no histogram merge in SQL for {dialect}")
    return literal_column(_postgresql_merge(stored, added))


def register_sqlite_function(connection: Connection) -> None:
    """Give the driver's connection the merge function, once per connection (it lives as long as the
    connection, so the pool's record of it remembers that it has it)."""
    info = connection.connection.info
    if info.get(_REGISTERED):
        return
    driver = connection.connection.driver_connection
    driver.create_function(SQLITE_FUNCTION, 2, _merge_blobs, deterministic=True)  # type: ignore[union-attr]
    info[_REGISTERED] = True


def _merge_blobs(stored: bytes | None, added: bytes | None) -> bytes:
    # The added side is one batch's few bins, so it is the one decoded into a mapping.
    return _histogram.merged(stored, _histogram.decode(added))


def _records(blob: str) -> str:
    # Little-endian uint32 from bytes: sums and products (``<<`` and ``|`` share one precedence in
    # PostgreSQL, so a chain of them would not group as it reads); the top byte as bigint, as it can exceed
    # an int4.
    def uint32(at: int) -> str:
        return (
            f"get_byte({blob}, i + {at}) + get_byte({blob}, i + {at + 1}) * 256"
            f" + get_byte({blob}, i + {at + 2}) * 65536"
            f" + get_byte({blob}, i + {at + 3})::bigint * 16777216"
        )

    return (
        f"SELECT {uint32(0)} AS bin, {uint32(4)} AS n"
        f" FROM generate_series(0, length({blob}) - 8, 8) AS i"
    )


def _little_endian(hex_digits: str) -> str:
    return " || ".join(f"substr({hex_digits}, {at}, 2)" for at in (7, 5, 3, 1))


def _postgresql_merge(stored: str, added: str) -> str:
    # A summed count is cast through int4 (shifted by 2^31) so that one past uint32 raises "integer out of
    # range", as packing it in Python raises OverflowError, rather than being cut to eight hex digits.
    count = "lpad(to_hex(((sum(n) - 2147483648)::int4)::bigint + 2147483648), 8, '0')"
    return (
        "coalesce((SELECT string_agg(decode("
        f"{_little_endian('b')} || {_little_endian('c')}, 'hex'), ''::bytea ORDER BY bin)"
        f" FROM (SELECT bin, lpad(to_hex(bin), 8, '0') AS b, {count} AS c"
        f" FROM ({_records(stored)} UNION ALL {_records(added)}) AS r GROUP BY bin) AS s),"
        " ''::bytea)"
    )
