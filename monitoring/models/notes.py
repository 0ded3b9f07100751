"""Clinical notes: one per author role per session (the therapist's dosing-support note, the nurse's
monitoring note, the prescriber's note), each signed by the author, frozen in the database once signed."""

from __future__ import annotations

import pghistory
import pgtrigger
from django.db import models
from django.db.models import Q
from django.utils import timezone

# Refuses every UPDATE or DELETE of a signed note, whoever issues it (API, admin, ORM, raw SQL).
# The single exception: a signed dosing note still lacking its prescriber co-signature may have
# the two co-signature columns filled, once, with every other column unchanged.
FREEZE_SIGNED_NOTE_SQL = """
IF TG_OP = 'UPDATE'
   AND OLD.kind = 'dosing'
   AND OLD.cosigned_by_id IS NULL
   AND NEW.cosigned_by_id IS NOT NULL
   AND NEW.cosigned_at IS NOT NULL
   AND (to_jsonb(NEW) - 'cosigned_by_id' - 'cosigned_at') = (to_jsonb(OLD) - 'cosigned_by_id' - 'cosigned_at')
THEN
    RETURN NEW;
END IF;
RAISE EXCEPTION 'clinical note % is signed and cannot be changed; write an addendum', OLD.id
    USING ERRCODE = 'P0001';
"""


@pghistory.track()
class ClinicalNote(models.Model):
    class Kind(models.TextChoices):
        PREPARATION = "preparation", "Preparation"
        DOSING = "dosing", "Dosing"
        INTEGRATION = "integration", "Integration"
        GENERAL = "general", "General"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"

    class AuthorRole(models.TextChoices):
        THERAPIST = "therapist", "Therapist (dosing support)"
        NURSE = "nurse", "Nurse (monitoring)"
        PRESCRIBER = "prescriber", "Prescriber"

    session = models.ForeignKey("clinic_sessions.Session", on_delete=models.PROTECT, related_name="notes")
    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="clinical_notes")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # An addendum corrects a signed note without touching it; it is signed (and frozen) in turn.
    amends = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="addenda")
    sections = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    author = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="authored_notes")
    # The role the author writes as at the session's clinic: one note per role per session.
    author_role = models.CharField(max_length=16, choices=AuthorRole.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    signed_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    cosigned_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "author_role"],
                condition=Q(amends__isnull=True),
                name="clinicalnote_one_per_author_role",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", signed_at__isnull=True, signed_by__isnull=True, content_sha256="")
                | Q(
                    status="signed",
                    signed_at__isnull=False,
                    signed_by__isnull=False,
                    content_sha256__regex=r"^[0-9a-f]{64}$",
                ),
                name="clinicalnote_signature_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(cosigned_by__isnull=True, cosigned_at__isnull=True)
                | Q(cosigned_by__isnull=False, cosigned_at__isnull=False, status="signed"),
                name="clinicalnote_cosignature_complete",
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="clinicalnote_signed_frozen",
                when=pgtrigger.Before,
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__status="signed"),
                func=FREEZE_SIGNED_NOTE_SQL,
            ),
        ]
        indexes = [models.Index(fields=["patient", "created_at"], name="clinicalnote_patient_idx")]

    @property
    def needs_cosignature(self) -> bool:
        return self.kind == self.Kind.DOSING and self.amends_id is None

    @property
    def etag(self) -> str:
        return f'"{self.version}"'
