"""The controlled-substance ledger: registrations, products, containers and their append-only entries.

The database holds the rules (21 CFR 1304): a container's on-hand quantity lives in one balance row
that only the entry trigger moves, under the row lock its UPDATE takes, with a CHECK that it never
goes below zero; entries and witnessings cannot be updated or deleted; corrections are new entries.
"""

from __future__ import annotations

import pghistory
import pgtrigger
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from controlled import triggers
from programs.choices import Medication


class Registration(models.Model):
    """A DEA registration the clinic's stock is held under; its registrant signs off adjustments."""

    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.PROTECT, related_name="dea_registrations")
    number = models.CharField(max_length=9, unique=True, help_text="DEA registration number, e.g. AB1234563")
    name = models.CharField(max_length=200, help_text="The registrant's name as on the certificate.")
    registrant = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")
    schedules = models.CharField(max_length=40, default="3,3N")
    expires_on = models.DateField()
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.number} ({self.name})"


class ControlledPolicy(models.Model):
    """A clinic's ledger policy. A clinic without a row uses the field defaults (`policy_for`)."""

    clinic = models.OneToOneField("kat_clinic.Clinic", on_delete=models.CASCADE, related_name="controlled_policy")
    # The hard stop: a dose of a controlled medication names the container it was drawn from.
    require_container = models.BooleanField(default=True)
    unwitnessed_waste_alert_minutes = models.PositiveSmallIntegerField(default=30)

    class Meta:
        verbose_name_plural = "controlled policies"


class Product(models.Model):
    class Form(models.TextChoices):
        INJECTION = "injection", "Solution for injection"
        NASAL_SPRAY = "nasal_spray", "Nasal spray device"
        LOZENGE = "lozenge", "Lozenge / troche"

    name = models.CharField(max_length=120, help_text='e.g. "Ketamine HCl"')
    medication = models.CharField(max_length=16, choices=Medication.choices)
    form = models.CharField(max_length=16, choices=Form.choices)
    strength = models.CharField(max_length=60, help_text='As labelled, e.g. "50 mg/mL" or "28 mg per device"')
    concentration_mg_per_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    # Whole units (esketamine's nasal devices): every movement is a whole number of units.
    unit_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    ndc = models.CharField("NDC", max_length=13, unique=True)
    controlled = models.BooleanField(default=True)
    schedule = models.CharField(max_length=4, default="III")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(unit_mg__isnull=True) | Q(unit_mg__gt=0), name="product_unit_positive"),
            models.CheckConstraint(
                condition=Q(concentration_mg_per_ml__isnull=True) | Q(concentration_mg_per_ml__gt=0),
                name="product_concentration_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.strength} ({self.get_form_display()})"


class Container(models.Model):
    """One vial, ampoule or pack of nasal devices, stored at a clinic under a registration."""

    class Kind(models.TextChoices):
        VIAL = "vial", "Vial"
        AMPOULE = "ampoule", "Ampoule"
        DEVICE_PACK = "device_pack", "Nasal device pack"

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="containers")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.PROTECT, related_name="controlled_containers")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="containers")
    lot_number = models.CharField(max_length=40)
    expires_on = models.DateField()
    initial_mg = models.DecimalField(max_digits=9, decimal_places=2)
    initial_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    label = models.CharField(max_length=40, blank=True, help_text="What is written on the container, if anything.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(initial_mg__gte=0), name="container_initial_not_negative"),
        ]
        indexes = [models.Index(fields=["clinic", "product"], name="container_clinic_product_idx")]
        triggers = [
            # Lot, expiry, place and registration are facts of record: a move is a transfer entry.
            pgtrigger.Protect(name="container_frozen", operation=pgtrigger.Update | pgtrigger.Delete),
            pgtrigger.Trigger(
                name="container_opens_balance",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                func=triggers.CONTAINER_OPENS_BALANCE_SQL,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.lot_number} #{self.pk}"


class ContainerBalance(models.Model):
    """The running balance of one container. Only the entry trigger writes it (a trigger refuses others)."""

    container = models.OneToOneField(Container, on_delete=models.PROTECT, primary_key=True, related_name="balance")
    on_hand_mg = models.DecimalField(max_digits=9, decimal_places=2, default=0)
    entry_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(on_hand_mg__gte=0), name="containerbalance_on_hand_not_negative"),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="containerbalance_moved_by_entries_only",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                func=triggers.BALANCE_GUARD_SQL,
            ),
        ]


class EntryKind(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    DRAW = "draw", "Draw / administration"
    WASTE = "waste", "Waste"
    TRANSFER_OUT = "transfer_out", "Transfer out"
    TRANSFER_IN = "transfer_in", "Transfer in"
    RETURN = "return", "Return to supplier / reverse distributor"
    ADJUSTMENT = "adjustment", "Count adjustment"
    LOSS = "loss", "Loss or theft"
    CORRECTION = "correction", "Correction"


INCREASES = (EntryKind.RECEIPT, EntryKind.TRANSFER_IN)
DECREASES = (EntryKind.DRAW, EntryKind.WASTE, EntryKind.TRANSFER_OUT, EntryKind.RETURN, EntryKind.LOSS)


class LedgerEntry(models.Model):
    """One movement of stock in or out of a container. Append-only: a mistake is corrected by a new entry.

    `change_mg` is signed (what the on-hand gained); the trigger fills `balance_after_mg` and
    `recorded_at`, so neither can be typed in. `occurred_at` is when it happened.
    """

    Kind = EntryKind

    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    change_mg = models.DecimalField(max_digits=9, decimal_places=2)
    devices = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Whole units moved (nasal devices).")
    volume_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    balance_after_mg = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True, editable=False)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")
    # draw: the dose it became, exactly (and its patient, kept for the dispensing log).
    dose = models.ForeignKey(
        "monitoring.DoseAdministration", on_delete=models.PROTECT, null=True, blank=True, related_name="draws"
    )
    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # waste: the draw whose remainder it was, if any.
    draw = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="wastes")
    # correction: the entry it corrects.
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections")
    # transfer_in: its transfer_out.
    pair = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="paired_in")
    # receipt: the second person who checked it in.
    checked_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # adjustment: the registrant's sign-off, and the count that found the difference.
    signed_off_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discrepancy = models.ForeignKey(
        "controlled.Discrepancy", on_delete=models.PROTECT, null=True, blank=True, related_name="adjustments"
    )
    # receipt / return / transfer: the other side (supplier, reverse distributor, the other registration).
    counterparty = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=80, blank=True, help_text="Invoice, DEA Form 222 or order number.")
    other_registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    distribution = models.BooleanField(default=False, help_text="Between two DEA registrations.")
    reason = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind__in=INCREASES) & Q(change_mg__gt=0))
                | (Q(kind__in=DECREASES) & Q(change_mg__lt=0))
                | (Q(kind__in=(EntryKind.ADJUSTMENT, EntryKind.CORRECTION)) & ~Q(change_mg=0)),
                name="ledgerentry_sign_fits_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.RECEIPT) | (Q(checked_by__isnull=False) & ~Q(checked_by=F("by"))),
                name="ledgerentry_receipt_checked_by_second_person",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.DRAW) | (Q(dose__isnull=False) & Q(patient__isnull=False)),
                name="ledgerentry_draw_names_dose",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=(EntryKind.WASTE, EntryKind.LOSS, EntryKind.CORRECTION, EntryKind.ADJUSTMENT))
                | ~Q(reason=""),
                name="ledgerentry_reason_given",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.CORRECTION) | Q(corrects__isnull=False),
                name="ledgerentry_correction_names_entry",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.ADJUSTMENT) | Q(signed_off_by__isnull=False),
                name="ledgerentry_adjustment_signed_off",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.TRANSFER_IN) | Q(pair__isnull=False),
                name="ledgerentry_transfer_in_paired",
            ),
            models.UniqueConstraint(
                fields=["dose"], condition=Q(kind=EntryKind.DRAW), name="ledgerentry_one_draw_per_dose"
            ),
            models.UniqueConstraint(
                fields=["corrects"], condition=Q(kind=EntryKind.CORRECTION), name="ledgerentry_one_correction"
            ),
        ]
        indexes = [
            models.Index(fields=["container", "id"], name="ledgerentry_container_idx"),
            models.Index(fields=["occurred_at"], name="ledgerentry_occurred_idx"),
        ]
        triggers = [
            pgtrigger.Protect(name="ledgerentry_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
            pgtrigger.Trigger(
                name="ledgerentry_moves_balance",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert,
                declare=[("unit", "numeric")],
                func=triggers.ENTRY_MOVES_BALANCE_SQL,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.change_mg} mg on container #{self.container_id}"

    @property
    def clinic_id(self) -> int:
        return self.container.clinic_id


class Witnessing(models.Model):
    """A second licensed person's confirmation of a waste, by re-authenticating or from their session."""

    class Method(models.TextChoices):
        REAUTHENTICATED = "reauthenticated", "Re-authenticated in the request"
        OWN_SESSION = "own_session", "Confirmed from their own signed-in session"

    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="witnessing")
    witness = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=16, choices=Method.choices)
    witnessed_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        triggers = [
            pgtrigger.Protect(name="witnessing_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
            pgtrigger.Trigger(
                name="witnessing_second_person",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert,
                declare=[("waster", "integer"), ("entry_kind", "text")],
                func=triggers.WITNESS_IS_SECOND_PERSON_SQL,
            ),
        ]


class Count(models.Model):
    """A blind count of one storage location (the counter is never shown the expected figures)."""

    class Kind(models.TextChoices):
        SHIFT = "shift", "Shift count"
        DAILY = "daily", "Daily count"
        BIENNIAL = "biennial", "Biennial inventory"

    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.PROTECT, related_name="controlled_counts")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    counted_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")
    counted_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        triggers = [pgtrigger.Protect(name="count_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]


class CountLine(models.Model):
    count = models.ForeignKey(Count, on_delete=models.PROTECT, related_name="lines")
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="count_lines")
    counted_mg = models.DecimalField(max_digits=9, decimal_places=2)
    counted_devices = models.PositiveSmallIntegerField(null=True, blank=True)
    # The ledger's figure when the count was recorded; stored, never shown to the counter.
    expected_mg = models.DecimalField(max_digits=9, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["count", "container"], name="countline_one_per_container"),
            models.CheckConstraint(condition=Q(counted_mg__gte=0), name="countline_counted_not_negative"),
        ]
        triggers = [pgtrigger.Protect(name="countline_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]


@pghistory.track()
class Discrepancy(models.Model):
    """A count that differs from the ledger: open until resolved with a reason (row history kept)."""

    line = models.OneToOneField(CountLine, on_delete=models.PROTECT, related_name="discrepancy")
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="discrepancies")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="discrepancies")
    difference_mg = models.DecimalField(max_digits=9, decimal_places=2, help_text="counted - expected")
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "discrepancies"
        constraints = [
            models.CheckConstraint(condition=~Q(difference_mg=0), name="discrepancy_differs"),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolved_by__isnull=True, resolution="")
                | (Q(resolved_at__isnull=False, resolved_by__isnull=False) & ~Q(resolution="")),
                name="discrepancy_resolved_with_reason",
            ),
        ]
        triggers = [
            # Once resolved, a discrepancy stays as it was resolved.
            pgtrigger.Protect(
                name="discrepancy_resolved_frozen",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__resolved_at__isnull=False),
            ),
        ]

    @property
    def clinic_id(self) -> int:
        return self.container.clinic_id


class LossReport(models.Model):
    """A loss or theft: what is known, its ledger entry, and the registrant's sign-off (a separate row)."""

    class Kind(models.TextChoices):
        LOSS = "loss", "Loss"
        THEFT = "theft", "Theft"
        IN_TRANSIT = "in_transit", "Lost in transit"

    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="loss_report")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    discovered_at = models.DateTimeField()
    description = models.TextField()
    police_report = models.CharField(max_length=80, blank=True)
    reported_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")
    notice_due_at = models.DateTimeField(help_text="Written notice to the DEA field office: one business day.")
    form_106_due_on = models.DateField(help_text="DEA Form 106: within 45 days of discovery.")

    class Meta:
        triggers = [pgtrigger.Protect(name="lossreport_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    @property
    def clinic_id(self) -> int:
        return self.entry.container.clinic_id


class LossReportSignoff(models.Model):
    report = models.OneToOneField(LossReport, on_delete=models.PROTECT, related_name="signoff")
    registrant = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now, editable=False)
    note = models.TextField(blank=True)

    class Meta:
        triggers = [
            pgtrigger.Protect(name="lossreportsignoff_append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]
