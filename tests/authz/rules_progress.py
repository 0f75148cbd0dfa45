"""Rules for the progress dashboard (issue 6): every role sees its own subtree; only
管理员 set targets, and the target pages answer 404 (not 403) to everyone else, since
`can_set_targets_below` is the same check as the subtree lookup."""

import datetime

from progress.models import Campaign
from tests.authz import ADMINS, ALL_ROLES, Rule
from unions.models import AuditEntry


def campaign(world) -> Campaign:
    found, _ = Campaign.objects.get_or_create(
        name="矩阵采集行动",
        defaults={
            "starts_on": datetime.date(2026, 1, 1),
            "deadline": datetime.date(2026, 12, 31),
            "is_current": True,
        },
    )
    return found


def union_at(world, union):
    campaign(world)
    return {"pk": union.pk}


def export_audited_inside_only(world, union, response):
    logged = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, union=union).exists()
    assert logged == (response.status_code == 200)
    if response.status_code == 200:
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def report_job_inside_only(world, union, response):
    """A progress workbook is an export job: started (302 to its page) and audited inside
    the subtree, nothing started outside it."""
    from tests.exporting import follow_export

    logged = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, union=union).exists()
    started = response.status_code == 302 and "/members/exports/" in response["Location"]
    assert logged == started
    if started:
        content, _text = follow_export(response.client, response)
        assert content is not None and content[:2] == b"PK"  # an xlsx (a zip)


def two_points(world, union):
    """Two frozen control points of `union`, for the comparison pages."""
    from progress.control_points import freeze
    from progress.models import ControlPoint

    ids = []
    for _ in range(2):
        point = ControlPoint.objects.create(union=union, reason=ControlPoint.Reason.MANUAL)
        ids.append(freeze(point.pk).pk)
    return {"a": ids[0], "b": ids[1]}


RULES = {
    # Straight on to the visitor's own union.
    "progress:dashboard": Rule(roles=ALL_ROLES, ok=302),
    "progress:union": Rule(roles=ALL_ROLES, target=union_at),
    # The workbooks run as export jobs (POST, then the job page, issue 12).
    "progress:report_xlsx": Rule(
        roles=ALL_ROLES, method="POST", target=union_at, ok=302, after=report_job_inside_only
    ),
    "progress:statistics_xlsx": Rule(
        roles=ALL_ROLES, method="POST", target=union_at, ok=302, after=report_job_inside_only
    ),
    "progress:set_targets": Rule(roles=ADMINS, target=union_at, denied=404),
    # The children's targets as the target sheet reads them back.
    "progress:targets_xlsx": Rule(
        roles=ADMINS, target=union_at, denied=404, after=export_audited_inside_only
    ),
    # No file: the targets page comes back with "请选择要导入的目标任务表".
    "progress:import_targets": Rule(roles=ADMINS, method="POST", target=union_at, denied=404),
    "progress:control_points": Rule(roles=ALL_ROLES, target=union_at),
    "progress:control_point_freeze": Rule(roles=ADMINS, method="POST", target=union_at, ok=302),
    "progress:control_point_compare": Rule(roles=ALL_ROLES, target=union_at, query=two_points),
    "progress:control_point_compare_xlsx": Rule(
        roles=ALL_ROLES, target=union_at, query=two_points, after=export_audited_inside_only
    ),
}
