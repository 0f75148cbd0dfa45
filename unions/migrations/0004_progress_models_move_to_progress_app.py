"""Campaign, Target and DailySnapshot now belong to the progress app.

State only: the tables (unions_campaign, unions_target, unions_dailysnapshot) and their
rows stay where they are; progress 0001 takes the models over with those table names.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("unions", "0003_audit_append_only")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="DailySnapshot"),
                migrations.DeleteModel(name="Target"),
                migrations.DeleteModel(name="Campaign"),
            ],
            database_operations=[],
        )
    ]
