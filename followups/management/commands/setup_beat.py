"""Register the follow-up dispatcher with django-celery-beat. Safe to run on every start.

`migrate` already registers it (migration 0002); this command re-applies the interval setting.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from followups.beat import DISPATCH_TASK_NAME, register_dispatcher
from followups.conf import conf


class Command(BaseCommand):
    help = "Create or update the periodic task that dispatches due follow-ups."

    def handle(self, *args, **options):
        every = conf("FOLLOWUP_DISPATCH_INTERVAL_SECONDS")
        created = register_dispatcher(periodic_task_model=PeriodicTask, interval_model=IntervalSchedule, every=every)
        self.stdout.write(f"{'Created' if created else 'Updated'} periodic task {DISPATCH_TASK_NAME!r} every {every}s")
