"""Read paths for charting: querysets with their joins applied, so API query counts stay fixed."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from monitoring.models import (
    AdverseEvent,
    Alert,
    ChecklistOverride,
    ClinicalNote,
    DissociationScore,
    DoseAdministration,
    Escalation,
    RemsMonitoringForm,
    ScaleResponse,
    SedationScore,
    SessionAttestation,
    SessionMedication,
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


def session_chart(*, session_id: int) -> dict:
    """Everything charted on one session, in a fixed number of queries whatever its size."""
    return {
        "notes": list(note_list().filter(session_id=session_id)),
        "doses": list(dose_list().filter(session_id=session_id)),
        "other_medications": list(SessionMedication.objects.filter(session_id=session_id).order_by("given_at", "pk")),
        "escalations": list(Escalation.objects.filter(session_id=session_id).order_by("occurred_at", "pk")),
        "vitals": list(vital_list().filter(session_id=session_id)),
        "sedation": list(SedationScore.objects.filter(session_id=session_id).order_by("measured_at", "pk")),
        "dissociation": list(DissociationScore.objects.filter(session_id=session_id).order_by("measured_at", "pk")),
        "adverse_events": list(AdverseEvent.objects.filter(session_id=session_id).order_by("onset_at", "pk")),
        "alerts": list(alert_list().filter(session_id=session_id)),
        "scales": list(ScaleResponse.objects.filter(session_id=session_id).order_by("completed_at", "pk")),
        "attestation": SessionAttestation.objects.filter(session_id=session_id).first(),
        "rems_form": RemsMonitoringForm.objects.filter(session_id=session_id).first(),
    }


def chart_session_list() -> QuerySet[Session]:
    return Session.objects.select_related("clinic", "patient")


def override_list() -> QuerySet[ChecklistOverride]:
    return ChecklistOverride.objects.select_related("session").order_by("-overridden_at", "-pk")
