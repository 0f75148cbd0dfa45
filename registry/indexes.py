"""Index kinds the models need beyond Django's portable ones."""

from django.db import models


class EqualityIndex(models.Index):
    """For a column only ever compared with `=` (a blind index: an HMAC in hex, looked up
    whole): a hash index on PostgreSQL, a B-tree elsewhere. A hash index keeps a 4-byte
    hash per row where a B-tree keeps the whole 64-character key: at 10 million members it
    is a fraction of the size, and a 100,000-row import spends about half as long keeping
    it (benchmarks/indexes.md)."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            using = " USING hash"
        return super().create_sql(model, schema_editor, using=using, **kwargs)
