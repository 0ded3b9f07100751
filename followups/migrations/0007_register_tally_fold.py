from django.db import migrations

# Frozen copy of the names in `followups.beat` when this migration was written.
FOLD_TASK_NAME = "followups: fold the queue's tally"
FOLD_TASK = "followups.fold_queue_tallies"
FOLD_EVERY_SECONDS = 60


def register(apps, schema_editor):
    periodic_task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    interval, _ = interval_model.objects.get_or_create(every=FOLD_EVERY_SECONDS, period="seconds")
    periodic_task_model.objects.update_or_create(
        name=FOLD_TASK_NAME,
        defaults={"task": FOLD_TASK, "interval": interval, "enabled": True, "expire_seconds": FOLD_EVERY_SECONDS * 2},
    )


def unregister(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=FOLD_TASK_NAME).delete()


class Migration(migrations.Migration):
    # Adds only what it derives from the rows: the bench applies it to a seeded database (bench/seed).
    keeps_existing_rows_valid = True

    dependencies = [
        ("followups", "0006_queue_tally"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
