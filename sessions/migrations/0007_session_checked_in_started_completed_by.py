
import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clinic_sessions', '0006_block_at_most_a_day'),
        ('kat_clinic', '0002_patient_history'),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='session',
            name='insert_insert',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='session',
            name='update_update',
        ),
        migrations.AddField(
            model_name='session',
            name='checked_in_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kat_clinic.staffmember'),
        ),
        migrations.AddField(
            model_name='session',
            name='completed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kat_clinic.staffmember'),
        ),
        migrations.AddField(
            model_name='session',
            name='started_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kat_clinic.staffmember'),
        ),
        migrations.AddField(
            model_name='sessionevent',
            name='checked_in_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kat_clinic.staffmember'),
        ),
        migrations.AddField(
            model_name='sessionevent',
            name='completed_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kat_clinic.staffmember'),
        ),
        migrations.AddField(
            model_name='sessionevent',
            name='started_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kat_clinic.staffmember'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='session',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "clinic_sessions_sessionevent" ("active", "block_ends_at", "block_starts_at", "booked_by_id", "cancellation_reason", "cancelled_at", "cancelled_by_id", "checked_in_at", "checked_in_by_id", "clinic_id", "completed_at", "completed_by_id", "created_at", "ends_at", "enrollment_id", "id", "kind", "late_cancel", "no_show_at", "no_show_by_id", "patient_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "planned_session_id", "rescheduled_from_id", "room_id", "started_at", "started_by_id", "starts_at", "status", "telehealth") VALUES (NEW."active", NEW."block_ends_at", NEW."block_starts_at", NEW."booked_by_id", NEW."cancellation_reason", NEW."cancelled_at", NEW."cancelled_by_id", NEW."checked_in_at", NEW."checked_in_by_id", NEW."clinic_id", NEW."completed_at", NEW."completed_by_id", NEW."created_at", NEW."ends_at", NEW."enrollment_id", NEW."id", NEW."kind", NEW."late_cancel", NEW."no_show_at", NEW."no_show_by_id", NEW."patient_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."planned_session_id", NEW."rescheduled_from_id", NEW."room_id", NEW."started_at", NEW."started_by_id", NEW."starts_at", NEW."status", NEW."telehealth"); RETURN NULL;', hash='79e381ed19809802f9ac487bead69e0344c345a9', operation='INSERT', pgid='pgtrigger_insert_insert_d561d', table='clinic_sessions_session', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='session',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "clinic_sessions_sessionevent" ("active", "block_ends_at", "block_starts_at", "booked_by_id", "cancellation_reason", "cancelled_at", "cancelled_by_id", "checked_in_at", "checked_in_by_id", "clinic_id", "completed_at", "completed_by_id", "created_at", "ends_at", "enrollment_id", "id", "kind", "late_cancel", "no_show_at", "no_show_by_id", "patient_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "planned_session_id", "rescheduled_from_id", "room_id", "started_at", "started_by_id", "starts_at", "status", "telehealth") VALUES (NEW."active", NEW."block_ends_at", NEW."block_starts_at", NEW."booked_by_id", NEW."cancellation_reason", NEW."cancelled_at", NEW."cancelled_by_id", NEW."checked_in_at", NEW."checked_in_by_id", NEW."clinic_id", NEW."completed_at", NEW."completed_by_id", NEW."created_at", NEW."ends_at", NEW."enrollment_id", NEW."id", NEW."kind", NEW."late_cancel", NEW."no_show_at", NEW."no_show_by_id", NEW."patient_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."planned_session_id", NEW."rescheduled_from_id", NEW."room_id", NEW."started_at", NEW."started_by_id", NEW."starts_at", NEW."status", NEW."telehealth"); RETURN NULL;', hash='bc0f51545e88de5aaee238ba4c299666daa0f28c', operation='UPDATE', pgid='pgtrigger_update_update_2f310', table='clinic_sessions_session', when='AFTER')),
        ),
    ]
