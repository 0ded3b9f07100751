"""Admin for the ledger's configuration. Entries and their witnesses are read-only here (and the
database refuses any change to them whatever the admin tries); stock moves through the API."""

from __future__ import annotations

from django.contrib import admin

from controlled.models import ControlledPolicy, LedgerEntry, Product, Registration, Witnessing
from kat_clinic.admin_phi import PhiAdminMixin


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "strength", "form", "ndc", "schedule", "controlled"]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "clinic", "registrant", "expires_on", "active"]
    list_filter = ["clinic", "active"]


@admin.register(ControlledPolicy)
class ControlledPolicyAdmin(admin.ModelAdmin):
    list_display = ["clinic", "require_container", "unwitnessed_waste_alert_minutes"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(PhiAdminMixin, ReadOnlyAdmin):
    phi_clinic_lookup = "container__clinic"
    # No patient column: the admin's list shows stock movements, the dispensing log (audited) the rest.
    list_display = ["id", "kind", "container", "change_mg", "balance_after_mg", "occurred_at", "recorded_at", "by"]
    list_filter = ["kind"]
    list_select_related = ["container", "by"]
    fields = [
        "container",
        "kind",
        "change_mg",
        "devices",
        "volume_ml",
        "balance_after_mg",
        "occurred_at",
        "recorded_at",
        "by",
        "checked_by",
        "signed_off_by",
        "draw",
        "corrects",
        "pair",
        "counterparty",
        "reference",
        "other_registration",
        "distribution",
        "reason",
    ]


@admin.register(Witnessing)
class WitnessingAdmin(ReadOnlyAdmin):
    list_display = ["entry", "witness", "method", "witnessed_at"]
    list_select_related = ["entry", "witness"]
