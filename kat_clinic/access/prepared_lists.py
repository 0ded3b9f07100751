"""Lists answered by a query built and compiled once for each combination of filters.

A list's query is the same from one request to the next but for its values (the clinic, the day,
the letter searched), and which filters are given: building it (the scope, each filter, the page's
count and slice) and compiling it to SQL cost a filtered list more CPU than PostgreSQL spends
running it. `PreparedListMixin` builds it once per connection for each set of filters given, page
size and page number, with the filters' values as parameters (kat_clinic/compiled_query.py), and
runs it again with each request's values.

The answer is DRF's, byte for byte: the filter set validates the query parameters as it does on
DRF's path (the same 400s), each filter adds to the query what it adds there (its own `filter()`,
given a parameter in place of the value), and the page, its count and its 404s are the
pagination's own (`DefaultPagination.page_of_rows`). Whatever the path does not cover takes DRF's
path: a filter not in `prepared_filters`, a value that is not a plain one, a list its pagination
counts apart (DISTINCT), the "last" page, a view without this pagination or filter backend.

Where the list's serializer can write its rows from columns (kat_clinic/api/lean_rows.py) and the
audit reads columns of the row too, the page is read as tuples (`values_list()`) and written from
them, without a model instance per row.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Hashable
from decimal import Decimal
from typing import NamedTuple

from django.db import models
from django.db.models import QuerySet
from django.db.models.query import ModelIterable
from django.http import QueryDict
from django_filters import filters
from django_filters.constants import EMPTY_VALUES
from django_filters.utils import translate_validation
from rest_framework import mixins

from kat_clinic.access.scoping import roles_by_clinic
from kat_clinic.api.filters import StrictFilterBackend, filter_reads_its_text_alone
from kat_clinic.api.lean import current_zone_is_utc
from kat_clinic.api.lean_rows import RowPlan, row_plan
from kat_clinic.api.pagination import TOTAL, DefaultPagination, countable_with_the_page
from kat_clinic.compiled_query import Param, ParamIds, Prepared

# The values a parameter carries as the filter's lookup would (a model instance is given by its id).
_PLAIN_VALUES = (int, str, bool, dt.datetime, dt.date, Decimal)
# Filters whose `filter()` only adds the lookup with the value (a choice filter, unless the value
# is its `null_value`); a method filter is named in `prepared_filters` by a view that knows its
# method only passes the value on to lookups.
_PLAIN_FILTERS = (filters.Filter.filter, filters.ChoiceFilter.filter)
# Prepared variants kept per view class: the combinations a clinic's screens use are a few dozen.
MAX_VARIANTS = 256
# Filterings kept per view class (a day's list, a patient's, a search's letters); all dropped when full.
MAX_FILTERINGS = 1024
_NOT_KEPT = object()


class _TupleRows(NamedTuple):
    """A page read as tuples: the plan that writes its rows, and where a row holds what the audit
    records of it (its id, patient and clinic; None: not audited)."""

    rows: RowPlan
    audited: tuple[int | None, int | None, int | None]
    # Where the page is read written whole by PostgreSQL (`RowPlan.written`): each row's JSON text
    # first, then its columns at `total` and `audited`.
    written: bool = False
    total: int = 0


class PreparedListMixin(mixins.ListModelMixin):
    """DRF's list, answered by a prepared query where the view can give its filters as parameters.

    For a `ClinicScopedViewSet` paginated by `DefaultPagination` (or a subclass). By default the
    list is the scoped base queryset filtered by the view's filter set, prepared for the filters
    named in `prepared_filters`; a view filtering otherwise implements `prepared_filtering` and
    `prepared_list_queryset` itself.
    """

    prepared_filters: frozenset[str] = frozenset()
    # Iterables of the list's queryset (besides Django's own) whose additions to each instance the
    # serializer's row plan writes itself, so that the page may be read as tuples.
    iterables_written_by_row_plan: tuple[type, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # (shape, page size, page, zone is UTC) -> (Prepared, its rows' plan or None), or None
        cls._prepared_variants = OrderedDict()
        # (query string, caller's clinics) -> the filtering it gives (`prepared_filtering`)
        cls._prepared_filterings = {}

    def list(self, request, *args, **kwargs):
        answer = self.prepared_page(request)
        if answer is None:
            return super().list(request, *args, **kwargs)
        rows, plan = answer
        if plan is None:
            return self.get_paginated_response(self.get_serializer(rows, many=True).data)
        if plan.written:
            page = plan.rows.represent_written(rows)
            if page is None:  # a time its field refuses: the field raises as it does on DRF's path
                return super().list(request, *args, **kwargs)
            return self.get_paginated_response(page)
        return self.get_paginated_response(plan.rows.represent(rows, current_zone_is_utc()))

    def prepared_filtering(self, request) -> tuple[Hashable, dict] | None:
        """The request's filtering as (its shape, the values of its parameters), or None where DRF's
        path answers. The shape names the variant: the same shape is the same SQL. A 400 raised here
        must be the one DRF's path raises. By default: the filter set's filters that are given.

        The filtering of a query string whose every filter's value is read from its text alone
        (`filter_reads_its_text_alone`) is kept, by the query string and the caller's clinics
        (which a clinic filter reads): the same ones again are the same filtering, without the
        filter set's form."""
        if not self.prepared_filters or list(self.filter_backends) != [StrictFilterBackend]:
            return None
        key = (
            tuple((name, *values) for name, values in request.query_params.lists()),
            frozenset(roles_by_clinic(request.user)),
        )
        kept = type(self)._prepared_filterings
        filtering = kept.get(key, _NOT_KEPT)
        if filtering is not _NOT_KEPT:
            return filtering
        filterset_class = self.filterset_class
        filterset = filterset_class(
            data=request.query_params, queryset=filterset_class._meta.model._default_manager.none(), request=request
        )
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        filtering = self._filtering_of(filterset)
        if all(
            filter_reads_its_text_alone(filterset, name) for name in request.query_params if name in filterset.filters
        ):
            if len(kept) >= MAX_FILTERINGS:
                kept.clear()
            kept[key] = filtering
        return filtering

    def _filtering_of(self, filterset) -> tuple[Hashable, dict] | None:
        values = {}
        for name, value in filterset.form.cleaned_data.items():
            if value in EMPTY_VALUES:
                continue
            filter_ = filterset.filters[name]
            if name not in self.prepared_filters or not _preparable(filter_, value):
                return None
            value = value.pk if isinstance(value, models.Model) else value
            if not isinstance(value, _PLAIN_VALUES):
                return None
            values[name] = value
        return tuple(sorted(values)), values

    def prepared_list_queryset(self, shape: Hashable) -> QuerySet:
        """The list of that shape, with `ParamIds("clinics")` for the caller's clinics and a `Param`
        for each of its values. By default: the scoped base queryset, with the filters named."""
        queryset = self.scoped(self.get_base_queryset(), ParamIds("clinics"))
        filterset = self.filterset_class(data=QueryDict(), queryset=queryset)
        for name in shape:
            queryset = filterset.filters[name].filter(queryset, Param(name))
        return queryset

    def prepared_scope_values(self) -> dict:
        """The values of the scope's parameters: the caller's clinics, by default."""
        return {"clinics": sorted(self.allowed_clinic_ids())}

    def prepared_page(self, request) -> tuple[list, _TupleRows | None] | None:
        """The page's rows by the prepared query, with the plan that writes them when they are
        tuples (else they are instances for the serializer), or None where DRF's path answers."""
        paginator = self.paginator
        if not isinstance(paginator, DefaultPagination) or getattr(self, "swagger_fake_view", False):
            return None
        filtering = self.prepared_filtering(request)  # validates first, as DRF's path does
        if filtering is None:
            return None
        shape, values = filtering
        page_size = paginator.get_page_size(request)
        raw_page = request.query_params.get(paginator.page_query_param)
        if not page_size or (raw_page is not None and raw_page in paginator.last_page_strings):
            return None
        number = int(paginator.get_page_number(request, None))
        variant = self._variant(shape, page_size, number)
        if variant is None:
            return None
        prepared, plan = variant
        paginator.request = request
        rows = list(prepared.bind(**self.prepared_scope_values(), **values))
        if plan is None:
            page = paginator.page_of_rows(rows, prepared.queryset, number, page_size)
            self.audit_objects(page)
            return page, None
        count = rows[0][plan.total] if rows else None
        page = paginator.page_of_rows(rows, prepared.queryset, number, page_size, count=count)
        audit = getattr(request, "audit", None)
        if audit is not None:
            audit.add_rows(page, *plan.audited)
        return page, plan

    def _tuple_rows(self, queryset: QuerySet, utc: bool) -> _TupleRows | None:
        """How to read and audit this list's page as tuples, or None: as instances. Where the zone
        is UTC and PostgreSQL can write the serializer's rows, read written whole."""
        if queryset._iterable_class not in (ModelIterable, *self.iterables_written_by_row_plan):
            return None  # a selector's iterable adds to each instance
        audit_columns = self.audit_columns(queryset.model)
        if audit_columns is None:
            return None
        plan = row_plan(self.get_serializer_class(), (*(c for c in audit_columns if c is not None), TOTAL))
        if plan is None:
            return None
        written = bool(utc and plan.written)
        index = plan.written_index if written else plan.index
        audited = tuple(None if c is None else index(c) for c in audit_columns)
        return _TupleRows(plan, audited, written, index(TOTAL))

    def _variant(self, shape: Hashable, page_size: int, number: int) -> tuple[Prepared, _TupleRows | None] | None:
        variants = type(self)._prepared_variants
        utc = current_zone_is_utc()  # (the page's times are then read as their text)
        key = (shape, page_size, number, utc)
        try:
            variants.move_to_end(key)
            return variants[key]
        except KeyError:
            pass
        queryset = self.prepared_list_queryset(shape)
        variant = None
        if countable_with_the_page(queryset):
            offset = (number - 1) * page_size
            page = queryset.annotate(**{TOTAL: self.paginator.total(queryset)})
            plan = self._tuple_rows(queryset, utc)
            if plan is not None:
                page = plan.rows.values_list(page.prefetch_related(None), utc, plan.written)
            page = page[offset : offset + page_size]
            variant = (Prepared(lambda: page), plan)
        variants[key] = variant
        while len(variants) > MAX_VARIANTS:
            variants.popitem(last=False)
        return variant


def _preparable(filter_, value) -> bool:
    if filter_.method is not None:
        return True
    plain = getattr(type(filter_).filter, "__func__", type(filter_).filter)
    if plain not in _PLAIN_FILTERS:
        return False
    return not isinstance(filter_, filters.ChoiceFilter) or value != filter_.null_value
