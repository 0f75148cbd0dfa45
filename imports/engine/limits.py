"""Size limits an import enforces before and while parsing (settings may override)."""

from django.conf import settings


def upload_bytes() -> int:
    return getattr(settings, "MAX_UPLOAD_MB", 20) * 1024 * 1024


def unpacked_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_UNPACKED_MB", 400) * 1024 * 1024


def max_rows() -> int:
    return getattr(settings, "IMPORT_MAX_ROWS", 200_000)


def max_columns() -> int:
    return getattr(settings, "IMPORT_MAX_COLUMNS", 256)


def reader_memory_bytes() -> int:
    return getattr(settings, "IMPORT_READER_MEMORY_MB", 1536) * 1024 * 1024


def reader_seconds() -> int:
    return getattr(settings, "IMPORT_READER_SECONDS", 300)
