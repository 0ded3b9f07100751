from django.contrib import admin

from sessions.models import (
    AvailabilityException,
    ClinicClosure,
    RoomHours,
    SchedulingPolicy,
    Session,
    StaffAssignment,
    WorkingHours,
)


class StaffAssignmentInline(admin.TabularInline):
    model = StaffAssignment
    extra = 0
    readonly_fields = ["staff", "role", "mode", "lane", "starts_at", "ends_at", "active"]
    can_delete = False


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    """Read-only: bookings change through the scheduling services, which hold the rules."""

    list_display = ["id", "clinic", "patient", "kind", "status", "starts_at", "room"]
    list_filter = ["clinic", "status", "kind"]
    date_hierarchy = "starts_at"
    list_select_related = ["clinic", "patient", "room"]
    inlines = [StaffAssignmentInline]

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


@admin.register(SchedulingPolicy)
class SchedulingPolicyAdmin(admin.ModelAdmin):
    list_display = ["clinic", "late_cancel_hours", "slot_minutes"]
