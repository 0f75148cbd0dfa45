"""Key rotation for the encrypted columns (registry/crypto.py), run by `manage.py rotate_keys`.

`rotate`: every stored value not yet under the newest FIELD_ENCRYPTION_KEYS key is
decrypted (with whichever configured key it names) and encrypted again under the newest,
a batch at a time, each batch its own transaction. Rows already under the newest key are
never touched, so an interrupted run is simply run again and continues where it stopped;
when it reports nothing left, the old keys can be removed from the setting.

`reindex`: the blind indexes recomputed under the current BLIND_INDEX_KEY (after changing
that key, with the web and worker processes stopped: until it finishes, exact search and
the one-ID-one-member check see a mix of old and new hashes).
"""

from collections.abc import Callable
from functools import reduce
from operator import or_

from django.apps import apps
from django.db import transaction
from django.db.models import Q

from registry.crypto import EncryptedTextField, blind_index, cipher

# encrypted field -> the blind index column beside it (where a model has one)
INDEXES = {"id_number": "id_hash", "mobile": "mobile_hash"}


def encrypted_models() -> list[tuple[type, list[str]]]:
    """Every model with encrypted fields, and those fields' names."""
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def pending(model, names: list[str]):
    """Rows with a value not yet under the newest key."""
    newest = cipher().newest
    return model._default_manager.filter(
        reduce(or_, (~Q(**{f"{name}__sealed_with": newest}) for name in names))
    )


def _noop(label: str, done: int, total: int) -> None:
    return None


def rotate(
    *, batch_size: int = 2000, limit: int | None = None, progress: Callable = _noop
) -> dict[str, int]:
    """Re-encrypt under the newest key; `limit` stops after that many rows (a run spread
    over several nights). Returns rows re-encrypted per model label."""
    done: dict[str, int] = {}
    budget = limit
    for model, names in encrypted_models():
        label = model._meta.label
        total = pending(model, names).count()
        done[label] = 0
        progress(label, 0, total)
        while budget is None or budget > 0:
            size = batch_size if budget is None else min(batch_size, budget)
            with transaction.atomic():
                rows = list(
                    pending(model, names).select_for_update().order_by("pk").only(*names)[:size]
                )
                if not rows:
                    break
                # Loaded decrypted; saved encrypted again, under the newest key.
                model._default_manager.bulk_update(rows, names)
            done[label] += len(rows)
            if budget is not None:
                budget -= len(rows)
            progress(label, done[label], total)
    return done


def reindex(*, batch_size: int = 2000, progress: Callable = _noop) -> dict[str, int]:
    """Recompute every blind index under the current BLIND_INDEX_KEY."""
    done: dict[str, int] = {}
    for model, names in encrypted_models():
        pairs = [(name, INDEXES[name]) for name in names if name in INDEXES]
        pairs = [(n, i) for n, i in pairs if i in {f.name for f in model._meta.concrete_fields}]
        if not pairs:
            continue
        label = model._meta.label
        manager = model._default_manager
        total = manager.count()
        done[label] = 0
        last = 0
        while True:
            with transaction.atomic():
                rows = list(
                    manager.filter(pk__gt=last)
                    .select_for_update()
                    .order_by("pk")
                    .only(*[n for n, _ in pairs])[:batch_size]
                )
                if not rows:
                    break
                for row in rows:
                    for name, index in pairs:
                        setattr(row, index, blind_index(name, getattr(row, name) or ""))
                manager.bulk_update(rows, [i for _, i in pairs])
            last = rows[-1].pk
            done[label] += len(rows)
            progress(label, done[label], total)
    return done
