from django.contrib import admin

from integration.models import AlertPolicy, CheckIn, IntegrationPlan, OnCallEntry
from kat_clinic.admin_phi import PhiAdminMixin


@admin.register(OnCallEntry)
class OnCallEntryAdmin(admin.ModelAdmin):
    list_display = ["clinic", "position", "staff"]
    list_filter = ["clinic"]


@admin.register(AlertPolicy)
class AlertPolicyAdmin(admin.ModelAdmin):
    """Per clinic: minutes before an unacknowledged alert goes to the next person; the check-in review rule."""

    list_display = ["clinic", "escalation_minutes", "checkin_low_mood_at_most"]


@admin.register(CheckIn)
class CheckInAdmin(PhiAdminMixin, admin.ModelAdmin):
    phi_operation = "checkin.read"
    list_display = ["id", "patient", "clinic", "mood_0_10", "risk_flagged", "submitted_at"]
    list_filter = ["risk_flagged", "clinic"]
    raw_id_fields = ["patient", "followup"]


@admin.register(IntegrationPlan)
class IntegrationPlanAdmin(PhiAdminMixin, admin.ModelAdmin):
    phi_operation = "integration_plan.read"
    list_display = ["id", "enrollment", "patient", "clinic", "version", "updated_at"]
    raw_id_fields = ["enrollment", "patient", "last_session", "updated_by"]
