"""届期: the end of a term follows from its start and length; terms due show on the level
above's progress page; a 换届 is recorded as one audited change."""

import datetime

from django.urls import reverse
from django.utils import timezone

from unions import services
from unions.models import AuditEntry, Union
from unions.terms import add_years, terms_due


def test_the_end_of_a_term_follows_its_start_and_length(tree, county_admin):
    union = services.update_union(
        actor=county_admin,
        union=tree["base"],
        founded_on=datetime.date(2020, 2, 29),
        term_years=5,
    )
    assert union.term_ends_on == datetime.date(2025, 2, 28)
    union = services.update_union(
        actor=county_admin, union=union, elected_on=datetime.date(2023, 6, 1)
    )
    assert union.term_ends_on == datetime.date(2028, 6, 1)
    # a sheet that gives only an end date keeps it
    union = services.update_union(
        actor=county_admin, union=union, term_ends_on=datetime.date(2030, 1, 1)
    )
    assert union.term_ends_on == datetime.date(2030, 1, 1)
    assert add_years(datetime.date(2024, 2, 29), 1) == datetime.date(2025, 2, 28)


def test_terms_due_lists_live_unions_below_soonest_first(tree):
    today = datetime.date(2026, 12, 1)
    Union.objects.filter(pk=tree["base"].pk).update(term_ends_on=datetime.date(2026, 11, 1))
    Union.objects.filter(pk=tree["school"].pk).update(term_ends_on=datetime.date(2027, 2, 1))
    Union.objects.filter(pk=tree["town"].pk).update(term_ends_on=datetime.date(2027, 6, 1))
    Union.objects.filter(pk=tree["sibling_base"].pk).update(term_ends_on=datetime.date(2026, 1, 1))
    Union.objects.filter(pk=tree["county"].pk).update(term_ends_on=datetime.date(2026, 1, 1))

    due = list(terms_due(tree["county"], today=today).values_list("name", flat=True))
    assert due == ["漳江物流公司工会", "桃源一中工会"]


def test_an_election_is_recorded_audited_and_leaves_the_list(client, tree, county_admin):
    last_year = timezone.localdate() - datetime.timedelta(days=400)
    services.update_union(
        actor=county_admin, union=tree["school"], founded_on=last_year, term_years=1, chair="王校长"
    )
    client.force_login(county_admin)
    page = client.get(reverse("progress:union", args=[tree["county"].pk])).content.decode()
    assert 'data-testid="terms-due"' in page and "桃源一中工会" in page
    election = reverse("unions:union_election", args=[tree["school"].pk])
    assert election in page

    future = timezone.localdate() + datetime.timedelta(days=1)
    refused = client.post(election, {"elected_on": future, "chair": "李校长", "term_years": 5})
    assert "换届日期不能晚于今天" in refused.content.decode()

    today = timezone.localdate()
    response = client.post(election, {"elected_on": today, "chair": "李校长", "term_years": 5})
    assert response.status_code == 302
    school = Union.objects.get(pk=tree["school"].pk)
    assert (school.chair, school.elected_on, school.term_ends_on) == (
        "李校长",
        today,
        add_years(today, 5),
    )
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UNION_ELECTION)
    assert entry.detail["工会负责人"] == ["王校长", "李校长"]
    page = client.get(reverse("progress:union", args=[tree["county"].pk])).content.decode()
    assert 'data-testid="terms-due"' not in page
