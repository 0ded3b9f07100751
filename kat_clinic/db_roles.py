"""The two database roles: the owner that migrates, and the least-privilege role the processes use.

The owner (today the cluster's superuser, `postgres`) creates and migrates the schema. The web,
the Celery worker and beat connect as the runtime role (`RUNTIME_DB_ROLE`, default `kat_runtime`):
LOGIN, not a superuser, owning nothing. It may read and write the application's tables, but:

- on the append-only tables (the audit trail, its hash chain, every pghistory event table and any
  model that declares `APPEND_ONLY = True` or is named in `settings.APPEND_ONLY_MODELS`) it holds
  SELECT and INSERT only: no UPDATE, DELETE or TRUNCATE;
- it holds TRUNCATE on nothing, and SELECT only on `django_migrations`;
- it cannot switch a freeze off: `ALTER TABLE ... DISABLE TRIGGER` needs the table's owner,
  `session_replication_role` needs a superuser, and `SET pgtrigger.ignore` is honoured only for a
  role that owns the trigger's table (see HARDENED_IGNORE_FUNCTION), so for this role every
  pgtrigger trigger (signed notes, addenda, submitted REMS forms, published templates, the audit
  trail's append-only guard, the row-history triggers) always fires.

Roles are cluster-wide: creating the role is idempotent and safe from two databases at once.
Privileges are per database and are re-applied after every `migrate` (post_migrate), so a new
table is never left without (or with too many) privileges.
"""

from __future__ import annotations

import logging
import time

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.utils import DatabaseError

logger = logging.getLogger(__name__)

# pgtrigger's own function (pgtrigger/compiler.py), with one change: a name in `pgtrigger.ignore`
# is honoured only when the current role is a member of the role owning the trigger's table (a
# superuser is a member of every role). Such a role could drop the trigger anyway; any other role
# gets every trigger. pgtrigger re-creates the function whenever a migration installs a trigger,
# which is why `harden_trigger_ignore` runs after every migrate.
HARDENED_IGNORE_MARKER = "kat_clinic: honoured only for the table owner"
HARDENED_IGNORE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION "public"._pgtrigger_should_ignore(trigger_name NAME)
RETURNS BOOLEAN AS $$
    -- {HARDENED_IGNORE_MARKER}
    DECLARE
        _pgtrigger_ignore TEXT[];
    BEGIN
        BEGIN
            SELECT INTO _pgtrigger_ignore CURRENT_SETTING('pgtrigger.ignore');
            EXCEPTION WHEN OTHERS THEN
        END;
        IF _pgtrigger_ignore IS NULL OR NOT (trigger_name = ANY(_pgtrigger_ignore)) THEN
            RETURN FALSE;
        END IF;
        RETURN EXISTS (
            SELECT 1 FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
            WHERE t.tgname = trigger_name AND pg_catalog.pg_has_role(current_user, c.relowner, 'MEMBER')
        ) AND NOT EXISTS (
            SELECT 1 FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
            WHERE t.tgname = trigger_name AND NOT pg_catalog.pg_has_role(current_user, c.relowner, 'MEMBER')
        );
    END;
$$ LANGUAGE plpgsql;
"""

READ_ONLY_TABLES = ("django_migrations",)


def runtime_role_name() -> str:
    return settings.RUNTIME_DB_ROLE


def append_only_models() -> list[type]:
    """Every model whose rows, once written, stay as written (for the runtime role)."""
    from pghistory.models import Event

    named = set(getattr(settings, "APPEND_ONLY_MODELS", ()))
    found = []
    for model in apps.get_models():
        meta = model._meta
        if not meta.managed or meta.proxy:
            continue
        if issubclass(model, Event) or getattr(model, "APPEND_ONLY", False) or meta.label in named:
            found.append(model)
    return sorted(found, key=lambda m: m._meta.db_table)


def append_only_tables() -> list[str]:
    return [m._meta.db_table for m in append_only_models()]


def _quote(connection, name: str) -> str:
    return connection.ops.quote_name(name)


def role_exists(*, connection, role: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %s", [role])
        return cursor.fetchone() is not None


def runtime_role_ensure(*, connection, role: str, password: str | None = None) -> bool:
    """Create the role if it is missing (True if this call created it); set its attributes and password.

    Safe to run twice, and from two databases of one cluster at the same time: a concurrent
    CREATE ROLE that loses the race is caught inside the DO block.
    """
    quoted = _quote(connection, role)
    attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT"
    existed = role_exists(connection=connection, role=role)
    with connection.cursor() as cursor:
        if not existed:
            cursor.execute(
                f"""
                DO $$ BEGIN
                    CREATE ROLE {quoted} {attributes};
                EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                END $$;
                """
            )
        _retry_concurrent(connection, f"ALTER ROLE {quoted} {attributes}")
        if password:
            _retry_concurrent(connection, f"ALTER ROLE {quoted} PASSWORD %s", [password])
    return not existed


def _retry_concurrent(connection, sql: str, params=None, attempts: int = 5) -> None:
    """ALTER ROLE on the shared catalog can meet 'tuple concurrently updated' from another database."""
    for attempt in range(attempts):
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
            return
        except DatabaseError as error:
            if "concurrently" not in str(error) or connection.in_atomic_block or attempt == attempts - 1:
                raise
            time.sleep(0.1 * (attempt + 1))


def runtime_role_grant(*, connection, role: str) -> None:
    """(Re)apply the runtime role's privileges in this database, in one transaction. Run by the owner."""
    quoted = _quote(connection, role)
    database = _quote(connection, connection.settings_dict["NAME"])
    restricted = [*append_only_tables(), *READ_ONLY_TABLES]
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = 'public'")
        tables = {row[0] for row in cursor.fetchall()}
        cursor.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {quoted}")
        cursor.execute(f"REVOKE CREATE ON DATABASE {database} FROM {quoted}")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
        cursor.execute(f"REVOKE CREATE ON SCHEMA public FROM {quoted}")
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
        for table in restricted:
            if table in tables:
                cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {_quote(connection, table)} FROM {quoted}")
        for table in READ_ONLY_TABLES:
            if table in tables:
                cursor.execute(f"REVOKE INSERT ON {_quote(connection, table)} FROM {quoted}")


def harden_trigger_ignore(*, connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute(HARDENED_IGNORE_FUNCTION)


def trigger_ignore_is_hardened(*, connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT prosrc FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'public' AND p.proname = '_pgtrigger_should_ignore'"
        )
        row = cursor.fetchone()
    return bool(row and HARDENED_IGNORE_MARKER in row[0])


def after_migrate(sender, *, using: str = DEFAULT_DB_ALIAS, plan=None, **kwargs) -> None:
    """post_migrate: re-harden pgtrigger's ignore switch and re-apply the runtime role's privileges.

    Skipped when no migration ran (`flush` sends post_migrate too, with no plan).
    """
    if not plan:
        return
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    role = runtime_role_name()
    if connection.settings_dict.get("USER") == role:
        return  # the runtime role cannot migrate anyway; the owner must
    harden_trigger_ignore(connection=connection)
    if role_exists(connection=connection, role=role):
        runtime_role_grant(connection=connection, role=role)
