"""Issue 11, item 6: dates that can hardly be true show in 数据核查 as they do in the preview."""

import datetime

import pytest
from django.urls import reverse

from members import selectors
from members.models import Member

pytestmark = pytest.mark.django_db

COMPLETE = {
    "ethnicity": "01",
    "political_status": "13",
    "education": "21",
    "household_type": "1",
    "employment_status": "04",
    "new_employment_form": False,
    "union_post": "01",
    "post_type": "2",
}


def test_review_lists_implausible_dates_and_says_why(client, tree, make_member, county_admin):
    today = datetime.date.today()
    born = datetime.date(1985, 1, 2)
    fine = make_member(
        tree["base"], name="正常", birth_date=born, join_date=datetime.date(2010, 1, 1), **COMPLETE
    )
    future = make_member(
        tree["base"],
        name="未来",
        birth_date=born,
        join_date=today + datetime.timedelta(days=30),
        **COMPLETE,
    )
    young = make_member(
        tree["base"], name="少年", birth_date=born, join_date=datetime.date(1995, 1, 1), **COMPLETE
    )
    qs = Member.objects.all()

    flagged = set(qs.filter(selectors.review_q()))

    assert fine not in flagged
    assert {future, young} <= flagged
    assert any("晚于今天" in w for w in selectors.warnings_for(future))
    assert any("不满14岁" in w for w in selectors.warnings_for(young))
    client.force_login(county_admin)
    page = client.get(reverse("members:review")).content.decode()
    assert "晚于今天" in page and "不满14岁" in page
