"""Base for the download endpoints: one representation each, errors in the API's JSON error body."""

from __future__ import annotations

from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from interop.api.renderers import OCTET_STREAM, FirstRendererNegotiation
from kat_clinic.access.scoping import clinics_for
from kat_clinic.access.viewsets import AuditedViewMixin


class DownloadView(AuditedViewMixin, APIView):
    content_negotiation_class = FirstRendererNegotiation

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    def allowed(self, operation: str | None = None) -> frozenset[int]:
        operation = operation or next(iter(self.operations.values()))
        return clinics_for(self.request.user, operation)

    def attachment(self, content: bytes, *, content_type: str, filename: str) -> HttpResponse:
        if getattr(self.request, "accepted_media_type", None) == OCTET_STREAM:
            content_type = OCTET_STREAM  # asked for as plain bytes (FirstRendererNegotiation)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        # A downloaded record must not linger in shared caches.
        response["Cache-Control"] = "no-store"
        return response
