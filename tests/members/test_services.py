import datetime

import pytest
from django.utils import timezone

from members import services
from members.models import Member, MemberChange, MembershipEvent, TransferRequest
from members.synthetic import id_number
from progress.counts import subtree_member_counts
from registry.validators import Problem, mask_id
from unions.models import AuditEntry, User


def new_data(**overrides):
    data = {
        "name": "李四",
        "id_type": "01",
        "id_number": id_number(birth=datetime.date(1990, 5, 17), seq=7),
        "mobile": "13912345678",
        "gender": "1",
        "birth_date": datetime.date(1990, 5, 17),
        "education": "21",
        "extra": {"工号": "A1024"},
    }
    data.update(overrides)
    return data


@pytest.fixture
def collector(tree, make_user):
    return make_user(tree["base"], User.Role.COLLECTOR, username="base_collector")


def test_create_member_records_join_event_history_and_audit(tree, collector):
    member = services.create_member(union=tree["base"], data=new_data(), by=collector)

    member.refresh_from_db()
    assert member.union == tree["base"]
    assert member.extra == {"工号": "A1024"}
    assert member.id_last4 == member.id_number[-4:]
    event = member.events.get()
    assert event.kind == MembershipEvent.Kind.JOIN
    change = member.changes.get()
    assert change.by == collector
    assert change.changes["education"] == ["", "大学本科"]
    assert change.changes["id_number"] == ["", mask_id(member.id_number)]
    assert member.id_number not in str(change.changes)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MEMBER_CHANGED)
    assert entry.union == tree["base"]
    assert member.id_number not in entry.object_repr


def test_one_id_one_member_names_the_holding_union(tree, collector, make_member):
    held = make_member(tree["sibling_base"])

    with pytest.raises(services.MemberElsewhere) as caught:
        services.create_member(
            union=tree["base"], data=new_data(id_number=held.id_number), by=collector
        )

    assert caught.value.member.union.name == "鼎城医院工会"
    assert Member.objects.with_id(held.id_number).count() == 1


def test_update_member_records_old_and_new_with_masked_ids(tree, collector, make_member):
    member = make_member(tree["base"], education="31")
    old_id = member.id_number
    new_id = id_number(birth=datetime.date(1985, 1, 2), seq=99)

    change = services.update_member(
        member=member, data={"education": "21", "id_number": new_id}, by=collector
    )

    assert change.changes["education"] == ["大学专科", "大学本科"]
    assert change.changes["id_number"] == [mask_id(old_id), mask_id(new_id)]
    assert old_id not in str(change.changes) and new_id not in str(change.changes)
    member.refresh_from_db()
    assert member.id_number == new_id
    assert member.id_last4 == new_id[-4:]


def test_update_member_with_nothing_changed_writes_no_history(tree, collector, make_member):
    member = make_member(tree["base"], education="31")
    assert services.update_member(member=member, data={"education": "31"}, by=collector) is None
    assert not member.changes.exists()


def test_update_member_cannot_take_an_id_held_by_another(tree, collector, make_member):
    member = make_member(tree["base"])
    other = make_member(tree["sibling_base"])
    with pytest.raises(services.MemberElsewhere):
        services.update_member(member=member, data={"id_number": other.id_number}, by=collector)


def test_retirement_changes_status_keeps_the_member_and_leaves_the_counts(
    tree, collector, make_member
):
    member = make_member(tree["base"])
    make_member(tree["base"])
    assert subtree_member_counts(tree["county"])[tree["county"].pk].total == 2

    services.record_event(
        member=member,
        kind=MembershipEvent.Kind.RETIRE,
        on=timezone.localdate(),
        reason="到龄退休",
        by=collector,
    )

    member.refresh_from_db()
    assert member.status == Member.Status.RETIRED
    event = member.events.get()
    assert (event.kind, event.reason, event.recorded_by) == ("retire", "到龄退休", collector)
    assert member.changes.get().changes == {"status": ["在册", "已退休"]}
    assert subtree_member_counts(tree["county"])[tree["county"].pk].total == 1


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("reserve", Member.Status.RESERVED),
        ("leave", Member.Status.LEFT),
        ("expel", Member.Status.EXPELLED),
        ("withdraw", Member.Status.WITHDRAWN),
        ("death", Member.Status.DECEASED),
    ],
)
def test_each_membership_change_sets_its_status(tree, collector, make_member, kind, status):
    member = make_member(tree["base"])
    services.record_event(member=member, kind=kind, on=timezone.localdate(), by=collector)
    member.refresh_from_db()
    assert member.status == status
    assert member.events.get().kind == kind


def test_no_change_after_death_and_no_future_dates(tree, collector, make_member):
    member = make_member(tree["base"], status=Member.Status.DECEASED)
    with pytest.raises(Problem, match="死亡"):
        services.record_event(member=member, kind="retire", on=timezone.localdate(), by=collector)
    alive = make_member(tree["base"])
    with pytest.raises(Problem, match="晚于今天"):
        services.record_event(
            member=alive,
            kind="retire",
            on=timezone.localdate() + datetime.timedelta(days=3),
            by=collector,
        )


def test_transfer_waits_for_the_receiving_union_then_moves_the_member(
    tree, collector, make_user, make_member
):
    member = make_member(tree["base"])
    receiver = make_user(tree["sibling_base"], User.Role.ADMIN)
    transfer = services.request_transfer(
        member=member,
        to_union=tree["sibling_base"],
        on=timezone.localdate(),
        reason="工作调动",
        by=collector,
    )

    member.refresh_from_db()
    assert member.union == tree["base"]  # stays until accepted
    assert services.deciding_union(transfer) == tree["sibling_base"]

    services.decide_transfer(transfer=transfer, accept=True, by=receiver)

    member.refresh_from_db()
    transfer.refresh_from_db()
    assert member.union == tree["sibling_base"]
    assert member.status == Member.Status.ACTIVE
    assert transfer.state == TransferRequest.State.ACCEPTED
    assert transfer.decided_by == receiver
    assert sorted(member.events.values_list("kind", flat=True)) == ["transfer_in", "transfer_out"]
    change = member.changes.get()
    assert change.changes["union"] == ["漳江物流公司工会", "鼎城医院工会"]
    assert change.by == receiver
    accepted = AuditEntry.objects.get(action=AuditEntry.Action.TRANSFER_ACCEPTED)
    assert accepted.get_action_display() == "转会接收" and accepted.actor == receiver


def test_refused_transfer_leaves_the_member_where_they_are(tree, collector, make_member):
    member = make_member(tree["base"])
    transfer = services.request_transfer(
        member=member, to_union=tree["school"], on=timezone.localdate(), by=collector
    )
    services.decide_transfer(transfer=transfer, accept=False, by=collector, note="查无此人")
    member.refresh_from_db()
    transfer.refresh_from_db()
    assert member.union == tree["base"]
    assert transfer.state == TransferRequest.State.REFUSED
    assert not member.events.exists()
    refused = AuditEntry.objects.get(action=AuditEntry.Action.TRANSFER_REFUSED)
    assert (refused.actor, refused.detail["reason"]) == (collector, "查无此人")
    assert refused.get_action_display() == "转会退回"
    with pytest.raises(Problem, match="已经处理过"):
        services.decide_transfer(transfer=transfer, accept=True, by=collector)


def test_transfer_refuses_the_same_union_and_a_second_pending_request(tree, collector, make_member):
    member = make_member(tree["base"])
    with pytest.raises(Problem):
        services.request_transfer(
            member=member, to_union=tree["base"], on=timezone.localdate(), by=collector
        )
    services.request_transfer(
        member=member, to_union=tree["school"], on=timezone.localdate(), by=collector
    )
    with pytest.raises(Problem, match="不必重复"):
        services.request_transfer(
            member=member, to_union=tree["school"], on=timezone.localdate(), by=collector
        )


def test_accepting_one_transfer_cancels_the_members_other_open_requests(
    tree, collector, make_member
):
    member = make_member(tree["base"])
    first = services.request_transfer(
        member=member, to_union=tree["school"], on=timezone.localdate(), by=collector
    )
    second = services.request_transfer(
        member=member, to_union=tree["sibling_base"], on=timezone.localdate(), by=collector
    )
    services.decide_transfer(transfer=first, accept=True, by=collector)
    second.refresh_from_db()
    assert second.state == TransferRequest.State.CANCELLED


def test_import_conflict_is_decided_by_the_holder_and_applies_the_proposed_data(
    tree, make_user, make_member
):
    member = make_member(tree["sibling_base"], education="31")
    importer = make_user(tree["base"], User.Role.COLLECTOR)
    holder_admin = make_user(tree["sibling"], User.Role.ADMIN)
    transfer = TransferRequest.objects.create(
        member=member,
        from_union=tree["sibling_base"],
        to_union=tree["base"],
        origin=TransferRequest.Origin.IMPORT_CONFLICT,
        proposed={"education": "21", "join_date": "2019-06-25", "extra": {"籍贯": "湖南"}},
        source_ref="job:12",
        requested_by=importer,
    )
    assert services.deciding_union(transfer) == tree["sibling_base"]

    services.decide_transfer(transfer=transfer, accept=True, by=holder_admin)

    member.refresh_from_db()
    assert member.union == tree["base"]
    assert member.education == "21"
    assert member.join_date == datetime.date(2019, 6, 25)
    assert member.extra["籍贯"] == "湖南"
    change = member.changes.get()
    assert change.changes["education"] == ["大学专科", "大学本科"]


def test_claim_from_the_add_form_becomes_a_request_to_the_holder(tree, collector, make_member):
    holder = make_member(tree["sibling_base"])
    transfer = services.claim_member(
        holder=holder, to_union=tree["base"], data=new_data(education="11"), by=collector
    )
    assert transfer.origin == TransferRequest.Origin.CLAIM
    assert transfer.from_union == tree["sibling_base"]
    assert services.deciding_union(transfer) == tree["sibling_base"]
    assert transfer.proposed["education"] == "11"
    assert "id_number" not in transfer.proposed


def test_find_union_by_exact_name_or_code(tree):
    assert services.find_union("鼎城医院工会") == tree["sibling_base"]
    assert services.find_union(tree["school"].system_code.lower()) == tree["school"]
    with pytest.raises(Problem, match="找不到工会组织“鼎城医院”") as info:
        services.find_union("鼎城医院")
    assert info.value.code == "union_unknown"


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (datetime.date(2026, 1, 1), datetime.date(2026, 1, 1)),
        (datetime.date(2026, 6, 30), datetime.date(2026, 1, 1)),
        (datetime.date(2026, 7, 1), datetime.date(2026, 7, 1)),
        (datetime.date(2026, 12, 31), datetime.date(2026, 7, 1)),
    ],
)
def test_review_cycle_starts_in_january_and_july(today, start):
    assert services.review_cycle_start(today) == start


def test_confirm_members_sets_confirmed_at(tree, collector, make_member):
    member = make_member(tree["base"])
    assert services.confirm_members(members=Member.objects.filter(pk=member.pk), by=collector) == 1
    member.refresh_from_db()
    assert member.confirmed_at is not None
    assert not MemberChange.objects.exists()


def test_moving_within_the_own_subtree_needs_no_acceptance_but_is_recorded(
    tree, county_admin, make_member
):
    member = make_member(tree["base"])
    services.update_member(member=member, data={}, union=tree["school"], by=county_admin)
    member.refresh_from_db()
    assert member.union == tree["school"]
    assert sorted(member.events.values_list("kind", flat=True)) == ["transfer_in", "transfer_out"]
    assert member.changes.get().changes == {"union": ["漳江物流公司工会", "桃源一中工会"]}


def test_a_retired_member_cannot_be_transferred(tree, collector, make_member):
    member = make_member(tree["base"], status=Member.Status.RETIRED)
    with pytest.raises(Problem, match="不能转会"):
        services.request_transfer(
            member=member, to_union=tree["school"], on=timezone.localdate(), by=collector
        )
