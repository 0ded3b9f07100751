"""Admin for charting configuration. Clinical rows are read-only here: they are charted through the API,
and a signed note is refused by the database trigger whatever the admin tries."""

from __future__ import annotations

from django.contrib import admin

from kat_clinic.admin_phi import PhiAdminMixin
from monitoring.models import (
    Alert,
    ChartingPolicy,
    ClinicalNote,
    DoseAdministration,
    DoseCap,
    RemsMonitoringForm,
    VitalThresholdRule,
)


@admin.register(ChartingPolicy)
class ChartingPolicyAdmin(admin.ModelAdmin):
    list_display = ["clinic", "weight_max_age_days", "discharge_minutes_ketamine", "discharge_minutes_esketamine"]


@admin.register(VitalThresholdRule)
class VitalThresholdRuleAdmin(admin.ModelAdmin):
    list_display = [
        "clinic",
        "kind",
        "systolic_mmhg",
        "diastolic_mmhg",
        "heart_rate_bpm",
        "spo2_percent",
        "minutes",
        "active",
    ]
    list_filter = ["clinic", "kind"]


@admin.register(DoseCap)
class DoseCapAdmin(admin.ModelAdmin):
    list_display = ["clinic", "medication", "route", "max_session_mg", "max_session_mg_per_kg"]
    list_filter = ["clinic", "medication", "route"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClinicalNote)
class ClinicalNoteAdmin(PhiAdminMixin, ReadOnlyAdmin):
    phi_clinic_lookup, phi_operation = "session__clinic", "note.read"
    list_display = ["id", "session", "kind", "author", "status", "signed_at", "cosigned_at"]
    list_filter = ["kind", "status"]


@admin.register(DoseAdministration)
class DoseAdministrationAdmin(PhiAdminMixin, ReadOnlyAdmin):
    phi_clinic_lookup, phi_operation = "session__clinic", "dose.read"
    list_display = ["id", "session", "medication", "route", "dose_mg", "started_at"]


@admin.register(Alert)
class AlertAdmin(PhiAdminMixin, ReadOnlyAdmin):
    phi_operation = "alert.read"
    list_display = ["id", "clinic", "kind", "priority", "raised_at", "acknowledged_at"]
    list_filter = ["kind", "priority"]


@admin.register(RemsMonitoringForm)
class RemsMonitoringFormAdmin(PhiAdminMixin, ReadOnlyAdmin):
    phi_clinic_lookup, phi_patient_attr, phi_operation = "session__clinic", "session.patient_id", "rems.read"
    list_select_related = ["session"]
    list_display = ["id", "session", "status", "due_on", "submitted_at"]
