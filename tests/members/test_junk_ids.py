"""Junk ids in URLs (issue 12, bad input): a number beyond 64 bits is a page that does not
exist (404), never a database error."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HUGE = 10**30


@pytest.mark.parametrize(
    "name",
    [
        "members:detail",
        "members:export_job",
        "members:export_status",
        "members:export_download",
        "members:transfer",
    ],
)
def test_an_id_beyond_64_bits_is_404(client, county_admin, name):
    client.force_login(county_admin)
    assert client.get(reverse(name, args=[HUGE])).status_code == 404
