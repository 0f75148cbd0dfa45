from django.urls import reverse
from tests.conftest import PASSWORD


def test_pages_render(client, tree, county_admin, make_member):
    m = make_member(tree["base"], extra={"工号": "=A1"})
    client.force_login(county_admin)
    for name, args in [("members:list", []), ("members:detail", [m.pk]), ("members:add", []), ("members:edit", [m.pk]), ("members:event", [m.pk]), ("members:transfers", []), ("members:review", []), ("members:checklist", [])]:
        r = client.get(reverse(name, args=args))
        assert r.status_code == 200, (name, r.content[:3000])
    r = client.post(reverse("members:list"), {"q": m.id_number[-4:], "include_sub": "on"})
    assert r.status_code == 302
    r = client.get(reverse("members:list"))
    assert m.name in r.content.decode()
    r = client.post(reverse("members:reveal", args=[m.pk]))
    assert m.id_number in r.content.decode()
    r = client.get(reverse("members:export"))
    assert r.status_code == 200
