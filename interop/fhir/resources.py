"""One function per FHIR R4 resource we export: a model row in, a plain FHIR JSON dict out.

The dicts are validated by `interop.fhir.bundle` with the fhir.resources R4B models, so a field
misnamed here fails there. References are relative (`Patient/12`); ids are our primary keys, with a
prefix where one row yields several resources of one type (a vital-sign row: BP, HR, SpO2, ...).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from interop.fhir import codes as c

SESSION_TO_APPOINTMENT = {
    "scheduled": "booked",
    "checked_in": "checked-in",
    "in_progress": "arrived",
    "completed": "fulfilled",
    "cancelled": "cancelled",
    "no_show": "noshow",
}
SESSION_TO_ENCOUNTER = {"in_progress": "in-progress", "completed": "finished"}
HELD_STATUSES = tuple(SESSION_TO_ENCOUNTER)
ENROLLMENT_TO_CAREPLAN = {"active": "active", "paused": "on-hold", "completed": "completed", "withdrawn": "revoked"}
PLANNED_TO_ACTIVITY = {
    "to_book": "not-started",
    "booked": "scheduled",
    "completed": "completed",
    "cancelled": "cancelled",
}
SEX_TO_GENDER = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}


def ref(resource_type: str, pk: object, display: str | None = None) -> dict:
    result = {"reference": f"{resource_type}/{pk}"}
    if display:
        result["display"] = display
    return result


def instant(value: dt.datetime | None) -> str | None:
    """FHIR instants in UTC with a Z, as the fhir.resources models serialise them."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _quantity(value, unit: str) -> dict:
    number = value if isinstance(value, Decimal) else Decimal(value)
    return {"value": number, "unit": c.UNIT_DISPLAY.get(unit, unit), "system": c.UCUM, "code": unit}


def organization(clinic) -> dict:
    result = {"resourceType": "Organization", "id": str(clinic.pk), "active": clinic.active, "name": clinic.name}
    if clinic.phone:
        result["telecom"] = [{"system": "phone", "value": clinic.phone, "use": "work"}]
    if clinic.address:
        result["address"] = [{"text": clinic.address}]
    return result


def practitioner(staff) -> dict:
    result = {
        "resourceType": "Practitioner",
        "id": str(staff.pk),
        "active": staff.active,
        "name": [{"family": staff.last_name, "given": [staff.first_name]}],
    }
    if staff.npi:
        result["identifier"] = [{"system": "http://hl7.org/fhir/sid/us-npi", "value": staff.npi}]
    if staff.credentials_suffix:
        result["name"][0]["suffix"] = [staff.credentials_suffix]
    return result


def location(room) -> dict:
    return {
        "resourceType": "Location",
        "id": str(room.pk),
        "status": "active" if room.active else "inactive",
        "name": room.name,
        "description": room.get_kind_display(),
        "managingOrganization": ref("Organization", room.clinic_id),
    }


def patient(p) -> dict:
    names = [{"use": "official", "family": p.last_name, "given": [p.first_name]}]
    if p.preferred_name:
        names.append({"use": "usual", "given": [p.preferred_name]})
    result: dict = {
        "resourceType": "Patient",
        "id": str(p.pk),
        "identifier": [
            {
                "use": "usual",
                "type": c.concept(c.V2_IDENTIFIER_TYPE, "MR", "Medical record number"),
                "system": c.MRN_SYSTEM,
                "value": p.mrn,
            }
        ],
        "active": True,
        "name": names,
        "gender": SEX_TO_GENDER.get(p.sex_at_birth, "unknown"),
        "birthDate": p.date_of_birth.isoformat(),
        "managingOrganization": ref("Organization", p.home_clinic_id),
        "communication": [
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": p.preferred_language}]}, "preferred": True}
        ],
    }
    telecom = []
    if p.phone:
        telecom.append({"system": "phone", "value": p.phone, "use": "mobile"})
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    if telecom:
        result["telecom"] = telecom
    if p.address:
        result["address"] = [{"use": "home", "text": p.address}]
    if p.emergency_contact_name:
        contact: dict = {
            "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "C"}]}],
            "name": {"text": p.emergency_contact_name},
        }
        if p.emergency_contact_relationship:
            contact["relationship"].append({"text": p.emergency_contact_relationship})
        if p.emergency_contact_phone:
            contact["telecom"] = [{"system": "phone", "value": p.emergency_contact_phone}]
        result["contact"] = [contact]
    return result


def _session_kind(session) -> dict:
    return c.concept(c.SESSION_KIND_SYSTEM, session.kind, session.get_kind_display())


def appointment(session) -> dict:
    participants = [{"actor": ref("Patient", session.patient_id), "required": "required", "status": "accepted"}]
    for assignment in session.assignments.all():
        participants.append(
            {
                "type": [{"text": assignment.get_role_display()}],
                "actor": ref("Practitioner", assignment.staff_id, str(assignment.staff)),
                "required": "required" if assignment.mode != "present" else "information-only",
                "status": "accepted",
            }
        )
    if session.room_id:
        participants.append(
            {"actor": ref("Location", session.room_id, session.room.name), "required": "required", "status": "accepted"}
        )
    result = {
        "resourceType": "Appointment",
        "id": str(session.pk),
        "status": SESSION_TO_APPOINTMENT[session.status],
        "serviceType": [_session_kind(session)],
        "appointmentType": _session_kind(session),
        "start": instant(session.starts_at),
        "end": instant(session.ends_at),
        "minutesDuration": int((session.ends_at - session.starts_at).total_seconds() // 60),
        "created": instant(session.created_at),
        "participant": participants,
    }
    if session.status == "cancelled" and session.cancellation_reason:
        result["cancelationReason"] = {"text": session.cancellation_reason}
    if session.enrollment_id:
        result["basedOn"] = [ref("CarePlan", session.enrollment_id)]
    return result


def encounter(session) -> dict:
    klass = c.VIRTUAL if session.telehealth else c.AMBULATORY
    period = {"start": instant(session.started_at or session.starts_at)}
    if session.status == "completed":
        period["end"] = instant(session.completed_at or session.ends_at)
    participants = [
        {
            "type": [c.concept(c.PARTICIPANT_TYPE, "PPRF" if a.role == "prescriber" else "PART")],
            "individual": ref("Practitioner", a.staff_id, str(a.staff)),
            "period": {"start": instant(a.starts_at), "end": instant(a.ends_at)},
        }
        for a in session.assignments.all()
    ]
    result = {
        "resourceType": "Encounter",
        "id": str(session.pk),
        "identifier": [{"system": f"{c.LOCAL_BASE}/sid/session", "value": str(session.pk)}],
        "status": SESSION_TO_ENCOUNTER[session.status],
        "class": c.coding(c.ACT_CODE, *klass),
        "type": [_session_kind(session)],
        "subject": ref("Patient", session.patient_id),
        "appointment": [ref("Appointment", session.pk)],
        "period": period,
        "serviceProvider": ref("Organization", session.clinic_id),
    }
    if participants:
        result["participant"] = participants
    if session.room_id:
        result["location"] = [{"location": ref("Location", session.room_id, session.room.name)}]
    if session.enrollment_id:
        result["basedOn"] = [ref("CarePlan", session.enrollment_id)]
    return result


def _vital_base(obs_id: str, code: dict, *, patient_id: int, when: dt.datetime, performer_id, session_id=None) -> dict:
    result = {
        "resourceType": "Observation",
        "id": obs_id,
        "status": "final",
        "category": [c.concept(c.OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")],
        "code": code,
        "subject": ref("Patient", patient_id),
        "effectiveDateTime": instant(when),
    }
    if session_id is not None:
        result["encounter"] = ref("Encounter", session_id)
    if performer_id is not None:
        result["performer"] = [ref("Practitioner", performer_id)]
    return result


def vital_observations(v) -> list[dict]:
    """One reading row holds several measurements: one Observation each (BP as a panel)."""
    base = {"patient_id": v.patient_id, "when": v.measured_at, "performer_id": v.entered_by_id, "session_id": None}
    # Only held sessions become Encounters; a reading always belongs to one, but stays valid without.
    base["session_id"] = v.session_id if v.session.status in HELD_STATUSES else None
    result = []
    if v.systolic_mmhg is not None:
        bp = _vital_base(f"vital-{v.pk}-bp", c.concept(c.LOINC, *c.BP_PANEL), **base)
        bp["component"] = [
            {"code": c.concept(c.LOINC, *c.SYSTOLIC[:2]), "valueQuantity": _quantity(v.systolic_mmhg, c.SYSTOLIC[2])},
            {
                "code": c.concept(c.LOINC, *c.DIASTOLIC[:2]),
                "valueQuantity": _quantity(v.diastolic_mmhg, c.DIASTOLIC[2]),
            },
        ]
        result.append(bp)
    if v.spo2_percent is not None:
        code = {"coding": [c.coding(c.LOINC, code, display) for code, display in c.SPO2_CODES], "text": "SpO2"}
        obs = _vital_base(f"vital-{v.pk}-spo2", code, **base)
        obs["valueQuantity"] = _quantity(v.spo2_percent, "%")
        result.append(obs)
    for field, (code, display, unit) in c.VITAL_FIELDS.items():
        value = getattr(v, field)
        if value is None:
            continue
        suffix = field.split("_")[0]
        obs = _vital_base(f"vital-{v.pk}-{suffix}", c.concept(c.LOINC, code, display), **base)
        obs["valueQuantity"] = _quantity(value, unit)
        result.append(obs)
    return result


def weight_observation(w) -> dict:
    obs = _vital_base(
        f"weight-{w.pk}",
        c.concept(c.LOINC, *c.WEIGHT[:2]),
        patient_id=w.patient_id,
        when=w.measured_at,
        performer_id=w.recorded_by_id,
    )
    obs["valueQuantity"] = _quantity(w.weight_kg, c.WEIGHT[2])
    return obs


def _answers(response) -> list[dict]:
    answers = response.answers
    if isinstance(answers, dict):  # C-SSRS: {"q1": true, ..., "q6_recent": false}
        return [
            {"linkId": key, "answer": [{"valueBoolean": bool(value)}]}
            for key, value in answers.items()
            if isinstance(value, bool)
        ]
    return [{"linkId": str(i), "answer": [{"valueInteger": int(value)}]} for i, value in enumerate(answers, start=1)]


def questionnaire_response(r) -> dict:
    result = {
        "resourceType": "QuestionnaireResponse",
        "id": f"scale-{r.pk}",
        "questionnaire": c.questionnaire_url(r.loinc_panel, r.scale),
        "status": "completed",
        "subject": ref("Patient", r.patient_id),
        "authored": instant(r.completed_at),
        "item": _answers(r),
    }
    if r.source == "patient":
        result["author"] = ref("Patient", r.patient_id)
        result["source"] = ref("Patient", r.patient_id)
    elif r.recorded_by_id:
        result["author"] = ref("Practitioner", r.recorded_by_id)
    if r.session_id and r.session.status in HELD_STATUSES:
        result["encounter"] = ref("Encounter", r.session_id)
    return result


def score_observation(r) -> dict:
    result: dict = {
        "resourceType": "Observation",
        "id": f"scale-{r.pk}-score",
        "status": "final",
        "category": [c.concept(c.OBSERVATION_CATEGORY, "survey", "Survey")],
        "code": c.score_code(r.loinc_total, r.loinc_panel, r.scale),
        "subject": ref("Patient", r.patient_id),
        "effectiveDateTime": instant(r.completed_at),
        "derivedFrom": [ref("QuestionnaireResponse", f"scale-{r.pk}")],
    }
    if r.total is not None:
        result["valueInteger"] = r.total
        if r.severity:
            result["interpretation"] = [{"text": r.severity.replace("_", " ")}]
    else:
        result["valueCodeableConcept"] = {"text": r.severity.replace("_", " ") or "unknown"}
    if r.recorded_by_id:
        result["performer"] = [ref("Practitioner", r.recorded_by_id)]
    if r.session_id and r.session.status in HELD_STATUSES:
        result["encounter"] = ref("Encounter", r.session_id)
    return result


def medication_administration(d) -> dict:
    medication = {
        "resourceType": "Medication",
        "id": "medication",
        "code": c.concept(c.MEDICATION_SYSTEM, d.medication, d.get_medication_display()),
        "batch": {"lotNumber": d.lot_number, "expirationDate": d.lot_expires_on.isoformat()},
    }
    route = c.ROUTE_SNOMED.get(d.route)
    dosage: dict = {"dose": _quantity(d.dose_mg, "mg")}
    if route:
        dosage["route"] = c.concept(c.ROUTE_SCT, *route)
    if d.rate_mg_per_h is not None:
        dosage["rateQuantity"] = _quantity(d.rate_mg_per_h, "mg/h")
    period = {"start": instant(d.started_at)}
    if d.stopped_at:
        period["end"] = instant(d.stopped_at)
    result = {
        "resourceType": "MedicationAdministration",
        "id": str(d.pk),
        "contained": [medication],
        "status": "completed" if d.stopped_at or d.session.status == "completed" else "in-progress",
        "category": {"text": d.get_kind_display()},
        "medicationReference": {"reference": "#medication", "display": d.get_medication_display()},
        "subject": ref("Patient", d.patient_id),
        "effectivePeriod": period,
        "performer": [{"actor": ref("Practitioner", d.administered_by_id)}],
        "dosage": dosage,
        "note": [{"text": f"Ordered by Practitioner/{d.ordered_by_id}; lot {d.lot_number}."}],
    }
    if d.session.status in HELD_STATUSES:
        result["context"] = ref("Encounter", d.session_id)
    return result


def condition(dx) -> dict:
    return {
        "resourceType": "Condition",
        "id": str(dx.pk),
        "clinicalStatus": c.concept(c.CONDITION_CLINICAL, "active", "Active"),
        "verificationStatus": c.concept(c.CONDITION_VERIFICATION, "confirmed", "Confirmed"),
        "category": [c.concept(c.CONDITION_CATEGORY, "problem-list-item", "Problem List Item")],
        "code": c.concept(c.ICD10CM, dx.icd10_code, dx.description),
        "subject": ref("Patient", dx.patient_id),
        "onsetDateTime": dx.diagnosed_on.isoformat(),
        "recordedDate": dx.diagnosed_on.isoformat(),
        "recorder": ref("Practitioner", dx.recorded_by_id),
    }


def allergy_intolerance(a) -> dict:
    result = {
        "resourceType": "AllergyIntolerance",
        "id": str(a.pk),
        "clinicalStatus": c.concept(c.ALLERGY_CLINICAL, "active", "Active"),
        "verificationStatus": c.concept(c.ALLERGY_VERIFICATION, "confirmed", "Confirmed"),
        "code": {"text": a.substance},
        "patient": ref("Patient", a.patient_id),
        "recordedDate": instant(a.recorded_at),
        "recorder": ref("Practitioner", a.recorded_by_id),
    }
    if a.reaction:
        result["reaction"] = [{"manifestation": [{"text": a.reaction}], "severity": a.severity}]
    return result


def consent(k) -> dict:
    provision: dict = {"type": "permit", "period": {"start": instant(k.signed_at)}}
    end = k.revoked_at.isoformat() if k.revoked_at else (k.expires_on.isoformat() if k.expires_on else None)
    if end:
        provision["period"]["end"] = end
    covers = [c.concept(c.MEDICATION_SYSTEM, m, m) for m in k.medications]
    if covers:
        provision["code"] = covers
    return {
        "resourceType": "Consent",
        "id": str(k.pk),
        "status": "inactive" if k.revoked_at else "active",
        "scope": c.concept(c.CONSENT_SCOPE, "treatment", "Treatment"),
        "category": [c.concept(c.LOINC, "59284-0", "Patient Consent")],
        "patient": ref("Patient", k.patient_id),
        "dateTime": instant(k.signed_at),
        "organization": [ref("Organization", k.patient.home_clinic_id)],
        "policy": [{"uri": f"{c.LOCAL_BASE}/consent/{k.document_version}"}],
        "verification": [
            {
                "verified": True,
                "verifiedWith": ref("Practitioner", k.witness_id),
                "verificationDate": instant(k.signed_at),
            }
        ],
        "provision": provision,
    }


def care_plan(enrollment, bookings: dict[int, object]) -> dict:
    """The enrollment and its planned sessions; `bookings` maps planned session id -> its active booking."""
    activities = []
    for planned in enrollment.planned_sessions.all():
        detail: dict = {
            "kind": "Appointment",
            "code": c.concept(c.SESSION_KIND_SYSTEM, planned.kind, planned.get_kind_display()),
            "status": PLANNED_TO_ACTIVITY[planned.status],
            "description": f"#{planned.sequence} {planned.step.label}",
        }
        booking = bookings.get(planned.pk)
        if booking is not None:
            detail["scheduledPeriod"] = {"start": instant(booking.starts_at), "end": instant(booking.ends_at)}
        activity: dict = {"detail": detail}
        if booking is not None and booking.status in HELD_STATUSES:
            activity["outcomeReference"] = [ref("Encounter", booking.pk)]
        activities.append(activity)
    template = enrollment.template
    summary = f"{template.name} (version {template.version}), {len(activities)} planned sessions."
    result = {
        "resourceType": "CarePlan",
        "id": str(enrollment.pk),
        "text": {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{_escape(summary)}</div>'},
        "status": ENROLLMENT_TO_CAREPLAN[enrollment.status],
        "intent": "plan",
        "category": [c.concept(c.CAREPLAN_CATEGORY, "assess-plan", "Assessment and Plan of Treatment")],
        "title": template.name,
        "description": template.get_pathway_display(),
        "subject": ref("Patient", enrollment.patient_id),
        "period": {"start": instant(enrollment.enrolled_at)},
        "created": instant(enrollment.enrolled_at),
    }
    if enrollment.enrolled_by_id:
        result["author"] = ref("Practitioner", enrollment.enrolled_by_id)
    if activities:
        result["activity"] = activities
    return result


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
