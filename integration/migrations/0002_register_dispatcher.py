from django.conf import settings
from django.db import migrations

# Frozen copy of what `followups.beat.register_dispatcher` did when this migration was written: a
# migration must not depend on code that moves (the engine now lives in the `followups` app). The
# task name is the one the worker still registers.
DISPATCH_TASK_NAME = "integration: dispatch due follow-ups"
DISPATCH_TASK = "integration.dispatch_followups"


def register(apps, schema_editor):
    periodic_task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    every = getattr(settings, "FOLLOWUP_DISPATCH_INTERVAL_SECONDS", 5)
    interval, _ = interval_model.objects.get_or_create(every=every, period="seconds")
    periodic_task_model.objects.update_or_create(
        name=DISPATCH_TASK_NAME,
        defaults={"task": DISPATCH_TASK, "interval": interval, "enabled": True, "expire_seconds": every * 4},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("integration", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, migrations.RunPython.noop)]
