"""Querysets for charting's endpoints, with their joins applied, so API query counts stay fixed."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from monitoring.models import (
    Alert,
    ChecklistOverride,
    ClinicalNote,
    ContraindicationScreen,
    DoseAdministration,
    RemsMonitoringForm,
    ScaleResponse,
    VitalSign,
)
from sessions.models import Session


def note_list() -> QuerySet[ClinicalNote]:
    addenda = ClinicalNote.objects.order_by("created_at", "pk")
    return (
        ClinicalNote.objects.filter(amends__isnull=True)
        .select_related("session")
        .prefetch_related(Prefetch("addenda", queryset=addenda))
        .order_by("-created_at", "-pk")
    )


def note_any() -> QuerySet[ClinicalNote]:
    """Notes and addenda alike (signing an addendum goes through the same routes)."""
    return ClinicalNote.objects.select_related("session").prefetch_related("addenda").order_by("-created_at", "-pk")


def session_rows(model) -> QuerySet:
    """Rows hanging off a session; the session is joined for the audit's patient id."""
    return model.objects.select_related("session").order_by("-pk")


def vital_list() -> QuerySet[VitalSign]:
    return VitalSign.objects.order_by("measured_at", "pk")


def alert_list() -> QuerySet[Alert]:
    return Alert.objects.order_by("-raised_at", "-pk")


def scale_response_list() -> QuerySet[ScaleResponse]:
    return ScaleResponse.objects.select_related("patient").order_by("-completed_at", "-pk")


def dose_list() -> QuerySet[DoseAdministration]:
    return DoseAdministration.objects.order_by("started_at", "pk")


def patient_records(model) -> QuerySet:
    return model.objects.select_related("patient").order_by("-pk")


def chart_session_list() -> QuerySet[Session]:
    return Session.objects.select_related("clinic", "patient")


def override_list() -> QuerySet[ChecklistOverride]:
    return ChecklistOverride.objects.select_related("session").order_by("-overridden_at", "-pk")


def contraindication_screen_list() -> QuerySet[ContraindicationScreen]:
    return ContraindicationScreen.objects.select_related("patient").order_by("-screened_at", "-pk")


def rems_form_list() -> QuerySet[RemsMonitoringForm]:
    return RemsMonitoringForm.objects.select_related("session").order_by("due_on", "pk")
