"""The audit trail (HIPAA 164.312(b)): one row per access to protected health information.

Append-only, enforced by PostgreSQL. A row carries ids and outcomes, never PHI values.
"""

from __future__ import annotations

import uuid

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        DENIED = "denied", "Denied"  # 401 / 403
        NOT_FOUND = "not_found", "Not found"  # includes other clinics' objects
        REJECTED = "rejected", "Rejected"  # other 4xx: invalid input, conflicts
        ERROR = "error", "Server error"

    # The runtime database role may insert rows but never update, delete or truncate them.
    APPEND_ONLY = True

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    # A plain id rather than a foreign key: the row must never be rewritten by ON DELETE actions.
    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    username = models.CharField(max_length=150, blank=True)
    roles = ArrayField(models.CharField(max_length=16), default=list, blank=True)
    clinic_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=64)
    operation = models.CharField(max_length=64, blank=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    resource_type = models.CharField(max_length=64, blank=True)
    resource_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    patient_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField()
    request_id = models.UUIDField(default=uuid.uuid4)  # the server's own, one per request
    # The client's X-Request-ID, kept apart and only when well-formed (a canonical, non-nil UUID).
    client_request_id = models.CharField(max_length=36, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    break_glass = models.BooleanField(default=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["user_id", "occurred_at"], name="auditevent_user_time_idx"),
            models.Index(fields=["clinic_id", "occurred_at"], name="auditevent_clinic_time_idx"),
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]


class BreakGlassAccess(models.Model):
    """Emergency access by a clinician to a patient outside their clinics: reasoned, timed, reviewed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass")
    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="break_glass")
    reason = models.TextField()
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("granted_at")), name="breakglassaccess_expires_after_grant"
            ),
            models.CheckConstraint(condition=~models.Q(reason=""), name="breakglassaccess_reason_required"),
        ]


class AuditChainLink(models.Model):
    """One sealed audit row: its place in its clinic's hash chain (tamper evidence).

    The periodic sealer (`kat_clinic.audit_seal`) appends links in audit-row id order; each link's
    hash covers the row's content and the previous link's hash, so changing, removing or slipping
    in a sealed row breaks the chain from that row on (`manage.py audit_verify`). Rows without a
    clinic form their own chain (clinic_id null).
    """

    APPEND_ONLY = True

    event_id = models.BigIntegerField(primary_key=True)  # the AuditEvent's id; no foreign key, by design
    clinic_id = models.BigIntegerField(null=True, blank=True)
    position = models.BigIntegerField()  # 1, 2, 3... within the clinic's chain
    scheme = models.PositiveSmallIntegerField()  # which fields the hash covers (kat_clinic.audit.chain)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic_id", "position"], name="auditchainlink_one_per_position", nulls_distinct=False
            ),
            models.CheckConstraint(condition=models.Q(position__gte=1), name="auditchainlink_position_positive"),
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]
