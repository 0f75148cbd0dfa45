"""The progress app takes over Campaign, Target and DailySnapshot from the unions app.

The tables already exist (unions 0002), so this creates the models in Django's state
only; on a new database unions 0002 has just created them. Content types follow the
models so that existing permissions and admin history keep pointing at them.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ("campaign", "target", "dailysnapshot")


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        if not ContentType.objects.using(db).filter(app_label="progress", model=model).exists():
            ContentType.objects.using(db).filter(app_label="unions", model=model).update(
                app_label="progress"
            )


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        if not ContentType.objects.using(db).filter(app_label="unions", model=model).exists():
            ContentType.objects.using(db).filter(app_label="progress", model=model).update(
                app_label="unions"
            )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("unions", "0004_progress_models_move_to_progress_app"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name="Campaign",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200, unique=True, verbose_name="行动名称")),
                (
                    "starts_on",
                    models.DateField(
                        default=django.utils.timezone.localdate, verbose_name="开始日期"
                    ),
                ),
                ("deadline", models.DateField(verbose_name="截止日期")),
                ("is_current", models.BooleanField(default=False, verbose_name="当前行动")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "db_table": "unions_campaign",
                "verbose_name": "采集行动",
                "verbose_name_plural": "采集行动",
                "ordering": ["-is_current", "-starts_on", "-id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("is_current", True)),
                        fields=("is_current",),
                        name="one_current_campaign",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("deadline__gte", models.F("starts_on"))),
                        name="deadline_after_start",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="DailySnapshot",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("on", models.DateField(verbose_name="日期")),
                ("members", models.PositiveIntegerField(verbose_name="在册会员（含下级）")),
                (
                    "campaign",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="progress.campaign",
                    ),
                ),
                (
                    "union",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="snapshots",
                        to="unions.union",
                    ),
                ),
            ],
            options={
                "db_table": "unions_dailysnapshot",
                "verbose_name": "每日进度快照",
                "verbose_name_plural": "每日进度快照",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("union", "on"), name="one_snapshot_per_union_day"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Target",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("members", models.PositiveIntegerField(verbose_name="会员目标数")),
                (
                    "organisations",
                    models.PositiveIntegerField(blank=True, null=True, verbose_name="组织目标数"),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="下达时间")),
                (
                    "campaign",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="targets",
                        to="progress.campaign",
                        verbose_name="采集行动",
                    ),
                ),
                (
                    "set_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="下达人",
                    ),
                ),
                (
                    "union",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="targets",
                        to="unions.union",
                        verbose_name="工会组织",
                    ),
                ),
            ],
            options={
                "db_table": "unions_target",
                "verbose_name": "目标任务数",
                "verbose_name_plural": "目标任务数",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("campaign", "union"), name="one_target_per_union"
                    )
                ],
            },
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=state_operations, database_operations=[]
        ),
        migrations.RunPython(move_content_types, restore_content_types),
    ]
