"""Nothing a user sends can crash a view.

Every URL of the authorization matrix (`tests/authz/`) is requested as 管理员 of the own
union with hostile variations of what the view reads: junk query parameters (the names
the views and filter forms really read), junk POST bodies (missing fields, wrong types,
huge strings, ids outside the subtree, lists for scalars) and odd upload file names.
Whatever arrives, the answer is an ordinary status (never a 500) with a Chinese page, and
nothing outside the admin's subtree changes."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.http import urlencode

from imports.models import ImportJob
from members.models import Member, TransferRequest
from tests.authz import collect_rules
from tests.authz.conftest import World
from tests.authz.rules_imports import sheet_bytes
from tests.authz.test_matrix import project_urls
from tests.conftest import OnboardedClient
from unions.models import Union, User

RULES = collect_rules()
URLS = project_urls()
NAMES = sorted(name for name in RULES if name in URLS)

LONG = "工" * 1500 + "x" * 1500
JUNK = ["abc", "-1", "99999999999999999999", "1 OR 1=1", "\x00", LONG]
JUNK_DATES = ["2026-13-45", "昨天", "0000-00-00", "\x00"]
UNKNOWN = ["no_such_value", "name; DROP TABLE members_member", LONG]

# Every query parameter a view or filter form reads (grep request.GET and the filter forms).
NUMERIC_PARAMS = ("page", "after", "before", "union", "campaign", "parent")
CHOICE_PARAMS = ("status", "role", "action", "kind", "active", "code", "scope", "gender")
TEXT_PARAMS = ("q", "actor", "sort", "order", "o")
DATE_PARAMS = ("date_from", "date_to", "on")


@pytest.fixture
def world(tree, make_member):
    return World(tree, make_member)


@pytest.fixture(autouse=True)
def _uploads_in_tmp(media_root):
    return media_root


OK_STATUSES = {200, 302, 400, 403, 404, 405, 429}  # 429: the login lockout page

# Field names the project's forms read, for pages that show a form on GET and take a POST.
FORM_FIELDS = (
    "union", "name", "kind", "parent", "new_parent", "role", "username", "full_name",
    "active", "q", "status", "include_sub", "gender", "credit_code", "founded_on",
    "term_ends_on", "staff_count", "female_staff_count", "on", "to_union", "reason",
    "decision", "note", "scope", "old_password", "new_password1", "new_password2",
    "password", "id_number", "mobile", "birth_date", "join_date", "extra",
)  # fmt: skip


def query_variants(world) -> list[dict]:
    other_union = world.union("sibling").pk
    variants = [{name: value} for name in NUMERIC_PARAMS for value in JUNK]
    variants += [{name: str(other_union)} for name in NUMERIC_PARAMS]
    variants.append(dict.fromkeys(NUMERIC_PARAMS, ""))
    # A NUL byte is what PostgreSQL refuses outright: try it in each parameter alone.
    variants += [{name: "\x00"} for name in CHOICE_PARAMS + TEXT_PARAMS + DATE_PARAMS]
    variants += [dict.fromkeys(CHOICE_PARAMS + TEXT_PARAMS, value) for value in UNKNOWN]
    variants += [dict.fromkeys(DATE_PARAMS, value) for value in JUNK_DATES]
    variants += [{"union": "x", "page": "abc", "status": "?", "date_from": "昨天", "q": LONG}]
    variants.append({"page": ["1", "2"], "union": ["", "x"]})
    return variants


def body_variants(world, base: dict) -> list[dict]:
    """The valid body with each field broken in turn, plus wholly junk bodies."""
    outside = str(world.union("sibling").pk)
    outside_member = str(Member.objects.filter(union=world.tree["sibling_base"]).first().pk)
    children = world.union("own").get_children()
    targets = [f"{kind}_{child.pk}" for child in children for kind in ("members", "organisations")]
    variants = [{}, {"x": "y"}, {key: LONG for key in base}]
    for junk in ("abc", "-1", "99999999999999999999", LONG, "\x00", outside, ""):
        variants.append(dict.fromkeys(FORM_FIELDS + tuple(targets), junk))
    variants.append(dict.fromkeys(FORM_FIELDS + tuple(targets), ["1", "abc"]))
    for key, value in base.items():
        if hasattr(value, "read"):
            continue
        for junk in ("", "abc", "-1", "99999999999999999999", LONG, "\x00", outside):
            variants.append({**base, key: junk})
        variants.append({**base, key: [str(value), "abc"]})
        variants.append({k: v for k, v in base.items() if k != key})
    for key in ("union", "member", "page_member", "to_union", "new_parent", "parent"):
        variants.append({**base, key: outside})
        variants.append({**base, key: outside_member})
        variants.append({**base, key: ["abc", outside, "-1"]})
    return variants


def outside_snapshot(world):
    """Everything that lies outside the county's subtree, as it stands."""
    county = Union.objects.get(pk=world.tree["county"].pk)
    inside = county.get_descendants(include_self=True).values("pk")
    return (
        sorted(Union.objects.exclude(pk__in=inside).values_list("pk", "name", "parent_id")),
        sorted(
            Member.objects.exclude(union__in=inside).values_list(
                "pk", "name", "union_id", "status", "updated_at"
            )
        ),
        sorted(
            User.objects.exclude(union__in=inside)
            .exclude(union=None)
            .values_list("pk", "username", "union_id", "is_active", "password")
        ),
        sorted(ImportJob.objects.exclude(union__in=inside).values_list("pk", "state")),
        sorted(
            TransferRequest.objects.exclude(from_union__in=inside)
            .exclude(to_union__in=inside)
            .values_list("pk", "state")
        ),
    )


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def check(response, what: str) -> str | None:
    if response.status_code not in OK_STATUSES:
        return f"{what}: {response.status_code}"
    if response.streaming or not response["Content-Type"].startswith("text/html"):
        return None
    body = response.content.decode(errors="replace")
    if "Traceback" in body:
        return f"{what}: traceback in the page"
    if response.status_code != 302 and not has_chinese(body):
        return f"{what}: {response.status_code} without a Chinese message"
    return None


def short(value) -> str:
    text = repr(value)
    return text if len(text) < 120 else text[:117] + "..."


@pytest.mark.parametrize("name", NAMES)
def test_hostile_input_never_crashes(world, settings, name):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # resets
    rule = RULES[name]
    union = world.union("own")
    client = OnboardedClient(raise_request_exception=False)  # second factor, pledge
    client.force_login(world.visitor("admin"))
    params = rule.target(world, union) if rule.target else {}
    url = reverse(name, **({"kwargs": params} if isinstance(params, dict) else {"args": params}))
    base_query = rule.query(world, union) if rule.query else {}
    base = rule.data(world, union) if rule.data else {}
    before = outside_snapshot(world)
    problems = []
    if rule.method == "GET":
        for variant in query_variants(world):
            response = client.get(url, {**base_query, **variant})
            problems.append(check(response, f"GET {url} {short(variant)}"))
        # Many pages show a form on GET and take it back by POST.
        for variant in body_variants(world, {})[:11]:
            response = client.post(url, variant)
            problems.append(check(response, f"POST {url} {short(variant)}"))
    else:
        # POST views read at most `union` and `after` from the query string.
        for variant in [{k: v} for k in ("union", "after") for v in JUNK]:
            target = f"{url}?{urlencode(variant, doseq=True)}"
            response = client.post(target, base)
            problems.append(check(response, f"POST {url} ?{short(variant)}"))
        for variant in body_variants(world, base):
            response = client.post(url, variant)
            problems.append(check(response, f"POST {url} {short(variant)}"))
    # Hostile path segments: other kwargs of the same route answer 404, not 500.
    if isinstance(params, dict) and "pk" in params:
        for junk in ("99999999999", "0"):
            other = reverse(name, kwargs={**params, "pk": junk})
            if rule.method == "GET":
                problems.append(check(client.get(other), f"GET {other}"))
            else:
                problems.append(check(client.post(other, {}), f"POST {other}"))

    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems[:30])
    assert outside_snapshot(world) == before, f"{name} changed data outside the subtree"


# ---- uploads ---------------------------------------------------------------------

HOSTILE_NAMES = [
    "../../etc/passwd.xlsx",
    "..\\..\\windows\\名单.xlsx",
    "/abs/path/名单.xlsx",
    "名" * 300 + ".xlsx",
    "a" * 1000 + ".xlsx",
    "\udcff\udcfe名单.xlsx".encode("utf-8", "surrogateescape").decode("latin-1"),
    "名单\x00.xlsx",
    ".xlsx",
    "无后缀",
    "名单.xlsx.exe",
]


def upload_targets(world):
    """(URL, body builder) for every upload endpoint, into the admin's own union."""
    from tests.authz.rules_progress import union_at

    union = world.union("own")
    imports_url = reverse("imports:upload")
    targets_url = reverse("progress:import_targets", kwargs=union_at(world, union))
    return [
        (imports_url, lambda f: {"union": union.pk, "kind": ImportJob.Kind.MEMBERS, "file": f}),
        (targets_url, lambda f: {"sheet": f}),
    ]


@pytest.mark.parametrize("content", ["empty", "sheet", "junk"])
def test_upload_names_and_empty_files_give_a_chinese_answer(world, content):
    client = OnboardedClient(raise_request_exception=False)  # second factor, pledge
    client.force_login(world.visitor("admin"))
    payload = {"empty": b"", "sheet": sheet_bytes(), "junk": b"\x00\xff" * 64}[content]
    problems = []
    for url, body in upload_targets(world):
        for filename in HOSTILE_NAMES:
            response = client.post(url, body(SimpleUploadedFile(filename, payload)))
            problems.append(check(response, f"POST {url} file {short(filename)} ({content})"))
            if content == "empty":
                assert response.status_code == 200
                assert "文件是空的（0 字节）" in response.content.decode(), (url, filename)
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems[:30])
    for job in ImportJob.objects.exclude(file=""):
        assert ".." not in job.file.name and not job.file.name.startswith("/"), job.file.name
