"""The runtime database role (web, worker, beat) cannot erase the record or switch a freeze off.

The world is arranged as the owner (the `default` alias); every attack runs as the runtime role
(the `runtime` alias) in raw SQL, and the row is read back as the owner afterwards.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from kat_clinic import db_roles
from kat_clinic.audit.models import AuditEvent
from kat_clinic.models import Patient
from monitoring.models import ClinicalNote, RemsMonitoringForm
from monitoring.services.notes import note_add_addendum, note_create, note_sign
from programs.models import ProgramTemplate
from programs.services import template_create, template_publish
from tests.monitoring.factories import SessionFactory
from tests.programs.factories import small_kat_spec

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "runtime"])


def trigger_names(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal ORDER BY tgname", [table]
        )
        return [row[0] for row in cursor.fetchall()]


def attacks(table: str, column: str, value: str) -> dict[str, list[str]]:
    """Every way to change a frozen or append-only row that the owner would have."""
    ignore_all = "{" + ",".join(trigger_names(table)) + "}"
    update = f"UPDATE {table} SET {column} = '{value}' WHERE {{pk}} = %s"
    delete = f"DELETE FROM {table} WHERE {{pk}} = %s"
    return {
        "update": [update],
        "delete": [delete],
        "pgtrigger.ignore, update": [f"SET LOCAL pgtrigger.ignore = '{ignore_all}'", update],
        "pgtrigger.ignore, delete": [f"SET LOCAL pgtrigger.ignore = '{ignore_all}'", delete],
        "session_replication_role": ["SET LOCAL session_replication_role = replica", update],
        "disable trigger all": [f"ALTER TABLE {table} DISABLE TRIGGER ALL", update],
        "disable trigger user": [f"ALTER TABLE {table} DISABLE TRIGGER USER", delete],
        "truncate": [f"TRUNCATE {table} CASCADE"],
    }


def attempt_every_attack(
    runtime_connection, *, table: str, column: str, pk_column: str, pk: int, value: str = "tampered"
) -> dict[str, str]:
    """Run each attack as the runtime role; the first line of each refusal, by attack."""
    refused: dict[str, str] = {}
    for name, statements in attacks(table, column, value).items():
        with (
            pytest.raises(DatabaseError) as error,
            transaction.atomic(using="runtime"),
            runtime_connection.cursor() as cursor,
        ):
            for statement in statements:
                cursor.execute(statement.replace("{pk}", pk_column), [pk] if "%s" in statement else None)
        refused[name] = str(error.value).splitlines()[0]
    return refused


# Why each attack fails: privileges the role lacks, or the freeze trigger that now always fires for it.
NOT_OWNER = "must be owner of table"
NOT_SUPERUSER = 'permission denied to set parameter "session_replication_role"'


def frozen_refusals(table: str, on_update: str, on_delete: str | None = None) -> dict[str, str]:
    on_delete = on_delete or on_update
    return {
        "update": on_update,
        "delete": on_delete,
        "pgtrigger.ignore, update": on_update,
        "pgtrigger.ignore, delete": on_delete,
        "session_replication_role": NOT_SUPERUSER,
        "disable trigger all": f"{NOT_OWNER} {table}",
        "disable trigger user": f"{NOT_OWNER} {table}",
        "truncate": f"permission denied for table {table}",
    }


def append_only_refusals(table: str) -> dict[str, str]:
    denied = f"permission denied for table {table}"
    return {
        **dict.fromkeys(("update", "delete", "pgtrigger.ignore, update", "pgtrigger.ignore, delete"), denied),
        "session_replication_role": NOT_SUPERUSER,
        "disable trigger all": f"{NOT_OWNER} {table}",
        "disable trigger user": f"{NOT_OWNER} {table}",
        "truncate": denied,
    }


@pytest.fixture
def signed_note(nurse, patient):
    session = SessionFactory(patient=patient)
    note = note_create(session=session, author=nurse, sections={"pre_dose_checks": "BP 128/82"}, body="Calm.")
    return note_sign(note=note, by=nurse)


def test_the_runtime_role_is_no_superuser_and_owns_no_table(runtime_connection):
    # when
    with runtime_connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        role = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
        owned = cursor.fetchone()[0]

    # then
    assert role == ("kat_runtime", False, False, False)
    assert owned == 0


def test_a_signed_note_cannot_be_changed_by_any_setting_as_the_runtime_role(runtime_connection, signed_note):
    # when / then
    refused = attempt_every_attack(
        runtime_connection, table="monitoring_clinicalnote", column="body", pk_column="id", pk=signed_note.pk
    )
    assert refused == frozen_refusals(
        "monitoring_clinicalnote", f"clinical note {signed_note.pk} is signed and cannot be changed; write an addendum"
    )
    signed_note.refresh_from_db()
    assert (signed_note.body, signed_note.status) == ("Calm.", "signed")


def test_a_signed_addendum_cannot_be_changed_by_any_setting_as_the_runtime_role(runtime_connection, signed_note, nurse):
    # given
    addendum = note_sign(note=note_add_addendum(note=signed_note, author=nurse, body="BP was 128/84."), by=nurse)

    # when / then
    refused = attempt_every_attack(
        runtime_connection, table="monitoring_clinicalnote", column="body", pk_column="id", pk=addendum.pk
    )
    assert refused == frozen_refusals(
        "monitoring_clinicalnote", f"clinical note {addendum.pk} is signed and cannot be changed; write an addendum"
    )
    addendum.refresh_from_db()
    assert (addendum.body, addendum.status, addendum.amends_id) == ("BP was 128/84.", "signed", signed_note.pk)


def test_a_submitted_rems_form_cannot_be_changed_by_any_setting_as_the_runtime_role(
    runtime_connection, patient, prescriber
):
    # given
    form = RemsMonitoringForm.objects.create(
        session=SessionFactory(patient=patient),
        data={"total_dose_mg": "56.00"},
        due_on=dt.date(2030, 1, 8),
        status="submitted",
        submitted_at=timezone.now(),
        submitted_by=prescriber,
    )

    # when / then
    refused = attempt_every_attack(
        runtime_connection,
        table="monitoring_remsmonitoringform",
        column="due_on",
        pk_column="id",
        pk=form.pk,
        value="2031-01-01",
    )
    assert refused == frozen_refusals(
        "monitoring_remsmonitoringform",
        "pgtrigger: Cannot update or delete rows from monitoring_remsmonitoringform table",
    )
    form.refresh_from_db()
    assert (form.data, form.due_on, form.status) == ({"total_dose_mg": "56.00"}, dt.date(2030, 1, 8), "submitted")


def test_a_published_template_cannot_be_changed_by_any_setting_as_the_runtime_role(runtime_connection, organization):
    # given
    template = template_publish(
        template=template_create(organization=organization, by=None, **small_kat_spec()), by=None
    )

    # when / then
    refused = attempt_every_attack(
        runtime_connection, table="programs_programtemplate", column="name", pk_column="id", pk=template.pk
    )
    assert refused == frozen_refusals(
        "programs_programtemplate",
        f"program template {template.pk} (version 1) is published: the only change allowed is published to retired;"
        " clone it to edit",
        f"program template {template.pk} (version 1) is published: it cannot be deleted",
    )
    template.refresh_from_db()
    assert (template.name, template.state) == ("KAT short course", ProgramTemplate.State.PUBLISHED)


def test_an_audit_row_cannot_be_changed_or_erased_as_the_runtime_role(runtime_connection):
    # given
    event = AuditEvent.objects.create(
        action="retrieve", method="GET", path="/api/patients/1/", outcome="success", status_code=200
    )

    # when / then
    refused = attempt_every_attack(
        runtime_connection, table="kat_clinic_auditevent", column="action", pk_column="id", pk=event.pk
    )
    assert refused == append_only_refusals("kat_clinic_auditevent")
    assert list(AuditEvent.objects.values_list("id", "action")) == [(event.pk, "retrieve")]


def test_a_row_history_event_cannot_be_changed_or_erased_as_the_runtime_role(runtime_connection, patient):
    # given: the insert of the patient left one history event
    event = Patient.pgh_event_model.objects.get(pgh_obj=patient)

    # when / then
    refused = attempt_every_attack(
        runtime_connection, table="kat_clinic_patientevent", column="pgh_label", pk_column="pgh_id", pk=event.pk
    )
    assert refused == append_only_refusals("kat_clinic_patientevent")
    assert list(Patient.pgh_event_model.objects.values_list("pgh_id", "pgh_label")) == [(event.pk, "insert")]


def test_every_history_and_audit_table_is_append_only_for_the_runtime_role(runtime_connection):
    # given
    tables = db_roles.append_only_tables()

    # when
    with runtime_connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants"
            " WHERE grantee = current_user AND table_name = ANY(%s)",
            [tables],
        )
        granted = sorted(set(cursor.fetchall()))

    # then: the audit trail and each pghistory event table, SELECT and INSERT only
    assert "kat_clinic_auditevent" in tables
    assert {m._meta.db_table for m in Patient.pgh_event_models.values()} <= set(tables)
    assert granted == sorted((table, privilege) for table in tables for privilege in ("INSERT", "SELECT"))


def test_the_runtime_role_still_writes_what_the_service_writes(runtime_connection, nurse, patient):
    # given: a draft note (not frozen)
    note = note_create(session=SessionFactory(patient=patient), author=nurse, sections={}, body="Draft.")

    # when
    with transaction.atomic(using="runtime"), runtime_connection.cursor() as cursor:
        cursor.execute("UPDATE monitoring_clinicalnote SET body = 'Edited.' WHERE id = %s", [note.pk])
        cursor.execute(
            "INSERT INTO kat_clinic_auditevent (occurred_at, username, roles, action, operation, method, path,"
            " resource_type, resource_ids, patient_ids, outcome, status_code, request_id, client_request_id,"
            " break_glass)"
            " VALUES (now(), '', '{}', 'list', '', 'GET', '/api/x/', '', '{}', '{}', 'success', 200,"
            " gen_random_uuid(), '', false)"
        )

    # then
    note.refresh_from_db()
    assert note.body == "Edited."
    assert list(AuditEvent.objects.values_list("path", flat=True)) == ["/api/x/"]
    # and its edit left a history event, written by its own trigger as the runtime role
    assert list(
        ClinicalNote.pgh_event_model.objects.filter(pgh_obj=note).order_by("pgh_id").values_list("pgh_label", "body")
    ) == [("insert", "Draft."), ("update", "Edited.")]


def test_the_owner_keeps_the_pgtrigger_ignore_switch(signed_note):
    # given
    ignore = "{" + ",".join(trigger_names("monitoring_clinicalnote")) + "}"

    # when: the owner (a migration, an operator) switches the freeze off on purpose
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL pgtrigger.ignore = '{ignore}'")
        cursor.execute("UPDATE monitoring_clinicalnote SET body = 'Owner fix.' WHERE id = %s", [signed_note.pk])

    # then
    signed_note.refresh_from_db()
    assert signed_note.body == "Owner fix."


def test_creating_the_runtime_role_twice_is_safe_and_keeps_the_privileges(runtime_connection):
    # when
    first, second = io.StringIO(), io.StringIO()
    call_command("create_runtime_role", stdout=first)
    call_command("create_runtime_role", stdout=second)

    # then
    assert second.getvalue().startswith("Updated role 'kat_runtime' (not superuser, owns nothing)")
    with pytest.raises(DatabaseError), transaction.atomic(using="runtime"), runtime_connection.cursor() as cursor:
        cursor.execute("DELETE FROM kat_clinic_auditevent")
    assert db_roles.trigger_ignore_is_hardened(connection=connection)
