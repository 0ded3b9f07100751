from django.contrib import admin

from followups.models import Delivery, FollowUp


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
