"""Rules for account management, union pages and the audit log (管理员 only)."""

from registry import codes
from tests.authz import ADMINS, ALL_ROLES, Rule
from unions.models import Union, User


def account_at(world, union):
    return {"pk": world.make_user(union, username=f"target_at_{union.pk}").pk}


def union_at(world, union):
    return {"pk": union.pk}


def filter_by(world, union):
    return {"union": union.pk}


def export_period(world, union):
    return {"union": union.pk, "date_from": "2020-01-01", "date_to": "2099-12-31"}


def new_account(world, union):
    return {"username": "brand_new", "role": "collector", "union": union.pk}


def nothing_opened_outside(world, union, response):
    opened = User.objects.filter(username="brand_new").first()
    county = Union.objects.get(pk=world.tree["county"].pk)
    assert opened is None or opened.union.is_descendant_of(county, include_self=True)


def new_union(world, union):
    return {"parent": union.pk, "name": "矩阵新工会", "kind": codes.KIND_BASE}


def nothing_created_outside(world, union, response):
    created = Union.objects.filter(name="矩阵新工会").first()
    county = Union.objects.get(pk=world.tree["county"].pk)
    assert created is None or created.is_descendant_of(county)


def suggest_query(world, union):
    return {"q": union.name}


def suggest_everywhere(world, union):
    return {"q": union.name, "scope": "all"}


def suggests_inside_only(world, union, response):
    if not response.wsgi_request.user.is_authenticated:
        return
    names = [u["name"] for u in response.json()["results"]]
    county = Union.objects.get(pk=world.tree["county"].pk)
    inside = union.is_descendant_of(county, include_self=True)
    assert (union.name in names) == inside


RULES = {
    # The union picker's suggestions: 200 everywhere, unions of the subtree only.
    "unions:union_suggest": Rule(
        roles=ALL_ROLES, query=suggest_query, outside=200, after=suggests_inside_only
    ),
    # Lists: a filter naming a union outside the subtree is refused, the page still answers
    # 200 and shows the subtree only (the leak check proves it).
    "unions:account_list": Rule(roles=ADMINS, query=filter_by, outside=200),
    "unions:account_create": Rule(
        roles=ADMINS,
        method="POST",
        data=new_account,
        ok=302,
        outside=200,  # the form comes back: "选择一个有效的选项"
        after=nothing_opened_outside,
    ),
    "unions:account_detail": Rule(roles=ADMINS, target=account_at),
    "unions:account_edit": Rule(roles=ADMINS, target=account_at),
    "unions:account_sheet": Rule(roles=ADMINS, target=account_at),
    "unions:account_reset": Rule(roles=ADMINS, method="POST", target=account_at, ok=302),
    "unions:account_set_active": Rule(
        roles=ADMINS,
        method="POST",
        target=account_at,
        data=lambda world, union: {"active": "0"},
        ok=302,
    ),
    "unions:union_tree": Rule(roles=ADMINS),
    "unions:union_create": Rule(
        roles=ADMINS,
        method="POST",
        data=new_union,
        ok=302,
        outside=200,
        after=nothing_created_outside,
    ),
    "unions:union_edit": Rule(roles=ADMINS, target=union_at),
    # An admin's own union is placed by the level above: it cannot be moved from here.
    "unions:union_move": Rule(roles=ADMINS, target=union_at, cells={("admin", "own"): 404}),
    "unions:audit_list": Rule(roles=ADMINS, query=filter_by, outside=200),
    # 登记换届: any union of the admin's subtree, their own included (GET shows the form).
    "unions:union_election": Rule(roles=ADMINS, target=union_at),
    # Issue 16: unlock, second-factor reset, audit export (a union outside the subtree makes
    # the filter invalid: back to the log page with a message, nothing exported).
    "unions:account_unlock": Rule(roles=ADMINS, method="POST", target=account_at, ok=302),
    "unions:account_mfa_reset": Rule(roles=ADMINS, method="POST", target=account_at, ok=302),
    "unions:audit_export": Rule(roles=ADMINS, query=export_period, outside=302),
}
