"""The ledger's reports for the registrant and the clinic's admins. Every read is an audited PHI read."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from controlled import selectors
from controlled.api import serializers as s
from controlled.api.views import LedgerViewSet
from controlled.models import Count, Registration
from kat_clinic.models import Clinic

CSV_RESPONSES = {
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per ledger entry or container."),
    400: OpenApiResponse(description="A query parameter is missing or invalid."),
    404: OpenApiResponse(description="Not in your clinics."),
}


def _csv(header: list[str], rows: Iterable[list[str]], filename: str) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ReportViewSet(LedgerViewSet):
    clinic_lookup = "clinic"
    audit_resource = "controlled_report"
    operations = {
        "dispensing_log": "controlled.report",
        "reconciliation": "controlled.report",
        "inventory": "controlled.report",
        "distributions": "controlled.report",
    }

    def get_base_queryset(self):
        return Registration.objects.select_related("clinic")

    def _registration(self, pk: int) -> Registration:
        registration = self.get_queryset().filter(pk=pk).first()
        if registration is None:
            raise NotFound()
        self.audit_objects([registration])
        return registration

    @extend_schema(parameters=[s.DispensingLogQuerySerializer], responses=CSV_RESPONSES)
    @action(detail=False, methods=["get"], url_path="dispensing-log", pagination_class=None, filter_backends=[])
    def dispensing_log(self, request):
        """The dispensing log of one registration over [start, end] (clinic dates), as CSV: per entry
        the patient's name and address, the drug's name, strength and form, the quantity, the date,
        who administered it, and the container's balance after it."""
        query = s.DispensingLogQuerySerializer.read(request.query_params)
        registration = self._registration(query["registration"])
        entries = list(
            selectors.dispensing_log_entries(registration=registration, start=query["start"], end=query["end"])
        )
        audit = getattr(request, "audit", None)
        if audit is not None:
            for entry in entries:
                audit.add_object(resource_id=entry.pk, patient_id=entry.patient_id, clinic_id=registration.clinic_id)
        return _csv(
            selectors.DISPENSING_LOG_COLUMNS,
            selectors.dispensing_log_rows(registration=registration, entries=entries),
            f"dispensing-log-{registration.number}-{query['start']}-{query['end']}.csv",
        )

    @extend_schema(parameters=[s.ReconciliationQuerySerializer], responses={200: s.ReconciliationSerializer(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def reconciliation(self, request):
        """Per container of the clinic over [start, end]: opening, received, administered, wasted and
        other movements, the expected closing figure, and the period's last count against the ledger."""
        query = s.ReconciliationQuerySerializer.read(request.query_params)
        if query["clinic"] not in self.allowed_clinic_ids():
            raise NotFound()
        clinic = Clinic.objects.get(pk=query["clinic"])
        rows = selectors.reconciliation(clinic=clinic, start=query["start"], end=query["end"])
        audit = getattr(request, "audit", None)
        if audit is not None:
            for row in rows:
                audit.add_object(resource_id=row.container_id, patient_id=None, clinic_id=clinic.pk)
        return Response(s.ReconciliationSerializer(rows, many=True).data)

    @extend_schema(parameters=[s.InventoryQuerySerializer], responses=CSV_RESPONSES)
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def inventory(self, request):
        """An inventory (the biennial one, or any count) as a dated snapshot, one row per container."""
        query = s.InventoryQuerySerializer.read(request.query_params)
        count = (
            Count.objects.filter(pk=query["count"], clinic__in=self.allowed_clinic_ids())
            .select_related("clinic", "counted_by")
            .first()
        )
        if count is None:
            raise NotFound()
        lines = list(selectors.inventory_lines(count=count))
        audit = getattr(request, "audit", None)
        if audit is not None:
            audit.add_object(resource_id=count.pk, patient_id=None, clinic_id=count.clinic_id)
        local_day = count.counted_at.astimezone(count.clinic.tz).date()
        return _csv(
            selectors.INVENTORY_COLUMNS,
            selectors.inventory_rows(count=count, lines=lines),
            f"inventory-{count.kind}-{local_day}-{count.pk}.csv",
        )

    @extend_schema(
        parameters=[s.DistributionQuerySerializer],
        responses={200: s.DistributionSummarySerializer, 404: OpenApiResponse(description="Not in your clinics.")},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def distributions(self, request):
        """Distributions to other registrations in a calendar year against the practitioner's 5 % limit."""
        query = s.DistributionQuerySerializer.read(request.query_params)
        registration = self._registration(query["registration"])
        summary = selectors.distribution_summary(registration=registration, year=query["year"])
        return Response(s.DistributionSummarySerializer(summary).data)
