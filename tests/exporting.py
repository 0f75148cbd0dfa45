"""Following a web export to its file: the answer is a redirect to the job page (the
worker has run: tests/conftest.py runs exports in place), then the download."""

import io

from django.urls import reverse
from openpyxl import load_workbook


def follow_export(client, response) -> tuple[bytes | None, str]:
    """(the file's bytes, or None when no file was made; the text the user then reads)."""
    assert response.status_code == 302, response.status_code
    page = client.get(response.url)
    text = page.content.decode()
    job = page.context.get("job") if page.context else None
    if job is None or job.state != "done":
        return None, text
    download = client.get(reverse("members:export_download", args=[job.pk]))
    assert download.status_code == 200
    return b"".join(download.streaming_content), text


def sheet_cells(content: bytes) -> list:
    sheet = load_workbook(io.BytesIO(content)).active
    return [c for row in sheet.iter_rows(values_only=True) for c in row]


def sheet_rows(content: bytes) -> list[dict]:
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def report_content(client, url: str) -> bytes:
    """A progress workbook as the user gets it: posted, run as a job, downloaded."""
    content, text = follow_export(client, client.post(url))
    assert content is not None, text
    return content
