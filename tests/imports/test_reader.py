"""The reader child works where imports really run: inside Celery's daemonic pool workers."""

import multiprocessing
from pathlib import Path

from imports.engine.filetype import XLSX
from imports.engine.reader import stream_sheets
from tests.imports.sheets import workbook


def _read_in_daemon(path: str, queue) -> None:
    try:
        queue.put([(s.name, list(s.rows)) for s in stream_sheets(Path(path), XLSX)])
    except Exception as error:  # noqa: BLE001 - report anything to the test
        queue.put(repr(error))


def test_reading_from_a_daemonic_worker_process(tmp_path):
    path = workbook(
        tmp_path / "a.xlsx", {"S": [["标题"], [], ["姓名", "手机"], ["王一", 13900000001]]}
    )
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    worker = context.Process(target=_read_in_daemon, args=(str(path), queue), daemon=True)
    worker.start()
    result = queue.get(timeout=60)
    worker.join(timeout=10)

    assert result == [
        (
            "S",
            [(1, ["标题", ""]), (2, ["", ""]), (3, ["姓名", "手机"]), (4, ["王一", 13900000001.0])],
        )
    ]
