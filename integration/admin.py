from django.contrib import admin

from integration.models import CheckIn, Delivery, FollowUp, IntegrationPlan, OnCallEntry


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["id", "clinic", "kind", "channel", "target", "role", "status", "due_at", "attempts"]
    list_filter = ["status", "kind", "channel", "clinic"]
    search_fields = ["idempotency_key"]
    raw_id_fields = ["patient", "staff", "session", "acknowledged_by"]
    # The engine owns these rows' lifecycle; the admin reads them.
    readonly_fields = [f.name for f in FollowUp._meta.fields]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "followup", "channel", "state", "tries", "started_at", "finished_at"]
    list_filter = ["state", "channel"]
    readonly_fields = [f.name for f in Delivery._meta.fields]


@admin.register(OnCallEntry)
class OnCallEntryAdmin(admin.ModelAdmin):
    list_display = ["clinic", "position", "staff"]
    list_filter = ["clinic"]


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ["id", "patient", "clinic", "mood_0_10", "risk_flagged", "submitted_at"]
    list_filter = ["risk_flagged", "clinic"]
    raw_id_fields = ["patient", "followup"]


@admin.register(IntegrationPlan)
class IntegrationPlanAdmin(admin.ModelAdmin):
    list_display = ["id", "enrollment", "patient", "clinic", "version", "updated_at"]
    raw_id_fields = ["enrollment", "patient", "last_session", "updated_by"]
