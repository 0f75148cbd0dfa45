"""The read replica (issue 12, item 6): with `DATABASE_REPLICA_URL`, exports and reports
read from the `replica` alias; pages and every write stay on the primary; without it,
one database.

The replica here mirrors the test database (Django's `TEST: {"MIRROR": "default"}`, as
settings configure it): a second alias with its own query log that reads through the
primary's open connection, so it sees what the test has written inside its transaction,
as a real replica sees what the primary has committed."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import ExportJob, Member
from registry import db_router
from unions.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def replica():
    default = connections["default"]
    connections.settings["replica"] = {
        **default.settings_dict,
        "TEST": {**default.settings_dict["TEST"], "MIRROR": "default"},
    }
    mirror = connections["replica"]
    mirror.creation.set_as_test_mirror(default.settings_dict)
    default.ensure_connection()
    mirror.connection = default.connection  # the mirror's reads go to the same data
    try:
        yield mirror
    finally:
        mirror.connection = None  # the primary's connection is not the mirror's to close
        del connections["replica"]
        del connections.settings["replica"]


def tables(queries, verb):
    return {q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(verb)}


def test_without_a_replica_everything_is_one_database():
    with db_router.reading_from_replica():
        assert Member.objects.all().db == "default"
    assert db_router.read_alias() == "default"


def test_an_export_reads_its_members_from_the_replica_and_writes_on_the_primary(
    replica, client, tree, county_admin, make_member
):
    make_member(tree["school"], name="李小红")
    make_member(tree["base"], name="王小明")
    client.force_login(county_admin)

    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(replica) as copy,
    ):
        response = client.post(reverse("members:export"), {"format": "csv"})

    job = ExportJob.objects.get()
    assert (job.state, job.rows_done) == (ExportJob.State.DONE, 2)
    assert response.url == reverse("members:export_job", args=[job.pk])
    on_replica = [q["sql"] for q in copy.captured_queries]
    assert any('FROM "members_member"' in sql for sql in on_replica)  # the rows themselves
    assert not tables(copy.captured_queries, "INSERT")
    assert not tables(copy.captured_queries, "UPDATE")
    assert not any("FOR UPDATE" in sql for sql in on_replica)  # the job is claimed on the primary
    assert not any('FROM "members_member"' in q["sql"] for q in primary.captured_queries)
    assert any('"members_exportjob"' in sql for sql in tables(primary.captured_queries, "UPDATE"))
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count() == 1


def test_pages_and_their_writes_stay_on_the_primary(
    replica, client, tree, county_admin, make_member
):
    member = make_member(tree["school"], name="李小红")
    client.force_login(county_admin)

    with CaptureQueriesContext(replica) as copy:
        assert client.get(reverse("members:list")).status_code == 200
        assert client.get(reverse("members:detail", args=[member.pk])).status_code == 200
        client.post(reverse("members:list"), {"q": "李小红"})

    assert copy.captured_queries == []
    with db_router.reading_from_replica():
        assert Member.objects.all().db == "replica"
        assert db_router.ReplicaRouter().db_for_write(Member) == "default"
    assert Member.objects.all().db == "default"
