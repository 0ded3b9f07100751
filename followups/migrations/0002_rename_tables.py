from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('followups', '0001_initial'),
        ('integration', '0004_followups_moved_out'),
    ]

    # integration_followup -> followups_followup, integration_delivery -> followups_delivery. Rows,
    # indexes, constraints and the check-in's foreign key (which follows the table) stay as they are.

    operations = [
        migrations.AlterModelTable(
            name='delivery',
            table=None,
        ),
        migrations.AlterModelTable(
            name='followup',
            table=None,
        ),
    ]
