import datetime
import io

import pytest
from openpyxl import load_workbook

from members import selectors, services
from members.export import export_members
from members.models import Member
from members.synthetic import id_number


def test_search_by_full_id_last_digits_phone_and_name(tree, make_member):
    wang = make_member(tree["base"], name="王小明", mobile="13912345678")
    li = make_member(tree["base"], name="李四")
    qs = Member.objects.all()

    assert list(qs.filter(selectors.search_q(wang.id_number))) == [wang]
    assert list(qs.filter(selectors.search_q(wang.id_number.lower()))) == [wang]
    assert list(qs.filter(selectors.search_q(wang.id_number[-4:]))) == [wang]
    assert list(qs.filter(selectors.search_q(wang.id_number[-8:]))) == [wang]
    assert list(qs.filter(selectors.search_q("139 1234 5678"))) == [wang]
    assert list(qs.filter(selectors.search_q("王"))) == [wang]
    assert list(qs.filter(selectors.search_q("李四"))) == [li]
    with pytest.raises(selectors.SearchTooShort):
        selectors.search_q("12")


def test_last_digits_search_uses_the_stored_suffix(tree, make_member):
    member = make_member(tree["base"])
    services.update_member(
        member=member,
        data={"id_number": id_number(birth=datetime.date(1970, 3, 3), seq=321)},
        by=None,
    )
    member.refresh_from_db()
    # the writer keeps the plain suffix in step with the encrypted ID
    assert member.id_last4 == member.id_number[-4:]
    assert Member.objects.filter(selectors.search_q(member.id_number[-4:])).get() == member


def test_filters_combine(tree, make_member):
    keep = make_member(tree["group"], education="21", political_status="01")
    make_member(tree["group"], education="31", political_status="01")
    make_member(tree["school"], education="21", political_status="01")
    make_member(tree["group"], education="21", political_status="01", male=False)

    found = selectors.MemberFilter(
        union=tree["town"], education="21", political_status="01", gender="1"
    ).apply(Member.objects.all())
    assert list(found) == [keep]
    only_own = selectors.MemberFilter(union=tree["town"], include_sub=False)
    assert not only_own.apply(Member.objects.all()).exists()


def test_keyset_pages_cover_every_member_once(tree, make_member):
    made = {make_member(tree["base"]).pk for _ in range(12)}
    seen, after = [], None
    while True:
        page = selectors.keyset_page(Member.objects.all(), after=after, size=5)
        seen += [m.pk for m in page.rows]
        if page.next_after is None:
            break
        after = page.next_after
    assert sorted(seen, reverse=True) == seen
    assert set(seen) == made and len(seen) == 12

    back = selectors.keyset_page(Member.objects.all(), before=seen[5], size=5)
    assert [m.pk for m in back.rows] == seen[:5]
    assert back.prev_before is None


def test_review_flags_missing_fields_odd_ages_and_unknown_regions(tree, make_member):
    complete = {
        "birth_date": datetime.date(1985, 1, 2),
        "ethnicity": "01",
        "political_status": "13",
        "education": "21",
        "join_date": datetime.date(2019, 6, 25),
        "household_type": "1",
        "employment_status": "01",
        "new_employment_form": False,
        "union_post": "01",
    }
    fine = make_member(tree["base"], **complete)
    missing = make_member(tree["base"], **{**complete, "education": ""})
    child = make_member(
        tree["base"],
        **{**complete, "birth_date": datetime.date.today() - datetime.timedelta(days=365 * 10)},
    )
    odd_region = make_member(
        tree["base"],
        id_number=id_number(region="439999", birth=datetime.date(1985, 1, 2), seq=5),
        **complete,
    )
    qs = Member.objects.all()

    flagged = set(qs.filter(selectors.review_q()))

    assert flagged == {missing, child, odd_region}
    assert fine not in flagged
    assert any("学历" in w for w in selectors.warnings_for(missing))
    assert any("不满16岁" in w for w in selectors.warnings_for(child))
    assert any("439999" in w for w in selectors.warnings_for(odd_region))


def test_export_writes_text_ids_every_extra_and_no_formulas(tree, make_member):
    a = make_member(tree["base"], name="王五", extra={"工号": '=HYPERLINK("x")', "籍贯": "湖南"})
    make_member(tree["school"], name="赵六", extra={"备注": "+1", "特长": "@cmd", "爱好": "-5"})
    out = io.BytesIO()

    rows = export_members(Member.objects.all(), out)

    assert rows == 2
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    values = list(sheet.iter_rows(values_only=True))
    header = values[0]
    assert {"姓名", "证件号码", "手机号码", "工号", "籍贯", "备注", "特长", "爱好"} <= set(header)
    rows_by_header = [dict(zip(header, r, strict=True)) for r in values[1:]]
    by_name = {r["姓名"]: r for r in rows_by_header}
    row = by_name["王五"]
    assert row["证件号码"] == a.id_number and isinstance(row["证件号码"], str)
    assert row["手机号码"] == a.mobile
    assert row["工号"] == '\'=HYPERLINK("x")'
    other = by_name["赵六"]
    assert (other["备注"], other["特长"], other["爱好"]) == ("'+1", "'@cmd", "'-5")
    for line in sheet.iter_rows():
        for cell in line:
            assert cell.data_type != "f"


def test_masked_export_holds_no_full_id(tree, make_member):
    member = make_member(tree["base"])
    out = io.BytesIO()
    export_members(Member.objects.all(), out, masked=True)
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert member.masked_id in cells
    assert member.id_number not in cells and member.mobile not in cells


def test_bulk_writes_keep_the_id_suffix_right(tree):
    """The import engine writes in bulk (COPY on PostgreSQL): the writer sets `id_last4`
    and the blind index there too."""
    numbers = [id_number(birth=datetime.date(1980, 1, 1), seq=n) for n in range(1, 4)]
    services.register_members(
        [{"union_id": tree["base"].pk, "name": "批量", "id_number": n} for n in numbers],
        by=None,
        source="import",
    )
    found = Member.objects.filter(selectors.search_q(numbers[1][-4:]))
    assert [m.id_number for m in found] == [numbers[1]]
    assert Member.objects.filter(selectors.search_q(numbers[2])).get().id_number == numbers[2]
    member = found.get()
    new = id_number(birth=datetime.date(1981, 2, 3), seq=9)
    services.apply_roster(
        services.Roster(union=tree["base"], updates=[(member.pk, {"id_number": new})]), by=None
    )
    member.refresh_from_db()
    assert member.id_number == new
    assert member.id_last4 == new[-4:]
    assert Member.objects.filter(selectors.search_q(new)).get() == member
