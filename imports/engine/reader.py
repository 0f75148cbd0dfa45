"""Read a workbook or CSV as a stream of sheets, each a stream of rows
(row number as Excel shows it, [cell, ...]).

Spreadsheets are parsed by python-calamine in a forked child process with an
address-space limit and a time limit: a sheet crafted to make the parser
allocate without bound (calamine aborts the whole process on some declared or
actual dimensions) kills only the child, and the upload is rejected with a
message. The child sends rows in batches as it reads them, each cell already
normalised, so on two cores the parent validates while the child prepares the next
batch.
"""

import codecs
import csv
import datetime
import faulthandler
import io
import os
import resource
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from imports.engine import filetype, limits
from imports.engine.problems import FileRejected
from registry.validators import normalize_cell

BATCH = 2000
last_child_peak_kb = [0]  # the reader child's peak resident size, for the benchmark


Merge = tuple[
    tuple[int, int], tuple[int, int]
]  # ((first row, first col), (last row, last col)), 0-based


@dataclass
class Sheet:
    """A sheet's rows come tidied: every cell through `registry.validators.normalize_cell`,
    and a cell merged down over several rows repeated in every row it covers (in its
    first column). `merges` keeps the merged ranges for the header locator, which
    spreads a group header merged across columns over them."""

    name: str
    height: int
    rows: Iterator[tuple[int, list]]
    merges: list[Merge] = field(default_factory=list)


def stream_sheets(path: Path, kind: str, *, filename: str = "") -> Iterator[Sheet]:
    if kind == filetype.CSV:
        name = Path(filename or path.name).stem or "CSV"
        rows = _read_csv(path, name)
        yield Sheet(name=name, height=len(rows), rows=tidy_rows(iter(rows), []))
        return
    yield from _stream_from_child(str(path))


def tidy_rows(
    rows: Iterator[tuple[int, list]], merges: list[Merge], *, normalized: bool = False
) -> Iterator[tuple[int, list]]:
    """Normalise every cell (unless `normalized`: the reader child did) and fill
    merged-down cells into every row they cover."""
    starts: dict[int, list[tuple[int, int]]] = {}
    for (first_row, first_col), (last_row, _last_col) in merges:
        if last_row > first_row:
            starts.setdefault(first_row, []).append((first_col, last_row))
    if not starts:
        if normalized:
            yield from rows
            return
        for number, cells in rows:
            yield number, list(map(normalize_cell, cells))
        return
    active: list[tuple[int, int, object]] = []  # (column, last row, value)
    for number, cells in rows:
        if not normalized:
            cells = list(map(normalize_cell, cells))
        index = number - 1
        if active:
            active = [a for a in active if a[1] >= index]
            for column, _last, value in active:
                if column >= len(cells):
                    cells.extend([""] * (column + 1 - len(cells)))
                if cells[column] is None or cells[column] == "":
                    cells[column] = value
        for column, last in starts.get(index, ()):
            value = cells[column] if column < len(cells) else None
            if value is not None and value != "":
                active.append((column, last, value))
        yield number, cells


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


def _read_csv(path: Path, name: str) -> list[tuple[int, list]]:
    text = _decode(path.read_bytes())
    try:
        delimiter = csv.Sniffer().sniff(text[:8192], delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","
    rows = []
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
            if number > limits.max_rows():
                raise _too_many_rows(name)
            if len(cells) > limits.max_columns():
                raise _too_many_columns(name)
            rows.append((number, cells))
    except csv.Error as error:
        raise FileRejected(f"CSV文件格式有误（{error}），请用Excel重新保存后上传。") from None
    return rows


def _too_many_rows(sheet: str) -> FileRejected:
    return FileRejected(
        f"工作表“{sheet}”超过 {limits.max_rows()} 行，超出单次导入上限，请分成几个文件上传。"
    )


def _too_many_columns(sheet: str) -> FileRejected:
    return FileRejected(
        f"工作表“{sheet}”超过 {limits.max_columns()} 列，超出导入上限，请删除多余的列。"
    )


def _unreadable(error: Exception, sheet: str = "") -> str:
    where = f"工作表“{sheet}”" if sheet else "文件"
    return f"{where}无法读取，可能已损坏、上传不完整或不是Excel表格（{type(error).__name__}）。请用Excel重新保存后上传。"


_TOO_BIG = (
    "文件内容过大或结构异常，读取时超出内存上限，已拒绝。请删除多余的空行空列或分成几个文件上传。"
)


# ---- the child: parse with calamine, send batches of rows --------------------------


def _child(conn, path: str) -> None:
    faulthandler.disable()  # an abort here is expected and handled by the parent
    try:
        limit = limits.reader_memory_bytes() + _current_vm_bytes()
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        _send_workbook(conn, path)
    except FileRejected as rejected:
        conn.send(("rejected", rejected.message))
    except MemoryError:
        conn.send(("rejected", _TOO_BIG))
    except Exception as error:  # noqa: BLE001 - any failure rejects the file
        conn.send(("rejected", _unreadable(error)))
    finally:
        conn.close()


def _send_workbook(conn, path: str) -> None:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(path)
    except Exception as error:  # noqa: BLE001 - calamine raises many kinds
        raise FileRejected(_unreadable(error)) from None
    for name in workbook.sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(name)
        except Exception as error:  # noqa: BLE001
            raise FileRejected(_unreadable(error, name)) from None
        if sheet.height > limits.max_rows():
            raise _too_many_rows(name)
        if sheet.width > limits.max_columns():
            raise _too_many_columns(name)
        try:
            merges = [tuple(map(tuple, m)) for m in (sheet.merged_cell_ranges or [])]
        except Exception:  # noqa: BLE001 - a format without merge information
            merges = []
        conn.send(("sheet", (name, sheet.height, merges)))
        batch = []
        seen: dict = {}
        # iter_rows() starts at row 1 even when the used area starts lower (leading blank
        # rows come back empty), so the Excel row number is simply the position + 1.
        # Cells are normalised here, while the parent validates the previous batch.
        for offset, cells in enumerate(sheet.iter_rows()):
            batch.append((offset + 1, _prepared(cells, seen)))
            if len(batch) == BATCH:
                conn.send(("rows", batch))
                batch = []
                seen = {}
        if batch:
            conn.send(("rows", batch))
    conn.send(("end", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def _prepared(cells: list, seen: dict) -> list:
    """The row's cells normalised, each text or date equal to one already in the batch
    replaced by that one: a roster repeats 男, 汉族, 在岗 and its 入会时间 on every row, and
    an object shared is pickled once and kept once by the parent."""
    out = []
    for value in cells:
        value = normalize_cell(value)
        if value.__class__ is str or value.__class__ is datetime.date:
            value = seen.setdefault(value, value)
        out.append(value)
    return out


def _current_vm_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


# ---- the parent: receive ------------------------------------------------------------


class _Messages:
    def __init__(self, receiver):
        self.receiver = receiver
        self.pending = None

    def get(self):
        if self.pending is not None:
            message, self.pending = self.pending, None
            return message
        try:
            if not self.receiver.poll(limits.reader_seconds()):
                raise FileRejected("读取文件超时，文件可能过大或结构异常，已拒绝。")
            message = self.receiver.recv()
        except (EOFError, OSError):
            raise FileRejected(_TOO_BIG) from None
        if message[0] == "rejected":
            raise FileRejected(message[1])
        return message

    def push(self, message) -> None:
        self.pending = message


def _sheet_rows(messages: _Messages) -> Iterator[tuple[int, list]]:
    while True:
        message = messages.get()
        if message[0] != "rows":
            messages.push(message)
            return
        yield from message[1]


def _stream_from_child(path: str) -> Iterator[Sheet]:
    # A bare fork rather than multiprocessing.Process: Celery's pool workers are
    # daemonic, and multiprocessing refuses to start children from those.
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_fd)
        try:
            _child(Connection(write_fd, readable=False), path)
        finally:
            os._exit(0)
    os.close(write_fd)
    receiver = Connection(read_fd, writable=False)
    messages = _Messages(receiver)
    try:
        while True:
            kind, payload = messages.get()
            if kind == "end":
                last_child_peak_kb[0] = payload
                return
            if kind == "sheet":
                name, height, merges = payload
                yield Sheet(
                    name=name,
                    height=height,
                    rows=tidy_rows(_sheet_rows(messages), merges, normalized=True),
                    merges=merges,
                )
            # "rows" here: the rest of a sheet the caller stopped reading
    finally:
        receiver.close()
        _reap(pid)


def _reap(pid: int) -> None:
    for _ in range(20):
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
