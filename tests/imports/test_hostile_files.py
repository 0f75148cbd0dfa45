"""Hostile and broken files are rejected whole, with a clear message, and nothing changes."""

import re
import zipfile

import pytest

from imports.engine import analyse_members, commit_members
from members.models import Member
from tests.imports.sheets import csv_file, mobile, ods, person_id, rewrite_zip, workbook, xls
from unions.access import user_root
from unions.models import AuditEntry

GOOD_ROWS = [["姓名", "身份证号", "手机号码"], ["王一", person_id(1), mobile(1)]]


@pytest.fixture
def registry_state(tree, make_member):
    make_member(tree["base"], name="李老")

    def snapshot():
        return (
            list(
                Member.objects.order_by("id").values_list(
                    "id", "name", "mobile", "union_id", "extra"
                )
            ),
            AuditEntry.objects.count(),
        )

    return snapshot


def rejected(path, tree, user, filename=None):
    plan = analyse_members(
        path, filename=filename or path.name, union=tree["base"], root=user_root(user)
    )
    summary = commit_members(plan, by=user)
    assert summary.status == "rejected"
    assert re.search(r"[\u4e00-\u9fff]", summary.message), summary.message
    return summary.message


def good_xlsx(tmp_path):
    return workbook(tmp_path / "good.xlsx", {"Sheet1": GOOD_ROWS})


def test_zero_bytes(tmp_path, tree, base_collector, registry_state):
    before = registry_state()
    path = tmp_path / "空.xlsx"
    path.write_bytes(b"")
    assert "0字节" in rejected(path, tree, base_collector)
    assert registry_state() == before


def test_renamed_word_document(tmp_path, tree, base_collector, registry_state):
    before = registry_state()
    path = tmp_path / "花名册.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert "Word" in rejected(path, tree, base_collector)
    assert registry_state() == before


def test_not_a_spreadsheet_at_all(tmp_path, tree, base_collector, registry_state):
    before = registry_state()
    pdf = tmp_path / "名单.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    assert "不支持的文件类型" in rejected(pdf, tree, base_collector)
    binary = tmp_path / "名单.xlsx"
    binary.write_bytes(bytes(range(256)) * 10)
    assert "无法识别的文件类型" in rejected(binary, tree, base_collector)
    assert registry_state() == before


def test_truncated_upload(tmp_path, tree, base_collector, registry_state):
    before = registry_state()
    data = good_xlsx(tmp_path).read_bytes()
    path = tmp_path / "半截.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert "不完整" in rejected(path, tree, base_collector)
    assert registry_state() == before


def test_decompression_bomb(tmp_path, tree, base_collector, registry_state, settings):
    settings.IMPORT_MAX_UNPACKED_MB = 20
    before = registry_state()
    padding = b"<!-- " + b"0" * (40 * 1024 * 1024) + b" -->"
    path = rewrite_zip(
        good_xlsx(tmp_path), tmp_path / "bomb.xlsx", {"xl/worksheets/padding.xml": padding}
    )
    assert path.stat().st_size < 1024 * 1024
    assert "压缩炸弹" in rejected(path, tree, base_collector)
    assert registry_state() == before


def test_sheet_declaring_a_million_rows_and_sixteen_thousand_columns(
    tmp_path, tree, base_collector, registry_state
):
    before = registry_state()
    source = good_xlsx(tmp_path)
    with zipfile.ZipFile(source) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    sheet = re.sub(r'<dimension ref="[^"]+"\s*/>', '<dimension ref="A1:XFD1048576"/>', sheet)
    path = rewrite_zip(source, tmp_path / "huge.xlsx", {"xl/worksheets/sheet1.xml": sheet.encode()})
    message = rejected(path, tree, base_collector)
    assert "A1:XFD1048576" in message and "1048576 行" in message
    assert registry_state() == before


def test_cells_in_the_far_corner_without_a_dimension_only_kill_the_reader(
    tmp_path, tree, base_collector, registry_state
):
    """calamine allocates the whole used range: A1 plus XFD1048576 would take the
    worker down; the child process dies instead and the file is rejected."""
    before = registry_state()
    source = good_xlsx(tmp_path)
    with zipfile.ZipFile(source) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    sheet = re.sub(r"<dimension[^>]*/>", "", sheet)
    sheet = sheet.replace(
        "</sheetData>",
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
    )
    path = rewrite_zip(
        source, tmp_path / "corner.xlsx", {"xl/worksheets/sheet1.xml": sheet.encode()}
    )
    rejected(path, tree, base_collector)
    assert registry_state() == before


def test_xml_entity_tricks(tmp_path, tree, base_collector, registry_state):
    before = registry_state()
    source = good_xlsx(tmp_path)
    with zipfile.ZipFile(source) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    sheet = bomb + re.sub(r"^<\?xml[^>]*\?>", "", sheet)
    path = rewrite_zip(source, tmp_path / "lol.xlsx", {"xl/worksheets/sheet1.xml": sheet.encode()})
    assert "DTD" in rejected(path, tree, base_collector)
    assert registry_state() == before


def test_header_only(tmp_path, tree, base_collector, registry_state):
    before = registry_state()
    path = workbook(
        tmp_path / "模板.xlsx", {"Sheet1": [["会员花名册"], GOOD_ROWS[0], [], ["填表说明：…"]]}
    )
    assert "只有表头" in rejected(path, tree, base_collector)
    assert registry_state() == before


def test_no_recognisable_columns(tmp_path, tree, base_collector, registry_state):
    before = registry_state()
    path = workbook(tmp_path / "x.xlsx", {"统计": [["部门", "人数", "金额"], ["一车间", 3, 100]]})
    assert "没有找到会员信息的表头" in rejected(path, tree, base_collector)
    assert registry_state() == before


def test_missing_required_column(tmp_path, tree, base_collector, registry_state):
    before = registry_state()
    path = workbook(tmp_path / "x.xlsx", {"S": [["姓名", "身份证号"], ["王一", person_id(1)]]})
    assert "缺少必填列“手机号码”" in rejected(path, tree, base_collector)
    assert registry_state() == before


def test_row_and_size_limits(tmp_path, tree, base_collector, registry_state, settings):
    settings.IMPORT_MAX_ROWS = 10
    before = registry_state()
    rows = [GOOD_ROWS[0]] + [[f"王{n}", person_id(n), mobile(n)] for n in range(1, 40)]
    assert "超出导入上限" in rejected(
        workbook(tmp_path / "a.xlsx", {"S": rows}), tree, base_collector
    )
    assert "超过 10 行" in rejected(csv_file(tmp_path / "a.csv", rows), tree, base_collector)
    settings.MAX_UPLOAD_MB = 1
    big = csv_file(tmp_path / "big.csv", [GOOD_ROWS[0], ["x" * 1024]] * 1100)
    assert "文件太大" in rejected(big, tree, base_collector)
    assert registry_state() == before


def test_unknown_text_encoding(tmp_path, tree, base_collector, registry_state):
    before = registry_state()
    path = tmp_path / "a.csv"
    path.write_bytes("姓名,身份证号,手机号码\n".encode() + b"\xff\xfe\xfa\x80\x81\n")
    # Not UTF-8, and GB18030 cannot decode 0xFF either.
    assert "编码" in rejected(path, tree, base_collector)
    assert registry_state() == before


def test_ods_is_read_like_xlsx(tmp_path, tree, base_collector):
    path = ods(tmp_path / "花名册.ods", [["花名册"], *GOOD_ROWS])
    plan = analyse_members(
        path, filename=path.name, union=tree["base"], root=user_root(base_collector)
    )
    assert (plan.summary.status, plan.summary.created, plan.summary.errors) == ("done", 1, [])


def test_xls_is_read_like_xlsx(tmp_path, tree, base_collector):
    rows = [
        ["会员花名册"],
        ["姓名", "身份证号", "手机号码"],
        ["王一", person_id(1), float(mobile(1))],
        ["王二", float(person_id(2)[:15]), mobile(2)],
    ]
    path = xls(tmp_path / "花名册.xls", rows)
    plan = analyse_members(
        path, filename=path.name, union=tree["base"], root=user_root(base_collector)
    )
    assert plan.summary.created == 1
    assert [(e.row, e.code) for e in plan.summary.errors] == [(4, "id_numeric")]


def test_password_protected_workbook(tmp_path, tree, base_collector, registry_state):
    before = registry_state()
    path = tmp_path / "加密.xlsx"
    # What Excel writes for an xlsx with an open password: an OLE container with an
    # EncryptedPackage stream (directory entry names are UTF-16).
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 1000
        + "EncryptedPackage".encode("utf-16-le")
        + b"\x00" * 500
    )
    assert "密码" in rejected(path, tree, base_collector)
    assert registry_state() == before
