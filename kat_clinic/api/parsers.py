"""Request bodies: JSON, bounded in size and depth before anything is built from them.

The standard library's parser recurses once per level and fails with RecursionError (a 500) on a
body nested ~1,000 deep. pydantic-core's parser (jiter, already pinned with pydantic) refuses
nesting beyond its fixed recursion limit (200 levels) with an ordinary parse error. The body is
read at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (plus one, to tell) before parsing, the bound
Django applies to form bodies: beyond it the answer is a 413.
"""

from __future__ import annotations

import pydantic_core
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import parsers
from rest_framework.exceptions import ParseError

TOO_BIG = "The request body exceeds {limit} bytes."


def read_bounded(stream) -> bytes:
    """The whole body, or RequestDataTooBig (413) once it passes DATA_UPLOAD_MAX_MEMORY_SIZE."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return stream.read()
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise RequestDataTooBig(TOO_BIG.format(limit=limit))
    return body


class BoundedJSONParser(parsers.JSONParser):
    """DRF's JSON parser with a size bound and a depth bound; NaN and Infinity are refused as before."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = read_bounded(stream)
        try:
            return pydantic_core.from_json(body, allow_inf_nan=False)
        except ValueError as exc:
            reason = str(exc)
            if "recursion limit" in reason:
                raise ParseError("JSON parse error - the document is nested too deeply.") from None
            raise ParseError(f"JSON parse error - {reason}") from None


# What an API view accepts: JSON only. A form-encoded body could not say "blank" apart from "absent"
# (DRF skips a blank form value of a field that is not required), so forms are for the SMS webhook only.
JSON_ONLY = [BoundedJSONParser]
JSON_OR_FORM = [BoundedJSONParser, parsers.FormParser]
