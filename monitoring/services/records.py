"""Write paths for the patient's clinical record (consents, screens, medications, authorizations...)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kat_clinic.errors import Conflict, RuleViolation
from kat_clinic.models import Patient, StaffMember
from monitoring.models import (
    CONTRAINDICATIONS,
    Consent,
    ContraindicationScreen,
    SessionAttestation,
)
from monitoring.services.common import require_operation
from sessions.models import Session


@transaction.atomic
def record_create(*, model, patient: Patient, by: StaffMember, **fields):
    """Create one patient-level record, stamped with who recorded it."""
    require_operation(staff=by, operation="record.write", clinic_id=patient.home_clinic_id)
    return model.objects.create(patient=patient, recorded_by=by, **fields)


@transaction.atomic
def contraindication_screen_record(
    *, patient: Patient, by: StaffMember, answers: dict, **fields
) -> ContraindicationScreen:
    """The result follows from the answers: any contraindication present fails the screen. The
    screen is stored unreviewed; a prescriber reviews it by their own request
    (`contraindication_screen_review`)."""
    require_operation(staff=by, operation="record.write", clinic_id=patient.home_clinic_id)
    missing = [c for c in CONTRAINDICATIONS if not isinstance(answers.get(c), bool)]
    if missing:
        raise RuleViolation(
            "Answer every contraindication.",
            code="invalid_answers",
            errors={c: ["Answer yes (true) or no (false)."] for c in missing},
        )
    result = ContraindicationScreen.Result.FAILED if any(answers.values()) else ContraindicationScreen.Result.PASSED
    return ContraindicationScreen.objects.create(
        patient=patient, recorded_by=by, answers=answers, result=result, **fields
    )


@transaction.atomic
def contraindication_screen_review(*, screen: ContraindicationScreen, by: StaffMember) -> ContraindicationScreen:
    """The prescriber making the request reviews the screen: `reviewed_by` is always the caller."""
    require_operation(staff=by, operation="screen.review", clinic_id=screen.patient.home_clinic_id)
    updated = ContraindicationScreen.objects.filter(pk=screen.pk, reviewed_at__isnull=True).update(
        reviewed_by=by, reviewed_at=timezone.now()
    )
    if not updated:
        raise Conflict("The screen is already reviewed.", code="screen_reviewed")
    screen.refresh_from_db()
    return screen


@transaction.atomic
def consent_record(*, patient: Patient, by: StaffMember, witness: StaffMember, **fields) -> Consent:
    require_operation(staff=by, operation="record.write", clinic_id=patient.home_clinic_id)
    return Consent.objects.create(patient=patient, recorded_by=by, witness=witness, **fields)


@transaction.atomic
def consent_revoke(*, consent: Consent, by: StaffMember, reason: str) -> Consent:
    require_operation(staff=by, operation="record.write", clinic_id=consent.patient.home_clinic_id)
    updated = Consent.objects.filter(pk=consent.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revocation_reason=reason
    )
    if not updated:
        raise Conflict("The consent is already revoked.", code="consent_revoked")
    consent.refresh_from_db()
    return consent


@transaction.atomic
def session_attestation_record(*, session: Session, by: StaffMember, **fields) -> SessionAttestation:
    """Create or update the session's attestation (one row per session, the last recorder kept)."""
    require_operation(staff=by, operation="record.write", clinic_id=session.clinic_id)
    attestation, _ = SessionAttestation.objects.update_or_create(
        session=session, defaults={**fields, "recorded_by": by, "recorded_at": timezone.now()}
    )
    return attestation


@transaction.atomic
def ride_confirmation_record(
    *, session: Session, by: StaffMember, escort_name: str, escort_phone: str, escort_present: bool | None = None
) -> SessionAttestation:
    """The front desk confirms the ride home: the escort's name and phone, and on the day that the
    escort is here. Only these fields of the session's attestation; fasting stays the nurse's."""
    require_operation(staff=by, operation="ride.write", clinic_id=session.clinic_id)
    fields = {"escort_name": escort_name.strip(), "escort_phone": escort_phone.strip()}
    if escort_present is not None:
        fields["escort_present"] = escort_present
    attestation, _ = SessionAttestation.objects.update_or_create(
        session=session, defaults={**fields, "recorded_by": by, "recorded_at": timezone.now()}
    )
    return attestation
