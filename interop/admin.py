from django import forms
from django.contrib import admin, messages

from interop.models import InteropSettings, WebhookEndpoint
from interop.webhooks import services
from kat_clinic.admin_widgets import ChoiceArrayField
from kat_clinic.errors import RuleViolation


@admin.register(InteropSettings)
class InteropSettingsAdmin(admin.ModelAdmin):
    list_display = ["clinic", "calendar_shows_initials"]


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = ChoiceArrayField(base_field=WebhookEndpoint._meta.get_field("events").base_field)

    class Meta:
        model = WebhookEndpoint
        fields = ["clinic", "url", "description", "events", "active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        if self.instance.pk is None or url != self.instance.url:
            try:
                services.webhook_url_check(url)
            except RuleViolation as exc:
                raise forms.ValidationError(exc.detail)
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Secrets are never shown here except once, right after they are issued."""

    form = WebhookEndpointForm
    list_display = ["url", "clinic", "active", "created_at", "secret_rotated_at"]
    list_filter = ["active", "clinic"]
    readonly_fields = ["created_by", "created_at", "secret_rotated_at", "previous_secret_expires_at"]
    actions = ["rotate_secret"]

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in ("url", "description", "events", "active")}
        if change:
            services.webhook_endpoint_update(endpoint=obj, **fields)
            return
        created = services.webhook_endpoint_create(clinic=form.cleaned_data["clinic"], by=request.user, **fields)
        obj.pk = created.pk
        shown_once = f"Signing secret of {created.url} (shown once: give it to the receiver): {created.secret}"
        messages.warning(request, shown_once)

    def delete_model(self, request, obj):
        services.webhook_endpoint_delete(endpoint=obj)

    def delete_queryset(self, request, queryset):
        for endpoint in queryset:
            services.webhook_endpoint_delete(endpoint=endpoint)

    @admin.action(description="Rotate the signing secret (the old one keeps signing for 24 hours)")
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            rotated = services.webhook_endpoint_rotate_secret(endpoint=endpoint, grace_hours=24)
            messages.warning(request, f"New signing secret of {rotated.url} (shown once): {rotated.secret}")
