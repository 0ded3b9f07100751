"""A lean serializer's rows written from tuples of columns: a prepared list page without instances.

A page read as model instances pays, for each row, the instance (its `__dict__` filled from the
database row) and then the lean recipe's reads from it (kat_clinic/api/lean.py). Where every field
the serializer writes is a column of its model, or a method field it also declares as a function
of columns (`lean_row_methods`), the page can be read with `values_list()` and each row written
straight from its tuple: the same names in the same order, each value converted as its field
converts it.

    plan = row_plan(PatientSerializer, extra=("home_clinic_id",))
    queryset.values_list(*plan.columns)          # the representation's columns, then the extra ones
    plan.represent(rows, utc=True)               # [{"id": 7, "mrn": "...", ...}, ...]

A value is written as it is where its field would return it unchanged: a text field's string, a
number field's int, a boolean, a choice whose values are their own names, a JSON document. Any
other value (a date, a time, a decimal, an unexpected type) goes through the field's own
conversion, and a missing value is null, as DRF writes it. A serializer with any other kind of
field (a nested list, a method field without its row function, a property) has no plan: its rows
are read as instances.

tests/kat_clinic/test_lean_rows.py compares the output with the lean and DRF representations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rest_framework import fields as drf_fields
from rest_framework.settings import api_settings

from kat_clinic.api.lean import LeanRepresentationMixin

# A text field (and its kin), a whole number, a boolean: written as they are when of that type.
_PLAIN_TYPES = (
    (drf_fields.CharField.to_representation, str),
    (drf_fields.IntegerField.to_representation, int),
    (drf_fields.BooleanField.to_representation, bool),
)
_ALWAYS_PLAIN = object()  # a value written as it is, whatever its type (a JSON document)
# Model columns the database driver always reads as this type (or None), when the field converts
# nothing on the way (no `from_db_value`): a value its serializer field writes as it is needs no check.
_DRIVER_TYPES = {
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


@dataclass(frozen=True)
class RowPlan:
    """How rows of `columns` become the serializer's representation."""

    # The names the representation writes, in its order; `columns[i]` holds `names[i]`'s value
    # (for a method field, one of its row function's columns, which the function then replaces).
    names: tuple[str, ...]
    # The `values_list()` lookups: the representation's columns, then any other one asked for.
    columns: tuple[str, ...]
    # (index, name, the type written as it is or None, the field's conversion).
    converted: tuple[tuple[int, str, type | None, Callable], ...]
    # (index, name, the conversion that also takes whether the current zone is UTC).
    timed: tuple[tuple[int, str, Callable], ...]
    # (name, indexes of its columns, function of their values).
    computed: tuple[tuple[str, tuple[int, ...], Callable], ...]

    def index(self, column: str) -> int:
        return self.columns.index(column)

    def represent(self, rows: Iterable[tuple], utc: bool) -> list[dict]:
        names, converted, timed, computed = self.names, self.converted, self.timed, self.computed
        out = []
        for row in rows:
            ret = dict(zip(names, row, strict=False))  # up to the names: the other columns are not written
            for index, name, plain, convert in converted:
                value = row[index]
                if value is not None and type(value) is not plain:
                    ret[name] = convert(value)
            for index, name, convert in timed:
                value = row[index]
                if value is not None:
                    ret[name] = convert(value, utc)
            for name, indexes, function in computed:
                ret[name] = function(*[row[index] for index in indexes])
            out.append(ret)
        return out


_plans: dict[tuple, RowPlan | None] = {}


def row_plan(serializer_class: type, extra: tuple[str, ...] = ()) -> RowPlan | None:
    """The plan of a lean serializer's rows with `extra` columns after its own, or None when one
    of its fields cannot be written from columns (built once per class and extra columns)."""
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
    fields = serializer_class().fields
    names: list[str] = []
    columns: list[str] = []
    converted, timed, methods = [], [], []
    for name, kind, key, convert in recipe:
        if kind in ("column", "time") and key in columns_by_attname:
            names.append(name)
            columns.append(key)
            if kind == "time":
                timed.append((len(columns) - 1, name, convert))
                continue
            plain = _plain_type(fields[name]) if convert is not None else _ALWAYS_PLAIN
            if plain is None or (plain is not _ALWAYS_PLAIN and plain is not _driver_type(columns_by_attname[key])):
                converted.append((len(columns) - 1, name, plain, convert))
        elif kind == "method" and name in row_methods:
            names.append(name)
            columns.append("")  # filled below with one of its columns no other step reads
            methods.append((name, len(columns) - 1, *row_methods[name]))
        else:
            return None
    computed = []
    for name, slot, inputs, function in methods:
        unread = [column for column in inputs if column not in columns]
        if not unread:
            return None  # (a method of columns all written elsewhere: no column left for its slot)
        columns[slot] = unread[0]
        columns.extend(column for column in unread[1:] if column not in columns)
        computed.append((name, tuple(columns.index(column) for column in inputs), function))
    columns.extend(column for column in dict.fromkeys(extra) if column not in columns)
    return RowPlan(tuple(names), tuple(columns), tuple(converted), tuple(timed), tuple(computed))


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


def _driver_type(column) -> type | None:
    if hasattr(column, "from_db_value"):
        return None
    return _DRIVER_TYPES.get(column.get_internal_type())
