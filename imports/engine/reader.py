"""Read a workbook or CSV into plain rows: [(excel_row_number, [cell, ...]), ...] per sheet.

Spreadsheets are parsed by python-calamine in a forked child process with an
address-space limit and a time limit: a sheet crafted to make the parser
allocate without bound (or abort, as calamine does on some declared
dimensions) kills only the child, and the upload is rejected with a message.
"""

import codecs
import csv
import io
import multiprocessing
import os
import resource
from dataclasses import dataclass
from pathlib import Path

from imports.engine import filetype, limits
from imports.engine.problems import FileRejected


@dataclass
class Sheet:
    name: str
    rows: list[tuple[int, list]]  # (row number as Excel shows it, cells)


def read_sheets(path: Path, kind: str, *, filename: str = "") -> list[Sheet]:
    if kind == filetype.CSV:
        return [_read_csv(path, Path(filename or path.name).stem or "CSV")]
    return _in_child(_read_calamine, str(path))


# ---- CSV ---------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK, what Excel on Chinese Windows writes.
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise FileRejected(
            "CSV文件的文字编码无法识别（不是UTF-8或GBK）。请在Excel中“另存为 → CSV UTF-8”后上传。"
        ) from None


def _read_csv(path: Path, name: str) -> Sheet:
    text = _decode(path.read_bytes())
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = []
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
            if number > limits.max_rows() + 100:
                raise _too_many_rows(name)
            if len(cells) > limits.max_columns():
                raise _too_many_columns(name)
            rows.append((number, cells))
    except csv.Error as error:
        raise FileRejected(f"CSV文件格式有误（{error}），请用Excel重新保存后上传。") from None
    return Sheet(name=name, rows=rows)


def _too_many_rows(sheet: str) -> FileRejected:
    return FileRejected(
        f"工作表“{sheet}”超过 {limits.max_rows()} 行，超出单次导入上限，请分成几个文件上传。"
    )


def _too_many_columns(sheet: str) -> FileRejected:
    return FileRejected(
        f"工作表“{sheet}”超过 {limits.max_columns()} 列，超出导入上限，请删除多余的列。"
    )


# ---- spreadsheets, in a child process ----------------------------------------------


def _read_calamine(path: str) -> list[Sheet]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(path)
    except Exception as error:  # noqa: BLE001 - calamine raises many kinds
        raise FileRejected(_unreadable(error)) from None
    sheets = []
    for name in workbook.sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(name)
            if sheet.height > limits.max_rows() + 100:
                raise _too_many_rows(name)
            if sheet.width > limits.max_columns():
                raise _too_many_columns(name)
            first_row = sheet.start[0] if sheet.start else 0
            data = sheet.to_python(skip_empty_area=True)
        except FileRejected:
            raise
        except Exception as error:  # noqa: BLE001
            raise FileRejected(_unreadable(error, name)) from None
        rows = [(first_row + offset + 1, list(cells)) for offset, cells in enumerate(data)]
        sheets.append(Sheet(name=name, rows=rows))
    return sheets


def _unreadable(error: Exception, sheet: str = "") -> str:
    where = f"工作表“{sheet}”" if sheet else "文件"
    return f"{where}无法读取，可能已损坏、上传不完整或不是Excel表格（{type(error).__name__}）。请用Excel重新保存后上传。"


def _child(conn, fn, args) -> None:
    try:
        limit = limits.reader_memory_bytes() + _current_vm_bytes()
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        conn.send(("ok", fn(*args)))
    except FileRejected as rejected:
        conn.send(("rejected", rejected.message))
    except MemoryError:
        conn.send(("rejected", _TOO_BIG))
    except Exception as error:  # noqa: BLE001
        conn.send(("rejected", _unreadable(error)))
    finally:
        conn.close()


_TOO_BIG = (
    "文件内容过大或结构异常，读取时超出内存上限，已拒绝。请删除多余的空行空列或分成几个文件上传。"
)


def _current_vm_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _in_child(fn, *args):
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, fn, args), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(limits.reader_seconds()):
            raise FileRejected("读取文件超时，文件可能过大或结构异常，已拒绝。")
        status, payload = receiver.recv()
    except (EOFError, OSError):
        raise FileRejected(_TOO_BIG) from None
    finally:
        receiver.close()
        if process.is_alive():
            process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()
    if status == "rejected":
        raise FileRejected(payload)
    return payload
