"""The `entered-in-error/` action shared by the dose, vital sign and score endpoints."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from monitoring.api.views.base import ERRORS, acting_staff
from monitoring.services.corrections import MIN_REASON, chart_entry_mark_in_error


class EnteredInErrorSerializer(serializers.Serializer):
    # The minimum is stated in the schema, so a too-short reason is refused on the field.
    reason = serializers.CharField(min_length=MIN_REASON, max_length=1000)


class EnteredInErrorMixin:
    """Adds POST `<id>/entered-in-error/`; the viewset's `operations["entered_in_error"]` names the
    operation its author needs (someone else's entry also needs a prescriber)."""

    @extend_schema(request=EnteredInErrorSerializer, responses={200: None, **ERRORS})
    @action(detail=True, methods=["post"], url_path="entered-in-error")
    def entered_in_error(self, request, pk=None):
        serializer = EnteredInErrorSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = chart_entry_mark_in_error(
            entry=self.get_object(),
            by=acting_staff(request),
            reason=serializer.validated_data["reason"],
            operation=self.operations["entered_in_error"],
        )
        return Response(self.get_serializer(entry).data)
