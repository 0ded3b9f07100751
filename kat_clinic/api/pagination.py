from rest_framework.pagination import PageNumberPagination


class DefaultPagination(PageNumberPagination):
    """`{count, next, previous, results}`, `?page=` from 1, `?page_size=` up to 200."""

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
