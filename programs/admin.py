"""Admin for program templates: a draft is edited here; a published version is shown read-only.

Publishing, cloning and retiring go through the same services as the API (list actions), so the
admin gets the same validation and the database triggers never have to refuse an admin save.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html_join

from kat_clinic.errors import DomainError
from programs import services
from programs.models import (
    Enrollment,
    PlannedSession,
    ProgramTemplate,
    ScaleScheduleItem,
    StaffNeed,
    TemplatePrerequisite,
    TemplateRule,
    TemplateStep,
)
from programs.services.templates import STEP_FIELDS


def _frozen(obj) -> bool:
    template = obj if isinstance(obj, ProgramTemplate) else getattr(obj, "template", None)
    return bool(template is not None and template.is_frozen)


class FrozenAwareInline:
    """Inline rows are editable only while their template is a draft."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return not _frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _frozen(obj) and super().has_delete_permission(request, obj)


class TemplateStepInline(FrozenAwareInline, admin.TabularInline):
    model = TemplateStep
    show_change_link = True
    fields = [*STEP_FIELDS, "staff"]
    readonly_fields = ["staff"]

    @admin.display(description="Staff needed (edit on the step's page)")
    def staff(self, step: TemplateStep) -> str:
        if not step.pk:
            return "-"
        return format_html_join(
            "",
            "<div>{} — {}, minutes {}–{} of the block</div>",
            (
                (n.get_role_display(), n.get_mode_display(), n.start_offset_minutes, n.end_offset_minutes)
                for n in step.staff_needs.all()
            ),
        )


class TemplateRuleInline(FrozenAwareInline, admin.TabularInline):
    model = TemplateRule
    fields = ["kind", "step", "min_interval", "max_interval", "max_count", "period"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Offer only the steps of the template being edited.
        if db_field.name == "step":
            template_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = TemplateStep.objects.filter(template_id=template_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TemplatePrerequisiteInline(FrozenAwareInline, admin.TabularInline):
    model = TemplatePrerequisite
    fields = ["kind", "max_age_days"]


class ScaleScheduleItemInline(FrozenAwareInline, admin.TabularInline):
    model = ScaleScheduleItem
    fields = ["scale", "timing", "interval_days"]
    verbose_name = "rating scale"
    verbose_name_plural = "Measurement schedule (rating scales)"


@admin.register(ProgramTemplate)
class ProgramTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "state", "pathway", "clinic", "published_at"]
    list_filter = ["state", "pathway", "clinic"]
    search_fields = ["name", "description"]
    readonly_fields = ["family", "version", "state", "published_at", "retired_at", "created_by", "plan_summary"]
    fieldsets = [
        (None, {"fields": ["name", "description", "pathway", "organization", "clinic"]}),
        ("Version", {"fields": ["version", "state", "published_at", "retired_at", "family", "created_by"]}),
        ("What a patient's plan looks like", {"fields": ["plan_summary"]}),
    ]
    inlines = [TemplateStepInline, TemplateRuleInline, TemplatePrerequisiteInline, ScaleScheduleItemInline]
    actions = ["publish", "clone", "retire"]

    def has_change_permission(self, request, obj=None):
        # A published or retired version opens read-only: edit a clone instead.
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _frozen(obj) and super().has_delete_permission(request, obj)

    @admin.display(description="Plan")
    def plan_summary(self, template: ProgramTemplate) -> str:
        if not template.pk:
            return "-"
        rows = []
        for item in services.plan_for(template=template):
            step = item["step"]
            text = f"{step.label} {item['occurrence']}/{step.count}"
            text += f" ({step.session_minutes} min, block {step.block_minutes} min)"
            if item["linked"] is not None:
                low, high = item["window"]
                if low is not None and high is not None:
                    text += f", {low} to {high} after dosing {item['linked'][1]}"
            rows.append((text,))
        return format_html_join("", "<div>{}</div>", rows) if rows else "No steps yet."

    def _run(self, request, queryset, service, done: str) -> None:
        for template in queryset:
            try:
                with transaction.atomic():
                    result = service(template=template, by=getattr(request.user, "staff", None))
            except DomainError as exc:
                details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.errors.items())
                self.message_user(request, f"{template}: {exc.detail} {details}", level=messages.ERROR)
            else:
                self.message_user(request, f"{result}: {done}.", level=messages.SUCCESS)

    @admin.action(description="Publish the selected drafts")
    def publish(self, request, queryset):
        self._run(request, queryset, services.template_publish, "published")

    @admin.action(description="Clone into a new draft version")
    def clone(self, request, queryset):
        self._run(request, queryset, services.template_clone, "created as a draft")

    @admin.action(description="Retire the selected published versions")
    def retire(self, request, queryset):
        self._run(request, queryset, services.template_retire, "retired")


class StaffNeedInline(admin.TabularInline):
    model = StaffNeed
    extra = 0
    fields = ["role", "mode", "start_offset_minutes", "end_offset_minutes"]

    def has_add_permission(self, request, obj=None):
        return not _frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(TemplateStep)
class TemplateStepAdmin(admin.ModelAdmin):
    """A step's own page, where its staff needs are edited."""

    list_display = ["template", "position", "label", "kind", "count", "block_minutes"]
    list_filter = ["template"]
    inlines = [StaffNeedInline]

    def has_change_permission(self, request, obj=None):
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _frozen(obj) and super().has_delete_permission(request, obj)

    def has_module_permission(self, request):
        return False  # reached from its template, not the admin index


class PlannedSessionInline(admin.TabularInline):
    model = PlannedSession
    extra = 0
    fk_name = "enrollment"
    fields = ["sequence", "step", "occurrence", "kind", "status", "linked_dosing", "window_min", "window_max"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    """Read-only: enrollments change through the API, where every change is checked and audited."""

    list_display = ["patient", "template", "clinic", "status", "enrolled_at"]
    list_filter = ["status", "pathway", "clinic"]
    readonly_fields = [f.name for f in Enrollment._meta.fields]
    inlines = [PlannedSessionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
