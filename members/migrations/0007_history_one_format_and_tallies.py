"""History written by imports before wave 2 was keyed by the sheet's headers (手机号码)
and held full phone numbers. Re-key it by field and mask IDs and phones, as every
writer now does; and fill the per-union tallies from the member table."""

from django.db import migrations
from django.db.models import Count


def _mask_id(number: str) -> str:
    if not number or "*" in number:
        return number
    if len(number) <= 8:
        return number[:1] + "*" * (len(number) - 1)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def _mask_phone(phone: str) -> str:
    if not phone or "*" in phone:
        return phone
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


MASKS = {"id_number": _mask_id, "mobile": _mask_phone}


def forwards(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    MemberChange = apps.get_model("members", "MemberChange")
    UnionTally = apps.get_model("members", "UnionTally")
    by_label = {str(f.verbose_name): f.name for f in Member._meta.concrete_fields}
    by_label.update({"所在工会": "union", "工作单位": "unit"})
    batch = []
    for change in MemberChange.objects.only("id", "changes").iterator(chunk_size=2000):
        entry = {}
        for key, pair in (change.changes or {}).items():
            name = by_label.get(key, key)
            if name in MASKS and isinstance(pair, list):
                pair = [MASKS[name](str(v)) if v else v for v in pair]
            entry[name] = pair
        if entry != change.changes:
            change.changes = entry
            batch.append(change)
        if len(batch) >= 2000:
            MemberChange.objects.bulk_update(batch, ["changes"])
            batch = []
    MemberChange.objects.bulk_update(batch, ["changes"])

    UnionTally.objects.all().delete()
    rows = Member.objects.values_list("union_id", "status").annotate(n=Count("id")).order_by()
    UnionTally.objects.bulk_create(
        [UnionTally(union_id=u, status=s, count=n) for u, s, n in rows], batch_size=5000
    )


class Migration(migrations.Migration):
    dependencies = [("members", "0006_union_tally")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
