
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('clinic_sessions', '0006_block_at_most_a_day'),
        ('integration', '0003_integration_plan'),
        ('kat_clinic', '0002_patient_history'),
    ]

    # The follow-up engine moved out of `integration`: its tables already exist (created by
    # integration 0001), so this migration only tells Django's state that the models live here now.
    # 0002 renames the tables once integration 0004 has let go of them.
    operations = [migrations.SeparateDatabaseAndState(state_operations=[
        migrations.CreateModel(
            name='FollowUp',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('session_reminder', 'Session reminder'), ('no_show_review', 'No-show review'), ('checkin_link', 'Check-in link'), ('integration_unbooked', 'Integration session not booked'), ('integration_window_closing', 'Integration window closing'), ('rems_form_due', 'REMS monitoring form due'), ('rems_form_late', 'REMS monitoring form about to be late'), ('scale_request', 'Rating scale request'), ('scale_reminder', 'Rating scale reminder'), ('booster_due', 'Booster due'), ('crisis_page', 'Crisis page')], max_length=40)),
                ('channel', models.CharField(choices=[('email', 'Email'), ('sms', 'SMS'), ('in_app', 'In-app alert')], max_length=8)),
                ('target', models.CharField(choices=[('patient', 'Patient'), ('staff', 'Staff member'), ('role', 'Role at the clinic')], max_length=8)),
                ('role', models.CharField(blank=True, choices=[('admin', 'Admin'), ('scheduler', 'Scheduler (front desk)'), ('nurse', 'Nurse'), ('prescriber', 'Prescriber'), ('therapist', 'Therapist')], max_length=16)),
                ('payload', models.JSONField(blank=True, default=dict)),
                ('idempotency_key', models.CharField(max_length=200, unique=True)),
                ('due_at', models.DateTimeField()),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('claimed', 'Claimed'), ('sent', 'Sent'), ('failed', 'Failed'), ('cancelled', 'Cancelled'), ('acknowledged', 'Acknowledged')], default='pending', max_length=16)),
                ('attempts', models.PositiveIntegerField(default=0, help_text="Claims so far; the current claim's fencing token.")),
                ('lease_expires_at', models.DateTimeField(blank=True, null=True)),
                ('last_error', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('cancelled_at', models.DateTimeField(blank=True, null=True)),
                ('acknowledged_at', models.DateTimeField(blank=True, null=True)),
                ('acknowledged_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kat_clinic.staffmember')),
                ('clinic', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='followups', to='kat_clinic.clinic')),
                ('patient', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='followups', to='kat_clinic.patient')),
                ('session', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='followups', to='clinic_sessions.session')),
                ('staff', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='followups', to='kat_clinic.staffmember')),
            ],
            options={
                'db_table': 'integration_followup',
            },
        ),
        migrations.CreateModel(
            name='Delivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('provider_key', models.CharField(max_length=200, unique=True)),
                ('channel', models.CharField(choices=[('email', 'Email'), ('sms', 'SMS'), ('in_app', 'In-app alert')], max_length=8)),
                ('state', models.CharField(choices=[('sending', 'Sending (provider call in progress or interrupted)'), ('sent', 'Sent'), ('not_sent', 'Not sent (provider refused; safe to retry)'), ('unknown', 'Unknown (interrupted, provider cannot tell): held for review')], default='sending', max_length=16)),
                ('tries', models.PositiveIntegerField(default=0)),
                ('provider_message_id', models.CharField(blank=True, max_length=200)),
                ('started_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('followup', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='delivery', to='followups.followup')),
            ],
            options={
                'verbose_name_plural': 'deliveries',
                'db_table': 'integration_delivery',
            },
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(condition=models.Q(('status__in', ['pending', 'claimed'])), fields=['due_at'], name='followup_open_due_idx'),
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(fields=['clinic', 'status', 'due_at'], name='followup_clinic_status_idx'),
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(fields=['session', 'status'], name='followup_session_status_idx'),
        ),
        migrations.AddConstraint(
            model_name='followup',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('patient__isnull', False), ('role', ''), ('staff__isnull', True), ('target', 'patient')), models.Q(('role', ''), ('staff__isnull', False), ('target', 'staff')), models.Q(('staff__isnull', True), ('target', 'role'), models.Q(('role', ''), _negated=True)), _connector='OR'), name='followup_target_is_complete'),
        ),
        migrations.AddConstraint(
            model_name='followup',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('channel__in', ['email', 'sms']), ('target', 'patient')), models.Q(models.Q(('target', 'patient'), _negated=True), ('channel', 'in_app')), _connector='OR'), name='followup_channel_fits_target'),
        ),
        migrations.AddConstraint(
            model_name='followup',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'claimed'), _negated=True), ('lease_expires_at__isnull', False), _connector='OR'), name='followup_claim_has_lease'),
        ),
    ])]
