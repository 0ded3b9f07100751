from django.contrib import admin

from followups.models import Delivery, FollowUp
from kat_clinic.admin_phi import PhiAdminMixin


@admin.register(FollowUp)
class FollowUpAdmin(PhiAdminMixin, admin.ModelAdmin):
    list_display = ["id", "clinic", "kind", "channel", "target", "role", "status", "due_at", "attempts"]
    list_filter = ["status", "kind", "channel", "clinic"]
    search_fields = ["idempotency_key"]
    raw_id_fields = ["patient", "staff", "session", "acknowledged_by"]
    # The engine owns these rows' lifecycle; the admin reads them.
    readonly_fields = [f.name for f in FollowUp._meta.fields]


@admin.register(Delivery)
class DeliveryAdmin(PhiAdminMixin, admin.ModelAdmin):
    phi_clinic_lookup, phi_patient_attr = "followup__clinic", "followup.patient_id"
    list_select_related = ["followup"]
    list_display = ["id", "followup", "channel", "state", "tries", "started_at", "finished_at"]
    list_filter = ["state", "channel"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
