"""Program templates (a clinic's protocol, versioned) and enrollments (a patient's plan made from one).

A template is written as a draft, published, and retired. Once published it never changes: the
triggers below refuse, in PostgreSQL, any write to a published or retired template and to its
steps, staff needs, rules, prerequisites and scale schedule. Editing means cloning into a new draft
version (`programs.services.template_clone`). An enrollment pins the version it was made from.

Every interval here is elapsed time (a `DurationField`), never clock time, so windows, gaps and
caps hold across daylight-saving changes.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pghistory
import pgtrigger
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from kat_clinic.models import Room
from kat_clinic.roles import Role
from programs.choices import Medication, Pathway, Route, Scale, SessionKind, StaffMode

ZERO = dt.timedelta(0)

# The state of the parent template decides whether a child row may be written. The parent row is
# locked FOR SHARE *before* its state is read: a concurrent publish holds the row FOR UPDATE, so the
# child write waits for it and then reads the committed state. (Filtering on the state inside the
# locking query would not wait: a row the snapshot shows as a draft is skipped, never locked.)
_CHILD_FROZEN_CHECK = """
    IF TG_OP <> 'INSERT' THEN
        SELECT t.state INTO parent_state FROM programs_programtemplate t {join_old} FOR SHARE OF t;
        IF parent_state <> 'draft' THEN
            RAISE EXCEPTION 'program template is %: its % rows cannot change; clone it to edit',
                parent_state, TG_TABLE_NAME;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        SELECT t.state INTO parent_state FROM programs_programtemplate t {join_new} FOR SHARE OF t;
        IF parent_state <> 'draft' THEN
            RAISE EXCEPTION 'program template is %: its % rows cannot change; clone it to edit',
                parent_state, TG_TABLE_NAME;
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
"""
_CHILD_DECLARE = [("parent_state", "text")]


def _frozen_with_template(name: str) -> pgtrigger.Trigger:
    """Trigger for a table with a direct `template_id` column."""
    return pgtrigger.Trigger(
        name=name,
        operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
        when=pgtrigger.Before,
        declare=_CHILD_DECLARE,
        func=_CHILD_FROZEN_CHECK.format(
            join_old="WHERE t.id = OLD.template_id",
            join_new="WHERE t.id = NEW.template_id",
        ),
    )


class ProgramTemplate(models.Model):
    """One version of a clinic's protocol. All versions of one protocol share a `family`."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    organization = models.ForeignKey(
        "kat_clinic.Organization", on_delete=models.PROTECT, related_name="program_templates"
    )
    clinic = models.ForeignKey(
        "kat_clinic.Clinic",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="program_templates",
        help_text="Empty: offered by every clinic of the organisation.",
    )
    family = models.UUIDField(default=uuid.uuid4, db_index=True, help_text="Shared by all versions of this program.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    pathway = models.CharField(max_length=32, choices=Pathway.choices)
    version = models.PositiveIntegerField(default=1)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Which shipped template this family came from (see programs.catalog); blank for a clinic's own.
    catalog_key = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="programtemplate_unique_family_version"),
            models.UniqueConstraint(
                fields=["family"],
                condition=Q(state="published"),
                name="programtemplate_one_published_per_family",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="programtemplate_version_positive"),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(published_at__isnull=False),
                name="programtemplate_published_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(state="retired") | Q(retired_at__isnull=False),
                name="programtemplate_retired_has_date",
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="programtemplate_frozen_when_published",
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func="""
                    IF TG_OP = 'INSERT' THEN
                        IF NEW.state <> 'draft' THEN
                            RAISE EXCEPTION 'a program template is created as a draft, then published';
                        END IF;
                        RETURN NEW;
                    END IF;
                    IF OLD.state = 'draft' THEN
                        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                        RETURN NEW;
                    END IF;
                    IF TG_OP = 'DELETE' THEN
                        RAISE EXCEPTION 'program template % (version %) is %: it cannot be deleted',
                            OLD.id, OLD.version, OLD.state;
                    END IF;
                    -- Writing back the identical row changes nothing and is let through.
                    IF to_jsonb(NEW) = to_jsonb(OLD) THEN
                        RETURN NEW;
                    END IF;
                    IF OLD.state = 'published' AND NEW.state = 'retired'
                       AND (to_jsonb(NEW) - 'state' - 'retired_at' - 'retired_by_id')
                           = (to_jsonb(OLD) - 'state' - 'retired_at' - 'retired_by_id') THEN
                        RETURN NEW;
                    END IF;
                    RAISE EXCEPTION 'program template % (version %) is %: %', OLD.id, OLD.version, OLD.state,
                        'the only change allowed is published to retired; clone it to edit';
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version} ({self.get_state_display()})"

    @property
    def is_frozen(self) -> bool:
        return self.state != self.State.DRAFT


class TemplateStep(models.Model):
    """A group of identical sessions of the plan, e.g. "6 dosing sessions, 180-minute block"."""

    class Phase(models.TextChoices):
        INTAKE = "intake", "Intake"
        PREPARATION = "preparation", "Preparation"
        INDUCTION = "induction", "Induction / dosing"
        INTEGRATION = "integration", "Integration"
        MAINTENANCE = "maintenance", "Maintenance"

    template = models.ForeignKey(ProgramTemplate, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(help_text="Order of the step in the template (1, 2, 3...).")
    phase = models.CharField(max_length=16, choices=Phase.choices)
    kind = models.CharField(max_length=32, choices=SessionKind.choices)
    label = models.CharField(max_length=200)
    count = models.PositiveSmallIntegerField(default=1, help_text="How many sessions this step plans.")
    session_minutes = models.PositiveIntegerField(help_text="The visible session, as told to the patient.")
    block_minutes = models.PositiveIntegerField(
        help_text="The whole block the room and staff are busy, monitoring and recovery included."
    )
    room_kind = models.CharField(max_length=32, choices=Room.Kind.choices, blank=True)
    room_capability = models.CharField(max_length=32, choices=Room.Capability.choices, blank=True)
    telehealth_allowed = models.BooleanField(default=False)
    # Dosing steps only: the default order a prescriber confirms per session.
    medication = models.CharField(max_length=16, choices=Medication.choices, blank=True)
    route = models.CharField(max_length=16, choices=Route.choices, blank=True)
    dose_mg_per_kg = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    first_dose_mg = models.DecimalField(
        max_digits=7, decimal_places=2, null=True, blank=True, help_text="Dose of the first session, if different."
    )
    infusion_minutes = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["template_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="templatestep_unique_position"),
            models.CheckConstraint(condition=Q(position__gte=1), name="templatestep_position_positive"),
            models.CheckConstraint(condition=Q(count__gte=1), name="templatestep_count_positive"),
            models.CheckConstraint(condition=Q(session_minutes__gt=0), name="templatestep_session_positive"),
            models.CheckConstraint(
                condition=Q(block_minutes__gte=F("session_minutes")), name="templatestep_block_covers_session"
            ),
        ]
        triggers = [_frozen_with_template("templatestep_frozen_when_published")]

    def __str__(self) -> str:
        return f"{self.position}. {self.label} x{self.count}"


class StaffNeed(models.Model):
    """A role a step's block needs, how (exclusive / shared / present), and for which part of the block."""

    step = models.ForeignKey(TemplateStep, on_delete=models.CASCADE, related_name="staff_needs")
    role = models.CharField(max_length=16, choices=Role.choices)
    mode = models.CharField(max_length=16, choices=StaffMode.choices)
    start_offset_minutes = models.PositiveIntegerField(default=0, help_text="From the start of the block.")
    end_offset_minutes = models.PositiveIntegerField(help_text="From the start of the block.")

    class Meta:
        ordering = ["step_id", "start_offset_minutes", "role"]
        constraints = [
            models.UniqueConstraint(fields=["step", "role"], name="staffneed_unique_role_per_step"),
            models.CheckConstraint(
                condition=Q(start_offset_minutes__lt=F("end_offset_minutes")), name="staffneed_range_not_empty"
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="staffneed_frozen_when_published",
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                declare=_CHILD_DECLARE,
                func=_CHILD_FROZEN_CHECK.format(
                    join_old="JOIN programs_templatestep s ON s.template_id = t.id WHERE s.id = OLD.step_id",
                    join_new="JOIN programs_templatestep s ON s.template_id = t.id WHERE s.id = NEW.step_id",
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} ({self.mode}) {self.start_offset_minutes}-{self.end_offset_minutes} min"


class TemplateRule(models.Model):
    """A rule between sessions, enforced by scheduling. Intervals are elapsed time.

    - prep_before_first_dosing: every session of `step` (a preparation step; empty = all of them)
      before the first dosing, at least `min_interval` earlier if set.
    - integration_window: each session of `step` (an integration step) starts between
      `min_interval` and `max_interval` after the end of its linked dosing block.
    - prep_min_gap: preparation sessions (of `step`, or all) start at least `min_interval` apart
      (one a day: 1 day), so a plan never packs them back to back.
    - dosing_min_gap: consecutive dosing sessions (of `step`, or all) start at least `min_interval` apart.
    - dosing_weekly_cap: at most `max_count` dosing sessions (of `step`, or all) in any rolling `period`.
    - booster_due: a booster is due between `min_interval` and `max_interval` after the last session
      of `step` (the induction's dosing step) is completed.
    """

    class Kind(models.TextChoices):
        PREP_BEFORE_FIRST_DOSING = "prep_before_first_dosing", "Preparation before the first dosing"
        PREP_MIN_GAP = "prep_min_gap", "Minimum spacing between preparation sessions"
        INTEGRATION_WINDOW = "integration_window", "Integration within a window after its dosing"
        DOSING_MIN_GAP = "dosing_min_gap", "Minimum gap between dosing sessions"
        DOSING_WEEKLY_CAP = "dosing_weekly_cap", "At most N dosing sessions per rolling period"
        BOOSTER_DUE = "booster_due", "Booster due after the induction"

    template = models.ForeignKey(ProgramTemplate, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    step = models.ForeignKey(
        TemplateStep,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rules",
        help_text="The step the rule applies to (e.g. the integration step).",
    )
    min_interval = models.DurationField(null=True, blank=True)
    max_interval = models.DurationField(null=True, blank=True)
    max_count = models.PositiveSmallIntegerField(null=True, blank=True)
    period = models.DurationField(null=True, blank=True, help_text="Rolling period of a cap, e.g. 7 days.")

    class Meta:
        ordering = ["template_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_interval__isnull=True) | Q(min_interval__gte=ZERO),
                name="templaterule_min_interval_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(min_interval__isnull=True)
                | Q(max_interval__isnull=True)
                | Q(max_interval__gt=F("min_interval")),
                name="templaterule_window_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(period__isnull=True) | Q(period__gt=ZERO), name="templaterule_period_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_count__isnull=True) | Q(max_count__gte=1), name="templaterule_max_count_positive"
            ),
        ]
        triggers = [_frozen_with_template("templaterule_frozen_when_published")]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def step_position(self) -> int | None:
        """The position of the step the rule applies to: how the API and specs name a step."""
        return self.step.position if self.step_id else None


class TemplatePrerequisite(models.Model):
    """A condition that must hold before each dosing session of the program."""

    class Kind(models.TextChoices):
        CONSENT = "consent", "Consent on file"
        CONTRAINDICATION_SCREEN = "contraindication_screen", "Contraindication screen passed"
        REMS_ENROLLMENT = "rems_enrollment", "REMS patient enrollment (esketamine)"
        PRIOR_AUTHORIZATION = "prior_authorization", "Prior authorization active"
        RIDE_CONFIRMED = "ride_confirmed", "Ride home confirmed"
        FASTING_CONFIRMED = "fasting_confirmed", "Fasting confirmed"
        WEIGHT_RECENT = "weight_recent", "Weight recorded recently"
        PREGNANCY_TEST = "pregnancy_test", "Pregnancy test (where applicable)"

    template = models.ForeignKey(ProgramTemplate, on_delete=models.CASCADE, related_name="prerequisites")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    max_age_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How recent the record must be, in days (empty: any age)."
    )

    class Meta:
        ordering = ["template_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["template", "kind"], name="templateprerequisite_unique_kind"),
            models.CheckConstraint(
                condition=Q(max_age_days__isnull=True) | Q(max_age_days__gte=1),
                name="templateprerequisite_max_age_positive",
            ),
        ]
        triggers = [_frozen_with_template("templateprerequisite_frozen_when_published")]

    def __str__(self) -> str:
        return self.get_kind_display()


class ScaleScheduleItem(models.Model):
    """Which rating scale is given when, for measurement-based care."""

    class Timing(models.TextChoices):
        BASELINE = "baseline", "At baseline"
        BEFORE_EACH_DOSING = "before_each_dosing", "Before each dosing session"
        END_OF_PROGRAM = "end_of_program", "At the end of the program"
        EVERY_N_DAYS = "every_n_days", "Every N days"

    template = models.ForeignKey(ProgramTemplate, on_delete=models.CASCADE, related_name="scale_schedule")
    scale = models.CharField(max_length=16, choices=Scale.choices)
    timing = models.CharField(max_length=32, choices=Timing.choices)
    interval_days = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Only for 'every N days'.")

    class Meta:
        ordering = ["template_id", "scale", "timing"]
        constraints = [
            models.UniqueConstraint(fields=["template", "scale", "timing"], name="scalescheduleitem_unique_timing"),
            models.CheckConstraint(
                condition=(Q(timing="every_n_days") & Q(interval_days__gte=1))
                | (~Q(timing="every_n_days") & Q(interval_days__isnull=True)),
                name="scalescheduleitem_interval_only_when_periodic",
            ),
        ]
        triggers = [_frozen_with_template("scalescheduleitem_frozen_when_published")]

    def __str__(self) -> str:
        return f"{self.get_scale_display()} {self.get_timing_display().lower()}"


@pghistory.track()
class Enrollment(models.Model):
    """A patient in one version of a program. The version is pinned: later versions don't touch it."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    OPEN_STATUSES = (Status.ACTIVE, Status.PAUSED)

    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="enrollments")
    template = models.ForeignKey(ProgramTemplate, on_delete=models.PROTECT, related_name="enrollments")
    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.PROTECT, related_name="enrollments")
    # Copied from the template so the database can hold "one open enrollment per pathway".
    pathway = models.CharField(max_length=32, choices=Pathway.choices, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    enrolled_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    enrolled_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-enrolled_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "pathway"],
                condition=Q(status__in=["active", "paused"]),
                name="enrollment_one_open_per_pathway",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "status"], name="enrollment_clinic_status_idx")]

    def __str__(self) -> str:
        return f"Patient {self.patient_id} in {self.template} ({self.status})"


@pghistory.track()
class PlannedSession(models.Model):
    """One session the plan calls for. Scheduling books it; the status follows the booking."""

    class Status(models.TextChoices):
        TO_BOOK = "to_book", "To be booked"
        BOOKED = "booked", "Booked"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="planned_sessions")
    step = models.ForeignKey(TemplateStep, on_delete=models.PROTECT, related_name="planned_sessions")
    sequence = models.PositiveSmallIntegerField(help_text="1..n across the whole plan.")
    occurrence = models.PositiveSmallIntegerField(help_text="1..step.count within its step.")
    kind = models.CharField(max_length=32, choices=SessionKind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TO_BOOK)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    linked_dosing = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="integrations",
        help_text="For an integration session: the dosing session it follows.",
    )
    # Elapsed time after the end of the linked dosing block (from the integration_window rule).
    window_min = models.DurationField(null=True, blank=True)
    window_max = models.DurationField(null=True, blank=True)

    class Meta:
        ordering = ["enrollment_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "sequence"], name="plannedsession_unique_sequence"),
            models.UniqueConstraint(
                fields=["enrollment", "step", "occurrence"], name="plannedsession_unique_occurrence"
            ),
            models.CheckConstraint(
                condition=Q(sequence__gte=1) & Q(occurrence__gte=1), name="plannedsession_numbers_positive"
            ),
            models.CheckConstraint(
                condition=Q(window_min__isnull=True) | Q(window_max__isnull=True) | Q(window_max__gt=F("window_min")),
                name="plannedsession_window_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["enrollment", "status"], name="plannedsession_status_idx")]

    def __str__(self) -> str:
        return f"{self.ordinal_name} ({self.status})"

    @property
    def ordinal_name(self) -> str:
        """What people call it: its kind and its place in its step, "integration 3 of 6"."""
        return f"{self.get_kind_display().lower()} {self.occurrence} of {self.step.count}"
