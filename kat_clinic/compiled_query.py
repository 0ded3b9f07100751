"""Querysets built and compiled to SQL once per connection, then run again with new values.

Building and compiling a query costs the web process more than PostgreSQL spends running it: the
day board's flags query (a dozen subqueries) was about 30 % of the board's CPU, and compiling the
session chart's twenty-odd small queries about half of the chart's. What changes from one request to
the next is only a few values (a session's id, a list of ids), so such a query is written once with
named parameters, built and compiled once per connection, and each run substitutes its values:

    DOSES = Prepared(lambda: DoseAdministration.objects.filter(session_id=Param("session")).order_by("pk"))
    DOSES.bind(session=42)            # a queryset of those rows, iterated as any other
    IdsQuery(build).rows([1, 2, 3])   # a values() queryset filtered to those ids
    Room.objects.filter(clinic_id__in_array=ParamIds("clinics"))   # a list as one parameter

The SQL, the columns and the conversion of their values are Django's own, from that one
compilation; the rows become model instances (with their select_related rows) or dicts as usual,
and prefetch_related runs as usual. The statement goes through the connection's cursor like any
other (the debug log, query counts and execute wrappers see it).

A bound queryset runs as built: filtering, slicing, counting or ordering it again is refused
(`TypeError`), since its SQL is fixed. Only a query whose SQL depends on nothing but its
parameters fits: no time, no user, no setting read while it is built, no FOR UPDATE (whose
check for an open transaction runs when it is compiled). (django-prepared-queries did the same,
but has not followed Django since 2.x.)
"""

from __future__ import annotations

import copy
import functools
import secrets
import weakref
from collections.abc import Callable

from django.db import connections
from django.db.models import Expression, Field, Lookup, QuerySet
from django.db.models.fields.related import ForeignObject
from django.db.models.query import ValuesIterable
from django.db.models.sql import Query
from psycopg2.extensions import AsIs, encodings


class Param(Expression):
    """A value given when the query runs: `Prepared(...).bind(name=value)`. Compiled as one
    placeholder, whose parameter is this object until a run puts the value in its place."""

    sql = "%s"

    def __init__(self, name: str, output_field=None):
        super().__init__(output_field=output_field)
        self.name = name

    def resolve_expression(self, *args, **kwargs):
        return self  # the same object: it is found among the compiled parameters by identity

    def as_sql(self, compiler, connection):
        return self.sql, [self]


class ParamArray(Param):
    """A list given when the query runs, for `field__in_array=ParamArray(name, "date")`: one array
    parameter of that SQL type, whatever the list's length. An empty list matches nothing (and so
    excludes nothing)."""

    def __init__(self, name: str, element_type: str, output_field=None):
        super().__init__(name, output_field=output_field)
        self.sql = f"%s::{element_type}[]"


class ParamIds(ParamArray):
    """A list of ids given when the query runs, for `field__in_array=ParamIds(name)`."""

    def __init__(self, name: str, output_field=None):
        super().__init__(name, "bigint", output_field=output_field)


class InArray(Lookup):
    """`field__in_array=<an array>`: `field = ANY(array)`. One parameter whatever the list's length,
    and indexable: PostgreSQL plans it as a list of values, also inside an OR (where `IN (SELECT
    unnest(...))` would be a subplan run against every row)."""

    lookup_name = "in_array"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


# On every field, foreign keys too (they keep lookups of their own apart from plain fields').
Field.register_lookup(InArray)
ForeignObject.register_lookup(InArray)


class _BoundQuery(Query):
    """The prepared query with a run's values: compiles to the prepared SQL, and refuses to change."""

    _prepared: Prepared
    _run_values: dict

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        connection = connection or connections[using]
        return self._prepared.compiler_for(connection, self._run_values)

    def chain(self, klass=None):
        raise TypeError("A prepared query runs as it was built: filter, slice or count the built one instead.")

    clone = chain


class Prepared:
    """`build()` returns a queryset using `Param`s; `bind(**values)` returns it with those values."""

    def __init__(self, build: Callable[[], QuerySet]):
        self._build = build
        self._queryset: QuerySet | None = None
        self._names: frozenset[str] = frozenset()
        # Per connection (each thread has its own): (compiler, sql, params, [(index, name)]).
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @property
    def queryset(self) -> QuerySet:
        if self._queryset is None:
            self._queryset = self._build()
        return self._queryset

    def _compile(self, connection) -> tuple:
        query = self.queryset.query
        compiler = query.get_compiler(connection=connection)
        sql, params = _with_constants_written(connection, *compiler.as_sql())
        slots = [(index, value.name) for index, value in enumerate(params)]
        self._names = frozenset(name for _index, name in slots)
        compiled = (compiler, sql, tuple(params), slots)
        self._compiled[connection] = compiled
        return compiled

    def compiler_for(self, connection, values: dict):
        compiler, sql, params, slots = self._compiled.get(connection) or self._compile(connection)
        if set(values) != self._names:
            raise TypeError(f"The query's parameters are {sorted(self._names)}, not {sorted(values)}.")
        run_params = list(params)
        for index, name in slots:
            run_params[index] = values[name]
        bound = copy.copy(compiler)  # its select, columns and converters, as that compilation set them
        bound.as_sql = lambda *args, **kwargs: (sql, tuple(run_params))
        bound.get_converters = functools.partial(_converters_once, compiler)
        return bound

    def first(self, **values):
        """The first row of a run with these values, or None (the built queryset orders and limits
        it: `.first()` itself would change the query)."""
        return next(iter(self.bind(**values)), None)

    def bind(self, **values) -> QuerySet:
        built = self.queryset
        # The built query's parts, shared rather than cloned (Django's clone copies its whole tree):
        # a bound query is only compiled, by the compilation made once, and refuses every change.
        query = _BoundQuery.__new__(_BoundQuery)
        query.__dict__.update(built.query.__dict__)
        query._prepared = self
        query._run_values = values
        queryset = built.__class__(model=built.model, query=query, using=built._db, hints=built._hints)
        queryset._for_write = built._for_write
        queryset._prefetch_related_lookups = built._prefetch_related_lookups[:]
        queryset._known_related_objects = built._known_related_objects
        queryset._iterable_class = built._iterable_class
        queryset._fields = built._fields
        return queryset


def _with_constants_written(connection, sql: str, params) -> tuple[str, list[Param]]:
    """The SQL with every parameter but the `Param`s written into it as the driver writes them
    (once, rather than adapted again on every run: a list or a date-time costs the driver several
    microseconds each time, and a query of the day board's holds ninety-odd), and the `Param`s
    left, in order, each a placeholder again."""
    marker = f"__prepared_param_{secrets.token_hex(8)}__"
    connection.ensure_connection()
    driver_cursor = connection.connection.cursor()
    try:
        written = driver_cursor.mogrify(sql, [AsIs(marker) if isinstance(p, Param) else p for p in params])
    finally:
        driver_cursor.close()
    # The statement is formatted again on each run: a literal % is written %% once more.
    text = written.decode(encodings[connection.connection.encoding]).replace("%", "%%").replace(marker, "%s")
    return text, [p for p in params if isinstance(p, Param)]


def _converters_once(compiler, expressions) -> dict:
    """The compiler's converters of its selected columns, found once (the same columns on every run
    of its SQL): `results_iter` asks for them on each run."""
    key = tuple(map(id, expressions))
    cached = compiler.__dict__.get("_prepared_converters")
    if cached is None or cached[0] != key:
        cached = compiler._prepared_converters = (key, type(compiler).get_converters(compiler, expressions))
    return cached[1]


class IdsQuery:
    """`build()` returns a values() queryset; `rows(ids)` answers it filtered to `field__in=ids`."""

    def __init__(self, build: Callable[[], QuerySet], *, field: str = "pk"):
        self._prepared = Prepared(lambda: _values_only(build()).filter(**{f"{field}__in_array": ParamIds("ids")}))

    def rows(self, ids: list[int]) -> list[dict]:
        if not ids:
            return []
        return list(self._prepared.bind(ids=list(ids)))


def _values_only(queryset: QuerySet) -> QuerySet:
    if queryset._iterable_class is not ValuesIterable:
        raise TypeError("IdsQuery answers a values() queryset.")
    return queryset
