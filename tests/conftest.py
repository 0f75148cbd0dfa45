"""Shared fixtures: a small union tree and an account for each role at each position.

city (地方总工会)
├── county (地方总工会)            ← "own" union of the *_county users
│   ├── town (工会联合会)
│   │   └── base (单独基层工会)
│   │       └── group (工会小组)
│   └── school (单独基层工会)
└── sibling (地方总工会)          ← another county: must stay invisible
    └── sibling_base (单独基层工会)
"""

import datetime
import itertools
import os

import pytest
from django.db.models import Max
from django.test import Client

from members import tallies
from members.models import Member
from members.synthetic import id_number
from registry import codes, keys
from unions.models import Union, User

PASSWORD = "Correct-Horse-42"

# The settings use the development keys under pytest (registry/keys.py); processes the tests
# start (manage.py, a Celery worker, gunicorn) get the same ones through the environment.
_field_key, _index_key = keys.development_keys()
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", _field_key)
os.environ.setdefault("BLIND_INDEX_KEY", _index_key)


def pytest_configure(config):
    """Tests speak plain HTTP to the test client and the live server (production
    redirects to HTTPS; CI checks that with `manage.py check --deploy`), and read
    static files from static/ rather than a collected manifest. Set here, before
    the live server builds its middleware, which reads these settings once.

    Passwords are hashed with MD5 in tests: PBKDF2's deliberate slowness, paid in every
    fixture that creates an account and every login, dominated the suite's time. What
    the tests check (which password is accepted, validators, lockouts) does not depend
    on the algorithm; production keeps Django's default hashers."""
    from django.conf import settings
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()


# (key, name, kind, parent key), in the order the unions are created.
TREE = [
    ("city", "常德市总工会", codes.KIND_LOCAL_FEDERATION, None),
    ("county", "桃源县总工会", codes.KIND_LOCAL_FEDERATION, "city"),
    ("town", "漳江街道办事处工会联合会", codes.KIND_FEDERATION, "county"),
    ("base", "漳江物流公司工会", codes.KIND_BASE, "town"),
    ("group", "一车间工会小组", codes.KIND_GROUP, "base"),
    ("school", "桃源一中工会", codes.KIND_BASE, "county"),
    ("sibling", "鼎城区总工会", codes.KIND_LOCAL_FEDERATION, "city"),
    ("sibling_base", "鼎城医院工会", codes.KIND_BASE, "sibling"),
]
# Where django-mptt put each node (lft, rght, level, tree_id above the previous maximum),
# recorded the first time the tree is built through mptt in this session.
_tree_layout: dict[str, tuple[int, int, int, int]] = {}


@pytest.fixture
def tree(db):
    return build_tree()


def build_tree() -> dict[str, Union]:
    """Most tests start from this tree, so it is cheap: the first build goes through
    django-mptt (8 inserts that renumber the tree) and records where each node landed;
    later builds insert the rows with those positions, one INSERT each, in the same
    order (so primary keys come out in the same order), and read them back.
    tests/test_fixtures.py checks the result against django-mptt's own rebuild."""
    next_tree_id = (Union.objects.aggregate(m=Max("tree_id"))["m"] or 0) + 1
    built = {}
    if not _tree_layout:
        for key, name, kind, parent in TREE:
            built[key] = Union.objects.create(name=name, kind=kind, parent=built.get(parent))
        for union in built.values():
            union.refresh_from_db()
        for key, union in built.items():
            _tree_layout[key] = (union.lft, union.rght, union.level, union.tree_id - next_tree_id)
        return built
    for key, name, kind, parent in TREE:
        lft, rght, level, tree_offset = _tree_layout[key]
        (built[key],) = Union.objects.bulk_create(
            [
                Union(
                    name=name,
                    kind=kind,
                    parent=built.get(parent),
                    lft=lft,
                    rght=rght,
                    level=level,
                    tree_id=next_tree_id + tree_offset,
                )
            ]
        )
    fresh = Union.objects.in_bulk([union.pk for union in built.values()])
    return {key: fresh[union.pk] for key, union in built.items()}


@pytest.fixture
def make_user(db):
    counter = itertools.count(1)

    def make(union, role=User.Role.ADMIN, *, username=None, must_change_password=False):
        user = User(
            username=username or f"user{next(counter)}",
            union=union,
            role=role,
            must_change_password=must_change_password,
        )
        user.set_password(PASSWORD)
        user.save()
        return user

    return make


@pytest.fixture
def county_admin(tree, make_user):
    return make_user(tree["county"], User.Role.ADMIN, username="county_admin")


@pytest.fixture
def make_member(db):
    counter = itertools.count(1)

    def make(union, *, name="张三", male=True, status=Member.Status.ACTIVE, **fields):
        n = next(counter)
        number = id_number(
            birth=datetime.date(1985, 1, 1) + datetime.timedelta(days=n), seq=n, male=male
        )
        member = Member.objects.create(
            union=union,
            name=name,
            id_number=fields.pop("id_number", number),
            gender="1" if male else "2",
            mobile=fields.pop("mobile", f"138{n:08d}"),
            status=status,
            **fields,
        )
        # A member registered earlier, without events or history; its tally kept as
        # the member writer keeps it.
        tallies.adjust(tallies.delta_for(union.pk, status))
        return member

    return make


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded files go to a fresh directory per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def celery_eager():
    """Tasks queued with .delay() run at once, in the calling thread, errors raised."""
    from registry.celery import app

    saved = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture(autouse=True)
def exports_run_in_place(request, monkeypatch, settings, tmp_path):
    """A member export (or a progress report) started in a test runs at once, inside the request that starts it,
    instead of on a worker; its file goes to a fresh media directory. Tests marked
    `worker` keep the real queue."""
    if request.node.get_closest_marker("worker"):
        return
    from members import export_jobs

    settings.MEDIA_ROOT = tmp_path / "media"
    real_queue = export_jobs._queue_job  # behind `start` and `start_report` (progress reports)

    def queue_and_run(**kwargs):
        job = real_queue(**kwargs)
        export_jobs.run(job.pk)
        job.refresh_from_db()
        return job

    monkeypatch.setattr(export_jobs, "_queue_job", queue_and_run)
    monkeypatch.setattr(export_jobs, "enqueue", lambda job_id: None)


# ---- onboarded accounts ----------------------------------------------------------------
#
# A real account reaches member pages after its second factor (if it must have one) and
# the confidentiality pledge. Most tests are about something else, so `client.force_login`
# logs in an *onboarded* account: it signs the current pledge and the session counts as
# verified by a second factor. Tests of the gates themselves use
# `force_login(user, second_factor=False, pledge=False)`, a plain `django.test.Client`, or the login form.


def sign_pledge(user) -> None:
    """The account has signed the current pledge (no audit entry: set-up, not an act)."""
    from unions import pledge
    from unions.models import PledgeAcceptance

    PledgeAcceptance.objects.get_or_create(user=user, version=pledge.current())


def confirmed_totp(user):
    """The account's confirmed TOTP device, made if it has none."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="测试", confirmed=True)


class OnboardedClient(Client):
    def force_login(self, user, backend=None, *, second_factor=True, pledge=True):
        from django_otp import DEVICE_ID_SESSION_KEY

        from unions import mfa

        if pledge:
            sign_pledge(user)
        super().force_login(user, backend)
        if second_factor and (mfa.required_for(user) or mfa.is_enrolled(user)):
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = confirmed_totp(user).persistent_id
            session.save()


@pytest.fixture
def client():
    return OnboardedClient()


@pytest.fixture(autouse=True)
def _fresh_status_counts():
    """The member list's per-status counts are remembered per process by (union id,
    version); a rolled-back test may leave both to be reused by the next one."""
    from members import selectors

    selectors._STATUS_COUNTS.clear()


@pytest.fixture(autouse=True)
def _fresh_pledge_cache():
    """The current pledge version is cached per process; each test's database starts anew."""
    from django.core.cache import cache

    from unions import pledge

    cache.delete(pledge.CACHE_KEY)
    yield
    cache.delete(pledge.CACHE_KEY)
