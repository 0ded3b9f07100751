
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('followups', '0001_initial'),
        ('integration', '0003_integration_plan'),
    ]

    # State only: FollowUp and Delivery now belong to the `followups` app (its 0001), and the
    # check-in's link points there. The tables and their rows are untouched.
    operations = [migrations.SeparateDatabaseAndState(state_operations=[
        migrations.RemoveField(
            model_name='followup',
            name='acknowledged_by',
        ),
        migrations.RemoveField(
            model_name='followup',
            name='clinic',
        ),
        migrations.RemoveField(
            model_name='followup',
            name='patient',
        ),
        migrations.RemoveField(
            model_name='followup',
            name='session',
        ),
        migrations.RemoveField(
            model_name='followup',
            name='staff',
        ),
        migrations.AlterField(
            model_name='checkin',
            name='followup',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='checkin', to='followups.followup'),
        ),
        migrations.AlterField(
            model_name='checkinevent',
            name='followup',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='followups.followup'),
        ),
        migrations.DeleteModel(
            name='Delivery',
        ),
        migrations.DeleteModel(
            name='FollowUp',
        ),
    ])]
