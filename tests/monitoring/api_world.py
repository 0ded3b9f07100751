"""Charting's part of the API-wide world (tests/security/world.py).

Per clinic, on the in-progress dosing session scheduling seeds (its patient is the clinic's seeded
patient): a note, a vital sign, a dose, an alert, a REMS form, and one of each patient record.
State-changing operations (sign, co-sign, addenda, acknowledge, stop, revoke, submit, a note's
creation) get an object in the right state per example.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from kat_clinic.models import Clinic, StaffMember
from kat_clinic.roles import Role
from monitoring.models import (
    CONTRAINDICATIONS,
    Alert,
    Allergy,
    ClinicalNote,
    Diagnosis,
    DissociationScore,
    DoseAdministration,
    PatientMedication,
    PregnancyTest,
    PriorAuthorization,
    RemsMonitoringForm,
    RemsPatientEnrollment,
    SedationScore,
    VitalSign,
)
from monitoring.selectors.gate import gate_items
from monitoring.services import rems
from monitoring.services.scales import scale_response_record
from programs.choices import Medication, Route, SessionKind
from sessions.models import Session
from tests.clock import clinic_today
from tests.factories import PatientFactory, WeightFactory
from tests.monitoring.factories import AttestationFactory, ConsentFactory, ScreenFactory
from tests.security.world import ApiWorld, World

_keys = itertools.count()


def _member(clinic: Clinic, role: str) -> StaffMember:
    return StaffMember.objects.filter(memberships__clinic=clinic, memberships__role=role).order_by("pk").first()


def _session(clinic: Clinic, *, kind=SessionKind.DOSING) -> Session:
    start = timezone.now() - dt.timedelta(minutes=30)
    return Session.objects.create(
        clinic=clinic,
        patient=PatientFactory(home_clinic=clinic),
        kind=kind,
        status=Session.Status.IN_PROGRESS,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        block_starts_at=start,
        block_ends_at=start + dt.timedelta(hours=2),
        checked_in_at=start,
        started_at=start,
    )


def _note(session: Session, author: StaffMember, *, signed: bool = False) -> ClinicalNote:
    now = timezone.now()
    return ClinicalNote.objects.create(
        session=session,
        patient_id=session.patient_id,
        kind=ClinicalNote.Kind.DOSING if session.kind == SessionKind.DOSING else ClinicalNote.Kind.GENERAL,
        sections={},
        body="Observed throughout.",
        author=author,
        author_role=author.memberships.filter(clinic_id=session.clinic_id).values_list("role", flat=True).first(),
        status=ClinicalNote.Status.SIGNED if signed else ClinicalNote.Status.DRAFT,
        signed_by=author if signed else None,
        signed_at=now if signed else None,
        content_sha256="0" * 64 if signed else "",
    )


def _alert(session: Session) -> Alert:
    now = timezone.now()
    return Alert.objects.create(
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        session=session,
        kind=Alert.Kind.SPO2_LOW,
        dedupe_key=f"world-{next(_keys)}",
        message="SpO2 below 90% for 2 minutes.",
        episode_started_at=now,
    )


def _dose(session: Session, nurse: StaffMember, prescriber: StaffMember, *, running: bool = False):
    now = timezone.now()
    return DoseAdministration.objects.create(
        session=session,
        patient_id=session.patient_id,
        medication=Medication.KETAMINE,
        route=Route.IV,
        weight_kg=Decimal("80.0"),
        dose_mg_per_kg=Decimal("0.500"),
        dose_mg=Decimal("40.00"),
        concentration_mg_per_ml=Decimal("10.00"),
        volume_ml=Decimal("4.00"),
        infusion_minutes=40,
        rate_mg_per_h=Decimal("60.00"),
        lot_number="LOT-1",
        lot_expires_on=timezone.localdate() + dt.timedelta(days=365),
        ordered_by=prescriber,
        administered_by=nurse,
        started_at=now - dt.timedelta(minutes=10),
        stopped_at=None if running else now,
    )


def _seed(world: World, clinic: Clinic, ids: dict[str, int]) -> None:
    session = Session.objects.get(pk=ids["sessions"])
    patient = session.patient
    nurse, prescriber = _member(clinic, Role.NURSE), _member(clinic, Role.PRESCRIBER)
    today = clinic_today(clinic)
    recorded = {"patient": patient, "recorded_by": nurse}
    consent = ConsentFactory(patient=patient, witness=nurse, recorded_by=nurse)
    screen = ScreenFactory(patient=patient, reviewed_by=prescriber)
    AttestationFactory(session=session, recorded_by=nurse)
    vital = VitalSign.objects.create(
        session=session,
        patient=patient,
        measured_at=timezone.now() - dt.timedelta(minutes=5),
        systolic_mmhg=120,
        diastolic_mmhg=80,
        heart_rate_bpm=72,
        spo2_percent=98,
        entered_by=nurse,
    )
    ids.update(
        notes=_note(session, nurse).pk,
        vitals=vital.pk,
        doses=_dose(session, nurse, prescriber).pk,
        alerts=_alert(session).pk,
        consents=consent.pk,
        **{"contraindication-screens": screen.pk},
        **{"rems-forms": RemsMonitoringForm.objects.create(session=session, data={}, due_on=today).pk},
        **{"patient-medications": PatientMedication.objects.create(name="Sertraline", **recorded).pk},
        allergies=Allergy.objects.create(substance="Penicillin", **recorded).pk,
        **{
            "pregnancy-tests": PregnancyTest.objects.create(
                tested_at=timezone.now(), result=PregnancyTest.Result.NEGATIVE, **recorded
            ).pk
        },
        diagnoses=Diagnosis.objects.create(
            icd10_code="F33.2", description="Major depressive disorder", diagnosed_on=today, **recorded
        ).pk,
        **{
            "prior-authorizations": PriorAuthorization.objects.create(
                payer="Acme Health",
                reference="PA-1",
                authorised_sessions=6,
                valid_from=today,
                valid_until=today + dt.timedelta(days=90),
                **recorded,
            ).pk
        },
        **{
            "rems-enrollments": RemsPatientEnrollment.objects.create(
                rems_patient_id="REMS-1", enrolled_on=today, **recorded
            ).pk
        },
        prescribers=prescriber.pk,
        **{
            "scale-responses": scale_response_record(
                patient=patient, scale="phq9", answers=[0] * 9, by=nurse, session=session
            ).pk
        },
    )


def _world_staff(world: World, role: str) -> StaffMember:
    return world.staff[role]


def _own_draft(world: World, role: str) -> dict:
    return {"id": _note(_session(world.clinic), world.staff[role]).pk}


def _signed_by_nurse(world: World, role: str) -> dict:
    return {"id": _note(_session(world.clinic), world.staff[Role.NURSE], signed=True).pk}


def _open_alert(world: World, role: str) -> dict:
    return {"id": _alert(Session.objects.get(pk=world.ids["sessions"])).pk}


def _running_dose(world: World, role: str) -> dict:
    session = _session(world.clinic)
    return {"id": _dose(session, world.staff[Role.NURSE], world.staff[Role.PRESCRIBER], running=True).pk}


def _active_consent(world: World, role: str) -> dict:
    patient = world.objects["patient"]
    nurse = world.staff[Role.NURSE]
    return {"id": ConsentFactory(patient=patient, witness=nurse, recorded_by=nurse).pk}


# A generated form holding every fact the REMS requires (monitoring.services.rems.REQUIRED_FIELDS),
# so that submitting it is a role's question, not a missing field's.
COMPLETE_FORM_DATA = {
    "patient_name": "Avery Bennett",
    "patient_date_of_birth": "1984-05-17",
    "rems_patient_id": "REMS-P-1001",
    "setting_name": "Midtown Clinic",
    "setting_address": "12 West 31st Street, New York, NY 10001",
    "setting_rems_certification_id": "REMS-S-2001",
    "prescriber": "Priya Shah, MD",
    "monitoring_clinician": "Noah Kim, RN",
    "monitoring_clinician_contact": "+1 212 555 0100",
    "session_date": "2026-03-02",
    "total_dose_mg": "56",
    "lot_numbers": ["ESK-001"],
    "first_device_at": "2026-03-02T09:05:00-05:00",
    "bp_before_dose": {"systolic": 122, "diastolic": 78, "at": "2026-03-02T09:00:00-05:00"},
    "bp_at_40_min": {"systolic": 130, "diastolic": 82, "at": "2026-03-02T09:45:00-05:00"},
    "vitals_acceptable_before_dose": True,
    "vitals_acceptable_at_discharge": True,
    "sedation": False,
    "dissociation": True,
    "respiratory_depression": False,
    "serious_adverse_events": [],
    "transferred_to_emergency_care": False,
    "concomitant_medications": dict.fromkeys(rems.CONCOMITANT_KEYS, False),
    "ready_to_leave_at": "2026-03-02T11:10:00-05:00",
    "minutes_monitored": 125,
}


def _draft_form(world: World, role: str) -> dict:
    session = _session(world.clinic)
    form = RemsMonitoringForm.objects.create(
        session=session, data=COMPLETE_FORM_DATA, due_on=clinic_today(world.clinic)
    )
    return {"id": form.pk}


def _note_body(world: World, role: str) -> dict:
    return {"session": _session(world.clinic, kind=SessionKind.CHECK_IN).pk, "sections": {}, "body": "Settled in."}


def _ready_session(world: World) -> Session:
    """A dosing session of a new patient with consent, screen, weight, escort and pre-dose vitals
    on file: every default pre-dose item holds."""
    session = _session(world.clinic)
    ConsentFactory(patient=session.patient, witness=world.staff[Role.NURSE], recorded_by=world.staff[Role.NURSE])
    ScreenFactory(patient=session.patient, reviewed_by=world.staff[Role.PRESCRIBER])
    WeightFactory(patient=session.patient, weight_kg=Decimal("80.0"), measured_at=timezone.now() - dt.timedelta(days=1))
    nurse = world.staff[Role.NURSE]
    AttestationFactory(session=session, recorded_by=nurse)
    VitalSign.objects.create(
        session=session,
        patient=session.patient,
        measured_at=timezone.now() - dt.timedelta(minutes=5),
        systolic_mmhg=120,
        diastolic_mmhg=80,
        heart_rate_bpm=72,
        spo2_percent=98,
        entered_by=nurse,
    )
    return session


def _dose_body(world: World, role: str) -> dict:
    return {
        "session": _ready_session(world).pk,
        "ordered_by": world.staff[Role.PRESCRIBER].pk,
        "kind": DoseAdministration.Kind.INITIAL,
        "medication": Medication.KETAMINE,
        "route": Route.IV,
        "dose_mg_per_kg": "0.500",
        "concentration_mg_per_ml": "10.00",
        "infusion_minutes": 40,
        "lot_number": "LOT-7",
        "lot_expires_on": (timezone.localdate() + dt.timedelta(days=365)).isoformat(),
        "started_at": timezone.now().isoformat(),
    }


def _override_body(world: World, role: str) -> dict:
    session = _session(world.clinic)
    item = gate_items(session=session)[0]["item"]
    return {"session": session.pk, "stage": "gate", "item": item, "reason": "Consent confirmed verbally by phone."}


def _screen_body(world: World, role: str) -> dict:
    return {
        "patient": world.objects["patient"].pk,
        "answers": dict.fromkeys(CONTRAINDICATIONS, False),
        "screened_at": timezone.now().isoformat(),
        "valid_until": (timezone.localdate() + dt.timedelta(days=90)).isoformat(),
        "notes": "",
    }


def _unreviewed_screen(world: World, role: str) -> dict:
    return {"id": ScreenFactory(patient=world.objects["patient"], recorded_by=world.staff[Role.NURSE]).pk}


def _nurse_dose(world: World, role: str) -> dict:
    return {"id": _dose(_session(world.clinic), world.staff[Role.NURSE], world.staff[Role.PRESCRIBER]).pk}


def _nurse_reading(world: World, role: str) -> dict:
    session = _session(world.clinic)
    reading = VitalSign.objects.create(
        session=session,
        patient=session.patient,
        measured_at=timezone.now(),
        heart_rate_bpm=72,
        entered_by=world.staff[Role.NURSE],
    )
    return {"id": reading.pk}


def _nurse_sedation(world: World, role: str) -> dict:
    score = SedationScore.objects.create(
        session=_session(world.clinic), measured_at=timezone.now(), moaas=5, recorded_by=world.staff[Role.NURSE]
    )
    return {"id": score.pk}


def _nurse_dissociation(world: World, role: str) -> dict:
    score = DissociationScore.objects.create(
        session=_session(world.clinic),
        measured_at=timezone.now(),
        items=[0] * 23,
        total=0,
        recorded_by=world.staff[Role.NURSE],
    )
    return {"id": score.pk}


def _timed_body(field: str, **rest):
    """Charting refuses times outside the session's block and margin: the seeded session, now."""

    def body(world: World, role: str) -> dict:
        extra = {k: (v(world) if callable(v) else v) for k, v in rest.items()}
        return {"session": world.ids["sessions"], field: timezone.now().isoformat(), **extra}

    return body


def _in_error_body(world: World, role: str) -> dict:
    return {"reason": "Charted on the wrong flowsheet."}


def _scale_body(world: World, role: str) -> dict:
    return {"patient": world.objects["patient"].pk, "scale": "phq9", "answers": [1, 1, 0, 2, 1, 0, 1, 0, 0]}


def _reading() -> dict:
    return {
        "measured_at": timezone.now().isoformat(),
        "systolic_mmhg": 122,
        "diastolic_mmhg": 78,
        "heart_rate_bpm": 70,
        "spo2_percent": 97,
        "source": "device",
        "device_reading_id": f"monitor-{next(_keys)}",
    }


def _vital_body(world: World, role: str) -> dict:
    return {"session": world.ids["sessions"], **_reading()}


def _batch_body(world: World, role: str) -> dict:
    return {"session": world.ids["sessions"], "readings": [_reading(), _reading()]}


def _rems_generate_body(world: World, role: str) -> dict:
    session = _session(world.clinic)
    dose = _dose(session, world.staff[Role.NURSE], world.staff[Role.PRESCRIBER])
    DoseAdministration.objects.filter(pk=dose.pk).update(medication=Medication.ESKETAMINE, route=Route.INTRANASAL)
    return {"session": session.pk}


def _prior_authorization_body(world: World, role: str) -> dict:
    # Dates in order and within the three years an authorization may cover (generated ones rarely are).
    start = timezone.localdate()
    return {
        "patient": world.ids["patients"],
        "payer": "Aetna",
        "reference": "PA-2026-1",
        "authorised_sessions": 8,
        "valid_from": start.isoformat(),
        "valid_until": (start + dt.timedelta(days=180)).isoformat(),
    }


def _stop_body(world: World, role: str) -> dict:
    return {"stopped_at": timezone.now().isoformat()}


API_WORLD = ApiWorld(
    seed=_seed,
    field_resources={
        "session": "sessions",
        "patient": "patients",
        "ordered_by": "prescribers",
        "witness": "staff",
        "reviewed_by": "prescribers",
    },
    fresh_paths={
        ("POST", "/api/v1/chart/notes/{id}/sign/"): _own_draft,
        ("POST", "/api/v1/chart/notes/{id}/cosign/"): _signed_by_nurse,
        ("POST", "/api/v1/chart/notes/{id}/addenda/"): _signed_by_nurse,
        ("POST", "/api/v1/chart/alerts/{id}/acknowledge/"): _open_alert,
        ("POST", "/api/v1/chart/doses/{id}/stop/"): _running_dose,
        ("POST", "/api/v1/chart/consents/{id}/revoke/"): _active_consent,
        ("POST", "/api/v1/chart/rems-forms/{id}/submit/"): _draft_form,
        ("POST", "/api/v1/chart/contraindication-screens/{id}/review/"): _unreviewed_screen,
        ("POST", "/api/v1/chart/doses/{id}/entered-in-error/"): _nurse_dose,
        ("POST", "/api/v1/chart/vitals/{id}/entered-in-error/"): _nurse_reading,
        ("POST", "/api/v1/chart/sedation-scores/{id}/entered-in-error/"): _nurse_sedation,
        ("POST", "/api/v1/chart/dissociation-scores/{id}/entered-in-error/"): _nurse_dissociation,
    },
    body_bases={
        ("POST", "/api/v1/chart/notes/"): _note_body,
        ("POST", "/api/v1/chart/doses/{id}/stop/"): _stop_body,
        ("POST", "/api/v1/chart/doses/"): _dose_body,
        ("POST", "/api/v1/chart/overrides/"): _override_body,
        ("POST", "/api/v1/chart/contraindication-screens/"): _screen_body,
        ("POST", "/api/v1/chart/scale-responses/"): _scale_body,
        ("POST", "/api/v1/chart/vitals/"): _vital_body,
        ("POST", "/api/v1/chart/vitals/batch/"): _batch_body,
        ("POST", "/api/v1/chart/rems-forms/generate/"): _rems_generate_body,
        ("POST", "/api/v1/chart/prior-authorizations/"): _prior_authorization_body,
        ("POST", "/api/v1/chart/adverse-events/"): _timed_body("onset_at", type="nausea", severity="mild"),
        ("POST", "/api/v1/chart/sedation-scores/"): _timed_body("measured_at", moaas=5),
        ("POST", "/api/v1/chart/dissociation-scores/"): _timed_body("measured_at", items=[0] * 23),
        ("POST", "/api/v1/chart/session-medications/"): _timed_body(
            "given_at",
            drug="ondansetron",
            dose_mg="4.00",
            route="iv",
            reason="Nausea.",
            ordered_by=lambda w: w.staff[Role.PRESCRIBER].pk,
        ),
        ("POST", "/api/v1/chart/escalations/"): _timed_body(
            "occurred_at", kind="prescriber_called", description="Called to bedside."
        ),
        **{
            ("POST", f"/api/v1/chart/{area}/{{id}}/entered-in-error/"): _in_error_body
            for area in ("doses", "vitals", "sedation-scores", "dissociation-scores")
        },
    },
    ratio_exempt={
        ("PATCH", "/api/v1/chart/notes/{id}/"): "an edit needs the note's current ETag in If-Match, which a generated "
        "header never holds (428/412 by design)",
    },
)
