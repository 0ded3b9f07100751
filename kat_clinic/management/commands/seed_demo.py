from django.core.management.base import BaseCommand

from kat_clinic.demo import DEMO_PASSWORD, DEMO_STAFF, seed_demo


class Command(BaseCommand):
    help = "Seed the demo clinic (idempotent)."

    def handle(self, *args, **options):
        clinic = seed_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo clinic ready: {clinic.name} ({clinic.timezone})"))
        for person in DEMO_STAFF:
            self.stdout.write(f"  login {person.username:<12} password {DEMO_PASSWORD}   role {person.role}")
