"""Several prepared queries (`kat_clinic.compiled_query.Prepared`) answered by one statement.

Each statement costs the web process about 0.1 ms of its own (a cursor, Django's execute wrappers,
the driver's round trip, the queryset's iteration), however few rows it returns. A caller that
needs several small, independent reads at once (the calendar a search or a booking reads: closures,
holidays, rooms, memberships, hours, time off, licences; the records a pre-dose gate judges) sends
them together:

    closures, rooms = read_together((CLOSURES, {"clinic": 1, "start": s, "end": e}), (ROOMS, {...}))

Each query's rows come back as a JSON array inside one row (each row a JSON array of its columns,
from the query as compiled, with its parameters), decoded at once, and each row is then what
iterating the bound queryset gives: a model instance, a tuple, or a named tuple. Dates, times and
date-times are written by PostgreSQL in ISO 8601 and read back with `fromisoformat` (a UTC
connection's date-times come back in the one UTC object, as the driver's); integers, text, booleans
and arrays of them are JSON's own. A decimal and a JSON document are written as their text (JSON
would turn a decimal into a float) and read back as the driver and the field read that text. A
field of any other type is refused when the query is first read this way.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections import namedtuple
from collections.abc import Callable
from decimal import Decimal

import orjson
from django.db import connections
from django.db.models.query import ModelIterable, NamedValuesListIterable, ValuesListIterable

from kat_clinic.compiled_query import Prepared

# Model columns the database driver always reads as this type (or None), when the field converts
# nothing on the way (no `from_db_value`). JSON writes each as the same value.
DRIVER_TYPES: dict[str, type] = {
    **dict.fromkeys(("CharField", "TextField", "EmailField", "SlugField", "URLField"), str),
    **dict.fromkeys(
        (
            "AutoField",
            "BigAutoField",
            "SmallAutoField",
            "IntegerField",
            "BigIntegerField",
            "SmallIntegerField",
            "PositiveIntegerField",
            "PositiveBigIntegerField",
            "PositiveSmallIntegerField",
        ),
        int,
    ),
    "BooleanField": bool,
}
# Read back from JSON as JSON writes them: the value is the field's (a key's is its target's id).
_AS_IS = frozenset({*DRIVER_TYPES, "ForeignKey", "OneToOneField"})
_FROM_ISO: dict[str, Callable] = {
    "DateField": dt.date.fromisoformat,
    "DateTimeField": dt.datetime.fromisoformat,
    "TimeField": dt.time.fromisoformat,
}


def _converter(field, connection) -> tuple[bool, Callable | None]:
    """(whether the column is written as its text, how its JSON value becomes the field's value)."""
    kind = field.get_internal_type()
    if kind in _FROM_ISO:
        return False, _FROM_ISO[kind]
    if kind in _AS_IS or (kind == "ArrayField" and field.base_field.get_internal_type() in _AS_IS):
        return False, None
    if kind == "DecimalField":
        return True, Decimal  # (the driver reads a numeric's text so)
    if kind == "JSONField":
        return True, lambda text: field.from_db_value(text, None, connection)
    raise TypeError(f"A {kind} is not read back from JSON as the field reads it: read this query on its own.")


class _RowReader:
    """How one prepared query's JSON rows become its queryset's rows."""

    def __init__(self, prepared: Prepared, compiler, connection) -> None:
        queryset = prepared.queryset
        columns = [column for column, _sql, _alias in compiler.select]
        self.width = len(columns)
        self.converters = []
        written = []
        for i, column in enumerate(columns):
            as_text, convert = _converter(column.output_field, connection)
            written.append(f"_c{i}::text" if as_text else f"_c{i}")
            if convert is not None:
                self.converters.append((i, convert))
        # The row's columns, named by position (two of one name would otherwise be one).
        self.row_sql = f"json_build_array({', '.join(written)})"
        self.aliases = ", ".join(f"_c{i}" for i in range(self.width))
        iterable = queryset._iterable_class
        if iterable is ModelIterable:
            info = compiler.klass_info
            if info is None or info.get("related_klass_infos") or compiler.annotation_col_map:
                raise TypeError("Only a model's own columns are read back from JSON as instances.")
            model, db = queryset.model, queryset.db
            attnames = [column.target.attname for column in columns]
            self.make = lambda values: model.from_db(db, attnames, values)
        elif iterable is NamedValuesListIterable:
            row = namedtuple("Row", queryset._fields)
            self.make = lambda values: row._make(values)
        elif iterable is ValuesListIterable:
            self.make = tuple
        else:
            raise TypeError("Read back from JSON: model instances, values_list() tuples or named tuples.")

    def rows(self, rows: list[list]) -> list:
        converters, make = self.converters, self.make
        out = []
        for values in rows:
            for index, convert in converters:
                value = values[index]
                if value is not None:
                    values[index] = convert(value)
            out.append(make(values))
        return out


# Per prepared query and connection: its reader (made from the compilation the query keeps).
_readers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def read_together(*runs: tuple[Prepared, dict], using: str = "default") -> list[list]:
    """The rows of each (prepared query, values) as the bound queryset gives them, in one statement."""
    connection = connections[using]
    parts, params, readers = [], [], []
    for prepared, values in runs:
        compiler = prepared.compiler_for(connection, values)
        sql, part_params = compiler.as_sql()
        per_connection = _readers.setdefault(prepared, weakref.WeakKeyDictionary())
        reader = per_connection.get(connection)
        if reader is None:
            reader = per_connection[connection] = _RowReader(prepared, compiler, connection)
        parts.append(f"(SELECT COALESCE(json_agg({reader.row_sql}), '[]') FROM ({sql}) _q({reader.aliases}))")
        params.extend(part_params)
        readers.append(reader)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT json_build_array({', '.join(parts)})::text", params)
        answers = orjson.loads(cursor.fetchone()[0])
    return [reader.rows(objects) for reader, objects in zip(readers, answers, strict=True)]
