"""The confidentiality pledge (unions/pledge.py): the gate before personal data, signing,
versions, and the superior's view of who has not signed."""

from django.urls import reverse

from unions import pledge
from unions.models import AuditEntry, PledgeAcceptance, User


def test_signing_records_time_address_version_and_is_audited(client, tree, make_user):
    collector = make_user(tree["base"], User.Role.COLLECTOR, username="collector")
    client.force_login(collector, pledge=False)

    response = client.get(reverse("members:list"))
    assert response["Location"] == reverse("unions:pledge") + "?next=%2Fmembers%2F"
    page = client.get(response["Location"]).content.decode()
    assert "保密承诺书" in page and "个人信息保护法" in page

    unticked = client.post(reverse("unions:pledge"), {"next": "/members/"})
    assert "请先勾选" in unticked.content.decode()
    signed = client.post(
        reverse("unions:pledge"), {"agree": "on", "next": "/members/"}, REMOTE_ADDR="10.5.5.5"
    )
    assert signed["Location"] == "/members/"
    assert client.get(reverse("members:list")).status_code == 200

    signature = PledgeAcceptance.objects.get(user=collector)
    assert signature.version == pledge.current() and signature.ip_address == "10.5.5.5"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PLEDGE_ACCEPTED)
    assert (entry.actor, entry.ip_address, entry.detail) == (
        collector,
        "10.5.5.5",
        {"version": signature.version.version},
    )


def test_the_next_address_stays_on_this_site(client, tree, make_user):
    client.force_login(make_user(tree["base"], User.Role.COLLECTOR), pledge=False)
    response = client.post(
        reverse("unions:pledge"), {"agree": "on", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_a_new_version_asks_again(client, tree, make_user):
    collector = make_user(tree["base"], User.Role.COLLECTOR)
    client.force_login(collector)  # signed the current version
    assert client.get(reverse("members:list")).status_code == 200

    ops = User.objects.create_superuser("ops", password="x", must_change_password=False)
    new = pledge.publish(title="保密承诺书", text="第二版的承诺。", by=ops)
    assert new.version == 2
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PLEDGE_PUBLISHED).exists()

    assert client.get(reverse("members:list"))["Location"].startswith(reverse("unions:pledge"))
    assert "第二版的承诺。" in client.get(reverse("unions:pledge")).content.decode()


def test_pages_without_personal_data_do_not_ask(client, tree, make_user):
    client.force_login(make_user(tree["county"], User.Role.VIEWER), pledge=False)
    assert client.get(reverse("home")).status_code == 200
    response = client.get(reverse("progress:dashboard"), follow=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"].startswith("/progress/")


def test_the_superior_sees_who_has_not_signed(client, tree, make_user, county_admin):
    signed = make_user(tree["town"], User.Role.COLLECTOR, username="signed_one")
    make_user(tree["town"], User.Role.COLLECTOR, username="unsigned_one")
    from tests.conftest import sign_pledge

    sign_pledge(signed)
    client.force_login(county_admin)

    listing = client.get(reverse("unions:account_list"), {"pledge": "unsigned"}).content.decode()
    table = listing.split('data-testid="accounts"')[1].split("</table>")[0]
    assert "unsigned_one" in table and '">signed_one</a>' not in table
    everyone = client.get(reverse("unions:account_list")).content.decode()
    assert "未签署" in everyone and "已签署" in everyone
    detail = client.get(reverse("unions:account_detail", args=[signed.pk])).content.decode()
    assert "已签署当前版本" in detail


def test_the_operator_publishes_a_new_version_in_ops(client, db):
    from tests.conftest import confirmed_totp  # noqa: F401  (force_login verifies operators)

    ops = User.objects.create_superuser("ops", password="x", must_change_password=False)
    client.force_login(ops)
    first = pledge.current()
    form = client.get("/ops/unions/pledgeversion/add/").content.decode()
    assert first.text.splitlines()[0] in form  # the current text, to edit
    response = client.post(
        "/ops/unions/pledgeversion/add/", {"title": "保密承诺书", "text": "新的文本"}
    )
    assert response.status_code == 302
    assert pledge.current().version == first.version + 1
    assert pledge.current().published_by == ops
    # published versions are never edited in place
    change = client.post(
        f"/ops/unions/pledgeversion/{first.pk}/change/", {"title": "x", "text": "篡改"}
    )
    assert change.status_code == 403 or "篡改" not in pledge.current().text
    first.refresh_from_db()
    assert first.text != "篡改"
