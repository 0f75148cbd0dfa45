"""Decide what a file really is, and refuse hostile ones before any parser sees them.

The checks read only the zip directory and the first bytes of a few XML parts:
zero bytes, oversize uploads, truncated archives, renamed Word/PowerPoint files,
decompression bombs (unpacked sizes in the zip directory), XML with DTD/entity
declarations (parsed with defusedxml), and sheets that declare more rows or
columns than an import accepts (python-calamine allocates the declared
dimension up front and aborts the process on A1:XFD1048576).
"""

import re
import zipfile
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from imports.engine import limits
from imports.engine.problems import FileRejected

XLSX, XLS, ODS, CSV = "xlsx", "xls", "ods", "csv"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
# An xlsx with an open password is an OLE container holding this stream (UTF-16 name).
ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
_CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


def sniff(path: Path, filename: str) -> str:
    """Return one of XLSX, XLS, ODS, CSV or raise FileRejected with a Chinese message."""
    size = path.stat().st_size
    if size == 0:
        raise FileRejected("文件是空的（0字节），请检查是否选错了文件或上传未完成。")
    limit = limits.upload_bytes()
    if size > limit:
        raise FileRejected(
            f"文件太大（{size / 1024 / 1024:.1f} MB），单个文件不能超过 {limit // 1024 // 1024} MB，请分成几个文件上传。"
        )
    with path.open("rb") as handle:
        head = handle.read(8192)
    suffix = Path(filename or path.name).suffix.lower()
    if head.startswith(ZIP_MAGIC) or head.startswith(b"PK"):
        return _check_zip(path)
    if head.startswith(OLE_MAGIC):
        if ENCRYPTED_MARK in path.read_bytes():
            raise FileRejected(
                "文件设置了打开密码，系统无法读取。请在Excel中取消密码后重新保存、上传。"
            )
        if suffix in (".doc", ".ppt"):
            raise FileRejected(
                "这是Word或PowerPoint文件，不是Excel表格，请上传采集表（.xlsx/.xls）。"
            )
        return XLS
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected(
            "无法识别的文件类型。请上传Excel表格（.xlsx、.xls）、WPS/LibreOffice表格（.ods）或CSV文件。"
        )
    if suffix in (".xlsx", ".xls", ".ods", ".xlsm"):
        raise FileRejected(
            f"文件扩展名是{suffix}，但内容不是有效的表格文件（可能已损坏、上传不完整或被改了扩展名）。"
        )
    if suffix not in (".csv", ".txt", ""):
        raise FileRejected(
            f"不支持的文件类型（{suffix}）。请上传Excel表格（.xlsx、.xls）、.ods 或 .csv 文件。"
        )
    return CSV


def _check_zip(path: Path) -> str:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise FileRejected(
            "文件已损坏或不完整（可能上传中断），无法打开。请重新保存后再上传。"
        ) from None
    with archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if "word/document.xml" in names:
            raise FileRejected(
                "这是Word文档（.docx），不是Excel表格。请把表格复制到Excel中另存为 .xlsx 后上传。"
            )
        if any(name.startswith("ppt/") for name in names):
            raise FileRejected("这是PowerPoint文件，不是Excel表格。")
        if len(infos) > 2000:
            raise FileRejected("文件内部结构异常（包含的部件过多），已拒绝。")
        unpacked = sum(info.file_size for info in infos)
        if unpacked > limits.unpacked_bytes():
            raise FileRejected(
                f"文件解压后过大（{unpacked / 1024 / 1024:.0f} MB），疑似压缩炸弹或数据量过大，已拒绝。请分成几个文件上传。"
            )
        for info in infos:
            if info.file_size > 10 * 1024 * 1024 and info.file_size > 200 * max(
                info.compress_size, 1
            ):
                raise FileRejected("文件压缩比异常（疑似压缩炸弹），已拒绝。")
        if "xl/workbook.bin" in names:
            raise FileRejected(
                "暂不支持Excel二进制工作簿（.xlsb），请在Excel中另存为 .xlsx 后上传。"
            )
        if "xl/workbook.xml" in names:
            kind = XLSX
        elif "mimetype" in names and archive.read("mimetype").strip() == ODS_MIME:
            kind = ODS
        else:
            raise FileRejected(
                "无法识别的压缩文件，不是Excel表格。请上传 .xlsx、.xls、.ods 或 .csv 文件。"
            )
        for info in infos:
            if info.filename.endswith((".xml", ".rels")):
                _check_xml_part(archive, info, kind)
    return kind


def _check_xml_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, kind: str) -> None:
    """Parse the head of an XML part with defusedxml: DTDs and entities are refused;
    a worksheet's declared <dimension> is checked against the row and column limits."""
    is_sheet = kind == XLSX and info.filename.startswith("xl/worksheets/")
    try:
        with archive.open(info) as stream:
            events = iterparse(stream, events=("start",), forbid_dtd=True)
            for seen, (_, element) in enumerate(events):
                tag = element.tag.rsplit("}", 1)[-1]
                if is_sheet and tag == "dimension":
                    _check_dimension(info.filename, element.get("ref", ""))
                    return
                if tag in ("sheetData", "body") or seen > 50:
                    return
    except DefusedXmlException:
        raise FileRejected(
            "文件中含有不允许的XML声明（DTD/实体），可能是恶意构造的文件，已拒绝。"
        ) from None
    except FileRejected:
        raise
    except Exception:  # noqa: BLE001 - any parse failure means a damaged file
        raise FileRejected("文件内容已损坏（XML无法解析），请用Excel重新保存后上传。") from None


def _check_dimension(part: str, ref: str) -> None:
    corners = ref.upper().split(":")
    rows = cols = 1
    for corner in corners:
        match = _CELL_REF.match(corner.strip())
        if not match:
            return
        rows = max(rows, int(match[2]))
        cols = max(cols, column_number(match[1]))
    if rows > limits.max_rows() or cols > limits.max_columns():
        sheet = Path(part).stem
        raise FileRejected(
            f"工作表（{sheet}）声明的范围为 {ref}（{rows} 行 × {cols} 列），超出导入上限"
            f"（{limits.max_rows()} 行、{limits.max_columns()} 列）。请删除多余的空行空列，或分成几个文件上传。"
        )


def column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


_MODIFIED = "{http://purl.org/dc/terms/}modified"


def made_at(path: Path, kind: str):
    """When the workbook was last saved, from an xlsx's own properties (docProps/core.xml,
    dcterms:modified, UTC); None for other formats or when it is missing or unreadable."""
    import datetime

    if kind != XLSX:
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("docProps/core.xml")
            if info.file_size > 256 * 1024:
                return None
            with archive.open(info) as part:
                for _event, element in iterparse(part, forbid_dtd=True):
                    if element.tag == _MODIFIED and element.text:
                        text = element.text.strip().replace("Z", "+00:00")
                        moment = datetime.datetime.fromisoformat(text)
                        if moment.tzinfo is None:
                            moment = moment.replace(tzinfo=datetime.UTC)
                        return moment
    except (KeyError, OSError, ValueError, zipfile.BadZipFile, DefusedXmlException):
        return None
    except Exception:  # noqa: BLE001 - a broken property part only loses the guard
        return None
    return None
