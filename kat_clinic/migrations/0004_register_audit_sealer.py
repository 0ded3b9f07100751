from django.conf import settings
from django.db import migrations


def register(apps, schema_editor):
    from kat_clinic.audit.beat import register_audit_sealer

    register_audit_sealer(
        periodic_task_model=apps.get_model("django_celery_beat", "PeriodicTask"),
        interval_model=apps.get_model("django_celery_beat", "IntervalSchedule"),
        every=getattr(settings, "AUDIT_SEAL_INTERVAL_SECONDS", 60),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("kat_clinic", "0003_audit_chain"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, migrations.RunPython.noop)]
