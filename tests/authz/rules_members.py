"""Rules for the member register (issue 7): every page needs a login; a member, a review
union or a transfer request outside the visitor's subtree answers 404."""

import datetime
import io

import openpyxl
from django.urls import reverse

from members.forms import MemberForm
from members.models import ExportJob, Member, MembershipEvent, TransferRequest
from members.synthetic import id_number
from registry import codes
from tests.authz import ALL_ROLES, EDITORS, Rule
from tests.exporting import follow_export
from unions.models import AuditEntry, Union

MATRIX_NAME = "矩阵会员"
NEW_MEMBER_ID = id_number(birth=datetime.date(1990, 5, 5), seq=377)


def member_at(world, union):
    return {"pk": world.make_member(union, name=MATRIX_NAME).pk}


def member_somewhere(world, union):
    """For pages about no one member: put one at the position, the page must (not) show it."""
    member_at(world, union)
    return {}


def filter_by(world, union):
    return {"union": union.pk}


def position_of(world, union) -> str:
    county = Union.objects.get(pk=world.tree["county"].pk)
    return "inside" if union.is_descendant_of(county, include_self=True) else "outside"


def role_of(response) -> str:
    return response.wsgi_request.user.role


def for_accounts(check):
    """An `after` check that means something only once a union account is signed in."""

    def after(world, union, response):
        if response.wsgi_request.user.is_authenticated:
            check(world, union, response)

    return after


# ---- list and export ---------------------------------------------------------------


@for_accounts
def list_shows_member_inside(world, union, response):
    """The ?union link stored a filter: the list then shows that union's member."""
    if response.status_code != 302:
        return
    body = response.client.get(reverse("members:list")).content.decode()
    assert MATRIX_NAME in body


@for_accounts
def export_holds_member_inside(world, union, response):
    """The export starts (302 to its job page, or back to the list when there is nothing
    to export); the file holds the subtree only; 查看 gets IDs masked, editors in full."""
    content, _text = follow_export(response.client, response)
    member = Member.objects.get(name=MATRIX_NAME)
    if content is None:
        assert position_of(world, union) == "outside"
        return
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    cells = {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c}
    assert not cells & set(world.forbidden_text), "export holds the sibling's data"
    if position_of(world, union) == "outside":
        assert member.name not in cells and member.id_number not in cells
        return
    assert member.name in cells
    if role_of(response) == "viewer":
        assert member.id_number not in cells and member.masked_id in cells
    else:
        assert member.id_number in cells


def someone_elses_export(world, union):
    """A finished export of `union` belonging to another account there: only the account
    that asked may see a job or fetch its file, so every visitor gets 404."""
    owner = world.make_user(union, role="admin")
    job = ExportJob.objects.create(
        user=owner, union=union, summary=union.name, state=ExportJob.State.DONE, rows_done=1
    )
    return {"pk": job.pk}


# ---- one member --------------------------------------------------------------------


def new_member(world, union):
    return {
        "union": union.pk,
        "name": "矩阵新会员",
        "id_type": codes.ID_RESIDENT,
        "id_number": NEW_MEMBER_ID,
        "mobile": "13912345678",
    }


@for_accounts
def nobody_registered_outside(world, union, response):
    created = Member.objects.with_id(NEW_MEMBER_ID).first()
    if response.status_code == 302:
        assert created is not None and created.union_id == union.pk
    else:
        assert created is None


def edited_member(world, union):
    member = Member.objects.get(name=MATRIX_NAME, union=union)
    data = {k: ("" if v is None else v) for k, v in MemberForm.initial_for(member).items()}
    return {**data, "name": "矩阵改名"}


@for_accounts
def edited_inside_only(world, union, response):
    renamed = Member.objects.filter(name="矩阵改名").exists()
    assert renamed == (response.status_code == 302)


def retirement(world, union):
    return {"kind": MembershipEvent.Kind.RETIRE, "on": "2026-01-05", "reason": "矩阵"}


@for_accounts
def retired_inside_only(world, union, response):
    member = Member.objects.get(name=MATRIX_NAME, union=union)
    assert (member.status == Member.Status.RETIRED) == (response.status_code == 302)


@for_accounts
def revealed_inside_only(world, union, response):
    member = Member.objects.get(name=MATRIX_NAME, union=union)
    logged = AuditEntry.objects.filter(action=AuditEntry.Action.ID_REVEALED).exists()
    assert logged == (response.status_code == 302)
    if response.status_code == 302:
        assert member.id_number in response.client.get(response["Location"]).content.decode()


def confirm_member_at(world, union):
    return {"member": world.make_member(union, name=MATRIX_NAME).pk}


@for_accounts
def confirmed_inside_only(world, union, response):
    member = Member.objects.get(name=MATRIX_NAME, union=union)
    assert (member.confirmed_at is not None) == (response.status_code == 302)


# ---- transfer requests -------------------------------------------------------------
#
# A request has two sides. The matrix varies the position of the side under test and
# puts the other side somewhere fixed:
# - seeing a request (`transfers`, `transfer`): the other side is a union of another city
#   (outside everything), so the visitor reaches the request only when the tested side is
#   in their subtree;
# - acting on it (`transfer_decide`, `transfer_cancel`): the other side is the county's
#   school (inside), so an outside position means "the visitor is the other side" and the
#   answer is 403, not 404. A request neither side of which is in the subtree answers 404:
#   tests/members/test_views.py covers that.


def elsewhere(world) -> Union:
    union, _ = Union.objects.get_or_create(
        name="益阳市总工会", defaults={"kind": codes.KIND_LOCAL_FEDERATION}
    )
    return union


def transfer(member, to_union, origin=TransferRequest.Origin.TRANSFER) -> TransferRequest:
    return TransferRequest.objects.create(
        member=member, from_union=member.union, to_union=to_union, origin=origin
    )


def request_from(world, union):
    """转出 from the tested union to another city's union."""
    t = transfer(world.make_member(union, name=MATRIX_NAME), elsewhere(world))
    return {"pk": t.pk}


def request_listed(world, union):
    request_from(world, union)
    return {}


@for_accounts
def list_shows_request_inside(world, union, response):
    body = response.content.decode()
    assert (MATRIX_NAME in body) == (position_of(world, union) == "inside")


def request_to_decide(world, union):
    """转出 from the county's school to the tested union: the tested union decides."""
    member = world.make_member(world.tree["school"], name=MATRIX_NAME)
    return {"pk": transfer(member, union).pk}


def request_to_cancel(world, union):
    """转出 from the tested union to the county's school: the tested union may withdraw."""
    member = world.make_member(union, name=MATRIX_NAME)
    return {"pk": transfer(member, world.tree["school"]).pk}


def accept(world, union):
    return {"decision": "accept", "note": "矩阵"}


def state_after(expected_when_done):
    @for_accounts
    def check(world, union, response):
        state = TransferRequest.objects.get(member__name=MATRIX_NAME).state
        done = response.status_code == 302
        assert state == (expected_when_done if done else TransferRequest.State.PENDING)

    return check


OTHER_SIDE = {("admin", p): 403 for p in ("ancestor", "sibling")} | {
    ("collector", p): 403 for p in ("ancestor", "sibling")
}

RULES = {
    # The ?union link starts a fresh filter (302 back to the list); a union outside: 404.
    "members:list": Rule(
        roles=ALL_ROLES,
        target=member_somewhere,
        query=filter_by,
        ok=302,
        after=list_shows_member_inside,
    ),
    # A POST that starts a background export of the whole subtree: always 302; the file
    # is fetched and checked cell by cell.
    "members:export": Rule(
        roles=ALL_ROLES,
        method="POST",
        target=member_somewhere,
        ok=302,
        outside=302,
        after=export_holds_member_inside,
    ),
    "members:export_job": Rule(roles=ALL_ROLES, target=someone_elses_export, ok=404),
    "members:export_status": Rule(roles=ALL_ROLES, target=someone_elses_export, ok=404),
    "members:export_download": Rule(roles=ALL_ROLES, target=someone_elses_export, ok=404),
    "members:add": Rule(
        roles=EDITORS,
        method="POST",
        data=new_member,
        ok=302,
        outside=200,  # the form comes back: "选择一个有效的选项"
        after=nobody_registered_outside,
    ),
    "members:detail": Rule(roles=ALL_ROLES, target=member_at),
    "members:reveal": Rule(
        roles=EDITORS,
        method="POST",
        target=member_at,
        data=lambda world, union: {"field": "id_number"},
        ok=302,
        after=revealed_inside_only,
    ),
    "members:edit": Rule(
        roles=EDITORS,
        method="POST",
        target=member_at,
        data=edited_member,
        ok=302,
        after=edited_inside_only,
    ),
    "members:event": Rule(
        roles=EDITORS,
        method="POST",
        target=member_at,
        data=retirement,
        ok=302,
        after=retired_inside_only,
    ),
    "members:review": Rule(roles=ALL_ROLES, query=filter_by),
    "members:checklist": Rule(roles=ALL_ROLES, query=filter_by),
    "members:confirm": Rule(
        roles=EDITORS,
        method="POST",
        data=confirm_member_at,
        ok=302,
        after=confirmed_inside_only,
    ),
    # The inbox answers 200 everywhere and lists only requests touching the subtree.
    "members:transfers": Rule(
        roles=ALL_ROLES, target=request_listed, outside=200, after=list_shows_request_inside
    ),
    "members:transfer": Rule(roles=ALL_ROLES, target=request_from),
    "members:transfer_decide": Rule(
        roles=EDITORS,
        method="POST",
        target=request_to_decide,
        data=accept,
        ok=302,
        cells=OTHER_SIDE,
        after=state_after(TransferRequest.State.ACCEPTED),
    ),
    "members:transfer_cancel": Rule(
        roles=EDITORS,
        method="POST",
        target=request_to_cancel,
        ok=302,
        cells=OTHER_SIDE,
        after=state_after(TransferRequest.State.CANCELLED),
    ),
}
