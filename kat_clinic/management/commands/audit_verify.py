"""Verify the audit trail's hash chains: exit 0 when every chain holds, 1 with the first broken link."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from kat_clinic.audit.chain import audit_seal, audit_verify


class Command(BaseCommand):
    help = "Walk every clinic's audit hash chain and report the first broken link of each."

    def add_arguments(self, parser):
        parser.add_argument("--seal", action="store_true", help="seal settled rows first (as the periodic task does)")

    def handle(self, *args, seal: bool, **options):
        if seal:
            self.stdout.write(f"Sealed {audit_seal()} rows.")
        report = audit_verify()
        for head in sorted(report.heads, key=lambda h: (h.clinic_id is not None, h.clinic_id or 0)):
            chain = f"clinic {head.clinic_id}" if head.clinic_id is not None else "no clinic"
            self.stdout.write(f"chain {chain}: {head.length} links, head {head.hash}")
        self.stdout.write(f"{report.sealed} rows sealed, {report.unsealed} not sealed yet.")
        if report.breaks:
            for chain_break in sorted(report.breaks, key=lambda b: b.event_id):
                self.stdout.write(f"BROKEN {chain_break.describe()}")
            raise CommandError(f"audit chain broken; first broken link: {report.first_break.describe()}")
        self.stdout.write("Every audit chain holds.")
