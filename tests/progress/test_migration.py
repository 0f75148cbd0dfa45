"""A database migrated on the old head (campaigns, targets and snapshots in the unions
app) migrates forward with its rows: the progress app takes the same tables over."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

OLD = [("unions", "0003_audit_append_only")]


@pytest.mark.django_db(transaction=True)
def test_rows_survive_the_move_to_the_progress_app():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(OLD)
    try:
        old = MigrationExecutor(connection).loader.project_state(OLD).apps
        Union = old.get_model("unions", "Union")
        Campaign = old.get_model("unions", "Campaign")
        Target = old.get_model("unions", "Target")
        DailySnapshot = old.get_model("unions", "DailySnapshot")
        union = Union.objects.create(
            name="桃源县总工会",
            kind="01",
            system_code="LS0000000000000001",
            lft=1,
            rght=2,
            tree_id=1,
            level=0,
        )
        campaign = Campaign.objects.create(
            name="2019年采集行动",
            starts_on=datetime.date(2019, 9, 1),
            deadline=datetime.date(2019, 11, 30),
            is_current=True,
        )
        Target.objects.create(campaign=campaign, union=union, members=40000)
        DailySnapshot.objects.create(
            on=datetime.date(2019, 10, 1), union=union, campaign=campaign, members=123
        )

        executor = MigrationExecutor(connection)
        executor.migrate(leaves)

        from progress.models import Campaign as NewCampaign
        from progress.models import DailySnapshot as NewSnapshot
        from progress.models import Target as NewTarget

        moved = NewCampaign.objects.get()
        assert (moved.name, moved.is_current) == ("2019年采集行动", True)
        assert NewTarget.objects.get().members == 40000
        assert NewTarget.objects.get().union_id == union.pk
        assert NewSnapshot.objects.get().members == 123
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )
