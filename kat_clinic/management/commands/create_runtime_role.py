"""Create (or bring up to date) the least-privilege role the web, worker and beat connect as.

Run by the owner (the connection that migrates) after `migrate`. Idempotent: safe on every start,
and from two databases of one cluster at once (roles are cluster-wide, privileges per database).
"""

from __future__ import annotations

import urllib.parse

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections

from kat_clinic import db_roles


class Command(BaseCommand):
    help = "Create the runtime database role if missing and (re)apply its privileges in this database."

    def add_arguments(self, parser):
        parser.add_argument("--role", default=None, help="role name (default: settings.RUNTIME_DB_ROLE)")
        parser.add_argument(
            "--password", default=None, help="set this password (default: settings.RUNTIME_DB_PASSWORD, if any)"
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="the owner's connection alias")
        parser.add_argument(
            "--print-url", action="store_true", help="print only the runtime role's DATABASE_URL after the work"
        )

    def handle(self, *args, role, password, database, print_url, **options):
        from django.conf import settings

        role = role or db_roles.runtime_role_name()
        password = password if password is not None else (settings.RUNTIME_DB_PASSWORD or None)
        connection = connections[database]
        owner = connection.settings_dict.get("USER") or ""
        if owner == role:
            raise SystemExit(f"create_runtime_role must run as the owner, not as {role!r} itself")
        created = db_roles.runtime_role_ensure(connection=connection, role=role, password=password)
        db_roles.harden_trigger_ignore(connection=connection)
        db_roles.runtime_role_grant(connection=connection, role=role)
        tables = db_roles.append_only_tables()
        summary = (
            f"{'Created' if created else 'Updated'} role {role!r} (not superuser, owns nothing) in database "
            f"{connection.settings_dict['NAME']!r}; owner {owner!r}. Append-only for it: {len(tables)} tables."
        )
        if print_url:
            # The URL alone on stdout, for scripts: DATABASE_URL=$(manage.py create_runtime_role --print-url)
            self.stderr.write(summary)
            self.stdout.write(runtime_url(connection.settings_dict, role=role, password=password))
            return
        self.stdout.write(summary)


def runtime_url(settings_dict: dict, *, role: str, password: str | None) -> str:
    """The owner's connection with the runtime role's name and password in place of the owner's."""
    user = urllib.parse.quote(role, safe="")
    if password:
        user += ":" + urllib.parse.quote(password, safe="")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    name = urllib.parse.quote(settings_dict["NAME"], safe="")
    return f"postgres://{user}@{host}:{port}/{name}"
