"""Rows written as JSON by PostgreSQL, for a read whose rows the web process would otherwise
build one by one: `json_build_object` in the order of its names, a correlated subquery's rows as
the text of one JSON array (read with orjson), or as one jsonb array to nest in a larger document;
or an object or rows as the compact text the API's renderer writes, to be sent as it is."""

from __future__ import annotations

import orjson
from django.db import models
from django.db.models import Expression, F, Func, QuerySet, Subquery, TextField, Value
from django.db.models.functions import JSONObject


class JsonObject(Func):
    """`json_build_object` of named values, in their order (Django's `JSONObject` builds jsonb on
    PostgreSQL, whose keys come back in an order of its own)."""

    function = "json_build_object"
    output_field = models.JSONField()

    def __init__(self, **values):
        super().__init__(*(part for name, value in values.items() for part in (Value(name), value)))


class JsonArrayText(Subquery):
    """A correlated subquery's rows (its `json` column, in `position` order) as the text of one
    JSON array: '[]' for none, '' where any row is `refused`."""

    template = (
        "(SELECT CASE WHEN bool_or(_rows.refused) THEN '' "
        "ELSE COALESCE(json_agg(_rows.json ORDER BY _rows.position), '[]')::text END "
        "FROM (%(subquery)s) _rows)"
    )
    output_field = TextField()


def json_rows(queryset: QuerySet, position: str, refused: Expression | None = None, **values) -> JsonArrayText:
    """The rows of `queryset` (correlated to an outer row by an `OuterRef`) as JSON text: each row
    the object of `values` (names and expressions, in that order), the rows in `position` order;
    '' where any row is `refused` (a boolean expression)."""
    return JsonArrayText(
        queryset.values(
            json=JsonObject(**values),
            position=F(position),
            refused=Value(False) if refused is None else refused,
        )
    )


class JsonbRows(Subquery):
    """A subquery's rows (each one JSON object, selected as `json`) as one jsonb array, `[]` for none."""

    template = "COALESCE((SELECT jsonb_agg(_rows.json) FROM (%(subquery)s) _rows), '[]'::jsonb)"
    output_field = models.JSONField()


def jsonb_rows(queryset: QuerySet, **fields) -> JsonbRows:
    """The rows of `queryset` (correlated to an outer row by an `OuterRef`), each the jsonb object
    of `fields` (names and columns or expressions), as one jsonb array, in the queryset's order."""
    return JsonbRows(queryset.values(json=JSONObject(**fields)))


class JsonText(Func):
    """One JSON object as the text the API's renderer writes: compact (no spaces), its keys in the
    order given, each value as `to_json` writes it (text escaped as orjson escapes it, a number or
    boolean as it is) or `null`; a `JsonText` or `JsonTextRows` value is nested as it is. The
    response takes the text as it is (`kat_clinic.api.renderers.WrittenJson`)."""

    output_field = TextField()

    def __init__(self, **values):
        self.names = tuple(values)
        super().__init__(*values.values())

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for index, (name, value) in enumerate(zip(self.names, self.get_source_expressions(), strict=True)):
            sql, value_params = compiler.compile(value)
            # The key (and its separator) as a parameter: a name is never written into the SQL.
            parts.append("%s")
            params.append(("{" if index == 0 else ",") + orjson.dumps(name).decode() + ":")
            if isinstance(value, Value):  # a parameter's type is unknown to `to_json`: its field's
                sql = f"({sql})::{value.output_field.db_type(connection)}"
            nested = isinstance(value, (JsonText, JsonTextRows))
            parts.append(f"COALESCE({sql if nested else f'to_json({sql})::text'}, 'null')")
            params.extend(value_params)
        parts.append("'}'" if parts else "'{}'")
        return f"({' || '.join(parts)})", params


class JsonTextRows(Subquery):
    """A correlated subquery's rows (its `json` column, a `JsonText`, in `position` order) as the
    text of one compact JSON array: '[]' for none."""

    template = (
        "(SELECT '[' || COALESCE(string_agg(_rows.json, ',' ORDER BY _rows.position), '') || ']'"
        " FROM (%(subquery)s) _rows)"
    )
    output_field = TextField()


def json_text_rows(queryset: QuerySet, position: str, **values) -> JsonTextRows:
    """The rows of `queryset` (correlated to an outer row by an `OuterRef`) as compact JSON text
    (`JsonTextRows`): each row the object of `values` (names and expressions, in that order), the
    rows in `position` order."""
    return JsonTextRows(queryset.values(json=JsonText(**values), position=F(position)))
