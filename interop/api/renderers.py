"""FHIR media types. Errors stay in the API's own JSON error format (see FhirView)."""

from __future__ import annotations

import json

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer

from interop.fhir.validation import FHIR_MEDIA_TYPE, FHIR_NDJSON_MEDIA_TYPE

OCTET_STREAM = "application/octet-stream"


class FirstRendererNegotiation(BaseContentNegotiation):
    """Each download endpoint has one representation: send it whatever the Accept header says
    (FHIR clients often send `application/json`), rather than a 406. A binary download also answers
    as `application/octet-stream` to a client that asks for exactly that (code generators that do
    not know `application/pdf` or `application/fhir+ndjson` read any download as bytes)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        accepted = [part.split(";")[0].strip() for part in request.META.get("HTTP_ACCEPT", "").split(",")]
        if OCTET_STREAM in accepted:
            for renderer in renderers:
                if renderer.media_type == OCTET_STREAM:
                    return renderer, OCTET_STREAM
        return renderers[0], renderers[0].media_type


class FhirJsonRenderer(JSONRenderer):
    media_type = FHIR_MEDIA_TYPE
    format = "fhir"


class FhirNdjsonRenderer(BaseRenderer):
    """Renders a list of resources as NDJSON; the bulk file view hands it stored text as is."""

    media_type = FHIR_NDJSON_MEDIA_TYPE
    format = "ndjson"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str):
            return data.encode("utf-8")
        return "".join(json.dumps(item, separators=(",", ":")) + "\n" for item in data).encode("utf-8")


class BinaryRenderer(BaseRenderer):
    """For downloads (PDF, CSV, iCalendar): the view returns the bytes in an HttpResponse."""

    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else str(data).encode("utf-8")


class PdfRenderer(BinaryRenderer):
    media_type = "application/pdf"
    format = "pdf"


class CsvRenderer(BinaryRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"


class CalendarRenderer(BinaryRenderer):
    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"


class OctetStreamRenderer(BinaryRenderer):
    """The same bytes as the endpoint's own media type, for a client that asks for octet-stream."""

    media_type = OCTET_STREAM
    format = "bin"
