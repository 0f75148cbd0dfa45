import contextlib
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from progress.models import Campaign, Target
from progress.rollups import union_progress
from registry import codes
from tests.progress.target_sheets import seed_001_workbook
from unions import demo_data
from unions.models import Union

CAMPAIGN = "2019年全县工会组织及会员实名制信息采集"


def run_json(*args) -> dict:
    from io import StringIO

    out = StringIO()
    with contextlib.suppress(CommandError):
        call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_seed_001_targets_reproduce_the_totals_and_the_unallocated_rest(taoyuan, tmp_path):
    path = seed_001_workbook(tmp_path / "附件1.xlsx")

    report = run_json(
        "import_targets", str(path), "--campaign", CAMPAIGN, "--deadline", "2019-11-30"
    )

    assert [(s["sheet"], s["rows"], s["total"], s["declared_total"]) for s in report["sheets"]] == [
        ("县直", 27, 30929, 30929),
        ("乡镇、街道", 28, 6760, 6760),
    ]
    assert report["created"] == 55 and report["errors"] == [] and report["warnings"] == []
    assert report["parents"] == {demo_data.COUNTY: 55}
    Target.objects.create(
        campaign=Campaign.objects.get(name=CAMPAIGN), union=taoyuan["county"], members=40000
    )

    progress = run_json("progress", "--union", demo_data.COUNTY)
    assert progress["campaign"] == CAMPAIGN
    assert (progress["target"], progress["allocated"], progress["unallocated"]) == (
        40000,
        37689,
        2311,
    )
    assert len(progress["children"]) == 55
    by_name = {c["union"]: c for c in progress["children"]}
    assert by_name["县教育工会"]["target"] == 6300
    assert by_name["沙坪镇工会联合会"]["target"] == 200


def test_reimporting_the_same_sheet_changes_nothing(taoyuan, tmp_path):
    path = seed_001_workbook(tmp_path / "附件1.xlsx")
    run_json("import_targets", str(path), "--campaign", CAMPAIGN, "--deadline", "2019-11-30")
    again = run_json("import_targets", str(path), "--campaign", CAMPAIGN)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 55)
    assert Target.objects.count() == 55


def test_disagreeing_total_is_reported_and_rows_win(taoyuan, tmp_path):
    path = seed_001_workbook(tmp_path / "附件1.xlsx", county_total=31000)
    report = run_json(
        "import_targets", str(path), "--campaign", CAMPAIGN, "--deadline", "2019-11-30"
    )
    assert report["created"] == 55
    [warning] = report["warnings"]
    assert warning["code"] == "total_mismatch" and warning["sheet"] == "县直"
    assert "31000" in warning["message"] and "30929" in warning["message"]


def test_unknown_unit_is_reported_not_guessed(taoyuan, tmp_path):
    units = [*demo_data.COUNTY_UNITS[:3], ("县委办工会联合", 50)]  # 会 missing: not a match
    path = seed_001_workbook(tmp_path / "t.xlsx", county_units=units, towns=demo_data.TOWNS[:1])
    with pytest.raises(CommandError):
        call_command(
            "import_targets", str(path), "--campaign", CAMPAIGN, "--deadline", "2019-11-30"
        )
    report = run_json("import_targets", str(path), "--campaign", CAMPAIGN)
    [error] = report["errors"]
    assert (
        error["code"] == "unknown_unit" and error["row"] == 6 and error["value"] == "县委办工会联合"
    )
    assert "县委办工会联合" in error["message"] and "第 6 行" in error["message"]
    assert Target.objects.count() == 4  # the known rows are imported
    assert not Target.objects.filter(members=50).exists()


def test_same_name_in_two_places_needs_union_option(taoyuan, tmp_path):
    other = Union.objects.create(
        name="鼎城区总工会", kind=codes.KIND_LOCAL_FEDERATION, parent=taoyuan["city"]
    )
    Union.objects.create(name="县教育工会", kind=codes.KIND_INDUSTRY, parent=other)
    path = seed_001_workbook(
        tmp_path / "t.xlsx",
        county_units=[("县教育工会", 6300)],
        towns=[("漳江街道办事处工会联合会", 600)],
    )

    report = run_json(
        "import_targets", str(path), "--campaign", CAMPAIGN, "--deadline", "2019-11-30"
    )
    assert [e["code"] for e in report["errors"]] == ["ambiguous_unit"]

    report = run_json(
        "import_targets", str(path), "--campaign", CAMPAIGN, "--union", demo_data.COUNTY
    )
    assert report["errors"] == [] and report["created"] == 1
    assert Target.objects.get(union__name="县教育工会").union.parent == taoyuan["county"]


def test_campaign_start_and_deadline_from_the_command(taoyuan, tmp_path):
    path = seed_001_workbook(tmp_path / "t.xlsx")
    args = ["--campaign", CAMPAIGN, "--start", "2019-09-25", "--deadline", "2019-11-30"]
    report = run_json("import_targets", str(path), *args)
    assert report["campaign_created"] and report["deadline"] == "2019-11-30"
    campaign = Campaign.objects.get()
    assert (str(campaign.starts_on), campaign.is_current) == ("2019-09-25", True)
    with pytest.raises(CommandError, match="晚于截止日期"):
        call_command(
            "import_targets",
            str(path),
            "--campaign",
            "另一个",
            "--start",
            "2020-01-01",
            "--deadline",
            "2019-11-30",
        )


def test_new_campaign_needs_a_deadline(taoyuan, tmp_path):
    path = seed_001_workbook(tmp_path / "t.xlsx")
    with pytest.raises(CommandError, match="--deadline"):
        call_command("import_targets", str(path), "--campaign", "新行动")
    assert not Campaign.objects.exists()


def test_bad_number_and_header_with_line_breaks_on_a_later_row(taoyuan, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append([])
    ws.append(["通知附件"])
    ws.append(["序 号", "单\n位", "会员信息采\n\n集（人）", "备注"])
    ws.append([1, "县委办工会联合会", "一百六", ""])
    ws.append([2, "县政府办工会联合会", "300", ""])
    wb.save(tmp_path / "t.xlsx")
    report = run_json(
        "import_targets",
        str(tmp_path / "t.xlsx"),
        "--campaign",
        CAMPAIGN,
        "--deadline",
        "2019-11-30",
    )
    assert report["sheets"][0]["title"] == "通知附件"
    [error] = report["errors"]
    assert (error["code"], error["row"]) == ("bad_number", 4)
    assert Target.objects.get().members == 300


def test_first_campaign_becomes_current_and_later_ones_keep_history(taoyuan, tmp_path):
    path = seed_001_workbook(tmp_path / "t.xlsx")
    run_json("import_targets", str(path), "--campaign", "2019年行动", "--deadline", "2019-11-30")
    run_json("import_targets", str(path), "--campaign", "2020年行动", "--deadline", "2020-11-30")
    assert list(Campaign.objects.filter(is_current=True).values_list("name", flat=True)) == [
        "2019年行动"
    ]
    assert Target.objects.count() == 110
    county = taoyuan["county"]
    older = union_progress(county, campaign=Campaign.objects.get(name="2019年行动"))
    assert older.allocated == 37689


def test_admin_uploads_the_target_sheet_in_the_browser(client, taoyuan, tmp_path, make_user):
    from django.urls import reverse

    from unions.models import User

    campaign = Campaign.objects.create(
        name=CAMPAIGN,
        starts_on="2019-09-25",
        deadline="2019-11-30",
        is_current=True,
    )
    units = [*demo_data.COUNTY_UNITS, ("县委办工会联合", 50)]
    path = seed_001_workbook(tmp_path / "附件1.xlsx", county_units=units)
    url = reverse("progress:import_targets", args=[taoyuan["county"].pk])

    client.force_login(make_user(taoyuan["county"], User.Role.COLLECTOR))
    with open(path, "rb") as f:
        assert client.post(url, {"sheet": f}).status_code == 404
    assert not Target.objects.exists()

    client.force_login(make_user(taoyuan["county"], User.Role.ADMIN))
    with open(path, "rb") as f:
        response = client.post(f"{url}?campaign={campaign.pk}", {"sheet": f})
    assert response.status_code == 200
    page = response.content.decode()
    assert "“县直”：28 个单位，目标合计 30979" in page
    assert "县委办工会联合”在系统中找不到" in page
    assert Target.objects.filter(campaign=campaign).count() == 55

    # the county's own target cannot come in through its own sheet
    path = seed_001_workbook(tmp_path / "own.xlsx", county_units=[(demo_data.COUNTY, 1)], towns=[])
    with open(path, "rb") as f:
        page = client.post(url, {"sheet": f}).content.decode()
    assert "找不到" in page
    assert not Target.objects.filter(union=taoyuan["county"]).exists()


def test_a_sheet_without_the_target_header_is_refused_in_chinese(taoyuan, tmp_path):
    wb = Workbook()
    wb.active.append(["姓名", "证件号码"])
    wb.save(tmp_path / "花名册.xlsx")
    with pytest.raises(CommandError, match="没有找到表头“单位”和“会员信息采集（人）”"):
        call_command(
            "import_targets",
            str(tmp_path / "花名册.xlsx"),
            "--campaign",
            CAMPAIGN,
            "--deadline",
            "2019-11-30",
        )
    (tmp_path / "not-a-sheet.xlsx").write_text("hello")
    with pytest.raises(CommandError, match="内容不是有效的表格文件"):
        call_command(
            "import_targets",
            str(tmp_path / "not-a-sheet.xlsx"),
            "--campaign",
            CAMPAIGN,
            "--deadline",
            "2019-11-30",
        )


def test_an_empty_target_sheet_is_refused_in_chinese(client, taoyuan, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from unions.models import User

    Campaign.objects.create(
        name=CAMPAIGN, starts_on="2019-09-25", deadline="2019-11-30", is_current=True
    )
    client.force_login(make_user(taoyuan["county"], User.Role.ADMIN))
    url = reverse("progress:import_targets", args=[taoyuan["county"].pk])
    response = client.post(url, {"sheet": SimpleUploadedFile("../../附件1.xlsx", b"")})
    assert response.status_code == 200
    page = response.content.decode()
    assert "文件是空的（0 字节），请重新选择填好的目标任务表。" in page
    assert "Zip" not in page
    assert not Target.objects.exists()
