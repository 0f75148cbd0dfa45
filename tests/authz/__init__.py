"""The authorization matrix: every URL of the project × every kind of visitor × four tree positions.

`test_matrix.py` walks every URL pattern (`django.urls.get_resolver()`, recursively; only the
`/ops/` admin and static files are skipped) and **fails when a URL has no rule here**, or a rule
names a URL that no longer exists. So a new page cannot ship without saying who may reach it.

Where rules live
----------------
Every module `tests/authz/rules_*.py` exports `RULES`, a dict of URL name → `Rule`; they are
collected automatically (a name defined twice is an error). Add a module per area, e.g.
`rules_members.py`::

    from tests.authz import ALL_ROLES, EDITORS, Rule

    RULES = {
        # a page about one member: the member sits in the union at each position
        "members:member_detail": Rule(
            roles=ALL_ROLES, target=lambda world, union: {"pk": world.make_member(union).pk}
        ),
        # a POST action: 302 when done, 404 outside the subtree, 403 for viewers
        "members:member_retire": Rule(
            roles=EDITORS,
            method="POST",
            target=lambda world, union: {"pk": world.make_member(union).pk},
            data=lambda world, union: {"on": "2026-01-01"},
            ok=302,
        ),
    }

The cells
---------
The visitor is `anonymous`, or an account of role `admin` / `collector` / `viewer` in the
*county* union. The object the URL is about sits at one of four positions relative to it:
`own` (the county), `descendant` (a town federation below it), `ancestor` (the city above it),
`sibling` (another county under the same city). The expected status of a cell is:

- anonymous → `rule.anonymous` (default 302, and it must redirect to the login page);
- a role not in `rule.roles` → `rule.denied` (default 403) — the role check comes first;
- an allowed role, position `own` or `descendant` → `rule.ok` (default 200);
- an allowed role, position `ancestor` or `sibling` → `rule.outside` (default 404, the same
  answer as for an object that does not exist);
- `rule.cells[(who, position)]` overrides any of these, for the odd cell
  (e.g. ``{("admin", "own"): 404}`` when an admin may not move their own union).

`Rule` fields:

- `roles`: the roles that may use the URL (`ALL_ROLES`, `EDITORS`, `ADMINS`, or a set);
- `target(world, union) -> dict | list`: kwargs (or args) for `reverse()`; create the object
  the URL is about in `union` and return its key;
- `query(world, union) -> dict`: a query string for GET (e.g. a list filtered by `union`);
- `method` ("GET" or "POST") and `data(world, union) -> dict`: the POST body;
- `ok`, `anonymous`, `denied`, `outside`: statuses as above; `cells`: overrides;
- `positions`: defaults to all four when `target`, `query` or `data` depends on the union, else
  just `("own",)` (a page about nothing in particular, like the home page);
- `after(world, union, response)`: optional extra assertion, e.g. that nothing was written.

Whatever the status, a successful response (2xx) must not contain anything of the sibling
county (its union names, its account, its member's name and ID): a page that answers 200 but
lists a sibling's data fails too.

The `world` fixture (see `tests/authz/conftest.py`) gives `world.tree` (the union tree of
`tests/conftest.py`), `world.union(position)`, `world.make_user(union, role=..., username=...)`
(fast: a precomputed password hash), `world.make_member(union, **fields)` and `world.visitor(who)`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

ADMIN, COLLECTOR, VIEWER = "admin", "collector", "viewer"
ALL_ROLES = frozenset({ADMIN, COLLECTOR, VIEWER})
EDITORS = frozenset({ADMIN, COLLECTOR})
ADMINS = frozenset({ADMIN})
NOBODY = frozenset()

VISITORS = ("anonymous", ADMIN, COLLECTOR, VIEWER)
INSIDE = ("own", "descendant")
OUTSIDE = ("ancestor", "sibling")
POSITIONS = INSIDE + OUTSIDE


@dataclass(frozen=True)
class Rule:
    roles: frozenset
    target: Callable | None = None
    query: Callable | None = None
    method: str = "GET"
    data: Callable | None = None
    ok: int = 200
    anonymous: int = 302
    denied: int = 403
    outside: int = 404
    cells: dict = field(default_factory=dict)
    positions: tuple | None = None
    after: Callable | None = None

    def applicable_positions(self) -> tuple:
        if self.positions is not None:
            return self.positions
        if self.target or self.query or self.data:
            return POSITIONS
        return ("own",)

    def expected(self, who: str, position: str) -> int:
        if (who, position) in self.cells:
            return self.cells[(who, position)]
        if who == "anonymous":
            return self.anonymous
        if who not in self.roles:
            return self.denied
        return self.ok if position in INSIDE else self.outside


def collect_rules() -> dict[str, Rule]:
    """Every `RULES` dict of the `tests/authz/rules_*.py` modules, merged."""
    import importlib
    import pkgutil

    import tests.authz as package

    rules: dict[str, Rule] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("rules_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, rule in module.RULES.items():
            if name in rules:
                raise ValueError(f"URL {name!r} has a rule in two modules")
            rules[name] = rule
    return rules
