"""A lean representation for the hot list serializers: DRF's output, without DRF's per-row machinery.

DRF builds a serializer's fields for every serializer instance (a deep copy of the declared fields,
and a field built per model field), then for every row and every field walks `get_attribute` and
`to_representation` through several layers. A list of 50 patients spends most of its time there.

`LeanRepresentationMixin` reads the fields once per class into a recipe, one step per readable
field, and serializes a row with it:
- a model column (text, number, boolean, choice, date, JSON) is read with `getattr` and converted
  exactly as its DRF field does (the class's own field instance does the less common conversions);
- a date-time already in UTC (as the database returns it) is written in ISO 8601 with "Z" when the
  current time zone is UTC, as DRF writes it; any other goes through the field itself, so a naive or
  implausible one fails exactly as before;
- a primary key relation is the foreign key column;
- a method field calls the serializer's method;
- a nested `many=True` serializer that is itself lean reads the related rows and serializes each:
  the list a selector prefetched into `<source>_prefetched` (`Prefetch(..., to_attr=...)`, which
  spares Django a queryset per row to hold them, or named tuples of the columns, which spare a model
  instance per row), else the relation's manager;
- any other field, or a class whose fields cannot all be read this way, is DRF's own path.
The recipe holds no per-request state: `context` and the method fields are the live serializer's.
The fields themselves (which a validating serializer needs) are built from the model once per class
and deep-copied for each instance, as DRF copies declared fields.
tests/sessions/test_lean_serializers.py compares the output with DRF's for every lean class.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.manager import BaseManager
from django.utils import timezone
from rest_framework import fields as drf_fields
from rest_framework import relations, serializers
from rest_framework.settings import api_settings

from kat_clinic.api.times import EARLIEST_YEAR, LATEST_YEAR, plausible_year

_UTC = dt.UTC
# A selector's `Prefetch(to_attr=<source> + PREFETCHED_SUFFIX)` is what a nested many field reads.
PREFETCHED_SUFFIX = "_prefetched"
# Field classes whose to_representation depends only on the value (never on context or parent).
_TEXT = (drf_fields.CharField, drf_fields.EmailField, drf_fields.SlugField, drf_fields.URLField, drf_fields.RegexField)
_VALUE_CLASSES = (
    *_TEXT,
    drf_fields.IntegerField,
    drf_fields.BooleanField,
    drf_fields.ChoiceField,
    drf_fields.DateField,
    drf_fields.DateTimeField,
    drf_fields.JSONField,
    drf_fields.DecimalField,
    drf_fields.FloatField,
    drf_fields.UUIDField,
)


def _identity_or(field):
    """A converter for a column's value, exactly the field's own to_representation."""
    cls = type(field)
    convert = field.to_representation
    if cls.to_representation is drf_fields.CharField.to_representation:
        return lambda value: value if type(value) is str else convert(value)
    if cls.to_representation is drf_fields.IntegerField.to_representation:
        return lambda value: value if type(value) is int else convert(value)
    if cls.to_representation is drf_fields.BooleanField.to_representation:
        return lambda value: value if type(value) is bool else convert(value)
    if cls.to_representation is drf_fields.ChoiceField.to_representation:
        mapping = field.choice_strings_to_values

        def choice(value):
            if value == "":
                return value
            return mapping.get(value if type(value) is str else str(value), value)

        return choice
    if cls.to_representation is drf_fields.JSONField.to_representation and not field.binary:
        return lambda value: value
    if cls.to_representation is drf_fields.DateTimeField.to_representation:
        return _datetime_converter(field)
    if cls.to_representation is drf_fields.DateField.to_representation:
        iso = getattr(field, "format", api_settings.DATE_FORMAT)
        if iso is not None and iso.lower() == "iso-8601":
            return lambda value: value.isoformat() if type(value) is dt.date else convert(value)
    return convert


def _datetime_converter(field):
    convert = field.to_representation
    iso = getattr(field, "format", api_settings.DATETIME_FORMAT)
    if iso is None or iso.lower() != "iso-8601" or hasattr(field, "timezone"):
        return convert
    checks_year = isinstance(field, _aware_field_class())

    def datetime_iso(value, current_zone_is_utc: bool):
        fast = current_zone_is_utc and type(value) is dt.datetime and value.tzinfo is _UTC
        if fast and (not checks_year or plausible_year(value)):
            text = value.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return convert(value)

    datetime_iso.takes_zone_flag = True
    # The years written the fast way (kat_clinic/api/lean_rows.py writes them inline).
    datetime_iso.fast_years = (EARLIEST_YEAR, LATEST_YEAR) if checks_year else (dt.MINYEAR, dt.MAXYEAR)
    return datetime_iso


def _aware_field_class():
    from kat_clinic.api.times import AwareDateTimeField

    return AwareDateTimeField


def current_zone_is_utc() -> bool:
    zone = timezone.get_current_timezone()
    return zone is _UTC or getattr(zone, "key", None) == "UTC"


def _is_property(model, name: str) -> bool:
    return isinstance(getattr(model, name, None), property)


def _model_field(model, name: str):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _plain_source(field) -> str | None:
    source = field.source
    if not source or source == "*" or "." in source:
        return None
    return source


def _step(serializer, name: str, field):
    """One field's step: (name, kind, key, convert), or None when only DRF's path will do."""
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    source = _plain_source(field)
    if isinstance(field, serializers.SerializerMethodField):
        return (name, "method", field.method_name, None)
    if model is None or source is None:
        return None
    column = _model_field(model, source)
    if isinstance(field, relations.PrimaryKeyRelatedField):
        cls, base = type(field), relations.PrimaryKeyRelatedField
        plain = (
            cls.to_representation is base.to_representation
            and cls.get_attribute is relations.RelatedField.get_attribute
            and cls.use_pk_only_optimization is base.use_pk_only_optimization
            and field.pk_field is None
        )
        if plain and isinstance(column, models.ForeignKey):
            return (name, "column", column.attname, None)
        return None
    if isinstance(field, serializers.ListSerializer):
        child = field.child
        if (
            isinstance(child, LeanRepresentationMixin)
            and type(field).to_representation in _LIST_REPRESENTATIONS
            and column is not None
            and column.is_relation
            and (column.one_to_many or column.many_to_many)
        ):
            return (name, "many", source, type(child))
        return None
    if type(field).get_attribute is not drf_fields.Field.get_attribute:
        return None
    if column is None and field.read_only and isinstance(field, _VALUE_CLASSES) and _is_property(model, source):
        # A read-only value computed by the model (a note's etag): read as DRF reads it, the attribute.
        return (name, "column", source, _identity_or(field))
    if not isinstance(field, _VALUE_CLASSES) or column is None or column.is_relation or not column.concrete:
        return None
    if column.attname != source:
        return None
    convert = _identity_or(field)
    return (name, "time" if getattr(convert, "takes_zone_flag", False) else "column", source, convert)


def build_recipe(serializer) -> tuple | None:
    """The steps for every readable field, in order; None when one of them needs DRF's path."""
    if isinstance(serializer, LeanComposite):
        return _composite_recipe(serializer)
    if type(serializer).get_fields not in (serializers.ModelSerializer.get_fields, FieldsBuiltOnce.get_fields):
        return None  # fields chosen per request: no recipe can stand for them
    steps = []
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        step = _step(serializer, name, field)
        if step is None:
            return None
        steps.append(step)
    return tuple(steps)


def _is_plain_row(instance) -> bool:
    """A selector's named tuple standing for a model row: it carries every column by its attname."""
    return isinstance(instance, tuple) and hasattr(instance, "_fields")


def _fresh_field(field: drf_fields.Field) -> drf_fields.Field:
    """A new instance of `field`, for a serializer of its own to bind: what DRF's deep copy makes
    (the class called again with the arguments it was built with), as a shallow copy of the built,
    never bound, field. The copy shares what `__init__` built (the model field, the messages, the
    choices, the validators, the queryset), which is read, never changed, once a field is built;
    binding sets the copy's own name, parent and label. Calling `__init__` again (its messages
    merged across the class's ancestors, its validators built) was a tenth of a write's CPU.
    A field holding another field (a list's child, a nested serializer) is deep-copied as DRF
    does, since binding would tie one shared child to each new parent and its request."""
    holds_a_field = isinstance(field, serializers.BaseSerializer) or any(
        isinstance(value, drf_fields.Field) for value in (*field._args, *field._kwargs.values())
    )
    if holds_a_field:
        return copy.deepcopy(field)
    fresh = object.__new__(type(field))
    fresh.__dict__.update(field.__dict__)
    return fresh


class LeanListSerializer(serializers.ListSerializer):
    """DRF's list of a lean serializer's rows (`many=True`): whether the current zone is UTC is
    asked once for the list, not once per row."""

    def to_representation(self, data):
        iterable = data.all() if isinstance(data, BaseManager) else data
        represent = self.child._lean_representation
        utc = current_zone_is_utc()
        return [represent(item, utc) for item in iterable]


_LIST_REPRESENTATIONS = (serializers.ListSerializer.to_representation, LeanListSerializer.to_representation)


class FieldsBuiltOnce:
    # A serializer's fields built once per class: DRF builds them for every instance (a deep copy of
    # the declared fields, and a ModelSerializer a field per model field), and a validating
    # serializer is an instance per request body. Each instance gets fields of its own, built again
    # from the same arguments (`_fresh_field`). (No class docstring: drf-spectacular would describe
    # every such serializer's schema with it.)

    _built_fields: dict[type, dict] = {}

    def get_fields(self):
        cls = type(self)
        built = FieldsBuiltOnce._built_fields.get(cls)
        if built is None:
            built = FieldsBuiltOnce._built_fields[cls] = super().get_fields()
        return {name: _fresh_field(field) for name, field in built.items()}


class LeanRepresentationMixin(FieldsBuiltOnce):
    # DRF's representation of a model serializer, from a recipe read once per class. (No class
    # docstring: drf-spectacular would describe every lean serializer's schema with it.)

    @classmethod
    def many_init(cls, *args, **kwargs):
        many = super().many_init(*args, **kwargs)
        if type(many) is serializers.ListSerializer:
            many.__class__ = LeanListSerializer  # DRF's own list, but for the zone asked once
        return many

    _lean_recipes: dict[type, tuple | None] = {}

    @classmethod
    def _lean_recipe(cls) -> tuple | None:
        try:
            return LeanRepresentationMixin._lean_recipes[cls]
        except KeyError:
            recipe = build_recipe(cls())
            LeanRepresentationMixin._lean_recipes[cls] = recipe
            return recipe

    def to_representation(self, instance):
        return self._lean_representation(instance, None)

    def _lean_representation(self, instance, utc: bool | None):
        """`utc`: whether the current zone is UTC, when the caller (a parent row) knows it."""
        recipe = self._lean_recipe()
        if recipe is None or not (isinstance(instance, models.Model) or _is_plain_row(instance)):
            return super().to_representation(instance)
        ret = {}
        if utc is None:
            utc = current_zone_is_utc()  # once per row, not per date-time: the zone is a context variable
        try:
            for name, kind, key, extra in recipe:
                if kind == "time":
                    value = getattr(instance, key)
                    ret[name] = None if value is None else extra(value, utc)
                elif kind == "column":
                    value = getattr(instance, key)
                    ret[name] = None if value is None else (extra(value) if extra is not None else value)
                elif kind == "method":
                    ret[name] = getattr(self, key)(instance)
                else:  # many: the related rows, each by a lean child
                    related = instance.__dict__.get(key + PREFETCHED_SUFFIX)
                    if related is None:
                        related = getattr(instance, key)
                    if related is None:
                        ret[name] = None
                        continue
                    rows = related.all() if isinstance(related, BaseManager) else related
                    if not rows:  # no rows: no child serializer to make
                        ret[name] = []
                        continue
                    children = self._lean_children(name, extra)
                    # The children of one row are read in the same zone as their parent.
                    represent = getattr(children, "_lean_representation", None)
                    ret[name] = (
                        [represent(row, utc) for row in rows]
                        if represent is not None
                        else [children.to_representation(row) for row in rows]
                    )
        except AttributeError:
            return super().to_representation(instance)
        return ret

    def _lean_children(self, name: str, child_class):
        cache = self.__dict__.setdefault("_lean_child_serializers", {})
        child = cache.get(name)
        if child is None:
            child = cache[name] = child_class(context=self.context)
        return child


class LeanComposite(LeanRepresentationMixin):
    # A response of several parts (a plain serializer of a dict whose values are rows, lists of rows
    # and plain values, as the session chart): each part written as DRF writes it, without DRF
    # deep-copying every nested serializer for each response. A part read by a lean serializer is
    # written the lean way; a part by another serializer, by a new instance of it with this
    # serializer's context; a plain value (a dict, a list, a number, a time) by the class's own field,
    # converted as a lean row's columns are.

    def _lean_representation(self, instance, utc: bool | None):
        recipe = self._lean_recipe()
        if recipe is None or not isinstance(instance, Mapping) or any(step[2] not in instance for step in recipe):
            return super(LeanRepresentationMixin, self).to_representation(instance)
        if utc is None:
            utc = current_zone_is_utc()
        ret = {}
        for name, kind, key, extra in recipe:
            value = instance[key]
            if value is None:
                ret[name] = None
            elif kind == "value":
                ret[name] = extra(value)
            elif kind == "time":
                ret[name] = extra(value, utc)
            elif kind in ("many", "many_plain"):
                rows = value.all() if isinstance(value, BaseManager) else value
                if not rows:  # no rows: no serializer of the part to make
                    ret[name] = []
                elif kind == "many":
                    part = self._lean_children(name, extra)
                    ret[name] = [part._lean_representation(row, utc) for row in rows]
                else:
                    part = self._lean_children(name, extra)
                    ret[name] = [part.to_representation(row) for row in rows]
            else:
                part = self._lean_children(name, extra)
                if kind == "one":
                    ret[name] = part._lean_representation(value, utc)
                else:  # plain: a serializer that is not lean, with DRF's own path
                    ret[name] = part.to_representation(value)
        return ret


def _composite_recipe(serializer) -> tuple | None:
    steps = []
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        source = _plain_source(field)
        if source is None or type(field).get_attribute is not drf_fields.Field.get_attribute:
            return None
        if isinstance(field, serializers.ListSerializer):
            child = field.child
            if type(field).to_representation not in _LIST_REPRESENTATIONS:
                return None
            lean = isinstance(child, LeanRepresentationMixin)
            steps.append((name, "many" if lean else "many_plain", source, type(child)))
        elif isinstance(field, LeanRepresentationMixin):
            steps.append((name, "one", source, type(field)))
        elif isinstance(field, serializers.BaseSerializer):
            steps.append((name, "plain", source, type(field)))
        elif isinstance(field, _VALUE_CLASSES):
            convert = _identity_or(field)
            steps.append((name, "time" if getattr(convert, "takes_zone_flag", False) else "value", source, convert))
        elif isinstance(field, (drf_fields.DictField, drf_fields.ListField)):
            steps.append((name, "value", source, field.to_representation))
        else:
            return None
    return tuple(steps)
