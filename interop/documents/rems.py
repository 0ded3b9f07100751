"""The esketamine REMS Patient Monitoring Form's fields, in the order the form asks for them.

Every fact of DOMAIN.md's REMS list is a row here. A value comes from the stored form data
(`RemsMonitoringForm.data`, built by monitoring.services.rems) when that holds it, and is otherwise
read from the chart, so a richer form (the clinical-safety work extends the data) wins over our
derivation without a change here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from kat_clinic.models import ClinicCertification
from monitoring.models import (
    Escalation,
    PatientMedication,
    RemsMonitoringForm,
    RemsPatientEnrollment,
    ThresholdRuleKind,
    VitalSign,
)
from monitoring.services.vitals import thresholds_for
from programs.choices import Medication

DEVICE_MG = Decimal("28")
NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    value: str


@dataclass(frozen=True)
class Section:
    title: str
    fields: list[Field]


def yes_no(value) -> str:
    if value is None:
        return NOT_RECORDED
    return "Yes" if value else "No"


def local(clinic, value) -> str:
    if not value:
        return NOT_RECORDED
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return timezone.localtime(value, clinic.tz).strftime("%Y-%m-%d %H:%M %Z")


def _bp(clinic, reading) -> str:
    if not reading:
        return NOT_RECORDED
    return f"{reading['systolic_mmhg']}/{reading['diastolic_mmhg']} mmHg at {local(clinic, reading['measured_at'])}"


def _staff(member) -> str:
    return str(member) if member else NOT_RECORDED


def rems_form_sections(form: RemsMonitoringForm) -> list[Section]:
    session = form.session
    clinic, patient = session.clinic, session.patient
    data = form.data or {}
    doses = list(session.doses.filter(medication=Medication.ESKETAMINE).order_by("started_at", "pk"))
    first = doses[0] if doses else None
    total_mg = (
        Decimal(data["total_dose_mg"]) if data.get("total_dose_mg") else sum((d.dose_mg for d in doses), Decimal(0))
    )
    devices = int(total_mg // DEVICE_MG) if total_mg else 0
    enrollment = (
        RemsPatientEnrollment.objects.filter(patient=patient, enrolled_on__lte=session.starts_at.date())
        .exclude(ended_on__lt=session.starts_at.date())
        .order_by("-enrolled_on")
        .first()
    )
    certification = (
        ClinicCertification.objects.filter(clinic=clinic, kind=ClinicCertification.Kind.ESKETAMINE_REMS)
        .order_by("-expires_on")
        .first()
    )
    assignments = list(session.assignments.select_related("staff"))
    prescriber = next((a.staff for a in assignments if a.role == "prescriber"), first.ordered_by if first else None)
    monitor = next((a.staff for a in assignments if a.role == "nurse"), first.administered_by if first else None)
    hold = thresholds_for(clinic=clinic)[ThresholdRuleKind.PREDOSE_HOLD] or {}
    before = data.get("bp_before_dose")
    acceptable_before = data.get("vitals_acceptable_before_dose")
    if acceptable_before is None and before:
        acceptable_before = before["systolic_mmhg"] <= hold.get("systolic_mmhg", 999) and before[
            "diastolic_mmhg"
        ] <= hold.get("diastolic_mmhg", 999)
    ready = data.get("ready_to_leave_at")
    acceptable_leaving = data.get(
        "vitals_acceptable_at_discharge", bool(ready) if "ready_to_leave_at" in data else None
    )
    spo2 = VitalSign.objects.filter(session=session, spo2_percent__isnull=False).order_by("spo2_percent").first()
    transferred = data.get(
        "transferred_to_emergency_care",
        Escalation.objects.filter(session=session, kind=Escalation.Kind.EMERGENCY_TRANSFER).exists(),
    )
    concomitant = _concomitant(patient, session.starts_at.date(), data)
    first_at = data["doses"][0]["started_at"] if data.get("doses") else (first.started_at if first else None)
    serious = data.get("serious_adverse_events")
    if serious is None:
        serious = [
            {"type": e.type, "severity": e.severity} for e in session.adverse_events.filter(serious=True).order_by("pk")
        ]
    return [
        Section(
            "Patient",
            [
                Field("patient_name", "Patient name", f"{patient.first_name} {patient.last_name}"),
                Field("patient_date_of_birth", "Date of birth", patient.date_of_birth.isoformat()),
                Field(
                    "rems_patient_id",
                    "REMS patient ID",
                    data.get("rems_patient_id") or (enrollment.rems_patient_id if enrollment else NOT_RECORDED),
                ),
            ],
        ),
        Section(
            "Healthcare setting",
            [
                Field("setting_name", "Healthcare setting name", clinic.name),
                Field("setting_address", "Address", clinic.address or NOT_RECORDED),
                Field(
                    "setting_rems_certification_id",
                    "REMS certification ID",
                    data.get("setting_rems_certification_id")
                    or (certification.identifier if certification and certification.identifier else NOT_RECORDED),
                ),
                Field("prescriber", "Prescriber", _staff(prescriber)),
                Field("monitoring_clinician", "Monitoring healthcare provider", _staff(monitor)),
                Field(
                    "monitoring_clinician_contact",
                    "Monitoring provider contact",
                    (monitor.phone if monitor and monitor.phone else clinic.phone) or NOT_RECORDED,
                ),
            ],
        ),
        Section(
            "Treatment session",
            [
                Field(
                    "session_date",
                    "Session date",
                    data.get("session_date") or session.clinic.local_date(session.starts_at).isoformat(),
                ),
                Field(
                    "dose", "Dose", f"{total_mg.normalize()} mg ({devices} x 28 mg device{'s' if devices != 1 else ''})"
                ),
                Field("first_device_at", "Time of first device", local(clinic, first_at)),
                Field(
                    "lot_numbers",
                    "Lot number(s)",
                    ", ".join(data.get("lot_numbers") or sorted({d.lot_number for d in doses})) or NOT_RECORDED,
                ),
            ],
        ),
        Section(
            "Vital signs",
            [
                Field("bp_before_dose", "Blood pressure before administration", _bp(clinic, before)),
                Field("bp_at_40_min", "Blood pressure about 40 minutes after", _bp(clinic, data.get("bp_at_40_min"))),
                Field(
                    "vitals_acceptable_before_dose",
                    "Vital signs acceptable before administration",
                    yes_no(acceptable_before),
                ),
                Field(
                    "vitals_acceptable_at_discharge",
                    "Vital signs acceptable before leaving",
                    yes_no(acceptable_leaving),
                ),
            ],
        ),
        Section(
            "Adverse events",
            [
                Field("sedation", "Sedation", yes_no(data.get("sedation"))),
                Field("dissociation", "Dissociation", yes_no(data.get("dissociation"))),
                Field("respiratory_depression", "Respiratory depression", yes_no(data.get("respiratory_depression"))),
                Field(
                    "lowest_spo2",
                    "Lowest oxygen saturation measured",
                    f"{spo2.spo2_percent} %" if spo2 else NOT_RECORDED,
                ),
                Field(
                    "serious_adverse_events",
                    "Serious adverse events",
                    "; ".join(f"{e['type']} ({e['severity']})" for e in serious) if serious else "None",
                ),
                Field("transferred_to_emergency_care", "Transferred to emergency care", yes_no(transferred)),
            ],
        ),
        Section(
            "Concomitant medications",
            [
                Field(key, label, yes_no(concomitant[key]))
                for key, label in (
                    ("benzodiazepines", "Benzodiazepines"),
                    ("non_benzodiazepine_sedative_hypnotics", "Non-benzodiazepine sedative-hypnotics"),
                    ("psychostimulants", "Psychostimulants"),
                    ("maois", "Monoamine oxidase inhibitors (MAOIs)"),
                    ("opioids", "Opioids"),
                )
            ],
        ),
        Section(
            "Discharge",
            [
                Field("ready_to_leave_at", "Patient ready to leave at", local(clinic, ready)),
                Field(
                    "minutes_monitored",
                    "Total monitoring time",
                    f"{data['minutes_monitored']} minutes"
                    if data.get("minutes_monitored") is not None
                    else NOT_RECORDED,
                ),
            ],
        ),
    ]


def _concomitant(patient, day: dt.date, data: dict) -> dict:
    """Each class yes / no from the medication list; the form data's own answer wins."""
    active = PatientMedication.objects.filter(patient=patient).exclude(stopped_on__lt=day)
    classes = set(active.values_list("concomitant_class", flat=True))
    names = " ".join(active.values_list("name", flat=True)).lower()
    C = PatientMedication.ConcomitantClass
    derived = {
        "benzodiazepines": C.BENZODIAZEPINE in classes,
        "non_benzodiazepine_sedative_hypnotics": C.SEDATIVE_HYPNOTIC in classes,
        "psychostimulants": C.STIMULANT in classes,
        "maois": C.MAOI in classes,
        # The medication list has no opioid class yet: a named opioid still counts.
        "opioids": any(n in names for n in ("oxycodone", "hydrocodone", "morphine", "fentanyl", "tramadol", "codeine")),
    }
    stored = data.get("concomitant_medications") or {}
    return {key: stored.get(key, value) for key, value in derived.items()}
