"""A session's whole chart and a patient's timeline, each read in a fixed number of queries."""

from __future__ import annotations

from datetime import datetime

from django.db.models import BigIntegerField, F, QuerySet, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone

from kat_clinic.api.lean import PREFETCHED_SUFFIX
from kat_clinic.compiled_batch import read_together
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
from monitoring.selectors.gate import _split, discharge_items, gate_items, gate_record_reads
from monitoring.selectors.policy import charting_rules, dose_cap_for
from monitoring.selectors.querysets import CHART_ROW_KINDS, SessionRows
from sessions.models import Session


def session_chart(*, session: Session) -> dict:
    """Everything charted on one session with its gate and discharge status, whatever its size, in a
    fixed number of queries (fewer when the session was read `with_chart_rows_present`: a kind of
    row it has none of is not read). Shaped for `SessionChartSerializer`.

    Where the session was read `with_chart_rows_present`, the rows of every kind it has, its note
    with its addenda, and the gate's reads of the patient's records (as the gate plans them for the
    plan step's medication: `gate_record_reads`) are read together, in one statement
    (`read_together`); where a dose of another medication was given, the gate's reads in one more."""
    session_id = session.pk
    now = timezone.now()
    reads = ChartReads(session)
    # The patient's records the gate will judge by, read ahead with the rows (where they are read
    # together): as the gate plans them for the plan step's medication.
    ahead = gate_record_reads(session=session, now=now, reads=reads) if _reads_together(session) else []
    rows, records = _rows_together(session, ahead)
    if "note" in rows:  # read with the rest, its addenda too
        note = next(iter(rows["note"]), None)
        addenda = rows["note_addenda"]
        if note is not None:
            note.session = session  # (as `note_list()` joins it)
    else:
        note = SessionRows.note.first(session=session_id) if _has(session, "note") else None
        addenda = list(SessionRows.note_addenda.bind(note=note.pk)) if note is not None and note.has_addenda else []
    if note is not None:
        # Where the lean note serializer reads them (as `note_list()`'s prefetch would give them).
        note.__dict__["addenda" + PREFETCHED_SUFFIX] = addenda
    # The rows the gate and discharge status judge, each read once, for the chart and its statuses.
    known = {kind: rows[kind] for kind in ("doses", "escalations", "vitals", "sedation") if kind in rows}
    if "attestation" in rows:
        known["attestation"] = next(iter(rows["attestation"]), None)
    reads.given(**known)
    reads.keep_records(ahead, records)
    gate, discharge = chart_statuses(session=session, reads=reads, overrides=rows.get("overrides"), now=now)

    def listed(kind: str) -> list:
        if kind in rows:
            return rows[kind]
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
        "rems_form": next(iter(listed("rems_form")), None),
        "gate": gate,
        "discharge": discharge,
    }


def _has(session: Session, kind: str) -> bool:
    """False only where the session was read with none of that kind of row (`with_chart_rows_present`)."""
    return getattr(session, "has_" + kind, True)


def _reads_together(session: Session) -> bool:
    """Whether the session was read `with_chart_rows_present`, so that its rows are read together."""
    return hasattr(session, "has_doses")


def _rows_together(session: Session, ahead: list[tuple[Prepared, dict]]) -> tuple[dict[str, list], list[list]]:
    """Where the session was read `with_chart_rows_present`: {kind: its rows} of every kind the
    chart reads with `SessionRows`, and of its newest note (`note`, at most one) and that note's
    addenda (`note_addenda`), and the rows of the `ahead` reads (in their order), in one statement:
    the kinds it has read together, those it has none of empty. Else ({}, []): each kind is read
    when asked for."""
    if not _reads_together(session):
        return {}, []
    kinds = [kind for kind in _KINDS_TOGETHER if _has(session, kind)]
    runs = [(getattr(SessionRows, kind), {"session": session.pk}) for kind in kinds]
    if _has(session, "note"):
        kinds += ["note", "note_addenda"]
        runs += [
            (SessionRows.newest_note, {"session": session.pk}),
            (SessionRows.newest_note_addenda, {"session": session.pk}),
        ]
    found = read_together(*runs, *ahead) if runs or ahead else []
    rows = {**dict.fromkeys((*_KINDS_TOGETHER, "note", "note_addenda"), []), **dict(zip(kinds, found, strict=False))}
    return rows, found[len(kinds) :]


# Every kind of row the chart lists but its note (read as `newest_note`): all plain rows of their
# models, which `read_together` reads back exactly.
_KINDS_TOGETHER = tuple(kind for kind in CHART_ROW_KINDS if kind != "note")


def _overrides_by_stage(session: Session, overrides: list | None = None) -> dict[str, dict[str, ChecklistOverride]]:
    """Both stages' overrides in one read (none where `overrides` holds them already): {stage: {item: override}}."""
    by_stage: dict[str, dict[str, ChecklistOverride]] = {stage: {} for stage in ChecklistOverride.Stage.values}
    if overrides is None:
        overrides = list(SessionRows.overrides.bind(session=session.pk)) if _has(session, "overrides") else []
    for override in overrides:
        by_stage.setdefault(override.stage, {})[override.item] = override
    return by_stage


def chart_statuses(
    *, session: Session, reads: ChartReads, overrides: list | None = None, now: datetime | None = None
) -> tuple[dict, dict]:
    """The gate and discharge status as `gate_status` and `discharge_status` give them, judging one
    set of the session's rows, with both stages' overrides in one read (or those given), at `now`."""
    overrides = _overrides_by_stage(session, overrides)
    now = now or timezone.now()
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


def _timeline_kind(model, kind: str, at: str, session: str | None, *details: str, **filters) -> QuerySet:
    """One kind of the timeline as (kind, time, id, session, then up to three details as text)."""
    texts = [Cast(detail, TextField()) for detail in details]
    texts += [Value(None, output_field=TextField())] * (3 - len(texts))
    columns = {
        "entry_kind": Value(kind, output_field=TextField()),
        "entry_at": F(at),
        "entry_session": F(session) if session else Value(None, output_field=BigIntegerField()),
        **{f"entry_detail{n}": text for n, text in enumerate(texts)},
    }
    return (
        model.objects.filter(patient_id=Param("patient"), **filters)
        .annotate(**columns)
        .values_list("entry_kind", "entry_at", "pk", "entry_session", "entry_detail0", "entry_detail1", "entry_detail2")
    )


# Every kind of the timeline, as the few values its entry shows, in one statement (UNION ALL).
_TIMELINE = Prepared(
    lambda: _timeline_kind(ClinicalNote, "note", "signed_at", "session_id", "amends_id", "kind", status="signed").union(
        _timeline_kind(DoseAdministration, "dose", "started_at", "session_id", "medication", "dose_mg", "route"),
        _timeline_kind(ScaleResponse, "scale", "completed_at", "session_id", "scale", "total", "severity"),
        _timeline_kind(Alert, "alert", "raised_at", "session_id", "message"),
        _timeline_kind(AdverseEvent, "adverse_event", "onset_at", "session_id", "type", "severity"),
        _timeline_kind(Consent, "consent", "signed_at", None, "document_version"),
        all=True,
    )
)


def patient_timeline(*, patient: Patient) -> list[dict]:
    """A patient's clinical history, newest first: signed notes, doses, scales, alerts, adverse events
    and consents, in one query.

    Each kind is read as the few values its entry shows (no note sections, no dose details): a
    long history costs its rows, not its records. Details come as text (a dose and a total as
    PostgreSQL writes a number, which is how Python writes the same value)."""
    kinds = _display(ClinicalNote, "kind")
    medications, routes = _display(DoseAdministration, "medication"), _display(DoseAdministration, "route")
    scales = _display(ScaleResponse, "scale")
    types = _display(AdverseEvent, "type")
    entries = []
    for kind, at, pk, session_id, first, second, third in _TIMELINE.bind(patient=patient.pk):
        if kind == "note":  # amends_id, kind
            label = "Addendum" if first else f"{kinds.get(second, second)} note"
            summary = f"{label} signed"
        elif kind == "dose":  # medication, dose_mg, route
            summary = f"{medications.get(first, first)} {second} mg {routes.get(third, third)}"
        elif kind == "scale":  # scale, total, severity
            shown = "" if second is None else f" {second}"
            summary = f"{scales.get(first, first)}{shown} ({third})"
        elif kind == "alert":  # message
            summary = first
        elif kind == "adverse_event":  # type, severity
            summary = f"{types.get(first, first)} ({second})"
        else:  # a consent: document_version
            summary = f"Consent {first}"
        entries.append((at, kind, pk, session_id, summary))
    entries.sort(key=lambda e: (e[0], e[2]), reverse=True)
    return [
        {"at": at, "type": kind, "id": pk, "session": session, "summary": summary}
        for at, kind, pk, session, summary in entries
    ]
