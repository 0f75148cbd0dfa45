"""Reports and exports read from a PostgreSQL read replica, everything else from the primary.

With `DATABASE_REPLICA_URL` set, settings add the alias `replica`. Code that only reads
much — a member export, a progress report or statistics workbook — runs its reads inside
`reading_from_replica()`; there, every read the ORM routes goes to the replica. Outside
it, and for every write anywhere, the primary (`default`) answers: a page that has just
written reads its own write, a job row is claimed and locked on the primary, and the
replica's lag (seconds at most) only shows in a file that was a snapshot anyway.
Without the variable there is one database and this router changes nothing.
"""

import contextlib
import contextvars

from django.conf import settings

REPLICA = "replica"
_on_replica = contextvars.ContextVar("on_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def read_alias() -> str:
    """The alias reads go to here and now (for raw SQL next to ORM queries)."""
    return REPLICA if _on_replica.get() and replica_configured() else "default"


@contextlib.contextmanager
def reading_from_replica():
    """Route the ORM's reads to the replica (when one is configured) in this block."""
    token = _on_replica.set(True)
    try:
        yield
    finally:
        _on_replica.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return REPLICA if _on_replica.get() and replica_configured() else None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: same rows, same relations

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"  # the replica follows the primary's WAL, migrations included
