from django.conf import settings
from django.db import migrations


def register(apps, schema_editor):
    from integration.beat import register_dispatcher

    register_dispatcher(
        periodic_task_model=apps.get_model("django_celery_beat", "PeriodicTask"),
        interval_model=apps.get_model("django_celery_beat", "IntervalSchedule"),
        every=getattr(settings, "FOLLOWUP_DISPATCH_INTERVAL_SECONDS", 5),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("integration", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, migrations.RunPython.noop)]
