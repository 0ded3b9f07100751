"""Query parameters are input like any other: a value given must be valid, or the answer is a 400
naming the parameter. Blank is not a value, and an id is a whole number.

django-filter skips a blank parameter as if absent and reads a number filter as a decimal
(`?user=0.5`), and DRF skips a blank query value of an optional serializer field (it reads the query
string as an HTML form). `StrictFilterSet` (the base of every filter set, and of the ones the filter
backend builds from `filterset_fields`) and `QuerySerializer` (the base of serializers of query
parameters) refuse both.

A filter on a clinic (`?clinic=`, `?home_clinic=`) accepts a clinic the caller works at from the
roles their token brought (no query): it only checks that the clinic exists, and those do. Any
other id is looked up as before (a missing one is a 400; one that exists gives what the view's
scope allows of it, which is nothing for a clinic that is not the caller's).
"""

from __future__ import annotations

import copy
import functools

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_filters import rest_framework as filters
from django_filters.fields import ChoiceField as FilterChoiceField
from django_filters.fields import IsoDateTimeField
from django_filters.fields import ModelChoiceField as FilterModelChoiceField
from rest_framework import serializers
from rest_framework.fields import empty

from kat_clinic.access.scoping import roles_by_clinic
from kat_clinic.api.lean import FieldsBuiltOnce
from kat_clinic.api.times import NAIVE, TIME_OUT_OF_RANGE, PlausibleDateField, plausible_year
from kat_clinic.models import Clinic

BLANK = "Give a value, or leave the parameter out."
INTEGER_FIELDS = (models.AutoField, models.BigAutoField, models.IntegerField, models.BigIntegerField)


class IdFilter(filters.NumberFilter):
    """A number filter on an id: whole numbers only."""

    field_class = forms.IntegerField


class AwareIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 instant with its offset, in a plausible year (kat_clinic/api/times.py)."""

    def to_python(self, value):
        parsed = parse_datetime(value.strip()) if isinstance(value, str) and value.strip() else None
        if parsed is not None and timezone.is_naive(parsed):
            raise ValidationError(NAIVE, code="naive")
        if parsed is not None and not plausible_year(parsed):
            raise ValidationError(TIME_OUT_OF_RANGE, code="out_of_range")
        return super().to_python(value)


class AwareIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = AwareIsoDateTimeField


class CallersClinicField(FilterModelChoiceField):
    """A clinic choice that knows the caller's clinics (`callers_clinics`, set by the filter set)."""

    callers_clinics: frozenset[int] = frozenset()

    def to_python(self, value):
        if value not in self.empty_values and not isinstance(value, Clinic):
            try:
                clinic_id = int(value)
            except (TypeError, ValueError):
                clinic_id = None
            if clinic_id in self.callers_clinics:
                return Clinic(pk=clinic_id)  # the filter reads its id only
        return super().to_python(value)


class ClinicFilter(filters.ModelChoiceFilter):
    field_class = CallersClinicField


def _own_copy(filter_, parent, model):
    """A filter set's own copy of one of its class's filters, as FilterSet.__init__ makes with a deep
    copy, which also copied each model choice's queryset and was a tenth of a filtered list's CPU.
    What a filter set changes on its filters is theirs alone: the model, the parent, the form field
    built from them (`_field`) and the queryset written into `extra`; a method filter is bound to
    the copy, as it was to the original."""
    copied = copy.copy(filter_)
    copied.__dict__.pop("_field", None)
    copied.extra = dict(filter_.extra)
    copied.model = model
    copied.parent = parent
    if copied.method is not None:
        copied.method = copied.method
    return copied


class FieldsCopiedShallow(dict):
    """A filter form's fields, each copied for a form with `copy.copy`, where Django's form deep-copies
    them (their widgets, choices and querysets: a fifth of a filtered list's CPU). A filter form
    validates query parameters and is never rendered: what a form sets on its fields (the caller's
    clinics) is set on its own copies, and what they share (widgets, choices, querysets, messages)
    is only read."""

    def __deepcopy__(self, memo):
        return {name: copy.copy(field) for name, field in self.items()}


class StrictFilterSet(filters.FilterSet):
    # The form class of each filter set class, built once (its fields depend on the class only,
    # unless a filter's queryset is chosen per request, which is then built per request as before).
    _form_classes: dict[type, type] = {}

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # FilterSet.__init__ (django-filter 26.2), with `_own_copy` for its deep copy of every filter.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: _own_copy(f, self, queryset.model) for name, f in self.base_filters.items()}

    def get_form_class(self):
        cls = type(self)
        form_class = StrictFilterSet._form_classes.get(cls)
        if form_class is None:
            form_class = super().get_form_class()
            form_class.base_fields = FieldsCopiedShallow(form_class.base_fields)
            if not any(callable(getattr(f, "queryset", None)) for f in self.filters.values()):
                StrictFilterSet._form_classes[cls] = form_class
        return form_class

    @classmethod
    def filter_for_lookup(cls, field, lookup_type):
        filter_class, params = super().filter_for_lookup(field, lookup_type)
        if filter_class is filters.NumberFilter and isinstance(field, INTEGER_FIELDS):
            filter_class = IdFilter
        elif filter_class is filters.IsoDateTimeFilter:
            filter_class = AwareIsoDateTimeFilter
        elif filter_class is filters.ModelChoiceFilter and field.related_model is Clinic:
            filter_class = ClinicFilter
        return filter_class, params

    @property
    def form(self):
        form = super().form
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated:
            for field in form.fields.values():
                if isinstance(field, CallersClinicField):
                    field.callers_clinics = frozenset(roles_by_clinic(user))
        return form

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name in self.filters:
            if name in self.data and any(not value.strip() for value in self.data.getlist(name)):
                self.form.add_error(name, BLANK)
                valid = False
        return valid


# Form fields whose cleaned value is a function of the parameter's text alone (no database, clock
# or zone: a naive time is refused, so none is read in the current zone).
_FORM_FIELDS_READING_VALUES_ALONE = frozenset(
    {forms.IntegerField, forms.CharField, forms.ChoiceField, FilterChoiceField, AwareIsoDateTimeField}
)


def filter_reads_its_text_alone(filterset: StrictFilterSet, name: str) -> bool:
    """Whether a validated filter set read parameter `name`'s value from its text alone, so that
    the same text, for the same caller's clinics, is the same value. A clinic the caller works at
    is read without a query (`CallersClinicField`); any other model choice is looked up."""
    field = filterset.form.fields[name]
    if type(field) is CallersClinicField:
        try:
            return int(filterset.data.get(name)) in field.callers_clinics
        except (TypeError, ValueError):
            return False
    return type(field) in _FORM_FIELDS_READING_VALUES_ALONE and not filterset.filters[name].extra.get("validators")


def _ignores_no_input(filterset_class) -> bool:
    """Whether a filter set given no parameters leaves the queryset as it is (nothing required, no
    filtering of its own besides its filters, which skip an absent value)."""
    cached = _NO_INPUT_IS_NO_FILTER.get(filterset_class)
    if cached is None:
        cached = _NO_INPUT_IS_NO_FILTER[filterset_class] = (
            filterset_class.filter_queryset is filters.FilterSet.filter_queryset
            and filterset_class.qs is filters.FilterSet.qs
            and filterset_class.is_valid is StrictFilterSet.is_valid
            and not any(f.extra.get("required") for f in filterset_class.base_filters.values())
        )
    return cached


_NO_INPUT_IS_NO_FILTER: dict[type, bool] = {}


class StrictFilterBackend(filters.DjangoFilterBackend):
    """The filter backend of every list: filter sets built from `filterset_fields` are strict too.

    A request without query parameters skips building the filter set and its form when that would
    leave the queryset as it is (the common case: a read of one object, a list unfiltered).
    """

    filterset_base = StrictFilterSet
    # django-filter builds a filter set class from a view's `filterset_fields` on every request (the
    # model's fields read again each time): built once per view, model and fields.
    _built: dict[tuple, type] = {}

    def get_filterset_class(self, view, queryset=None):
        if getattr(view, "filterset_class", None) or queryset is None:
            return super().get_filterset_class(view, queryset)
        key = (type(view), queryset.model, repr(getattr(view, "filterset_fields", None)))
        built = StrictFilterBackend._built.get(key)
        if built is None:
            built = StrictFilterBackend._built[key] = super().get_filterset_class(view, queryset)
        return built

    def filter_queryset(self, request, queryset, view):
        if not request.query_params:
            # No filter set, or one built from `filterset_fields` (strict, nothing required), or a
            # declared one that does nothing without input: the queryset as django-filter returns it.
            declared = getattr(view, "filterset_class", None)
            if declared is None or _ignores_no_input(declared):
                return queryset
        return super().filter_queryset(request, queryset, view)


class QuerySerializer(FieldsBuiltOnce, serializers.Serializer):
    """A serializer of query parameters, read as plain values: a blank one is refused, not skipped.
    Its fields are built once per class (read on every request of a list or a board).

    `read(request.query_params)` gives the validated values or raises the 400. Where every field
    reads its value from the query string alone (`serializer_reads_its_text_alone`), the values
    of the last query strings read are kept: the same query string is the same values.
    """

    def __init__(self, instance=None, data=empty, **kwargs):
        if hasattr(data, "getlist"):
            data = data.dict()  # the last value of each parameter, as request.query_params.get gives
        super().__init__(instance, data, **kwargs)

    @classmethod
    def read(cls, query_params) -> dict:
        """The parameters' validated values (a ValidationError: the 400 of `is_valid`)."""
        if not serializer_reads_its_text_alone(cls):
            return dict(_validated(cls, query_params))
        return dict(_validated_again(cls, tuple(query_params.items())))


# Fields whose value is a function of the parameter's text alone: no database, clock, zone or context.
_FIELDS_READING_VALUES_ALONE = frozenset(
    {
        serializers.CharField,
        serializers.IntegerField,
        serializers.BooleanField,
        serializers.ChoiceField,
        serializers.DateField,
        PlausibleDateField,
    }
)


@functools.cache
def serializer_reads_its_text_alone(serializer_class: type[QuerySerializer]) -> bool:
    """Whether the serializer's validated values depend on the query string alone: each of its
    fields of a kind above (not a subclass), without validators or a default of its own, and no
    validation of the serializer's own (`validate`, `validate_<field>`)."""
    fields = serializer_class().fields
    own_validation = (
        serializer_class.validate is not serializers.Serializer.validate
        or serializer_class.to_internal_value is not serializers.Serializer.to_internal_value
        or serializer_class.run_validation is not serializers.Serializer.run_validation
        or any(hasattr(serializer_class, f"validate_{name}") for name in fields)
    )
    return not own_validation and all(
        type(field) in _FIELDS_READING_VALUES_ALONE
        and "validators" not in field._kwargs
        and "default" not in field._kwargs
        and "source" not in field._kwargs
        for field in fields.values()
    )


def _validated(serializer_class: type[QuerySerializer], data) -> dict:
    query = serializer_class(data=data)
    query.is_valid(raise_exception=True)
    return query.validated_data


@functools.lru_cache(maxsize=1024)
def _validated_again(serializer_class: type[QuerySerializer], items: tuple) -> dict:
    """The values of a query string, kept for the next time it is read (a refusal raises: not kept)."""
    return _validated(serializer_class, dict(items))
