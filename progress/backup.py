"""A backup of the whole database (`manage.py backup`; restoring it: docs/operations.md).

PostgreSQL: `pg_dump --format=custom` (compressed, restored with `pg_restore` into a fresh
database, tables or all). SQLite (development): the sqlite3 online backup API, a consistent
copy even while the server writes. Either way the file holds every member's personal data:
it is written readable by its owner only (0600), under a temporary name first, so a failed
or interrupted backup never leaves a half file under the final name.
"""

import datetime
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone


class BackupError(Exception):
    """A backup that could not be made; the message says why, in Chinese."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    engine: str  # "postgresql" or "sqlite"


def default_directory() -> Path:
    return Path(settings.VAR_DIR) / "backups"


def target_path(output: str | os.PathLike | None, *, vendor: str, name: str) -> Path:
    """`output` as a file, or a directory (existing, or written with a trailing /) to
    hold a file named after the database and the time; the default directory when None."""
    suffix = ".dump" if vendor == "postgresql" else ".sqlite3"
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    base = name
    if vendor == "sqlite":  # a path, or an in-memory name such as the tests' database
        base = "sqlite" if "memory" in name else Path(name).stem
    if output is None:
        directory = default_directory()
    elif str(output).endswith(("/", os.sep)) or Path(output).is_dir():
        directory = Path(output)
    else:
        return Path(output)
    return directory / f"gonghui-{base}-{stamp}{suffix}"


def backup(output: str | os.PathLike | None = None, *, using: str = "default") -> Backup:
    """Write a backup of the database `using` to `output` (see `target_path`)."""
    connection = connections[using]
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"不支持备份 {vendor} 数据库：只支持 PostgreSQL 和 SQLite。")
    name = str(connection.settings_dict["NAME"])
    path = target_path(output, vendor=vendor, name=name)
    if path.exists():
        raise BackupError(f"文件 {path} 已存在，不覆盖：请换一个文件名或目录。")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BackupError(f"无法创建目录 {path.parent}：{e.strerror}。") from None
    partial = path.with_name(path.name + ".part")
    try:
        if vendor == "postgresql":
            _pg_dump(connection.settings_dict, partial)
        else:
            _sqlite_backup(connection, partial)
        partial.chmod(0o600)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return Backup(path=path, size=path.stat().st_size, engine=vendor)


def _pg_dump(db: dict, path: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(
            "找不到 pg_dump：请安装 PostgreSQL 客户端（Debian：apt-get install postgresql-client），"
            "版本不低于数据库服务器。"
        )
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])  # never on the command line (ps shows it)
    command = [pg_dump, "--format=custom", "--file", str(path), "--dbname", str(db["NAME"])]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command += [option, str(db[key])]
    # Opened here so the file is private from its first byte.
    path.touch(mode=0o600)
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"pg_dump 失败（退出码 {result.returncode}）：{result.stderr.strip()}")


def _sqlite_backup(connection, path: Path) -> None:
    connection.ensure_connection()
    path.touch(mode=0o600)
    target = sqlite3.connect(path)
    try:
        with target:
            connection.connection.backup(target)
    finally:
        target.close()


def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def describe(result: Backup, *, started: datetime.datetime) -> str:
    seconds = (timezone.now() - started).total_seconds()
    kind = "PostgreSQL 自定义格式（pg_restore 恢复）" if result.engine == "postgresql" else "SQLite"
    return (
        f"已备份到 {result.path}（{human_size(result.size)}，{result.size} 字节，{kind}，"
        f"用时 {seconds:.1f} 秒）。"
    )
