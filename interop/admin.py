from django.contrib import admin

from interop.models import InteropSettings


@admin.register(InteropSettings)
class InteropSettingsAdmin(admin.ModelAdmin):
    list_display = ["clinic", "calendar_shows_initials"]
