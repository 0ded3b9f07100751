from django.apps import AppConfig


class ClinicSessionsConfig(AppConfig):
    # django.contrib.sessions owns the label "sessions"; ours is "clinic_sessions" everywhere
    # (string references, migrations, permissions). Python imports stay `from sessions...`.
    name = "sessions"
    label = "clinic_sessions"
    verbose_name = "Sessions and scheduling"
