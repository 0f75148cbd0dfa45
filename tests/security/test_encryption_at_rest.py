"""ID numbers and phones encrypted at rest (issue 16, item 3): what a stolen database holds,
key rotation interrupted and resumed, uniqueness and search through the blind index."""

import gzip
import io
import shutil
import subprocess

import pytest
from django.core.exceptions import FieldError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from imports import services as import_services
from imports.engine import analyse_members, commit_members
from imports.models import ImportJob, ReconcileEntry
from imports.reconcile import jobs as reconcile_jobs
from imports.reconcile.analysis import analyse_list
from members import selectors, services
from members.export import export_members
from members.models import Member, TransferRequest
from progress import control_points
from progress.models import ControlPoint
from registry import crypto, keys, rotation
from selfservice import services as selfservice
from selfservice.models import Application, CorrectionRequest
from tests.imports.sheets import mobile, person_id, workbook
from unions.access import user_root
from unions.models import User

KEY_A = keys.new_key()
KEY_B = keys.new_key()


@pytest.fixture
def fresh_keys(settings):
    """A key of this test's own (newest first), forgotten again afterwards."""

    def use(*field_keys):
        settings.FIELD_ENCRYPTION_KEYS = list(field_keys)
        crypto.reset()

    yield use
    crypto.reset()


def raw_values(table: str, *columns: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")  # noqa: S608
        return cursor.fetchall()


def test_the_table_holds_ciphertext_and_the_model_reads_the_person(tree, make_member):
    member = make_member(tree["base"], id_number=person_id(1), mobile=mobile(1))
    ((stored_id, stored_mobile, last4, mobile_last4),) = raw_values(
        "members_member", "id_number", "mobile", "id_last4", "mobile_last4"
    )
    assert person_id(1) not in stored_id and mobile(1) not in stored_mobile
    assert crypto.is_sealed(stored_id) and crypto.is_sealed(stored_mobile)
    assert (last4, mobile_last4) == (person_id(1)[-4:], mobile(1)[-4:])
    member = Member.objects.get(pk=member.pk)
    assert (member.id_number, member.mobile) == (person_id(1), mobile(1))
    # the same ID encrypted twice gives two different ciphertexts (a fresh nonce each time)
    assert crypto.cipher().encrypt("x", "id_number") != crypto.cipher().encrypt("x", "id_number")


def test_a_ciphertext_moved_to_the_other_column_does_not_decrypt(tree, make_member):
    make_member(tree["base"], id_number=person_id(1), mobile=mobile(1))
    ((stored_id,),) = raw_values("members_member", "id_number")
    with pytest.raises(Exception):  # noqa: B017 (cryptography's InvalidTag)
        crypto.cipher().decrypt(stored_id, "mobile")


def test_the_database_still_refuses_a_second_member_with_one_id(tree, make_member):
    make_member(tree["base"], id_number=person_id(1))
    # around the writer's own check: the unique index on (id_type, id_hash) refuses it
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(union=tree["school"], name="重复", id_number=person_id(1))
    with pytest.raises(services.MemberElsewhere):
        services.create_member(
            union=tree["school"],
            data={"name": "重复", "id_type": "01", "id_number": person_id(1)},
            by=None,
        )
    assert Member.objects.with_id(person_id(1)).count() == 1


def test_search_by_full_id_last4_full_phone_and_last4_of_phone(tree, make_member):
    wanted = make_member(tree["base"], id_number=person_id(1), mobile="13912345678")
    make_member(tree["base"], id_number=person_id(2), mobile="13700001111")

    def found(text):
        return list(Member.objects.filter(selectors.search_q(text)))

    assert found(person_id(1)) == [wanted]
    assert found(person_id(1)[-4:]) == [wanted]
    assert found("13912345678") == [wanted]
    assert found("5678") == [wanted]
    assert found("139 1234 5678") == [wanted]


def test_a_forgotten_filter_on_the_encrypted_column_fails_loudly(db):
    with pytest.raises(FieldError, match="blind index"):
        list(Member.objects.filter(id_number=person_id(1)))


def test_key_rotation_interrupted_then_resumed(tree, fresh_keys, monkeypatch):
    fresh_keys(KEY_A)
    rows = [
        {
            "union_id": tree["base"].pk,
            "name": f"会员{n}",
            "id_number": person_id(n),
            "mobile": mobile(n),
        }  # fmt: skip
        for n in range(1, 8)
    ]
    services.register_members(rows, by=None, source="import")
    old = crypto.key_id(keys.parse_key(KEY_A, "A"))
    new = crypto.key_id(keys.parse_key(KEY_B, "B"))

    fresh_keys(KEY_B, KEY_A)
    # stopped after 3 rows (a night's budget) …
    rotation.rotate(batch_size=2, limit=3)
    under = [stored.split("$")[0] for (stored,) in raw_values("members_member", "id_number")]
    assert under.count(new) == 3 and under.count(old) == 4
    # … then a run that dies in its second batch: the first batch stays done
    real_bulk_update = Member._default_manager.bulk_update
    calls = []

    def dies_second_time(objs, fields, **kwargs):
        calls.append(len(objs))
        if len(calls) == 2:
            raise ConnectionError("the database went away")
        return real_bulk_update(objs, fields, **kwargs)

    monkeypatch.setattr(Member._default_manager, "bulk_update", dies_second_time, raising=False)
    with pytest.raises(ConnectionError):
        rotation.rotate(batch_size=2)
    monkeypatch.undo()
    fresh_keys(KEY_B, KEY_A)
    under = [stored.split("$")[0] for (stored,) in raw_values("members_member", "id_number")]
    assert under.count(new) == 5

    # run again: continues with the rest, skips what is done, says so
    out = _call("rotate_keys", "--batch-size", "2")
    assert "尚余 0 行" in out and "可以从 FIELD_ENCRYPTION_KEYS 中删除旧密钥" in out
    for stored_id, stored_mobile in raw_values("members_member", "id_number", "mobile"):
        assert stored_id.startswith(new + "$") and stored_mobile.startswith(new + "$")
    assert "本次重新加密 0 行" in _call("rotate_keys")

    # the old key removed: everything still reads, search still works
    fresh_keys(KEY_B)
    members = {m.id_number: m.mobile for m in Member.objects.all()}
    assert members == {person_id(n): mobile(n) for n in range(1, 8)}
    assert Member.objects.filter(selectors.search_q(person_id(4))).get().mobile == mobile(4)


def test_a_value_under_a_removed_key_names_the_missing_key(tree, make_member, fresh_keys):
    fresh_keys(KEY_A)
    member = make_member(tree["base"])
    fresh_keys(KEY_B)
    with pytest.raises(crypto.KeyMissing, match="FIELD_ENCRYPTION_KEYS"):
        Member.objects.get(pk=member.pk)


def test_an_export_mid_rotation_reads_both_keys_and_names_a_removed_one(tree, fresh_keys):
    fresh_keys(KEY_A)
    rows = [
        {
            "union_id": tree["base"].pk,
            "name": f"会员{n}",
            "id_number": person_id(n),
            "mobile": mobile(n),
        }
        for n in range(1, 5)
    ]
    services.register_members(rows, by=None, source="import")
    fresh_keys(KEY_B, KEY_A)
    rotation.rotate(batch_size=2, limit=2)  # half the rows under each key

    out = io.BytesIO()
    assert export_members(Member.objects.all(), out, fmt="csv") == 4
    text = out.getvalue().decode("utf-8-sig")
    for n in range(1, 5):
        assert person_id(n) in text and mobile(n) in text

    fresh_keys(KEY_B)  # the old key removed before the rotation finished
    with pytest.raises(crypto.KeyMissing, match="FIELD_ENCRYPTION_KEYS"):
        export_members(Member.objects.all(), io.BytesIO(), fmt="csv")


def test_reindex_after_a_new_blind_index_key_keeps_search_and_uniqueness(
    tree, make_member, settings
):
    make_member(tree["base"], id_number=person_id(1), mobile=mobile(1))
    settings.BLIND_INDEX_KEY = KEY_A
    crypto.reset()
    try:
        assert not Member.objects.filter(selectors.search_q(person_id(1))).exists()
        _call("rotate_keys", "--reindex")
        assert Member.objects.filter(selectors.search_q(person_id(1))).count() == 1
        assert Member.objects.filter(selectors.search_q(mobile(1))).count() == 1
        with pytest.raises(IntegrityError), transaction.atomic():
            Member.objects.create(union=tree["school"], name="重复", id_number=person_id(1))
    finally:
        crypto.reset()


def _call(*args) -> str:
    import io

    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# ---- what a dump of the database holds ----------------------------------------------


def _every_text_in_the_database() -> str:
    """Every column of every table, as text (the portable half of the dump check)."""
    chunks = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
            cursor.execute(f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)}")  # noqa: S608
            for row in cursor.fetchall():
                chunks.append("\t".join(str(v) for v in row))
    return "\n".join(chunks)


def _pg_dump() -> str:
    db = connection.settings_dict
    command = [
        shutil.which("pg_dump"),
        "--data-only",
        "-h",
        db["HOST"] or "127.0.0.1",
        "-p",
        str(db["PORT"] or 5432),
        "-U",
        db["USER"] or "postgres",
        db["NAME"],
    ]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


@pytest.mark.django_db(transaction=True)
def test_a_dump_of_the_database_holds_no_full_id_or_mobile(
    tree, make_user, media_root, tmp_path, rf, celery_eager
):
    officer = make_user(tree["base"], User.Role.ADMIN)
    request = rf.get("/")
    request.user = officer
    people = {n: (person_id(n), mobile(n)) for n in range(1, 9)}

    # a member typed in, and edited (new phone) through the writer
    typed = services.create_member(
        union=tree["base"],
        data={"name": "录入", "id_type": "01", "id_number": people[1][0], "mobile": people[1][1]},
        by=officer,
    )
    services.update_member(member=typed, data={"mobile": people[8][1]}, by=officer)
    # an import (COPY on PostgreSQL), one of its rows held by another union
    services.create_member(
        union=tree["sibling_base"],
        data={"name": "外单位", "id_type": "01", "id_number": people[4][0], "mobile": people[4][1]},
        by=None,
    )
    sheet = workbook(
        tmp_path / "roster.xlsx",
        {
            "Sheet1": [
                ["姓名", "身份证号", "手机号码"],
                *[
                    [name, people[n][0], people[n][1]]
                    for n, name in ((2, "王二"), (3, "张三"), (4, "李四"))
                ],
            ]
        },
    )
    plan = analyse_members(
        sheet, filename="roster.xlsx", union=tree["base"], root=user_root(officer)
    )
    summary = commit_members(plan, by=officer)
    assert summary.created == 2 and summary.conflicts == 1
    assert TransferRequest.objects.get().proposed_mobile == people[4][1]
    # a self-service application, and a member asking for a new phone
    selfservice.send_code(mobile=people[5][1], purpose="apply", request=request)
    application = selfservice.submit_application(
        union=tree["base"],
        data={
            "name": "申请人",
            "id_type": "01",
            "id_number": people[5][0],
            "mobile": people[5][1],
            "workplace": "某公司",
            "signature": "申请人",
            "signed_at": timezone.now(),
        },
        request=request,
    )
    assert Application.objects.filter(mobile_hash=application.mobile_hash).get() == application
    selfservice.request_correction(member=typed, data={"mobile": people[6][1]}, request=request)
    assert CorrectionRequest.objects.get().mobile == people[6][1]
    # a control point over the union (its file: masked IDs and fingerprints only)
    point = ControlPoint.objects.create(union=tree["county"], reason=ControlPoint.Reason.MANUAL)
    point = control_points.freeze(point.pk)
    assert point.members == 3
    # a compared outside list: one person not registered, one whose phone differs
    listed = workbook(
        tmp_path / "list.xlsx",
        {
            "Sheet1": [
                ["姓名", "身份证号", "手机号码"],
                ["名单外", people[7][0], people[7][1]],
                ["录入", people[1][0], people[3][1]],
            ]
        },
    )
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.RECONCILE, union=tree["base"], sha256="0" * 64
    )
    reconcile_jobs.store(job, analyse_list(listed, union=tree["base"]))
    groups = dict(job.entries.values_list("group", "id_number"))
    assert groups[ReconcileEntry.Group.MISSING] == people[7][0]
    assert groups[ReconcileEntry.Group.MISMATCHED] == people[1][0]

    # an upload whose row is refused: the problems quote the mistyped ID and phone
    wrong = person_id(9)[:17] + ("0" if person_id(9)[-1] != "0" else "1")
    bad_phone = mobile(9) + "7"
    bad_sheet = workbook(
        tmp_path / "bad.xlsx",
        {"Sheet1": [["姓名", "身份证号", "手机号码"], ["错号", wrong, bad_phone]]},
    )
    with bad_sheet.open("rb") as handle:
        upload = SimpleUploadedFile("花名册.xlsx", handle.read())
    bad_job = import_services.create_job(
        uploader=officer, union=tree["base"], kind=ImportJob.Kind.MEMBERS, upload=upload
    )
    values = set(bad_job.problems.values_list("value", flat=True))
    assert wrong in values and bad_phone in values  # the page still shows what was typed
    people[9] = (wrong, bad_phone)

    everything = _every_text_in_the_database()
    sources = {"tables": everything, "control point": gzip.decompress(point.data.read()).decode()}
    if connection.vendor == "postgresql" and shutil.which("pg_dump"):
        sources["pg_dump"] = _pg_dump()
    for source, text in sources.items():
        assert "王二" in text or source == "control point", source  # the data are there
        for number, phone in people.values():
            assert number not in text, (source, number)
            assert phone not in text, (source, phone)
            assert number[:17] not in text, (source, number)  # nor with another check digit
    # the plain columns that stay: last four characters, birth date, gender
    assert people[1][0][-4:] in everything


def test_production_refuses_to_start_without_the_keys():
    from tests.test_settings import load_settings

    no_keys = {"FIELD_ENCRYPTION_KEYS": "", "BLIND_INDEX_KEY": ""}
    result = load_settings({"DEBUG": "0", "SECRET_KEY": "x", **no_keys})
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEY must be set" in result.stderr
    result = load_settings({"DEBUG": "0", "SECRET_KEY": "x", **no_keys, "BLIND_INDEX_KEY": KEY_A})
    assert result.returncode != 0  # one of the two is not enough
    result = load_settings(
        {
            "DEBUG": "0",
            "SECRET_KEY": "x",
            "FIELD_ENCRYPTION_KEYS": "short",
            "BLIND_INDEX_KEY": KEY_A,
        }
    )
    assert result.returncode != 0 and "must be base64" in result.stderr
    result = load_settings(
        {
            "DEBUG": "0",
            "SECRET_KEY": "x",
            "FIELD_ENCRYPTION_KEYS": f"{KEY_B},{KEY_A}",
            "BLIND_INDEX_KEY": KEY_A,
        }
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_rows_and_going_back_decrypts(tree):
    from django.db.migrations.executor import MigrationExecutor

    before = [("members", "0009_export_job"), ("selfservice", "0001_initial")]
    after = [("members", "0010_encrypt_id_numbers_and_phones"),
             ("selfservice", "0002_encrypt_id_numbers_and_phones")]  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    now = timezone.now().isoformat()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO members_member (id_type, id_number, name, gender, ethnicity,"
            " political_status, education, mobile, household_type, employment_status,"
            " union_post, post_type, status, union_id, extra, created_at, updated_at)"
            " VALUES ('01', %s, '旧人', '1', '', '', '', %s, '', '', '', '', 'active', %s,"
            " '{}', %s, %s)",
            [person_id(1), mobile(1), tree["base"].pk, now, now],
        )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    ((stored_id, stored_mobile, last4),) = raw_values(
        "members_member", "id_number", "mobile", "id_last4"
    )
    assert crypto.is_sealed(stored_id) and crypto.is_sealed(stored_mobile)
    assert last4 == person_id(1)[-4:]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(before)
    assert raw_values("members_member", "id_number", "mobile") == [(person_id(1), mobile(1))]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    member = Member.objects.get()
    assert (member.id_number, member.mobile) == (person_id(1), mobile(1))
    assert Member.objects.filter(selectors.search_q(person_id(1))).get() == member


@pytest.mark.django_db(transaction=True)
def test_problems_stored_before_encryption_are_encrypted_in_place(tree):
    from django.db.migrations.executor import MigrationExecutor

    from imports.models import ImportProblem

    job = ImportJob.objects.create(kind=ImportJob.Kind.MEMBERS, union=tree["base"], sha256="0")
    executor = MigrationExecutor(connection)
    executor.migrate([("imports", "0005_reconcile_entries_encrypted")])
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO imports_importproblem (job_id, sheet, row, "column", code, message,'
            " value, severity) VALUES (%s, 'Sheet1', 2, '身份证号', 'id_checksum', '校验位错误',"
            " %s, 'error')",
            [job.pk, person_id(3)],
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    ((stored,),) = raw_values("imports_importproblem", "value")
    assert crypto.is_sealed(stored)
    assert ImportProblem.objects.get().value == person_id(3)
