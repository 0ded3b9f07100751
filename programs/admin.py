"""Admin for program templates: a draft is edited here; a published version is shown read-only.

Publishing, cloning and retiring go through the same services as the API (buttons on a template's
page and list actions), so the admin gets the same validation and the database triggers never have
to refuse an admin save. Refusals are shown in the words of the choices, not their internal codes.
"""

from __future__ import annotations

import re

from django.contrib import admin, messages
from django.db import models, transaction
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from kat_clinic.admin_phi import PhiAdminMixin
from kat_clinic.admin_widgets import HumanDurationField, LabelledInlineMixin, human_duration
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

# Internal codes a refusal may quote, and the words the admin's choices use for them.
_CODE_WORDS = {value: str(label) for value, label in [*TemplatePrerequisite.Kind.choices, *TemplateRule.Kind.choices]}
_FIELD_PATH = re.compile(r"^(steps|rules|prerequisites|scale_schedule)\.(\d+)\.(\w+)$")
_SECTION_WORDS = {
    "steps": "Step",
    "rules": "Rule",
    "prerequisites": "Prerequisite",
    "scale_schedule": "Rating scale",
}


def _in_words(text: str) -> str:
    """Replace quoted internal codes ('weight_recent', integration_window) by their labels."""
    for code, words in _CODE_WORDS.items():
        text = text.replace(f"'{code}'", f"\u201c{words}\u201d")
        if "_" in code:  # a bare code; plain words such as "consent" stay as they are
            text = re.sub(rf"\b{code}\b", f"\u201c{words}\u201d", text)
    return text


def _field_words(field: str) -> str:
    """ "steps.0.medication" -> "Step 1, medication"; "prerequisites" -> "Prerequisites"."""
    match = _FIELD_PATH.match(field)
    if match:
        section, index, name = match.groups()
        return f"{_SECTION_WORDS[section]} {int(index) + 1}, {name.replace('_', ' ')}"
    return field.replace("_", " ").capitalize()


def refusal_in_words(exc: DomainError) -> str:
    details = " ".join(f"{_field_words(f)}: {_in_words(' '.join(msgs))}" for f, msgs in (exc.errors or {}).items())
    return f"{_in_words(str(exc.detail))} {details}".strip()


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


class TemplateStepInline(LabelledInlineMixin, FrozenAwareInline, admin.TabularInline):
    model = TemplateStep
    show_change_link = True
    fields = [*STEP_FIELDS, "staff"]
    readonly_fields = ["staff"]

    @admin.display(description="Staff needed")
    def staff(self, step: TemplateStep) -> str:
        if not step.pk:
            return "Save, then add who is needed"
        needs = format_html_join(
            "",
            "<div>{} — {}, minutes {}–{} of the block</div>",
            (
                (n.get_role_display(), n.get_mode_display(), n.start_offset_minutes, n.end_offset_minutes)
                for n in step.staff_needs.all()
            ),
        )
        if _frozen(step):
            return needs or "None"
        url = reverse("admin:programs_templatestep_change", args=[step.pk])
        link = '{}<a href="{}" class="staff-needs-link">Edit staff needs of “{}”</a>'
        return format_html(link, needs, url, step.label)


class TemplateRuleInline(LabelledInlineMixin, FrozenAwareInline, admin.TabularInline):
    model = TemplateRule
    fields = ["kind", "step", "min_interval", "max_interval", "max_count", "period"]
    formfield_overrides = {models.DurationField: {"form_class": HumanDurationField}}

    def get_fields(self, request, obj=None):
        if _frozen(obj):  # read-only: intervals in words, not "1 day, 0:00:00"
            return ["kind", "step", "min_interval_words", "max_interval_words", "max_count", "period_words"]
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        if _frozen(obj):
            return ["min_interval_words", "max_interval_words", "period_words"]
        return super().get_readonly_fields(request, obj)

    @admin.display(description="Min interval")
    def min_interval_words(self, rule: TemplateRule) -> str:
        return human_duration(rule.min_interval) or "-"

    @admin.display(description="Max interval")
    def max_interval_words(self, rule: TemplateRule) -> str:
        return human_duration(rule.max_interval) or "-"

    @admin.display(description="Period")
    def period_words(self, rule: TemplateRule) -> str:
        return human_duration(rule.period) or "-"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Offer only the steps of the template being edited.
        if db_field.name == "step":
            template_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = TemplateStep.objects.filter(template_id=template_id).order_by("position")
            if template_id is None:
                kwargs["help_text"] = "Steps become choices here once the template is saved with them."
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TemplatePrerequisiteInline(LabelledInlineMixin, FrozenAwareInline, admin.TabularInline):
    model = TemplatePrerequisite
    fields = ["kind", "max_age_days"]


class ScaleScheduleItemInline(LabelledInlineMixin, FrozenAwareInline, admin.TabularInline):
    model = ScaleScheduleItem
    fields = ["scale", "timing", "interval_days"]
    verbose_name = "rating scale"
    verbose_name_plural = "Measurement schedule (rating scales)"


@admin.register(ProgramTemplate)
class ProgramTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "state", "pathway", "clinic", "published_at"]
    list_filter = ["state", "pathway", "clinic"]
    search_fields = ["name", "description"]
    readonly_fields = ["version", "state", "published_at", "retired_at", "created_by", "other_versions", "plan_summary"]
    fieldsets = [
        (None, {"fields": ["name", "description", "pathway", "organization", "clinic"]}),
        ("Version", {"fields": ["version", "state", "published_at", "retired_at", "created_by", "other_versions"]}),
        ("What a patient's plan looks like", {"fields": ["plan_summary"]}),
    ]
    inlines = [TemplateStepInline, TemplateRuleInline, TemplatePrerequisiteInline, ScaleScheduleItemInline]
    actions = ["publish", "clone", "retire"]
    # Buttons on a template's page: (url name suffix, label, service, past tense, allowed in state).
    BUTTONS = [
        ("publish", "Publish", services.template_publish, "published", ProgramTemplate.State.DRAFT),
        ("clone", "Clone into a new draft", services.template_clone, "created as a draft", None),
        ("retire", "Retire", services.template_retire, "retired", ProgramTemplate.State.PUBLISHED),
    ]

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [
            path(f"<int:pk>/{name}/", view(self._button_view(name)), name=f"programs_template_{name}")
            for name, *_ in self.BUTTONS
        ]
        return own + super().get_urls()

    def _button_view(self, name: str):
        _, _, service, done, _ = next(b for b in self.BUTTONS if b[0] == name)

        def view(request, pk: int):
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            template = self.get_object(request, str(pk))
            if template is None or not self.has_view_permission(request, template):
                return HttpResponseRedirect(reverse("admin:programs_programtemplate_changelist"))
            result = self._run_one(request, template, service, done)
            target = result if result is not None else template
            return HttpResponseRedirect(reverse("admin:programs_programtemplate_change", args=[target.pk]))

        return view

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["template_actions"] = [
                {"url": f"admin:programs_template_{name}", "label": label}
                for name, label, _, _, state in self.BUTTONS
                if state is None or obj.state == state
            ]
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def response_add(self, request, obj, post_url_continue=None):
        # Straight on to the new draft's page, where its steps' staff needs and rules are added.
        if "_addanother" not in request.POST and "_popup" not in request.POST:
            request.POST = request.POST.copy()
            request.POST["_continue"] = "1"
        return super().response_add(request, obj, post_url_continue)

    @admin.display(description="Versions of this program")
    def other_versions(self, template: ProgramTemplate) -> str:
        if not template.pk:
            return "-"
        versions = ProgramTemplate.objects.filter(family=template.family).order_by("version")
        return format_html_join(
            ", ",
            '<a href="{}">v{} ({})</a>',
            (
                (reverse("admin:programs_programtemplate_change", args=[v.pk]), v.version, v.get_state_display())
                for v in versions
            ),
        )

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
                    text += f", {human_duration(low)} to {human_duration(high)} after dosing {item['linked'][1]}"
            rows.append((text,))
        return format_html_join("", "<div>{}</div>", rows) if rows else "No steps yet."

    def _run_one(self, request, template, service, done: str):
        """The service's result, or None after telling the admin, in words, why it was refused."""
        try:
            with transaction.atomic():
                result = service(template=template, by=getattr(request.user, "staff", None))
        except DomainError as exc:
            self.message_user(request, f"{template}: {refusal_in_words(exc)}", level=messages.ERROR)
            return None
        self.message_user(request, f"{result}: {done}.", level=messages.SUCCESS)
        return result

    def _run(self, request, queryset, service, done: str) -> None:
        for template in queryset:
            self._run_one(request, template, service, done)

    @admin.action(description="Publish the selected drafts")
    def publish(self, request, queryset):
        self._run(request, queryset, services.template_publish, "published")

    @admin.action(description="Clone into a new draft version")
    def clone(self, request, queryset):
        self._run(request, queryset, services.template_clone, "created as a draft")

    @admin.action(description="Retire the selected published versions")
    def retire(self, request, queryset):
        self._run(request, queryset, services.template_retire, "retired")


class StaffNeedInline(LabelledInlineMixin, admin.TabularInline):
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

    def response_change(self, request, obj):
        # Back to the template the step belongs to, where the admin came from.
        if "_continue" in request.POST or "_addanother" in request.POST:
            return super().response_change(request, obj)
        self.message_user(request, f"Staff needs of “{obj.label}” saved.", level=messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:programs_programtemplate_change", args=[obj.template_id]))


class PlannedSessionInline(LabelledInlineMixin, admin.TabularInline):
    model = PlannedSession
    extra = 0
    fk_name = "enrollment"
    fields = ["sequence", "step", "occurrence", "kind", "status", "linked_dosing", "window_min", "window_max"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(PhiAdminMixin, admin.ModelAdmin):
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
