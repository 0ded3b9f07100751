"""Ledger bodies. Second persons are credentials typed by them, never an id typed by someone else."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from controlled.models import (
    Container,
    ControlledPolicy,
    Count,
    CountLine,
    Discrepancy,
    LedgerEntry,
    LossReport,
    Product,
    Registration,
)
from controlled.services.common import Credentials
from kat_clinic.access.fields import ClinicScopedPrimaryKeyRelatedField
from kat_clinic.api.filters import QuerySerializer
from kat_clinic.api.times import AwareDateTimeField, PlausibleDateField
from kat_clinic.models import Clinic
from monitoring.api.fields import StaffField, session_field
from monitoring.models import DoseAdministration

MG = {"max_digits": 9, "decimal_places": 2, "min_value": Decimal("0.01")}


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(max_length=8, required=False, allow_blank=True, default="")


def credentials_of(data: dict | None) -> Credentials | None:
    return Credentials(username=data["username"], password=data["password"], otp=data.get("otp", "")) if data else None


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "medication",
            "form",
            "strength",
            "concentration_mg_per_ml",
            "unit_mg",
            "ndc",
            "controlled",
            "schedule",
        ]


class RegistrationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Registration
        fields = ["id", "clinic", "number", "name", "registrant", "schedules", "expires_on", "active"]


class ContainerSerializer(serializers.ModelSerializer):
    on_hand_mg = serializers.DecimalField(source="balance.on_hand_mg", max_digits=9, decimal_places=2, read_only=True)

    class Meta:
        model = Container
        fields = [
            "id",
            "product",
            "kind",
            "clinic",
            "registration",
            "lot_number",
            "expires_on",
            "initial_mg",
            "initial_ml",
            "label",
            "on_hand_mg",
            "created_at",
        ]


class CountSheetContainerSerializer(serializers.ModelSerializer):
    """What the counter sees: which containers to count, never how much the ledger expects."""

    product_name = serializers.CharField(source="product.name", read_only=True)
    strength = serializers.CharField(source="product.strength", read_only=True)
    counts_devices = serializers.SerializerMethodField()

    class Meta:
        model = Container
        fields = ["id", "product", "product_name", "strength", "kind", "lot_number", "expires_on", "counts_devices"]

    def get_counts_devices(self, container) -> bool:
        return container.product.unit_mg is not None


class ReceiveSerializer(serializers.Serializer):
    clinic = ClinicScopedPrimaryKeyRelatedField(clinic_lookup="id", queryset=Clinic.objects.all())
    registration = ClinicScopedPrimaryKeyRelatedField(clinic_lookup="clinic", queryset=Registration.objects.all())
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    kind = serializers.ChoiceField(choices=Container.Kind.choices)
    lot_number = serializers.CharField(max_length=40)
    expires_on = PlausibleDateField()
    received_at = AwareDateTimeField()
    supplier = serializers.CharField(max_length=200)
    invoice = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    quantity_mg = serializers.DecimalField(required=False, allow_null=True, **MG)
    devices = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1000)
    initial_ml = serializers.DecimalField(
        max_digits=7, decimal_places=2, min_value=Decimal("0.01"), required=False, allow_null=True
    )
    checked_by = CredentialsSerializer(help_text="The second person's own credentials.")


class EntrySerializer(serializers.ModelSerializer):
    witnessed_by = serializers.IntegerField(source="witnessing.witness_id", read_only=True, allow_null=True)
    lot_number = serializers.CharField(source="container.lot_number", read_only=True)

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "container",
            "lot_number",
            "kind",
            "change_mg",
            "devices",
            "volume_ml",
            "balance_after_mg",
            "occurred_at",
            "recorded_at",
            "by",
            "dose",
            "patient",
            "draw",
            "corrects",
            "pair",
            "checked_by",
            "signed_off_by",
            "discrepancy",
            "counterparty",
            "reference",
            "other_registration",
            "distribution",
            "reason",
            "witnessed_by",
        ]


class DrawSerializer(serializers.Serializer):
    container = ClinicScopedPrimaryKeyRelatedField(
        clinic_lookup="clinic", queryset=Container.objects.select_related("product", "clinic")
    )
    session = session_field()
    ordered_by = StaffField()
    route = serializers.ChoiceField(choices=DoseAdministration._meta.get_field("route").choices)
    kind = serializers.ChoiceField(choices=DoseAdministration.Kind.choices, default=DoseAdministration.Kind.INITIAL)
    started_at = AwareDateTimeField()
    stopped_at = AwareDateTimeField(required=False, allow_null=True)
    dose_mg_per_kg = serializers.DecimalField(
        max_digits=5, decimal_places=3, min_value=Decimal("0.001"), required=False, allow_null=True
    )
    dose_mg = serializers.DecimalField(
        max_digits=7, decimal_places=2, min_value=Decimal("0.01"), required=False, allow_null=True
    )
    devices = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=3)
    infusion_minutes = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=600)
    cap_override_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    drawn_mg = serializers.DecimalField(required=False, allow_null=True, **MG)
    waste_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    witness = CredentialsSerializer(required=False, allow_null=True)


class WasteSerializer(serializers.Serializer):
    quantity_mg = serializers.DecimalField(required=False, allow_null=True, **MG)
    devices = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1000)
    reason = serializers.CharField(max_length=500)
    occurred_at = AwareDateTimeField()
    witness = CredentialsSerializer(
        required=False, allow_null=True, help_text="Omit to leave the waste for a witness to confirm."
    )


class TransferSerializer(serializers.Serializer):
    to_clinic = serializers.PrimaryKeyRelatedField(queryset=Clinic.objects.all())
    to_registration = serializers.PrimaryKeyRelatedField(queryset=Registration.objects.all())
    quantity_mg = serializers.DecimalField(required=False, allow_null=True, **MG)
    devices = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1000)
    occurred_at = AwareDateTimeField()
    reference = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class ReturnSerializer(serializers.Serializer):
    counterparty = serializers.CharField(max_length=200)
    quantity_mg = serializers.DecimalField(required=False, allow_null=True, **MG)
    devices = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1000)
    occurred_at = AwareDateTimeField()
    reference = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class AdjustSerializer(serializers.Serializer):
    change_mg = serializers.DecimalField(max_digits=9, decimal_places=2, min_value=-100000, max_value=100000)
    devices = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1000)
    reason = serializers.CharField(max_length=500)
    discrepancy = serializers.PrimaryKeyRelatedField(
        queryset=Discrepancy.objects.all(), required=False, allow_null=True
    )


class LossSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LossReport.Kind.choices)
    discovered_at = AwareDateTimeField()
    description = serializers.CharField(max_length=4000)
    quantity_mg = serializers.DecimalField(required=False, allow_null=True, **MG)
    devices = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1000)
    police_report = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class LossReportSerializer(serializers.ModelSerializer):
    container = serializers.IntegerField(source="entry.container_id", read_only=True)
    signed_off_by = serializers.IntegerField(source="signoff.registrant_id", read_only=True, allow_null=True)

    class Meta:
        model = LossReport
        fields = [
            "id",
            "entry",
            "container",
            "kind",
            "discovered_at",
            "description",
            "police_report",
            "reported_by",
            "notice_due_at",
            "form_106_due_on",
            "signed_off_by",
        ]


class SignOffSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CorrectSerializer(serializers.Serializer):
    change_mg = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        min_value=-100000,
        max_value=100000,
        required=False,
        allow_null=True,
        help_text="Omit on a draw to reverse it (a dose entered in error).",
    )
    devices = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1000)
    reason = serializers.CharField(max_length=2000)


class CountLineSerializer(serializers.Serializer):
    container = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    counted_mg = serializers.DecimalField(max_digits=9, decimal_places=2, min_value=0, required=False, allow_null=True)
    counted_devices = serializers.IntegerField(min_value=0, max_value=10000, required=False, allow_null=True)


class CountCreateSerializer(serializers.Serializer):
    clinic = ClinicScopedPrimaryKeyRelatedField(clinic_lookup="id", queryset=Clinic.objects.all())
    kind = serializers.ChoiceField(choices=Count.Kind.choices)
    counted_at = AwareDateTimeField()
    lines = CountLineSerializer(many=True, max_length=500)


class BlindLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = CountLine
        fields = ["container", "counted_mg", "counted_devices"]


class CountSerializer(serializers.ModelSerializer):
    """The counter's receipt: what they entered, never the expected figures."""

    lines = BlindLineSerializer(many=True, read_only=True)

    class Meta:
        model = Count
        fields = ["id", "clinic", "kind", "counted_by", "counted_at", "recorded_at", "lines"]


class DiscrepancySerializer(serializers.ModelSerializer):
    count = serializers.IntegerField(source="line.count_id", read_only=True)
    expected_mg = serializers.DecimalField(source="line.expected_mg", max_digits=9, decimal_places=2, read_only=True)
    counted_mg = serializers.DecimalField(source="line.counted_mg", max_digits=9, decimal_places=2, read_only=True)

    class Meta:
        model = Discrepancy
        fields = [
            "id",
            "count",
            "container",
            "registration",
            "expected_mg",
            "counted_mg",
            "difference_mg",
            "opened_at",
            "resolved_at",
            "resolved_by",
            "resolution",
        ]


class ResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(max_length=2000)


class DispensingLogQuerySerializer(QuerySerializer):
    registration = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    start = PlausibleDateField()
    end = PlausibleDateField()

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["On or after start."]})
        return attrs


class PolicySerializer(serializers.Serializer):
    clinic = serializers.IntegerField(source="pk", read_only=True)
    keeps_ledger = serializers.BooleanField(read_only=True, help_text="The clinic holds an active DEA registration.")
    require_container = serializers.SerializerMethodField(
        help_text="A dose of a controlled medication must name the container it was drawn from."
    )
    unwitnessed_waste_alert_minutes = serializers.SerializerMethodField()

    def _policy(self, clinic) -> ControlledPolicy:
        return getattr(clinic, "controlled_policy", None) or ControlledPolicy(clinic=clinic)

    def get_require_container(self, clinic) -> bool:
        return bool(clinic.keeps_ledger and self._policy(clinic).require_container)

    def get_unwitnessed_waste_alert_minutes(self, clinic) -> int:
        return self._policy(clinic).unwitnessed_waste_alert_minutes


class ReconciliationQuerySerializer(QuerySerializer):
    clinic = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    start = PlausibleDateField()
    end = PlausibleDateField()

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["On or after start."]})
        return attrs


class ReconciliationSerializer(serializers.Serializer):
    container_id = serializers.IntegerField()
    lot_number = serializers.CharField()
    opening_mg = serializers.DecimalField(max_digits=9, decimal_places=2)
    received_mg = serializers.DecimalField(max_digits=9, decimal_places=2)
    administered_mg = serializers.DecimalField(max_digits=9, decimal_places=2)
    wasted_mg = serializers.DecimalField(max_digits=9, decimal_places=2)
    other_mg = serializers.DecimalField(max_digits=9, decimal_places=2, help_text="Transfers, returns, losses...")
    expected_mg = serializers.DecimalField(max_digits=9, decimal_places=2)
    counted_mg = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    difference_mg = serializers.DecimalField(
        max_digits=9, decimal_places=2, allow_null=True, help_text="The period's last count against the ledger then."
    )


class InventoryQuerySerializer(QuerySerializer):
    count = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="A count (the biennial inventory).")


class DistributionQuerySerializer(QuerySerializer):
    registration = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    year = serializers.IntegerField(min_value=2000, max_value=2100)


class DistributionSummarySerializer(serializers.Serializer):
    registration = serializers.IntegerField()
    year = serializers.IntegerField()
    distributed_mg = serializers.DecimalField(max_digits=11, decimal_places=2)
    dispensed_mg = serializers.DecimalField(max_digits=11, decimal_places=2)
    share_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    limit_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    within_limit = serializers.BooleanField()
    note = serializers.CharField()
