"""Install the shipped program templates for an organisation. Idempotent: run it as often as you like."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from kat_clinic.models import Organization
from programs.catalog import install_shipped_templates


class Command(BaseCommand):
    help = "Create and publish the shipped program templates the organisation does not have yet."

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True, help="Slug of the organisation.")

    def handle(self, *args, organization: str, **options):
        try:
            org = Organization.objects.get(slug=organization)
        except Organization.DoesNotExist:
            raise CommandError(f"No organisation with slug {organization!r}.")
        created = install_shipped_templates(organization=org)
        for template in created:
            self.stdout.write(f"Published {template.name} v{template.version}")
        if not created:
            self.stdout.write("All shipped templates were already installed.")
