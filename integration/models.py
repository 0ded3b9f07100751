"""Integration care: the on-call list and the clinic's alert policy, check-ins, integration plans.

A check-in answered through a follow-up's link points at that follow-up (`CheckIn.followup`, a
link answers once). That is a reference to the follow-up engine's table by name only: this app
imports nothing from `followups`, which sits above it and reads check-ins.
"""

from __future__ import annotations

import pghistory
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone


class OnCallEntry(models.Model):
    """A clinic's on-call list for clinical alerts, in order: position 1 is paged first."""

    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.CASCADE, related_name="on_call")
    staff = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.CASCADE, related_name="on_call")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["clinic", "position"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "position"], name="oncallentry_unique_position"),
            models.UniqueConstraint(fields=["clinic", "staff"], name="oncallentry_unique_staff"),
            models.CheckConstraint(condition=Q(position__gte=1), name="oncallentry_position_positive"),
        ]


# Words and phrases in a check-in's note that ask for a clinician's review (lower case; a phrase
# matches as whole words, any spacing). A clinic replaces the list in its AlertPolicy.
DEFAULT_CHECKIN_RISK_WORDS = (
    "suicide",
    "suicidal",
    "kill myself",
    "end my life",
    "end it all",
    "want to die",
    "better off dead",
    "no reason to live",
    "can't go on",
    "hurt myself",
    "harm myself",
    "self-harm",
    "self harm",
    "cut myself",
    "overdose",
)


def default_checkin_risk_words() -> list[str]:
    return list(DEFAULT_CHECKIN_RISK_WORDS)


@pghistory.track()
class AlertPolicy(models.Model):
    """How a clinic's clinical alerts escalate, and which check-ins are flagged for review.

    A clinic without a row uses the field defaults (`integration.selectors.alert_policy_for`).
    A rule, not a model: a check-in is flagged when its mood is at or below the threshold, or its
    note holds one of the words.
    """

    clinic = models.OneToOneField("kat_clinic.Clinic", on_delete=models.CASCADE, related_name="alert_policy")
    # An unacknowledged alert goes to the next person on call after this long, and to the
    # prescribers after the last one.
    escalation_minutes = models.PositiveSmallIntegerField(default=5)
    # Mood 0-10; None switches the mood rule off.
    checkin_low_mood_at_most = models.PositiveSmallIntegerField(null=True, blank=True, default=2)
    # Empty switches the words rule off.
    checkin_risk_words = ArrayField(models.CharField(max_length=60), default=default_checkin_risk_words, blank=True)

    class Meta:
        verbose_name_plural = "alert policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(escalation_minutes__gte=1, escalation_minutes__lte=240),
                name="alertpolicy_escalation_minutes_in_range",
            ),
            models.CheckConstraint(
                condition=Q(checkin_low_mood_at_most__isnull=True) | Q(checkin_low_mood_at_most__lte=10),
                name="alertpolicy_low_mood_on_the_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"Alert policy of clinic {self.clinic_id}"


@pghistory.track()
class CheckIn(models.Model):
    """What a patient reported between sessions, through a signed link (no login)."""

    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="checkins")
    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.PROTECT, related_name="checkins")
    # The follow-up whose link was used; a link answers once.
    followup = models.OneToOneField(
        "followups.FollowUp", on_delete=models.PROTECT, null=True, blank=True, related_name="checkin"
    )
    # A link without a follow-up carries an id of its own; it answers once too.
    link_id = models.CharField(max_length=32, blank=True, default="")
    mood_0_10 = models.PositiveSmallIntegerField()
    sleep_hours = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    note = models.TextField(blank=True)
    scale = models.CharField(max_length=16, blank=True)
    scale_answers = models.JSONField(null=True, blank=True)
    scale_total = models.PositiveSmallIntegerField(null=True, blank=True)
    risk_flagged = models.BooleanField(default=False)
    risk_reason = models.CharField(max_length=200, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(condition=Q(mood_0_10__lte=10), name="checkin_mood_0_to_10"),
            models.CheckConstraint(
                condition=Q(sleep_hours__isnull=True) | (Q(sleep_hours__gte=0) & Q(sleep_hours__lte=24)),
                name="checkin_sleep_0_to_24_hours",
            ),
            models.UniqueConstraint(fields=["link_id"], condition=~Q(link_id=""), name="checkin_one_per_link"),
        ]
        indexes = [models.Index(fields=["patient", "-submitted_at"], name="checkin_patient_latest_idx")]


@pghistory.track()
class IntegrationPlan(models.Model):
    """What integration works on for one enrollment. Every change is kept in its row history."""

    enrollment = models.OneToOneField("programs.Enrollment", on_delete=models.PROTECT, related_name="integration_plan")
    # Denormalised from the enrollment so clinic scoping and audit need no join.
    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="integration_plans")
    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.PROTECT, related_name="integration_plans")
    themes = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    goals = ArrayField(models.TextField(), default=list, blank=True)
    practices = ArrayField(models.TextField(), default=list, blank=True)
    homework = models.TextField(blank=True)
    # The integration session that made the last change, if a session made it.
    last_session = models.ForeignKey(
        "clinic_sessions.Session", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)
