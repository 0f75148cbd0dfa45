"""Target sheets built like 桃工发〔2019〕12号 attachment 1, for the tests."""

from openpyxl import Workbook

from unions import demo_data

TITLE = "2019年全县工会组织及会员实名制\n信息采集工作目标（{}）"
HEADER = ["序号", "单位", "会员信息采\n集（人）", "备注"]


def add_sheet(wb, title, units, *, total=None, blank_rows=4, name=None):
    ws = wb.create_sheet(name or title)
    ws.append([TITLE.format(title)])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=4)
    ws.append(HEADER)
    for i, (unit, target) in enumerate(units, 1):
        ws.append([i, unit, target, ""])
    for _ in range(blank_rows):
        ws.append([" ", " ", None, None])
    ws.append([None, "合计", sum(t for _, t in units) if total is None else total, None])
    return ws


def seed_001_workbook(path, *, county_total=None, towns=None, county_units=None):
    wb = Workbook()
    wb.remove(wb.active)
    add_sheet(wb, "县直", county_units or demo_data.COUNTY_UNITS, total=county_total)
    add_sheet(wb, "乡镇、街道", towns or demo_data.TOWNS)
    wb.save(path)
    return path
