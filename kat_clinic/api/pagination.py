"""One page envelope for every list: {count, next, previous, results}, ?page= and ?page_size=."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


def _positive_whole_number(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isdecimal() and 0 < len(raw) < 10 and int(raw) > 0 else None


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
