"""A lean serializer's rows written from tuples of columns: a prepared list page without instances.

A page read as model instances pays, for each row, the instance (its `__dict__` filled from the
database row) and then the lean recipe's reads from it (kat_clinic/api/lean.py). Where every field
the serializer writes is a column of its model, or a method field it also declares as a function
of columns (`lean_row_methods`), the page can be read with `values_list()` and each row written
straight from its tuple: the same names in the same order, each value converted as its field
converts it.

    plan = row_plan(PatientSerializer, extra=("home_clinic_id",))
    rows = plan.values_list(queryset)            # the representation's columns, then the extra ones
    plan.represent(rows, utc=True)               # [{"id": 7, "mrn": "...", ...}, ...]

A value is written as it is where its field would return it unchanged: a text field's string, a
number field's int, a boolean, a choice whose values are their own names, a JSON document (read
from its text by the scanner `json.loads` runs, without Django's conversion of each row). Any
other value (a date, a time, a decimal, an unexpected type) goes through the field's own
conversion, and a missing value is null, as DRF writes it. A serializer with any other kind of
field (a nested list, a method field without its row function, a property) has no plan: its rows
are read as instances.

Where the current zone is UTC and PostgreSQL can write every field as the serializer does (text,
numbers, booleans and own-name choices as they are, times by `UtcIsoText`, method fields by their
`lean_row_sql` twin, nested lists by their `lean_row_json_children` rows), a page is read written
whole (`RowPlan.written`): each row its JSON text, sent as it is (`WrittenJson`), and Python builds
no dict for it. A row with a time of a year its field refuses comes back '' and the page is then
written the other way, where the field raises as it does.

tests/kat_clinic/test_lean_rows.py compares the output with the lean and DRF representations.
"""

from __future__ import annotations

import dataclasses
import json
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, UTC, datetime
from functools import reduce

import orjson
from django.db import models
from django.db.models import Case, Exists, ExpressionWrapper, F, Func, Q, QuerySet, TextField, Value, When
from rest_framework import fields as drf_fields
from rest_framework.settings import api_settings

from kat_clinic.api.lean import LeanRepresentationMixin
from kat_clinic.api.renderers import WrittenJson
from kat_clinic.compiled_batch import DRIVER_TYPES
from kat_clinic.json_sql import JsonArrayText, JsonText, json_rows, json_text_rows

# A text field (and its kin), a whole number, a boolean: written as they are when of that type.
_PLAIN_TYPES = (
    (drf_fields.CharField.to_representation, str),
    (drf_fields.IntegerField.to_representation, int),
    (drf_fields.BooleanField.to_representation, bool),
)
_ALWAYS_PLAIN = object()  # a value written as it is, whatever its type (a JSON document)


@dataclass(frozen=True)
class RowPlan:
    """How rows of `columns` become the serializer's representation."""

    # The names the representation writes, in its order; `columns[i]` holds `names[i]`'s value
    # (for a method field, its row function's first column; for a nested list, the row's id: both
    # replaced once the row is written).
    names: tuple[str, ...]
    # The `values_list()` lookups: the representation's columns, then any other one asked for.
    columns: tuple[str, ...]
    # (index, name, the type written as it is or None, the field's conversion).
    converted: tuple[tuple[int, str, type | None, Callable], ...]
    # (index, name, the conversion that also takes whether the current zone is UTC, and the first
    # and last year of a UTC time it writes as ISO 8601 with "Z", which is then written here).
    timed: tuple[tuple[int, str, Callable, int, int], ...]
    # (name, indexes of its columns, function of their values).
    computed: tuple[tuple[str, tuple[int, ...], Callable], ...]
    # (name, function of the page's ids and the zone flag, giving each id's written list), and
    # where a row holds its id.
    children: tuple[tuple[str, Callable], ...] = ()
    pk_index: int = 0
    # What `values_list()` is given for each column: its lookup, or for a JSON document the
    # column read as text (see `_json_document`).
    selected: tuple = ()
    # The same where the current zone is UTC, with each time written by PostgreSQL (`UtcIsoText`)
    # and each nested list of `json_children` by PostgreSQL as JSON text.
    selected_utc: tuple = ()
    # Where the current zone is UTC: (index, name, the conversion that refuses a time as the list's
    # field does) of each nested list read as JSON text (`json_rows_text`), in place of `children`.
    json_children: tuple[tuple[int, str, Callable], ...] = ()
    # Where the current zone is UTC and PostgreSQL can write every field as the serializer does
    # (`written_row`): the selection of a page written whole, each row its representation as
    # compact JSON text ('' where a time is of a year its field refuses), then `written_columns`.
    written: tuple = ()
    written_columns: tuple[str, ...] = ()

    def index(self, column: str) -> int:
        placeholders = {index for index, _name, _refuse in self.json_children}
        for index, name in enumerate(self.columns):
            if name == column and index not in placeholders:
                return index
        raise ValueError(f"{column!r} is not a column of the plan")

    def written_index(self, column: str) -> int:
        """Where a row read `written` holds `column` (one of the plan's own or extra columns)."""
        return 1 + self.written_columns.index(column)

    def values_list(self, queryset: QuerySet, utc: bool = False, written: bool = False) -> QuerySet:
        """The queryset's rows as tuples of the plan's columns; `utc` (the zone `represent` will be
        given), with their times as ISO 8601 text; `written` (with `utc`, where the plan has a
        written selection), each row's JSON text then the `written_columns`."""
        if written:
            return queryset.values_list(*self.written)
        return queryset.values_list(*((utc and self.selected_utc) or self.selected or self.columns))

    @staticmethod
    def represent_written(rows: Iterable[tuple]) -> list[WrittenJson] | None:
        """The rows read `written`, each its JSON text to be sent as it is; None where PostgreSQL
        refused a row (a time of a year its field refuses: the caller writes the page otherwise,
        and the field raises as it does)."""
        out = []
        for row in rows:
            if not row[0]:
                return None
            out.append(WrittenJson(row[0]))
        return out

    def represent(self, rows: Iterable[tuple], utc: bool) -> list[dict]:
        names, converted, timed, computed = self.names, self.converted, self.timed, self.computed
        out = []
        for row in rows:
            ret = dict(zip(names, row, strict=False))  # up to the names: the other columns are not written
            for index, name, plain, convert in converted:
                value = row[index]
                if value is not None and type(value) is not plain:
                    ret[name] = convert(value)
            for index, name, convert, first_year, last_year in timed:
                value = row[index]
                if value is None or type(value) is str:  # (written by PostgreSQL: `UtcIsoText`)
                    if value == "":
                        convert(IMPLAUSIBLE_TIME, utc)  # a year the field refuses: it raises as the field does
                    continue
                if utc and type(value) is datetime and value.tzinfo is UTC and first_year <= value.year <= last_year:
                    ret[name] = value.isoformat()[:-6] + "Z"  # (a UTC time's ends in +00:00)
                else:
                    ret[name] = convert(value, utc)
            for name, indexes, function in computed:
                ret[name] = function(*[row[index] for index in indexes])
            if utc:
                for index, name, refuse in self.json_children:
                    text = row[index]
                    if not text:
                        refuse(IMPLAUSIBLE_TIME, utc)  # a time of a year the field refuses: it raises as the field does
                    ret[name] = orjson.loads(text)
            out.append(ret)
        children = self.children
        if utc and self.json_children:
            written = {name for _index, name, _refuse in self.json_children}
            children = tuple(child for child in children if child[0] not in written)
        if children and out:
            ids = [row[self.pk_index] for row in rows]
            for name, children_of in children:
                by_id = children_of(ids, utc)
                for ret, pk in zip(out, ids, strict=True):
                    ret[name] = by_id.get(pk, [])
        return out


_plans: dict[tuple, RowPlan | None] = {}
# A time of a year no API field writes: given to a field's conversion in place of a time that
# PostgreSQL wrote as '' (outside the field's years), so that it raises as the field does.
IMPLAUSIBLE_TIME = datetime(1, 1, 1, tzinfo=UTC)


class UtcIsoText(Func):
    """A time as the lean conversion writes it in UTC: ISO 8601 with "Z", the microseconds only
    when there are some (as `datetime.isoformat`), and '' for a time outside the years
    [`first_year`, `last_year`] (whose field refuses it). PostgreSQL writes the text in place of
    the time's own text, so the web process neither parses the time nor writes it again."""

    output_field = TextField()

    def __init__(self, column: str, first_year: int, last_year: int):
        super().__init__(F(column))
        self.first_year, self.last_year = first_year, last_year

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        text = f"""replace(to_char({sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '.000000Z', 'Z')"""
        if (self.first_year, self.last_year) == (MINYEAR, MAXYEAR):
            return text, params  # every time the driver can read
        low = datetime(self.first_year, 1, 1, tzinfo=UTC)
        high = datetime(self.last_year + 1, 1, 1, tzinfo=UTC)
        return f"CASE WHEN {sql} < %s OR {sql} >= %s THEN '' ELSE {text} END", (*params, low, *params, high, *params)


def row_plan(serializer_class: type, extra: tuple[str, ...] = ()) -> RowPlan | None:
    """The plan of a lean serializer's rows with `extra` columns after its own, or None when one
    of its fields cannot be written from columns (built once per class and extra columns).

    Besides columns, a serializer may declare:
    - `lean_row_methods`: {method field: (its columns as `values_list()` lookups, a function of
      their values giving what the method gives)};
    - `lean_row_children`: {nested list field: a function of a page's ids and whether the zone is
      UTC, giving {id: the written list}}, read once for the whole page;
    - `lean_row_json_children`: {nested list field: a function of no arguments giving its rows'
      queryset for the row `OuterRef("pk")`, ordered by one column}: where the current zone is
      UTC, the list is written by PostgreSQL in the page's own query (`json_rows_text`) and read
      with orjson, in place of its `lean_row_children` function (which other zones still use).
    """
    key = (serializer_class, extra)
    if key not in _plans:
        _plans[key] = _build(serializer_class, extra)
    return _plans[key]


def _build(serializer_class: type, extra: tuple[str, ...]) -> RowPlan | None:
    if not issubclass(serializer_class, LeanRepresentationMixin):
        return None
    recipe = serializer_class._lean_recipe()
    model = getattr(getattr(serializer_class, "Meta", None), "model", None)
    if recipe is None or model is None:
        return None
    columns_by_attname = {field.attname: field for field in model._meta.concrete_fields}
    row_methods: dict = getattr(serializer_class, "lean_row_methods", {})
    row_children: dict = getattr(serializer_class, "lean_row_children", {})
    json_children_of: dict = getattr(serializer_class, "lean_row_json_children", {})
    pk = model._meta.pk.attname
    fields = serializer_class().fields
    names: list[str] = []
    columns: list[str] = []
    converted, timed, methods, children, json_children = [], [], [], [], []
    as_text: dict[str, ExpressionWrapper] = {}
    utc_text: dict[str | int, Func] = {}  # by column, or by the index of a nested list's placeholder
    for name, kind, key, convert in recipe:
        names.append(name)
        if kind in ("column", "time") and key in columns_by_attname:
            columns.append(key)
            if kind == "time":
                # (no year is written inline by a conversion that does not say which it writes so)
                first_year, last_year = getattr(convert, "fast_years", (1, 0))
                timed.append((len(columns) - 1, name, convert, first_year, last_year))
                if hasattr(convert, "fast_years") and isinstance(columns_by_attname[key], models.DateTimeField):
                    utc_text[key] = UtcIsoText(key, first_year, last_year)
                continue
            plain = _plain_type(fields[name]) if convert is not None else _ALWAYS_PLAIN
            if plain is _ALWAYS_PLAIN and _is_plain_json(columns_by_attname[key]):
                as_text[key] = ExpressionWrapper(F(key), output_field=TextField())
                converted.append((len(columns) - 1, name, None, _json_document))
            elif plain is None or (plain is not _ALWAYS_PLAIN and plain is not _driver_type(columns_by_attname[key])):
                converted.append((len(columns) - 1, name, plain, convert))
        elif kind == "method" and name in row_methods:
            inputs, function = row_methods[name]
            columns.append(inputs[0])  # a placeholder the function's value replaces
            methods.append((name, inputs, function))
        elif kind == "many" and name in row_children:
            columns.append(pk)  # a placeholder the list replaces
            children.append((name, row_children[name]))
            if name in json_children_of:
                written = json_rows_text(type(fields[name].child), json_children_of[name]())
                if written is not None:
                    text, refuse = written
                    utc_text[len(columns) - 1] = text
                    json_children.append((len(columns) - 1, name, refuse))
        else:
            return None
    for _name, inputs, _function in methods:
        columns.extend(column for column in inputs if column not in columns)
    placeholders = {index for index, _name, _refuse in json_children}
    if not any(column == pk for index, column in enumerate(columns) if index not in placeholders):
        columns.append(pk)
    columns.extend(column for column in dict.fromkeys(extra) if column not in columns)
    computed = tuple(
        (name, tuple(columns.index(column) for column in inputs), function) for name, inputs, function in methods
    )
    plan = RowPlan(
        tuple(names),
        tuple(columns),
        tuple(converted),
        tuple(timed),
        computed,
        tuple(children),
        next(index for index, column in enumerate(columns) if column == pk and index not in placeholders),
        tuple(as_text.get(column, column) for column in columns) if as_text else (),
        tuple(
            utc_text.get(index, utc_text.get(column, as_text.get(column, column)))
            for index, column in enumerate(columns)
        )
        if utc_text
        else (),
        tuple(json_children),
    )
    row = written_row(serializer_class, plan, json_children_of)
    if row is None:
        return plan
    written_columns = tuple(dict.fromkeys((pk, *extra)))
    return dataclasses.replace(plan, written=(row, *written_columns), written_columns=written_columns)


def written_row(serializer_class: type, plan: RowPlan, json_children_of: dict | None = None) -> Func | None:
    """A row's representation where the current zone is UTC, written by PostgreSQL as compact JSON
    text ('' where one of its times, or of its nested lists' times, is of a year its field refuses),
    or None where a field cannot be so written (see `_written_values`). A nested list is written
    where its field is in `json_children_of` (`lean_row_json_children`)."""
    written = _written_values(serializer_class, plan, json_children_of or {})
    if written is None:
        return None
    values, refused, _refuse = written
    row = JsonText(**values)
    if not refused:
        return row
    return Case(When(reduce(operator.or_, refused), then=Value("")), default=row, output_field=TextField())


def _written_values(serializer_class: type, plan: RowPlan, json_children_of: dict) -> tuple | None:
    """What PostgreSQL writes of a row of the plan, as the serializer writes it where the zone is
    UTC: ({name: expression}, [the conditions under which a time's field refuses the row], the
    conversion that refuses such a time as the field does), or None where a field's value is not
    written as it is, where a time's field does not say which years it writes inline, where a
    method field has no `lean_row_sql` twin (a function of no arguments giving its SQL expression),
    or where a nested list has no `json_children_of` queryset ordered by one column."""
    if plan.converted:
        return None
    sql_methods: dict = getattr(serializer_class, "lean_row_sql", {})
    computed = {name for name, _indexes, _function in plan.computed}
    timed = {index: (convert, first, last) for index, _name, convert, first, last in plan.timed}
    children = dict(plan.children)
    values, refused, refuse = {}, [], None
    for index, name in enumerate(plan.names):
        column = plan.columns[index]
        if name in computed:
            if name not in sql_methods:
                return None
            values[name] = sql_methods[name]()
        elif index in timed:
            refuse, first, last = timed[index]
            if first > last:  # (the conversion writes no year inline)
                return None
            values[name] = UtcIsoText(column, first, last)
            if (first, last) != (MINYEAR, MAXYEAR):
                low, high = datetime(first, 1, 1, tzinfo=UTC), datetime(last + 1, 1, 1, tzinfo=UTC)
                refused += [Q(**{f"{column}__lt": low}), Q(**{f"{column}__gte": high})]
        elif name in children:
            nested = _written_list(serializer_class().fields[name].child, json_children_of.get(name))
            if nested is None:
                return None
            values[name], nested_refused = nested
            if nested_refused is not None:
                refused.append(Q(nested_refused))
        else:
            values[name] = F(column)
    return values, refused, refuse


def _written_list(child, rows_of: Callable | None) -> tuple | None:
    """A nested list written by PostgreSQL as compact JSON text, and whether one of its rows is
    refused (an `Exists`, or None where none can be), or None where it cannot be so written."""
    if rows_of is None:
        return None
    queryset = rows_of()
    plan = row_plan(type(child))
    order = queryset.query.order_by
    if plan is None or plan.children or len(order) != 1 or order[0].startswith("-"):
        return None
    written = _written_values(type(child), plan, {})
    if written is None:
        return None
    values, refused, _refuse = written
    text = json_text_rows(queryset, order[0], **values)
    return text, (Exists(queryset.filter(reduce(operator.or_, refused))) if refused else None)


def json_rows_text(serializer_class: type, queryset: QuerySet) -> tuple[JsonArrayText, Callable | None] | None:
    """The rows of `queryset` (a subquery of an outer row, ordered by one column) written by
    PostgreSQL as the serializer writes them where the current zone is UTC, as JSON text, and the
    conversion that refuses a time as the serializer's field does ('' is written for a time of a
    year it refuses). None where a field's value is not written as it is, where a time's field
    does not say which years it writes inline, or where a method field has no `lean_row_sql`
    twin (a function of no arguments giving its SQL expression)."""
    plan = row_plan(serializer_class)
    order = queryset.query.order_by
    if plan is None or plan.children or len(order) != 1 or order[0].startswith("-"):
        return None
    written = _written_values(serializer_class, plan, {})
    if written is None:
        return None
    values, refused, refuse = written
    if refused:
        refused = ExpressionWrapper(reduce(operator.or_, refused), output_field=models.BooleanField())
    return json_rows(queryset, order[0], refused or None, **values), refuse


def _plain_type(field) -> type | object | None:
    """The type a field writes unchanged (`_ALWAYS_PLAIN` for any), or None: always converted."""
    represent = type(field).to_representation
    for method, plain in _PLAIN_TYPES:
        if represent is method:
            return plain
    if represent is drf_fields.BigIntegerField.to_representation:
        coerced = getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
        return None if coerced else int
    if represent is drf_fields.ChoiceField.to_representation:
        mapping = field.choice_strings_to_values
        return str if all(type(value) is str and key == value for key, value in mapping.items()) else None
    if represent is drf_fields.JSONField.to_representation and not field.binary:
        return _ALWAYS_PLAIN
    return None


def _is_plain_json(column) -> bool:
    """A JSON column that Django reads with `json.loads` and nothing else."""
    return type(column) is models.JSONField and column.decoder is None


# The scanner `json.loads` runs (json.decoder's C scanner), without the call's checks around it.
_scan_json = json.JSONDecoder().scan_once


def _json_document(text: str):
    """A JSON column's text as Django's JSONField reads it: `json.loads`, or the text itself where
    that fails. PostgreSQL writes a jsonb value without surrounding white space, so the scanner
    reads it whole; anything else takes `json.loads`."""
    try:
        value, end = _scan_json(text, 0)
    except StopIteration:
        end = -1
    if end == len(text):
        return value
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _driver_type(column) -> type | None:
    if hasattr(column, "from_db_value"):
        return None
    # (a value its serializer field writes as it is, read as the driver reads it, needs no check)
    return DRIVER_TYPES.get(column.get_internal_type())
