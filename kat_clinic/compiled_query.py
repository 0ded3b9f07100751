"""A values() query over a set of ids, compiled to SQL once per connection and run again with new ids.

Compiling a query that carries a dozen subqueries costs the web process more than PostgreSQL spends
running it: the day board's flags query, rebuilt for every request, was about 30 % of the board's
CPU. What changes from one request to the next is only the list of ids, so the query is compiled
once, with the ids as one array parameter (`id IN (SELECT unnest(%s::bigint[]))`), and each call
runs that SQL with its own ids. The SQL, the columns' names and the conversion of their values
(JSON, arrays) are Django's own, from that one compilation; the statement goes through the
connection's cursor like any other (the debug log, query counts and execute wrappers see it).

Only a query whose SQL does not depend on anything but the ids fits: no time, no user, no setting
read while it is built. (django-prepared-queries does the same for any parameter, but has not
followed Django since 2.x.)
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.query import ValuesIterable


class _Ids(list):
    """The stand-in for a call's ids while the query is compiled, found among the SQL's
    parameters by identity."""


class IdsQuery:
    """`build()` returns a values() queryset; `rows(ids)` answers it filtered to `field__in=ids`."""

    def __init__(self, build: Callable[[], QuerySet], *, field: str = "pk"):
        self._build = build
        self._field = field
        # Per connection (each thread has its own): (compiler, sql, params, index of the ids, names).
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _compile(self, connection):
        stand_in = _Ids([0])
        queryset = self._build().filter(**{f"{self._field}__in": RawSQL("SELECT unnest(%s::bigint[])", (stand_in,))})
        if queryset._iterable_class is not ValuesIterable:
            raise TypeError("IdsQuery answers a values() queryset.")
        query = queryset.query
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        (index,) = [i for i, value in enumerate(params) if value is stand_in]
        # As Django's ValuesIterable names a row's columns.
        names = list(query.selected or (*query.extra_select, *query.values_select, *query.annotation_select))
        compiled = (compiler, sql, tuple(params), index, names)
        self._compiled[connection] = compiled
        return compiled

    def rows(self, ids: list[int], *, using: str = DEFAULT_DB_ALIAS) -> list[dict]:
        if not ids:
            return []
        connection = connections[using]
        compiled = self._compiled.get(connection) or self._compile(connection)
        compiler, sql, params, index, names = compiled
        values = list(params)
        values[index] = list(ids)
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            fetched = cursor.fetchall()
        return [dict(zip(names, row, strict=True)) for row in compiler.results_iter(results=[fetched])]
