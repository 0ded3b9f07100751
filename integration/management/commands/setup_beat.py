"""Register the follow-up dispatcher with django-celery-beat. Safe to run on every start."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from integration.conf import conf

DISPATCH_TASK_NAME = "integration: dispatch due follow-ups"


class Command(BaseCommand):
    help = "Create or update the periodic task that dispatches due follow-ups."

    def handle(self, *args, **options):
        every = conf("FOLLOWUP_DISPATCH_INTERVAL_SECONDS")
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=IntervalSchedule.SECONDS)
        _, created = PeriodicTask.objects.update_or_create(
            name=DISPATCH_TASK_NAME,
            defaults={
                "task": "integration.dispatch_followups",
                "interval": interval,
                "enabled": True,
                # A pass that waited in the queue longer than a few intervals is pointless:
                # a newer one is right behind it.
                "expire_seconds": every * 4,
            },
        )
        self.stdout.write(f"{'Created' if created else 'Updated'} periodic task {DISPATCH_TASK_NAME!r} every {every}s")
