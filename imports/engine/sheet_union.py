"""The union a member sheet is for, when the upload leaves it open: the 工会名称：… line
above the table (the system's templates write one: 工会名称：X　编码：Y).

Found inside the import's scope only. A name that is unknown, names several unions or
lies outside the scope rejects the file: nothing is imported into a union the user did
not mean. The union used, and why, goes into `summary.union` for the preview to confirm.
"""

from imports.engine.problems import FileRejected
from imports.engine.scope import UnionDirectory, exists_outside
from registry.codes import normalize_key
from unions.models import Union

SOURCE_SHEET = "sheet"  # the 工会名称：line above the table
SOURCE_CHOSEN = "chosen"  # --union / chosen on the upload form
SOURCE_FALLBACK = "fallback"  # left open and the sheet names none: the uploader's union


def sheet_union(plan, *, chosen: Union | None, root: Union | None, from_sheet: bool):
    """(union, root) for the import; records the decision in `plan.summary.union`."""
    lines = plan.union_lines
    if not from_sheet:
        _note_other_line(plan, chosen)
        plan.summary.union = describe(chosen, SOURCE_CHOSEN)
        return chosen, root
    if not lines:
        if chosen is None:
            raise FileRejected(
                "表格中没有写明工会（表头上方的“工会名称：……”行），无法确定导入到哪个工会。"
                "请指定工会（上传页面的“导入到哪个工会”或命令的 --union）后重新导入。"
            )
        plan.summary.union = describe(chosen, SOURCE_FALLBACK)
        return chosen, root or chosen
    named = {(normalize_key(line["name"]), line["code"]) for line in lines}
    if len(named) > 1:
        listed = "；".join(f"工作表“{line['sheet']}”：{_written(line)}" for line in lines)
        raise FileRejected(
            f"各工作表表头上方写明的工会不同（{listed}）。一次只能导入到一个工会："
            "请分成几个文件上传，或在上传时选择工会。"
        )
    line = lines[0]
    directory = UnionDirectory(root)
    found = directory.find(line["code"]) if line["code"] else []
    if len(found) != 1 and line["name"]:
        found = directory.find(line["name"])
    written = _written(line)
    where = f"工作表“{line['sheet']}”第{line['row']}行写明的工会“{written}”"
    if len(found) > 1:
        paths = "；".join(directory.path(node) for node in found[:3])
        raise FileRejected(
            f"{where}对应多个工会（{paths}），没有导入。请在上传时选择工会，"
            "或在该行写上工会编码（如“工会名称：XX　编码：XXXX”）。"
        )
    if not found:
        scope = f"（{root.name}及其下级）" if root is not None else ""
        if root is not None and exists_outside({line["name"], line["code"]} - {""}):
            raise FileRejected(
                f"{where}不在您的管辖范围{scope}内，没有导入。请核对表格是否为本单位的表格，"
                "或由该工会自己上传。"
            )
        raise FileRejected(
            f"{where}在系统中找不到{scope}，没有导入。请核对该行的工会名称"
            "（须与系统中的名称完全一致），或在上传时选择工会。"
        )
    union = Union.objects.get(pk=found[0].id)
    if line["name"] and normalize_key(line["name"]) != normalize_key(union.name):
        plan.summary.notices.append(
            f"{where}按编码确定为“{union.name}”（表中名称与系统中的名称不同）。"
        )
    plan.summary.union = describe(union, SOURCE_SHEET, line=line)
    return union, root or union


def describe(union: Union, source: str, *, line: dict | None = None) -> dict:
    path = " / ".join(union.get_ancestors(include_self=True).values_list("name", flat=True))
    described = {"id": union.pk, "name": union.name, "code": union.code, "path": path}
    described["source"] = source
    if line is not None:
        described.update(written=_written(line), sheet=line["sheet"], row=line["row"])
    return described


def _written(line: dict) -> str:
    return line["name"] or line["code"]


def _note_other_line(plan, chosen: Union) -> None:
    """The user chose a union; a sheet line naming another one is worth a word."""
    for line in plan.union_lines:
        keys = {normalize_key(line["name"]), normalize_key(line["code"])} - {""}
        if keys & {normalize_key(chosen.name), normalize_key(chosen.code)}:
            continue
        plan.summary.notices.append(
            f"工作表“{line['sheet']}”表头上方写明工会“{_written(line)}”，本次选择导入到"
            f"“{chosen.name}”：未填写工会的行将登记在“{chosen.name}”。"
        )
