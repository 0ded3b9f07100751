"""Scale responses: stored with their server-side score; a high-risk answer raises an alert at once."""

from __future__ import annotations

from django.db import transaction

from kat_clinic.errors import RuleViolation
from kat_clinic.models import Patient, StaffMember
from monitoring import scales, signals
from monitoring.models import Alert, Scale, ScaleResponse
from monitoring.selectors.policy import policy_for
from monitoring.services.alerts import AlertCandidate, alerts_raise
from sessions.models import Session


def _session_enrollment(session: Session | None):
    """The enrollment the session was booked under, if any."""
    return session.enrollment if session is not None and session.enrollment_id else None


ALERT_KIND = {Scale.PHQ9: Alert.Kind.PHQ9_ITEM9, Scale.CSSRS: Alert.Kind.CSSRS_POSITIVE}


@transaction.atomic
def scale_response_record(
    *,
    patient: Patient,
    scale: str,
    answers,
    by: StaffMember | None,
    session: Session | None = None,
    enrollment=None,
    source: str = ScaleResponse.Source.CLINICIAN,
) -> ScaleResponse:
    """Validate, score and store one response (422 listing every bad item). PHQ-9 item 9 > 0 or a
    positive C-SSRS raises a high-priority alert in the same transaction, notified after commit."""
    if session is not None and session.patient_id != patient.pk:
        raise RuleViolation("The session belongs to another patient.", code="session_mismatch")
    try:
        result = scales.score(scale, answers, pcl5_cutoff=policy_for(patient.home_clinic_id).pcl5_probable_ptsd_cutoff)
    except scales.ScaleAnswerError as exc:
        raise RuleViolation("The answers do not fit the scale.", code="invalid_answers", errors=exc.errors)
    if enrollment is not None and enrollment.patient_id != patient.pk:
        raise RuleViolation(
            "The enrollment belongs to another patient.",
            code="enrollment_mismatch",
            errors={"enrollment": ["Another patient's enrollment."]},
        )
    session_enrollment = _session_enrollment(session)
    if enrollment is None:
        # A response given in a planned session belongs to that session's course.
        enrollment = session_enrollment
    elif session_enrollment is not None and session_enrollment.pk != enrollment.pk:
        raise RuleViolation(
            "The session belongs to another course of treatment.",
            code="enrollment_mismatch",
            errors={"enrollment": [f"The session is part of enrollment {session_enrollment.pk}."]},
        )
    response = ScaleResponse.objects.create(
        patient=patient,
        session=session,
        scale=scale,
        answers=answers,
        total=result.total,
        severity=result.severity,
        high_risk=result.high_risk,
        loinc_panel=result.loinc_panel,
        loinc_total=result.loinc_total,
        source=source,
        recorded_by=by,
        enrollment=enrollment,
    )
    if result.high_risk:
        alerts_raise(
            candidates=[
                AlertCandidate(
                    kind=ALERT_KIND[scale],
                    dedupe_key=f"scale:{response.pk}",
                    message=result.alert_reason,
                    episode_started_at=response.completed_at,
                    clinic_id=session.clinic_id if session else patient.home_clinic_id,
                    patient_id=patient.pk,
                    session_id=session.pk if session else None,
                    scale_response_id=response.pk,
                    details={"scale": scale, "total": result.total, "severity": result.severity},
                )
            ]
        )
    signals.scale_response_recorded.send(sender=ScaleResponse, response=response)
    return response
