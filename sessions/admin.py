from django.contrib import admin
from django.utils import formats

from kat_clinic.admin_phi import PhiAdminMixin
from kat_clinic.admin_widgets import LabelledInlineMixin
from sessions.models import (
    AvailabilityException,
    ClinicClosure,
    ClinicHoliday,
    RoomHours,
    SchedulingPolicy,
    Session,
    StaffAssignment,
    WorkingHours,
)


def clinic_time(instant, clinic) -> str:
    """An instant on the clinic's wall clock with its zone's abbreviation: "Mon 7 Jun 2027, 8:00 a.m. EDT"."""
    if instant is None:
        return "-"
    local = instant.astimezone(clinic.tz)
    return f"{formats.date_format(local, 'D j M Y, P')} {local.tzname()}"


class StaffAssignmentInline(LabelledInlineMixin, admin.TabularInline):
    model = StaffAssignment
    extra = 0
    fields = ["staff", "role", "mode", "lane", "local_start", "local_end", "active"]
    readonly_fields = fields
    can_delete = False

    @admin.display(description="From (clinic time)")
    def local_start(self, assignment: StaffAssignment) -> str:
        return clinic_time(assignment.starts_at, assignment.session.clinic)

    @admin.display(description="To (clinic time)")
    def local_end(self, assignment: StaffAssignment) -> str:
        return clinic_time(assignment.ends_at, assignment.session.clinic)


@admin.register(Session)
class SessionAdmin(PhiAdminMixin, admin.ModelAdmin):
    """Read-only: bookings change through the scheduling services, which hold the rules."""

    list_display = ["kind", "patient", "clinic", "status", "local_start", "room"]
    list_filter = ["clinic", "status", "kind"]
    date_hierarchy = "starts_at"
    list_select_related = ["clinic", "patient", "room"]
    inlines = [StaffAssignmentInline]
    fields = ["clinic", "patient", "kind", "status", "local_start", "local_end", "room", "telehealth"]
    readonly_fields = fields

    @admin.display(description="Starts (clinic time)", ordering="starts_at")
    def local_start(self, session: Session) -> str:
        return clinic_time(session.starts_at, session.clinic)

    @admin.display(description="Ends (clinic time)", ordering="ends_at")
    def local_end(self, session: Session) -> str:
        return clinic_time(session.ends_at, session.clinic)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = ["staff", "clinic", "weekday", "start_time", "end_time", "valid_from", "valid_until"]
    list_filter = ["clinic", "weekday"]
    list_select_related = ["staff", "clinic"]


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(admin.ModelAdmin):
    list_display = ["staff", "kind", "clinic", "starts_at", "ends_at", "reason"]
    list_filter = ["kind", "clinic"]
    list_select_related = ["staff", "clinic"]


@admin.register(RoomHours)
class RoomHoursAdmin(admin.ModelAdmin):
    list_display = ["room", "weekday", "start_time", "end_time"]
    list_select_related = ["room"]


@admin.register(ClinicClosure)
class ClinicClosureAdmin(admin.ModelAdmin):
    list_display = ["clinic", "starts_at", "ends_at", "reason"]
    list_filter = ["clinic"]


@admin.register(ClinicHoliday)
class ClinicHolidayAdmin(admin.ModelAdmin):
    """The clinic's yearly list of public holidays: a fixed-date one repeats, a movable one is
    added for each year."""

    list_display = ["clinic", "date", "name", "repeats_yearly"]
    list_filter = ["clinic", "repeats_yearly"]
    search_fields = ["name"]


@admin.register(SchedulingPolicy)
class SchedulingPolicyAdmin(admin.ModelAdmin):
    list_display = ["clinic", "late_cancel_hours", "slot_minutes"]
