"""The privacy rule of every message to a patient: it never names a drug or a diagnosis.

An SMS or an email can be read by anyone who picks up the phone, so a patient message carries a
link to the detail instead. The follow-up engine checks every message before it leaves
(followups/messages.py); a clinic's name for patients is checked by the same rule when it is saved,
so a name that would leak is refused then, with the reason, rather than at 3 a.m. in a reminder.
"""

from __future__ import annotations

import re

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


def forbidden_word(text: str) -> str | None:
    """The first word of `text` that a patient message must not carry, or None."""
    found = _FORBIDDEN.search(_URL.sub(" ", text))
    return found.group(0) if found else None


def assert_patient_safe(text: str) -> None:
    word = forbidden_word(text)
    if word:
        raise UnsafePatientMessage(f"patient message would carry {word!r}")


def patient_facing_name_problem(name: str) -> str | None:
    """Why `name` cannot be the clinic's name in patients' messages, or None when it can."""
    word = forbidden_word(name)
    if word is None:
        return None
    return (
        f"Patients' messages name the clinic as {name!r}, which carries {word!r}: anyone who sees the "
        "patient's phone would learn of the treatment. Give a patient-facing name without it."
    )
