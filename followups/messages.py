"""What a follow-up says. Rendered at delivery time from ids, so rows hold no clinical values.

Patient messages never name a drug or a diagnosis: an SMS or an email can be read by anyone who
picks up the phone. They carry a link to the detail instead. `assert_patient_safe` enforces it on
every patient message before it leaves.

Pages to staff carry no protected health information at all: the clinic's name and a link into the
app, where the alert is read after signing in. `staff_page_safe` checks each one against the same
words, the patient's identifiers and the alert's own text; a page that fails goes out without the
clinic's name rather than not at all.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils import timezone

from followups.conf import conf
from followups.models import FollowUp
from integration.links import checkin_url

# The privacy rule lives with the clinic, which checks its name for patients by it when saved.
from kat_clinic.patient_messages import (  # noqa: F401 - FORBIDDEN_IN_PATIENT_MESSAGES re-exported
    FORBIDDEN_IN_PATIENT_MESSAGES,
    UnsafePatientMessage,
    assert_patient_safe,
    forbidden_word,
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


def alert_url(alert_id: int) -> str:
    """The alert in the web app (it asks for a sign-in first)."""
    return f"{settings.STAFF_APP_BASE_URL}/alerts/{alert_id}"


# The page's only part that is not fixed text is the clinic's name; links carry a number only.
_LINK = re.compile(r"https?://\S+")


def staff_page_safe(text: str, followup: FollowUp) -> bool:
    """Whether a page may carry `text`: no word a patient message may not carry, none of the
    patient's identifiers, not the alert's own text."""
    if forbidden_word(text):
        return False
    patient, alert = followup.patient, followup.alert
    found = _LINK.sub(" ", text).casefold()
    identifiers = []
    if patient is not None:
        identifiers = [patient.first_name, patient.last_name, patient.preferred_name, patient.mrn, patient.phone]
        identifiers += [patient.email, patient.date_of_birth.isoformat()]
    if alert is not None:
        identifiers.append(alert.message)
    return not any(
        value and len(value) > 1 and re.search(r"(?<!\w)" + re.escape(value.casefold()) + r"(?!\w)", found)
        for value in identifiers
    )


def render_staff_message(followup: FollowUp) -> tuple[str, str]:
    """(subject, body) of a page to a staff member: the clinic's name and a link, nothing clinical.

    A page is read on a phone like a patient's message, so it names the clinic as patients see it.
    When even that would carry something it must not, the page goes out without the name: a page
    about a clinical alert is never held back.
    """
    if followup.kind != FollowUp.Kind.CLINICAL_ALERT:
        raise ValueError(f"{followup.kind} is not a page to staff")
    name, link = followup.clinic.name_for_patients, alert_url(followup.alert_id)
    subject = f"{name}: urgent alert"
    body = f"{name}: an urgent alert needs you. Open it and acknowledge it in the app: {link}"
    if staff_page_safe(subject, followup) and staff_page_safe(body, followup):
        return subject, body
    return "Urgent alert", f"An urgent alert needs you. Open it and acknowledge it in the app: {link}"


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
