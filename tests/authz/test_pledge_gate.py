"""The pledge gate on every page with personal data: every URL of the member and
collection apps (`PLEDGE_NAMESPACES`), built from the authorization matrix's rules."""

import pytest
from django.urls import reverse

from tests.authz import collect_rules
from tests.authz.test_matrix import project_urls
from unions.models import AuditEntry, PledgeAcceptance

RULES = collect_rules()
URLS = project_urls()


def gated(name: str) -> bool:
    return name.split(":")[0] in {"members", "imports"}


GATED = sorted(name for name in URLS if gated(name))


def test_the_gated_namespaces_hold_the_personal_data_pages():
    assert {"members:list", "imports:upload", "imports:export"} <= set(GATED)
    assert len(GATED) > 20


@pytest.mark.parametrize("name", GATED)
def test_every_page_with_personal_data_waits_for_the_pledge(client, world, name):
    """Each URL of the member and collection apps, as an admin of the county (the role
    that may do most) who has passed the second factor but not signed: nothing but the
    pledge page, whatever the method, and nothing is written."""
    rule = RULES[name]
    union = world.union("own")
    params = rule.target(world, union) if rule.target else {}
    url = reverse(name, **({"kwargs": params} if isinstance(params, dict) else {"args": params}))
    visitor = world.visitor("admin")
    PledgeAcceptance.objects.filter(user=visitor).delete()
    client.force_login(visitor, pledge=False)
    audit_before = AuditEntry.objects.count()

    if rule.method == "POST":
        response = client.post(url, rule.data(world, union) if rule.data else {})
    else:
        response = client.get(url, rule.query(world, union) if rule.query else {})

    assert response.status_code == 302, f"{rule.method} {url}: {response.status_code}"
    assert response["Location"].startswith(reverse("unions:pledge")), response["Location"]
    assert AuditEntry.objects.count() == audit_before
