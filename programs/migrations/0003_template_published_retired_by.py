
import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('kat_clinic', '0002_patient_history'),
        ('programs', '0002_child_triggers_lock_parent_first'),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='programtemplate',
            name='programtemplate_frozen_when_published',
        ),
        migrations.AddField(
            model_name='programtemplate',
            name='published_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kat_clinic.staffmember'),
        ),
        migrations.AddField(
            model_name='programtemplate',
            name='retired_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kat_clinic.staffmember'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='programtemplate',
            trigger=pgtrigger.compiler.Trigger(name='programtemplate_frozen_when_published', sql=pgtrigger.compiler.UpsertTriggerSql(func="\n                    IF TG_OP = 'INSERT' THEN\n                        IF NEW.state <> 'draft' THEN\n                            RAISE EXCEPTION 'a program template is created as a draft, then published';\n                        END IF;\n                        RETURN NEW;\n                    END IF;\n                    IF OLD.state = 'draft' THEN\n                        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\n                        RETURN NEW;\n                    END IF;\n                    IF TG_OP = 'DELETE' THEN\n                        RAISE EXCEPTION 'program template % (version %) is %: it cannot be deleted',\n                            OLD.id, OLD.version, OLD.state;\n                    END IF;\n                    -- Writing back the identical row changes nothing and is let through.\n                    IF to_jsonb(NEW) = to_jsonb(OLD) THEN\n                        RETURN NEW;\n                    END IF;\n                    IF OLD.state = 'published' AND NEW.state = 'retired'\n                       AND (to_jsonb(NEW) - 'state' - 'retired_at' - 'retired_by_id')\n                           = (to_jsonb(OLD) - 'state' - 'retired_at' - 'retired_by_id') THEN\n                        RETURN NEW;\n                    END IF;\n                    RAISE EXCEPTION 'program template % (version %) is %: %', OLD.id, OLD.version, OLD.state,\n                        'the only change allowed is published to retired; clone it to edit';\n                ", hash='250241f5cb4aae71b1e1df8f6b681f2e5335a26e', operation='INSERT OR UPDATE OR DELETE', pgid='pgtrigger_programtemplate_frozen_when_published_b2d09', table='programs_programtemplate', when='BEFORE')),
        ),
    ]
