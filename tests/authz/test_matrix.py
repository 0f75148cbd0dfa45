"""The authorization matrix (rule format: see `tests/authz/__init__.py`).

One test per URL × visitor × position, plus one that fails when a URL has no rule."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.authz import VISITORS, collect_rules

SKIPPED_PREFIXES = ("ops/", "static/", "media/")


def project_urls(resolver=None, namespace="", prefix="") -> dict[str, str]:
    """URL name → route of every pattern, through every include (admin and static aside)."""
    resolver = resolver or get_resolver()
    found = {}
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found.update(project_urls(pattern, inner, route))
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else f"<unnamed {route}>"
            found[name] = route
    return found


RULES = collect_rules()
URLS = project_urls()
CELLS = [
    pytest.param(name, who, position, id=f"{name}-{who}-{position}")
    for name, rule in sorted(RULES.items())
    if name in URLS
    for who in VISITORS
    for position in rule.applicable_positions()
]


def test_every_url_has_a_rule():
    missing = sorted(set(URLS) - set(RULES))
    assert not missing, (
        "URLs without an authorization rule — add them to a tests/authz/rules_*.py module: "
        + ", ".join(f"{name} (/{URLS[name]})" for name in missing)
    )


def test_every_rule_names_a_url():
    stale = sorted(set(RULES) - set(URLS))
    assert not stale, "Rules for URLs that no longer exist: " + ", ".join(stale)


@pytest.mark.parametrize(("name", "who", "position"), CELLS)
def test_cell(client, world, name, who, position):
    rule = RULES[name]
    union = world.union(position)
    params = rule.target(world, union) if rule.target else {}
    url = reverse(name, **({"kwargs": params} if isinstance(params, dict) else {"args": params}))
    visitor = world.visitor(who)
    if visitor is not None:
        client.force_login(visitor)

    if rule.method == "POST":
        response = client.post(url, rule.data(world, union) if rule.data else {})
    else:
        response = client.get(url, rule.query(world, union) if rule.query else {})

    expected = rule.expected(who, position)
    assert response.status_code == expected, (
        f"{rule.method} {url} as {who}, object at {position} ({union.name}): "
        f"got {response.status_code}, expected {expected}"
    )
    if who == "anonymous" and expected == 302:
        assert response["Location"].startswith(reverse("login")), response["Location"]
    if 200 <= response.status_code < 300 and not response.streaming:
        body = response.content.decode(errors="replace")
        leaked = [text for text in world.forbidden_text if text and text in body]
        assert not leaked, f"{url} as {who} shows the sibling county's data: {leaked}"
    if rule.after:
        rule.after(world, union, response)
