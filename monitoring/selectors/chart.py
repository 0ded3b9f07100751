"""A session's whole chart and a patient's timeline, each read in a fixed number of queries."""

from __future__ import annotations

from kat_clinic.models import Patient
from monitoring.models import (
    DEFAULT_DOSE_CAPS,
    AdverseEvent,
    Consent,
    DissociationScore,
    Escalation,
    RemsMonitoringForm,
    ScaleResponse,
    SedationScore,
    SessionAttestation,
    SessionMedication,
)
from monitoring.selectors.gate import discharge_status, gate_status
from monitoring.selectors.policy import dose_cap_for, policy_for, thresholds_for
from monitoring.selectors.querysets import alert_list, dose_list, note_any, note_list, vital_list
from sessions.models import Session


def session_chart(*, session: Session) -> dict:
    """Everything charted on one session with its gate and discharge status, whatever its size, in a
    fixed number of queries. Shaped for `SessionChartSerializer`."""
    session_id = session.pk
    notes = list(note_list().filter(session_id=session_id))
    return {
        "session": {
            "id": session.pk,
            "kind": session.kind,
            "status": session.status,
            "starts_at": session.starts_at.isoformat(),
            "ends_at": session.ends_at.isoformat(),
            "patient": session.patient_id,
            "clinic": session.clinic_id,
        },
        "note": notes[0] if notes else None,
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
        "gate": gate_status(session=session),
        "discharge": discharge_status(session=session),
    }


def chart_limits(*, session: Session) -> dict:
    """The clinic's thresholds, per-route dose caps and discharge numbers. Shaped for `ChartLimitsSerializer`."""
    policy = policy_for(session.clinic_id)
    caps = []
    for medication, route in DEFAULT_DOSE_CAPS:
        cap = dose_cap_for(clinic_id=session.clinic_id, medication=medication, route=route) or {}
        caps.append(
            {
                "medication": medication,
                "route": route,
                "max_session_mg": None if cap.get("max_session_mg") is None else str(cap["max_session_mg"]),
                "max_session_mg_per_kg": (
                    None if cap.get("max_session_mg_per_kg") is None else str(cap["max_session_mg_per_kg"])
                ),
            }
        )
    return {
        "thresholds": thresholds_for(clinic=session.clinic_id),
        "dose_caps": caps,
        "discharge_min_spo2_percent": policy.discharge_min_spo2_percent,
        "discharge_minutes_ketamine": policy.discharge_minutes_ketamine,
        "discharge_minutes_esketamine": policy.discharge_minutes_esketamine,
        "predose_vitals_max_age_minutes": policy.predose_vitals_max_age_minutes,
    }


def patient_timeline(*, patient: Patient) -> list[dict]:
    """A patient's clinical history, newest first: signed notes, doses, scales, alerts, adverse events
    and consents, one query per kind. Shaped for `TimelineEntrySerializer`."""
    entries = []
    for note in note_any().filter(patient=patient, status="signed"):
        label = "Addendum" if note.amends_id else f"{note.get_kind_display()} note"
        entries.append((note.signed_at, "note", note.pk, note.session_id, f"{label} signed"))
    for dose in dose_list().filter(patient=patient):
        summary = f"{dose.get_medication_display()} {dose.dose_mg} mg {dose.get_route_display()}"
        entries.append((dose.started_at, "dose", dose.pk, dose.session_id, summary))
    for response in ScaleResponse.objects.filter(patient=patient):
        total = "" if response.total is None else f" {response.total}"
        summary = f"{response.get_scale_display()}{total} ({response.severity})"
        entries.append((response.completed_at, "scale", response.pk, response.session_id, summary))
    for alert in alert_list().filter(patient=patient):
        entries.append((alert.raised_at, "alert", alert.pk, alert.session_id, alert.message))
    for event in AdverseEvent.objects.filter(patient=patient):
        summary = f"{event.get_type_display()} ({event.severity})"
        entries.append((event.onset_at, "adverse_event", event.pk, event.session_id, summary))
    for consent in Consent.objects.filter(patient=patient):
        entries.append((consent.signed_at, "consent", consent.pk, None, f"Consent {consent.document_version}"))
    entries.sort(key=lambda e: (e[0], e[2]), reverse=True)
    return [
        {"at": at, "type": kind, "id": pk, "session": session, "summary": summary}
        for at, kind, pk, session, summary in entries
    ]
