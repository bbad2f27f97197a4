"""Small SQL pieces that read the same on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import ReturnTypeFromArgs


class greatest(ReturnTypeFromArgs):  # noqa: N801  (reads like the SQL function)
    """``GREATEST(a, b, …)`` on PostgreSQL, the scalar ``max(a, b, …)`` on SQLite (no NULLs)."""

    inherit_cache = True


@compiles(greatest, "sqlite")
def _greatest_sqlite(element, compiler, **kw) -> str:  # noqa: ANN001
    return f"max({compiler.process(element.clauses, **kw)})"


def rows_cte(name: str, columns: list[tuple[str, sa.types.TypeEngine]], rows: list[tuple]) -> sa.CTE:
    """A small constant table as a CTE: ``UNION ALL`` of literal rows (SQLite cannot name the
    columns of a ``VALUES`` list)."""
    selects = [
        sa.select(*(sa.literal(value, type_).label(column) for (column, type_), value in zip(columns, row, strict=True))) for row in rows
    ]
    if not selects:
        return sa.select(*(sa.cast(sa.null(), type_).label(column) for column, type_ in columns)).where(sa.false()).cte(name)
    return (selects[0] if len(selects) == 1 else sa.union_all(*selects)).cte(name)
