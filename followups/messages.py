"""What a follow-up says. Rendered at delivery time from ids, so rows hold no clinical values.

Patient messages never name a drug or a diagnosis: an SMS or an email can be read by anyone who
picks up the phone. They carry a link to the detail instead. `assert_patient_safe` enforces it on
every patient message before it leaves.
"""

from __future__ import annotations

from django.utils import timezone

from followups.conf import conf
from followups.models import FollowUp
from integration.links import checkin_url

# The privacy rule lives with the clinic, which checks its name for patients by it when saved.
from kat_clinic.patient_messages import (  # noqa: F401 - FORBIDDEN_IN_PATIENT_MESSAGES re-exported
    FORBIDDEN_IN_PATIENT_MESSAGES,
    UnsafePatientMessage,
    assert_patient_safe,
)
from programs.choices import SessionKind


def preparation_lines(session_kind: str) -> list[str]:
    """Preparation instructions for a visit, in plain words with no drug named."""
    if session_kind != SessionKind.DOSING:
        return []
    return [
        f"Please have nothing to eat for {conf('FOLLOWUP_FASTING_HOURS')} hours before your visit.",
        "Arrange a ride home: an adult must take you home.",
        "Do not drive for 24 hours after your visit.",
    ]


def render_patient_message(followup: FollowUp) -> tuple[str, str]:
    """(subject, body) of a message to the patient."""
    clinic = followup.clinic
    if followup.kind == FollowUp.Kind.SESSION_REMINDER:
        session = followup.session
        local = timezone.localtime(session.starts_at, clinic.tz)
        lines = [f"{clinic.name_for_patients}: a reminder of your visit on {local:%A %B %-d at %-I:%M %p}."]
        lines += preparation_lines(session.kind)
        if clinic.phone:
            lines.append(f"Questions or need to change it? Call {clinic.phone}.")
        subject, body = f"Your visit at {clinic.name_for_patients}", "\n".join(lines)
    elif followup.kind in (FollowUp.Kind.CHECKIN_LINK, FollowUp.Kind.SCALE_REQUEST, FollowUp.Kind.SCALE_REMINDER):
        answers_for = followup.pk
        if followup.kind == FollowUp.Kind.SCALE_REMINDER:
            # The reminder links to its request, so the answer settles both.
            request = FollowUp.objects.filter(idempotency_key=followup.payload.get("request_key")).first()
            answers_for = request.pk if request else followup.pk
        link = checkin_url(patient_id=followup.patient_id, clinic_id=clinic.pk, followup_id=answers_for)
        ask = (
            "How are you feeling today? Please share a short check-in"
            if followup.kind == FollowUp.Kind.CHECKIN_LINK
            else "Please answer a short questionnaire before your next visit"
        )
        reminder = "Reminder: " if followup.kind == FollowUp.Kind.SCALE_REMINDER else ""
        subject = f"A short check-in from {clinic.name_for_patients}"
        body = f"{reminder}{clinic.name_for_patients}: {ask}: {link}\nIf you are in crisis, call {clinic.crisis_line}."
    else:
        raise ValueError(f"{followup.kind} is not a patient message")
    assert_patient_safe(subject)
    assert_patient_safe(body)
    return subject, body


def recipient_address(followup: FollowUp) -> str:
    patient = followup.patient
    return patient.phone if followup.channel == FollowUp.Channel.SMS else patient.email
