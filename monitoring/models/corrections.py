"""Entered in error: a dose, reading or score charted by mistake is marked, never deleted. The row
stays (audit and history show it and its correction) and every calculation leaves it out:
cumulative dose, thresholds and alerts, the gates, discharge, the REMS form and trends."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class EnteredInError(models.Model):
    """Abstract: who marked the row in error, when and why. Subclasses name their author field."""

    author_field: str = ""

    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    entered_in_error_reason = models.TextField(blank=True)

    class Meta:
        abstract = True


def entered_in_error_complete(model_name: str) -> models.CheckConstraint:
    """`<model>_entered_in_error_complete`: the mark holds who, when and a reason, or nothing."""
    return models.CheckConstraint(
        condition=Q(entered_in_error_at__isnull=True, entered_in_error_by__isnull=True, entered_in_error_reason="")
        | Q(entered_in_error_at__isnull=False, entered_in_error_by__isnull=False) & ~Q(entered_in_error_reason=""),
        name=f"{model_name}_entered_in_error_complete",
    )
