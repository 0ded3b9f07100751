"""System checks of the project's own settings (`manage.py check --deploy`)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def secret_key_is_not_the_development_key(app_configs, **kwargs):
    if settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is the development key written in the settings.",
                hint="Set SECRET_KEY to a long random value; anything signed with the development key can be forged.",
                id="kat_clinic.E001",
            )
        ]
    return []
