"""Admin for the organisation, clinics, rooms, staff and patients, and the site itself.

A clinic admin (staff, not superuser) sees what configures programs and clinics; the developer-only
sections of the libraries (login lockouts, API tokens, periodic tasks, OTP devices, row history)
are shown to superusers only.
"""

from __future__ import annotations

import contextlib

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from kat_clinic.admin_phi import PhiAdminMixin
from kat_clinic.admin_widgets import ChoiceArrayField, LabelledInlineMixin, timezone_field
from kat_clinic.models import (
    AuditEvent,
    BreakGlassAccess,
    Clinic,
    ClinicCertification,
    ClinicMembership,
    Licence,
    Organization,
    Patient,
    PatientWeight,
    Room,
    StaffMember,
    User,
)

admin.site.site_header = "KAT Clinic administration"
admin.site.site_title = "KAT Clinic administration"
# "View site" leads to the API's documentation until the web app takes "/".
admin.site.site_url = "/api/v1/docs/"
admin.register(User)(UserAdmin)

# Plural names the index shows; the models' own options would need migrations in every app.
PLURAL_NAMES = {
    ("kat_clinic", "breakglassaccess"): "break-glass access",
    ("clinic_sessions", "workinghours"): "working hours",
    ("clinic_sessions", "roomhours"): "room hours",
    ("clinic_sessions", "schedulingpolicy"): "scheduling policies",
    ("integration", "oncallentry"): "on-call entries",
    ("monitoring", "chartingpolicy"): "charting policies",
}
for (app_label, model_name), plural in PLURAL_NAMES.items():
    with contextlib.suppress(LookupError):  # a model that moved to another app: nothing to rename here
        apps.get_model(app_label, model_name)._meta.verbose_name_plural = plural

# Developer-only sections: (app label, model name) of the libraries' admins.
DEVELOPER_ONLY = {
    "axes": None,  # every model: access attempts, failures, logs
    "knox": None,  # API tokens
    "django_celery_beat": None,  # periodic tasks, schedules
    "otp_totp": None,  # TOTP devices
    "otp_static": None,
    "pghistory": None,  # row-history events
}


class SuperuserOnlyAdmin:
    """Mixin: the section exists for superusers only."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request, *args):
        return request.user.is_active and request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser and super().has_delete_permission(request, obj)


def restrict_developer_sections(site: admin.AdminSite) -> None:
    """Re-register every library admin of DEVELOPER_ONLY apps behind SuperuserOnlyAdmin."""
    for model, model_admin in list(site._registry.items()):
        if model._meta.app_label not in DEVELOPER_ONLY or isinstance(model_admin, SuperuserOnlyAdmin):
            continue
        restricted = type(f"SuperuserOnly{type(model_admin).__name__}", (SuperuserOnlyAdmin, type(model_admin)), {})
        site.unregister(model)
        site.register(model, restricted)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]


class CertificationInline(LabelledInlineMixin, admin.TabularInline):
    model = ClinicCertification
    extra = 0


class RoomForm(forms.ModelForm):
    capabilities = ChoiceArrayField(base_field=Room._meta.get_field("capabilities").base_field, required=False)

    class Meta:
        model = Room
        fields = ["clinic", "name", "kind", "capabilities", "active"]


class RoomInline(LabelledInlineMixin, admin.TabularInline):
    model = Room
    form = RoomForm
    extra = 0


class ClinicForm(forms.ModelForm):
    timezone = timezone_field(label="Time zone")

    class Meta:
        model = Clinic
        fields = "__all__"  # noqa: DJ007 - every field, as the admin showed before; only the zone widget changes


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    form = ClinicForm
    list_display = ["name", "patient_facing_name", "timezone", "nurse_shared_capacity", "message_problem", "active"]
    search_fields = ["name"]
    inlines = [CertificationInline, RoomInline]
    # Written by the follow-up engine when a patient message is refused for its content.
    readonly_fields = ["message_problem", "message_problem_at"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    form = RoomForm
    list_display = ["name", "clinic", "kind", "capability_names", "active"]
    list_filter = ["clinic", "kind"]

    @admin.display(description="Capabilities")
    def capability_names(self, room: Room) -> str:
        labels = dict(Room.Capability.choices)
        return ", ".join(str(labels.get(c, c)) for c in room.capabilities) or "-"


class LicenceInline(LabelledInlineMixin, admin.TabularInline):
    model = Licence
    extra = 0


class MembershipInline(LabelledInlineMixin, admin.TabularInline):
    model = ClinicMembership
    extra = 0


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "credentials_suffix", "active"]
    search_fields = ["last_name", "first_name", "user__username"]
    inlines = [LicenceInline, MembershipInline]


class WeightInline(LabelledInlineMixin, admin.TabularInline):
    model = PatientWeight
    extra = 0
    fk_name = "patient"


@admin.register(Patient)
class PatientAdmin(PhiAdminMixin, admin.ModelAdmin):
    phi_clinic_lookup, phi_patient_attr = "home_clinic", "pk"
    list_display = ["last_name", "first_name", "mrn", "home_clinic", "date_of_birth"]
    list_filter = ["home_clinic"]
    search_fields = ["last_name", "first_name", "mrn"]
    inlines = [WeightInline]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only in the database too."""

    list_display = ["occurred_at", "username", "action", "resource_type", "outcome", "status_code"]
    list_filter = ["outcome", "resource_type"]
    exclude = ["request_id"]  # a raw UUID; the logs carry it for whoever traces a request

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BreakGlassAccess)
class BreakGlassAccessAdmin(PhiAdminMixin, admin.ModelAdmin):
    phi_clinic_lookup = "patient__home_clinic"
    list_display = ["user", "patient", "granted_at", "expires_at", "reviewed_at"]


# The libraries' admins were registered before this module (they come first in INSTALLED_APPS).
restrict_developer_sections(admin.site)
