"""One page envelope for every list: {count, next, previous, results}, ?page= and ?page_size=.

The count comes with the page: `COUNT(*) OVER ()` in the page's own query, so a list costs one
query instead of a COUNT and a SELECT. An empty page past the first has no row to carry it: that
page is out of range (404, as before), and the first page empty is a count of 0. Lists the window
cannot count the same way (DISTINCT, combined queries, rows as dicts, Python lists) and the
"last" page keep Django's paginator: a COUNT, then the page.

A window makes PostgreSQL read every row of the list, all its columns, before the first page
leaves: right for a list of a day or a patient, costly for a clinic's whole history.
`LongListPagination` (for such lists) counts in a subquery of the list's ids instead, still in the
page's own query: computed once, narrow, and the page itself is read by index up to its last row.
"""

from __future__ import annotations

from django.core.paginator import InvalidPage, Page
from django.db.models import Count, F, IntegerField, QuerySet, Subquery, Window
from django.db.models.expressions import BaseExpression
from django.db.models.query import ModelIterable
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

TOTAL = "_kat_page_total"
# A list that keeps its own count elsewhere (a tally) gives it as this alias of its queryset.
KEPT_COUNT = "_kat_kept_count"


def countable_with_the_page(queryset) -> bool:
    # Model instances (a selector's ModelIterable may add to them), not values or tuples.
    if not isinstance(queryset, QuerySet) or not issubclass(queryset._iterable_class, ModelIterable):
        return False
    query = queryset.query
    return not (query.distinct or query.combinator or query.is_sliced or TOTAL in query.annotations)


def _positive_whole_number(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isdecimal() and 0 < len(raw) < 10 and int(raw) > 0 else None


class ReadAsWholeNumber:
    """A count, which PostgreSQL returns as a bigint and psycopg2 reads as an int: no converter, so
    Django does not copy and convert every row of a page to read it (its default for an integer
    expression)."""

    convert_value = staticmethod(BaseExpression._convert_value_noop)


class CountOverAll(ReadAsWholeNumber, Window):
    """`COUNT(*) OVER ()`: the whole list's count in each row of its page."""

    def __init__(self):
        super().__init__(Count("*"))


class DefaultPagination(PageNumberPagination):
    """DRF's page numbers, strict about their parameters: `?page_size=null` or `?page=` is a 400
    naming the parameter (DRF would fall back to the defaults); a size above the maximum is the
    maximum, and a page past the last is a 404."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_paginated_response_schema(self, schema):
        # The examples drf-spectacular wraps a list operation's item example in: one page, one item.
        paginated = super().get_paginated_response_schema(schema)
        properties = paginated["properties"]
        properties["count"].update(example=1, description="How many objects all pages hold together.")
        properties["next"].update(example=None, description="The next page's URL; null on the last page.")
        properties["previous"].update(example=None, description="The previous page's URL; null on the first page.")
        return paginated

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        raw = request.query_params.get(self.page_query_param)
        if not countable_with_the_page(queryset) or (raw is not None and raw in self.last_page_strings):
            return super().paginate_queryset(queryset, request, view)
        number = int(self.get_page_number(request, None))
        offset = (number - 1) * page_size
        rows = list(queryset.annotate(**{TOTAL: self.total(queryset)})[offset : offset + page_size])
        return self.page_of_rows(rows, queryset, number, page_size)

    def page_of_rows(self, rows: list, queryset, number: int, page_size: int, count: int | None = None) -> list:
        """Page `number` of the list, from its rows read with the list's count (`TOTAL`), or with
        `count` given (rows read as tuples)."""
        paginator = self.django_paginator_class(queryset, page_size)
        if rows:
            # The cached property, set: no COUNT query.
            paginator.count = count if count is not None else getattr(rows[0], TOTAL)
        elif number == 1 and paginator.allow_empty_first_page:
            paginator.count = 0
        else:
            raise NotFound(
                self.invalid_page_message.format(page_number=number, message="That page contains no results")
            )
        try:
            self.page = Page(rows, paginator.validate_number(number), paginator)
        except InvalidPage as exc:  # pragma: no cover - a row came back, so the page exists
            raise NotFound(self.invalid_page_message.format(page_number=number, message=str(exc))) from exc
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return rows

    def total(self, queryset):
        """The expression that counts the whole list in each row of the page."""
        return CountOverAll()

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = _positive_whole_number(raw)
        if size is None:
            raise ValidationError(
                {self.page_size_query_param: [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return min(size, self.max_page_size)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None or raw in self.last_page_strings:
            return super().get_page_number(request, paginator)
        if _positive_whole_number(raw) is None:
            raise ValidationError({self.page_query_param: ["Give a page number from 1, or 'last'."]})
        return raw


class CountOfIds(ReadAsWholeNumber, Subquery):
    """How many rows a queryset holds, as a scalar subquery over their ids (uncorrelated: computed once)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()


class LongListPagination(DefaultPagination):
    """The envelope of `DefaultPagination`, for lists that grow with a clinic's history: the count
    is a subquery of the list's ids, not a window over its rows (see the module's docstring), or
    the count the list keeps itself, where its queryset carries one (the alias `KEPT_COUNT`)."""

    def total(self, queryset):
        if KEPT_COUNT in queryset.query.annotations:
            return F(KEPT_COUNT)
        return CountOfIds(queryset.order_by().values("pk"))
