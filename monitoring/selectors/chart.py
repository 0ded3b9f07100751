"""A session's whole chart and a patient's timeline, each read in a fixed number of queries."""

from __future__ import annotations

from django.utils import timezone

from kat_clinic.api.lean import PREFETCHED_SUFFIX
from kat_clinic.compiled_query import Param, Prepared
from kat_clinic.models import Patient
from monitoring.models import (
    DEFAULT_DOSE_CAPS,
    AdverseEvent,
    Alert,
    ChecklistOverride,
    ClinicalNote,
    Consent,
    DoseAdministration,
    ScaleResponse,
)
from monitoring.selectors.chart_reads import ChartReads
from monitoring.selectors.gate import _split, discharge_items, gate_items
from monitoring.selectors.policy import charting_rules, dose_cap_for
from monitoring.selectors.querysets import SessionRows
from sessions.models import Session


def session_chart(*, session: Session) -> dict:
    """Everything charted on one session with its gate and discharge status, whatever its size, in a
    fixed number of queries (fewer when the session was read `with_chart_rows_present`: a kind of
    row it has none of is not read). Shaped for `SessionChartSerializer`."""
    session_id = session.pk
    note = SessionRows.note.first(session=session_id) if _has(session, "note") else None
    if note is not None:
        # Where the lean note serializer reads them (as `note_list()`'s prefetch would give them).
        addenda = list(SessionRows.note_addenda.bind(note=note.pk)) if note.has_addenda else []
        note.__dict__["addenda" + PREFETCHED_SUFFIX] = addenda
    # The rows the gate and discharge status judge, each read once, for the chart and its statuses.
    none_of = {kind: [] for kind in ("doses", "escalations", "vitals", "sedation") if not _has(session, kind)}
    if not _has(session, "attestation"):
        none_of["attestation"] = None
    reads = ChartReads(session, **none_of)
    gate, discharge = chart_statuses(session=session, reads=reads)

    def listed(kind: str) -> list:
        return list(getattr(SessionRows, kind).bind(session=session_id)) if _has(session, kind) else []

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
        "note": note,
        "doses": reads.doses,
        "other_medications": listed("other_medications"),
        "escalations": reads.escalations,
        "vitals": reads.vitals,
        "sedation": reads.sedation,
        "dissociation": listed("dissociation"),
        "adverse_events": listed("adverse_events"),
        "alerts": listed("alerts"),
        "scales": listed("scales"),
        "attestation": reads.attestation,
        "rems_form": SessionRows.rems_form.first(session=session_id) if _has(session, "rems_form") else None,
        "gate": gate,
        "discharge": discharge,
    }


def _has(session: Session, kind: str) -> bool:
    """False only where the session was read with none of that kind of row (`with_chart_rows_present`)."""
    return getattr(session, "has_" + kind, True)


def _overrides_by_stage(session: Session) -> dict[str, dict[str, ChecklistOverride]]:
    """Both stages' overrides in one read: {stage: {item: override}}."""
    by_stage: dict[str, dict[str, ChecklistOverride]] = {stage: {} for stage in ChecklistOverride.Stage.values}
    if not _has(session, "overrides"):
        return by_stage
    for override in SessionRows.overrides.bind(session=session.pk):
        by_stage.setdefault(override.stage, {})[override.item] = override
    return by_stage


def chart_statuses(*, session: Session, reads: ChartReads) -> tuple[dict, dict]:
    """The gate and discharge status as `gate_status` and `discharge_status` give them, judging one
    set of the session's rows, with both stages' overrides in one read."""
    overrides = _overrides_by_stage(session)
    now = timezone.now()
    statuses = []
    for stage, items in (
        (ChecklistOverride.Stage.GATE, gate_items(session=session, now=now, reads=reads)),
        (ChecklistOverride.Stage.DISCHARGE, discharge_items(session=session, now=now, reads=reads)),
    ):
        blocking, overridden = _split(items, overrides[stage])
        statuses.append({"ready": not blocking, "unmet": blocking, "overridden": overridden})
    return statuses[0], statuses[1]


def chart_limits(*, session: Session) -> dict:
    """The clinic's thresholds, per-route dose caps and discharge numbers. Shaped for `ChartLimitsSerializer`."""
    policy, thresholds = charting_rules(session.clinic_id)
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
        "thresholds": thresholds,
        "dose_caps": caps,
        "discharge_min_spo2_percent": policy.discharge_min_spo2_percent,
        "discharge_minutes_ketamine": policy.discharge_minutes_ketamine,
        "discharge_minutes_esketamine": policy.discharge_minutes_esketamine,
        "predose_vitals_max_age_minutes": policy.predose_vitals_max_age_minutes,
    }


def _display(model, field: str):
    """The field's choice labels, as `get_<field>_display()` reads them: {value: label}."""
    return dict(model._meta.get_field(field).flatchoices)


def _of_patient(model, *columns: str, **filters) -> Prepared:
    return Prepared(lambda: model.objects.filter(patient_id=Param("patient"), **filters).values_list(*columns))


# Each kind of the timeline, as the few values its entry shows, in the order of `patient_timeline`.
_TIMELINE = {
    "note": _of_patient(ClinicalNote, "signed_at", "pk", "session_id", "amends_id", "kind", status="signed"),
    "dose": _of_patient(DoseAdministration, "started_at", "pk", "session_id", "medication", "dose_mg", "route"),
    "scale": _of_patient(ScaleResponse, "completed_at", "pk", "session_id", "scale", "total", "severity"),
    "alert": _of_patient(Alert, "raised_at", "pk", "session_id", "message"),
    "adverse_event": _of_patient(AdverseEvent, "onset_at", "pk", "session_id", "type", "severity"),
    "consent": _of_patient(Consent, "signed_at", "pk", "document_version"),
}


def patient_timeline(*, patient: Patient) -> list[dict]:
    """A patient's clinical history, newest first: signed notes, doses, scales, alerts, adverse events
    and consents, one query per kind. Shaped for `TimelineEntrySerializer`.

    Each kind is read as the few values its entry shows (no note sections, no dose details): a
    long history costs its rows, not its records."""
    entries = []
    rows = {kind: list(query.bind(patient=patient.pk)) for kind, query in _TIMELINE.items()}
    kinds = _display(ClinicalNote, "kind")
    for at, pk, session_id, amends_id, kind in rows["note"]:
        label = "Addendum" if amends_id else f"{kinds.get(kind, kind)} note"
        entries.append((at, "note", pk, session_id, f"{label} signed"))
    medications, routes = _display(DoseAdministration, "medication"), _display(DoseAdministration, "route")
    for at, pk, session_id, medication, dose_mg, route in rows["dose"]:
        summary = f"{medications.get(medication, medication)} {dose_mg} mg {routes.get(route, route)}"
        entries.append((at, "dose", pk, session_id, summary))
    scales = _display(ScaleResponse, "scale")
    for at, pk, session_id, scale, total, severity in rows["scale"]:
        shown = "" if total is None else f" {total}"
        entries.append((at, "scale", pk, session_id, f"{scales.get(scale, scale)}{shown} ({severity})"))
    for at, pk, session_id, message in rows["alert"]:
        entries.append((at, "alert", pk, session_id, message))
    types = _display(AdverseEvent, "type")
    for at, pk, session_id, kind, severity in rows["adverse_event"]:
        entries.append((at, "adverse_event", pk, session_id, f"{types.get(kind, kind)} ({severity})"))
    for at, pk, version in rows["consent"]:
        entries.append((at, "consent", pk, None, f"Consent {version}"))
    entries.sort(key=lambda e: (e[0], e[2]), reverse=True)
    return [
        {"at": at, "type": kind, "id": pk, "session": session, "summary": summary}
        for at, kind, pk, session, summary in entries
    ]
