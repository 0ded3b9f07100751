"""What a follow-up says. Rendered at delivery time from ids, so rows hold no clinical values.

Patient messages never name a drug or a diagnosis: an SMS or an email can be read by anyone who
picks up the phone. They carry a link to the detail instead. `assert_patient_safe` enforces it on
every patient message before it leaves.

Pages to staff carry no protected health information at all: the clinic's name and a link into the
app, where the alert is read after signing in. `assert_staff_safe` checks each one against the
patient's identifiers and the alert's own text as well.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils import timezone

from followups.conf import conf
from followups.models import FollowUp
from integration.links import checkin_url
from programs.choices import SessionKind

# Lower-case fragments that must never appear in a message to a patient.
FORBIDDEN_IN_PATIENT_MESSAGES = (
    "ketamine",
    "esketamine",
    "spravato",
    "depress",
    "ptsd",
    "suicid",
    "anxiety",
    "bipolar",
    "psychosis",
    "diagnos",
    "dosing",
    "dose",
    "rems",
)
# Word starts only, so "dose" does not match inside another word.
_FORBIDDEN = re.compile(r"\b(?:" + "|".join(FORBIDDEN_IN_PATIENT_MESSAGES) + ")", re.IGNORECASE)
# Links are checked by construction (a signed token carries ids only); their random characters
# could spell anything, so the words check looks at the text around them.
_URL = re.compile(r"https?://\S+")


class UnsafePatientMessage(ValueError):
    pass


def assert_patient_safe(text: str) -> None:
    found = _FORBIDDEN.search(_URL.sub(" ", text))
    if found:
        raise UnsafePatientMessage(f"patient message would carry {found.group(0)!r}")


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
        lines = [f"{clinic.name}: a reminder of your visit on {local:%A %B %-d at %-I:%M %p}."]
        lines += preparation_lines(session.kind)
        if clinic.phone:
            lines.append(f"Questions or need to change it? Call {clinic.phone}.")
        subject, body = f"Your visit at {clinic.name}", "\n".join(lines)
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
        subject = f"A short check-in from {clinic.name}"
        body = f"{reminder}{clinic.name}: {ask}: {link}\nIf you are in crisis, call {clinic.crisis_line}."
    else:
        raise ValueError(f"{followup.kind} is not a patient message")
    assert_patient_safe(subject)
    assert_patient_safe(body)
    return subject, body


def alert_url(alert_id: int) -> str:
    """The alert in the web app (it asks for a sign-in first)."""
    return f"{settings.STAFF_APP_BASE_URL}/alerts/{alert_id}"


def assert_staff_safe(text: str, followup: FollowUp) -> None:
    """Refuse a page that would carry the patient's identifiers, the alert's text or clinical words."""
    assert_patient_safe(text)
    patient, alert = followup.patient, followup.alert
    found = _URL.sub(" ", text).casefold()
    identifiers = []
    if patient is not None:
        identifiers = [patient.first_name, patient.last_name, patient.preferred_name, patient.mrn, patient.phone]
        identifiers += [patient.email, patient.date_of_birth.isoformat()]
    if alert is not None:
        identifiers.append(alert.message)
    for value in identifiers:
        if value and len(value) > 1 and re.search(r"(?<!\w)" + re.escape(value.casefold()) + r"(?!\w)", found):
            raise UnsafePatientMessage("page to staff would carry the patient's details or the alert's text")


def render_staff_message(followup: FollowUp) -> tuple[str, str]:
    """(subject, body) of a page to a staff member: who it is from and a link, nothing clinical."""
    if followup.kind != FollowUp.Kind.CLINICAL_ALERT:
        raise ValueError(f"{followup.kind} is not a page to staff")
    clinic = followup.clinic
    subject = f"{clinic.name}: urgent alert"
    link = alert_url(followup.alert_id)
    body = f"{clinic.name}: an urgent alert needs you. Open it and acknowledge it in the app: {link}"
    assert_staff_safe(subject, followup)
    assert_staff_safe(body, followup)
    return subject, body


def render_message(followup: FollowUp) -> tuple[str, str]:
    """(subject, body) of a message leaving the clinic: to the patient, or a page to staff."""
    if followup.target == FollowUp.Target.PATIENT:
        return render_patient_message(followup)
    return render_staff_message(followup)


def recipient_address(followup: FollowUp) -> str:
    if followup.target == FollowUp.Target.STAFF:
        staff = followup.staff
        return staff.phone if followup.channel == FollowUp.Channel.SMS else staff.user.email
    patient = followup.patient
    return patient.phone if followup.channel == FollowUp.Channel.SMS else patient.email
