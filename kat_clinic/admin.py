from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

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
admin.register(User)(UserAdmin)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]


class CertificationInline(admin.TabularInline):
    model = ClinicCertification
    extra = 0


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "nurse_shared_capacity", "active"]
    inlines = [CertificationInline, RoomInline]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "clinic", "kind", "active"]
    list_filter = ["clinic", "kind"]


class LicenceInline(admin.TabularInline):
    model = Licence
    extra = 0


class MembershipInline(admin.TabularInline):
    model = ClinicMembership
    extra = 0


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "credentials_suffix", "active"]
    search_fields = ["last_name", "first_name", "user__username"]
    inlines = [LicenceInline, MembershipInline]


class WeightInline(admin.TabularInline):
    model = PatientWeight
    extra = 0
    fk_name = "patient"


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "mrn", "home_clinic", "date_of_birth"]
    list_filter = ["home_clinic"]
    search_fields = ["last_name", "first_name", "mrn"]
    inlines = [WeightInline]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only in the database too."""

    list_display = ["occurred_at", "username", "action", "resource_type", "outcome", "status_code"]
    list_filter = ["outcome", "resource_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BreakGlassAccess)
class BreakGlassAccessAdmin(admin.ModelAdmin):
    list_display = ["user", "patient", "granted_at", "expires_at", "reviewed_at"]
