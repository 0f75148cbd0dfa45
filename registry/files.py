"""Stored files as the worker needs them: a path on this machine.

Uploads, reports and exports live in Django's storage (`default_storage`: a directory on
one machine, object storage when web and worker run on several, docs/deployment.md). The
import engine and its reader child open a path; a storage that has no local path (S3 and
the like) gives the file's bytes instead, copied here to a temporary file for as long as
it is read."""

import contextlib
import shutil
import tempfile
from pathlib import Path


@contextlib.contextmanager
def local_path(field_file):
    """A local path to the stored file `field_file` (a FieldFile) while the block runs."""
    try:
        path = field_file.path  # FileSystemStorage: the file itself
    except NotImplementedError:
        path = None
    if path is not None:
        yield path
        return
    suffix = Path(field_file.name).suffix[:16]
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        with field_file.storage.open(field_file.name, "rb") as source:
            shutil.copyfileobj(source, copy, length=1024 * 1024)
        copy.flush()
        yield copy.name
