"""The OpenAPI documentation of charting: the examples (`world`), then the operations (`operations`)."""

from monitoring.api.openapi import operations, world  # noqa: F401
