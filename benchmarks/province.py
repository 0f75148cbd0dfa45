"""Build a province-sized registry with COPY: the data every other benchmark runs against.

    python benchmarks/province.py [--unions 10000] [--members 1000000] [--rebuild]

Uses its own PostgreSQL database (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/province), created and migrated when missing. The tree is a
province federation → county federations (one per 500 unions) → 24 town federations each →
base unions spread unevenly over the towns; members are spread unevenly (Pareto) over the
base unions, 95 % 在册, with valid 18-digit IDs (region, birth date, sequence, MOD 11-2), unique
mobiles, realistic names and three extra columns. Unions and members go in with COPY, streamed
in chunks (memory stays flat at 10 M); the per-union tallies (`members.UnionTally`) are filled
at the end with one grouped INSERT … SELECT, as `members.tallies.recount` would, the subtree
tallies (`unions.SubtreeTally`) from them, and both proved by `members.tallies`. A current campaign puts a target on every union; accounts
`bench_admin`, `bench_viewer` (root) and `bench_county` (first county, 管理员) are created, and
50 officers for the load test (`bench_officer_00`…: county 查看 and town 采集员 accounts, the
pledge signed).

A database already holding the requested sizes is reused unless --rebuild. Prints the time of
each step, rows/s, and the size of the member table and of each of its indexes.
"""

import argparse
import datetime
import functools
import io
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/province")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
from registry import keys  # noqa: E402

# The published development keys (registry/keys.py): a benchmark's data protect nothing.
_FIELD_KEY, _INDEX_KEY = keys.development_keys()
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", _FIELD_KEY)
os.environ.setdefault("BLIND_INDEX_KEY", _INDEX_KEY)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")


TOWNS_PER_COUNTY = 24
UNIONS_PER_COUNTY = 500
CHUNK = 100_000
OFFICERS = 50
PASSWORD = "Bench-Officer-2026"  # noqa: S105 - a benchmark account
REGIONS = ["420102", "420106", "420111", "420502", "420602", "421002", "421182", "422801"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红建国志海燕文斌辉鹏飞宇浩然婷雪琳欣怡晨阳"


def ensure_database(url: str) -> None:
    import dj_database_url
    import psycopg2

    cfg = dj_database_url.parse(url)
    conn = psycopg2.connect(
        dbname="postgres",
        user=cfg["USER"],
        password=cfg["PASSWORD"] or None,
        host=cfg["HOST"],
        port=cfg["PORT"] or 5432,
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
    conn.close()


def setup_django(*, migrate: bool = True) -> None:
    """Create the database when missing, set Django up for in-process requests, migrate."""
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    if migrate:
        call_command("migrate", verbosity=0)


def build_tree(unions: int) -> list[tuple]:
    """(id, parent_id, name, kind, level, lft, rght) of a 4-level tree of `unions` nodes."""
    rng = random.Random(6)
    counties = max(1, unions // UNIONS_PER_COUNTY)
    children: dict[int, list[int]] = {1: []}
    names = {1: "基准省总工会"}
    kinds = {1: "01"}
    next_id = 2
    towns = []
    for c in range(counties):
        county = next_id
        next_id += 1
        children[1].append(county)
        children[county] = []
        names[county], kinds[county] = f"基准第{c + 1:03d}县总工会", "01"
        for t in range(TOWNS_PER_COUNTY):
            if next_id > unions:
                break
            town = next_id
            next_id += 1
            children[county].append(town)
            children[town] = []
            names[town], kinds[town] = f"基准第{c + 1:03d}县第{t + 1:02d}镇工会联合会", "03"
            towns.append(town)
    while next_id <= unions:
        town = rng.choice(towns)
        children[town].append(next_id)
        children[next_id] = []
        names[next_id], kinds[next_id] = f"基准基层工会{next_id:06d}", "04"
        next_id += 1

    rows = []
    parent_of = {child: p for p, cs in children.items() for child in cs}
    counter = 0
    # iterative depth-first walk (a recursive one would need a deep stack at 100,000)
    stack = [(1, 0, False)]
    lfts = {}
    while stack:
        node, level, done = stack.pop()
        counter += 1
        if done:
            rows.append(
                (node, parent_of.get(node), names[node], kinds[node], level, lfts[node], counter)
            )
            continue
        lfts[node] = counter
        stack.append((node, level, True))
        for child in reversed(children[node]):
            stack.append((child, level + 1, False))
    return rows


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    """COPY `rows` (tuples of already-rendered text, None for NULL) in chunks; returns rows."""
    from members.bulk import _copy_value

    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    total = 0
    buffer = io.StringIO()
    n = 0
    for row in rows:
        buffer.write("\t".join(_copy_value(v) for v in row))
        buffer.write("\n")
        n += 1
        if n == CHUNK:
            buffer.seek(0)
            cursor.copy_expert(sql, buffer)
            total += n
            buffer, n = io.StringIO(), 0
    if n:
        buffer.seek(0)
        cursor.copy_expert(sql, buffer)
        total += n
    return total


def _check_digit(first17: str) -> str:
    from registry.validators import mod11_2_check

    return mod11_2_check(first17)


def member_rows(base: list[int], members: int, now: datetime.datetime):
    """Members spread unevenly over the base unions; IDs unique by (birth day, sequence)."""
    rng = random.Random(2019)
    weights = [rng.paretovariate(2.5) for _ in base]
    born_from = datetime.date(1962, 1, 1)
    statuses = ["active"] * 95 + ["retired"] * 3 + ["left"] * 2
    extra_kinds = ['"正式在职"', '"劳务派遣"', '"正式在职"', '"学校人事代理"']
    for start in range(0, members, CHUNK):
        count = min(CHUNK, members - start)
        chosen = rng.choices(base, weights=weights, k=count)
        for offset, union_id in enumerate(chosen):
            n = start + offset + 1
            birth = born_from + datetime.timedelta(days=n // 1000)
            seq = n % 1000
            first17 = f"{REGIONS[n % len(REGIONS)]}{birth:%Y%m%d}{seq:03d}"
            created = now - datetime.timedelta(minutes=rng.randrange(90 * 24 * 60))
            given = "".join(rng.choice(GIVEN) for _ in range(1 + (rng.random() < 0.7)))
            yield (
                n,
                "01",
                first17 + _check_digit(first17),
                rng.choice(SURNAMES) + given,
                "1" if seq % 2 else "2",
                birth,
                f"1{'3578'[n % 4]}{(n * 7919) % 10**9:09d}",
                "01",
                "13",
                "21",
                "1",
                "01",
                "01",
                "2",
                rng.choice(statuses),
                f'{{"籍贯": "湖北省武汉市", "工号": "{n:08d}", "身份类别": {extra_kinds[n % 4]}}}',
                created,
                now,
                union_id,
                birth + datetime.timedelta(days=8036),
            )


def sealed_rows(rows):
    """`member_rows` as the member writer stores them: the ID and phone encrypted
    (registry/crypto.py), their blind indexes and last-four columns beside them."""
    from members import identity
    from registry.crypto import cipher

    box = cipher()
    for row in rows:
        number, mobile = row[2], row[6]
        derived = identity.columns({"id_number": number, "mobile": mobile})
        yield (
            *row[:2],
            box.encrypt(number, "id_number"),
            *row[3:6],
            box.encrypt(mobile, "mobile"),
            *row[7:],
            *(derived[name] for name in DERIVED_COLUMNS),
        )


DERIVED_COLUMNS = ["id_hash", "id_last4", "id_region_known", "mobile_hash", "mobile_last4"]
MEMBER_COLUMNS = [
    "id",
    "id_type",
    "id_number",
    "name",
    "gender",
    "birth_date",
    "mobile",
    "ethnicity",
    "political_status",
    "education",
    "household_type",
    "employment_status",
    "union_post",
    "post_type",
    "status",
    "extra",
    "created_at",
    "updated_at",
    "union_id",
    "join_date",
    *DERIVED_COLUMNS,
]


@functools.cache
def password_hash() -> str:
    """`PASSWORD` hashed once (a deliberately slow hash) for every benchmark account."""
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


def officer_accounts() -> list[tuple[str, int, str]]:
    """(username, union id, role) of the load test's officers: county 查看 and town 采集员
    accounts spread over the counties. Neither role must use a second factor under the
    default `MFA_REQUIRED_ROLES` (admin@county), so a script can log them in."""
    from unions.models import Union, User

    counties = list(Union.objects.filter(level=1).order_by("lft").values_list("pk", flat=True))
    towns = list(Union.objects.filter(level=2).order_by("lft").values_list("pk", flat=True))
    accounts = []
    for i in range(OFFICERS):
        if i % 2 == 0 or not towns:
            union_id = counties[(i // 2) % len(counties)] if counties else 1
            accounts.append((f"bench_officer_{i:02d}", union_id, User.Role.VIEWER))
        else:
            union_id = towns[(i * 37) % len(towns)]
            accounts.append((f"bench_officer_{i:02d}", union_id, User.Role.COLLECTOR))
    return accounts


def ensure_officers() -> list[str]:
    """Create the officers (password `PASSWORD`) when missing, each having signed the
    current confidentiality pledge; returns their usernames."""
    from unions import pledge
    from unions.models import PledgeAcceptance, User

    version = pledge.current()
    names = []
    for username, union_id, role in officer_accounts():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, union_id=union_id, role=role)
            user.must_change_password = False
            user.password = password_hash()
            user.save()
        PledgeAcceptance.objects.get_or_create(user=user, version=version)
        names.append(username)
    return names


def plain_indexes(cur, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of `table`'s indexes that back no constraint."""
    cur.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x"
        " JOIN pg_class i ON i.oid = x.indexrelid"
        " WHERE x.indrelid = %s::regclass"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
        [table],
    )
    return cur.fetchall()


def onboarded_client(user):
    """A test client logged in as `user` the way a person gets there: the pledge signed
    and, for an account that must use two factors, the second factor passed (as the
    test suite's OnboardedClient does)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from unions import mfa, pledge
    from unions.models import PledgeAcceptance

    PledgeAcceptance.objects.get_or_create(user=user, version=pledge.current())
    client = Client()
    client.force_login(user)
    if mfa.required_for(user) or mfa.is_enrolled(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        device = device or TOTPDevice.objects.create(user=user, name="基准", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def is_built(unions: int, members: int) -> bool:
    from members.models import Member, UnionTally
    from unions.models import Union, User

    return (
        Union.objects.count() == unions
        and Member.objects.count() == members
        and UnionTally.objects.exists()
        and User.objects.filter(username="bench_admin").exists()
    )


def build(unions: int, members: int, *, rebuild: bool = False, quiet: bool = False) -> dict:
    """Fill the database (unless it already holds these sizes); returns the step times."""
    from django.db import connection

    from members.models import Member, UnionTally
    from members.tallies import differences, rebuild_subtrees, subtree_differences
    from progress.models import Campaign, Target
    from unions.models import Union, User

    say = (lambda *a: None) if quiet else print
    if not rebuild and is_built(unions, members):
        say(f"reusing {unions:,} unions and {members:,} members")
        ensure_officers()
        return {}
    held = Member.objects.count()
    if not rebuild and held > members and User.objects.filter(username="bench_admin").exists():
        # A bigger province took long to build: replacing it by a smaller one is asked for.
        raise SystemExit(
            f"{connection.settings_dict['NAME']} holds {Union.objects.count():,} unions and"
            f" {held:,} members: pass those sizes (--unions/--members), or --rebuild to"
            f" replace them by {unions:,} and {members:,}."
        )
    times = {}
    started = time.perf_counter()
    now = datetime.datetime.now(datetime.UTC)
    tree = build_tree(unions)
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE unions_dailysnapshot, unions_target, unions_campaign, members_member,"
            " members_uniontally, unions_auditentry, unions_user, unions_union,"
            " unions_unit"
            " RESTART IDENTITY CASCADE"
        )
        t = time.perf_counter()
        _copy(
            cur.cursor,
            Union._meta.db_table,
            [
                "id",
                "parent_id",
                "name",
                "kind",
                "level",
                "lft",
                "rght",
                "tree_id",
                "system_code",
                "chair",
                "phone",
                "address",
                "is_active",
                "created_at",
                "updated_at",
            ],
            (
                (
                    i,
                    p,
                    name,
                    kind,
                    lvl,
                    lft,
                    rght,
                    1,
                    f"LSBENCH{i:012d}",
                    "",
                    "",
                    "",
                    True,
                    now,
                    now,
                )
                for i, p, name, kind, lvl, lft, rght in tree
            ),
        )
        times["unions (COPY)"] = time.perf_counter() - t
        say(f"  {unions:,} unions: {times['unions (COPY)']:.1f} s")
        base = [row[0] for row in tree if row[3] == "04"] or [tree[-1][0]]
        # The member table's plain indexes are dropped for the COPY and built again after
        # it: one sorted build per index instead of 10 M insertions into each. Those
        # behind constraints (primary key, one ID one member) stay and check every row.
        cur.execute("SET maintenance_work_mem = '256MB'")
        indexes = plain_indexes(cur, Member._meta.db_table)
        t = time.perf_counter()
        try:
            for name, _definition in indexes:
                cur.execute(f'DROP INDEX "{name}"')
            _copy(
                cur.cursor,
                Member._meta.db_table,
                MEMBER_COLUMNS,
                sealed_rows(member_rows(base, members, now)),
            )
            times["members (COPY)"] = time.perf_counter() - t
            say(
                f"  {members:,} members: {times['members (COPY)']:.1f} s"
                f" ({members / times['members (COPY)']:,.0f} rows/s)"
            )
        finally:
            t = time.perf_counter()
            for _name, definition in indexes:
                cur.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
            times[f"member indexes ({len(indexes)} built)"] = time.perf_counter() - t
        say(f"  {len(indexes)} member indexes: {time.perf_counter() - t:.1f} s")
        for table in (Union._meta.db_table, Member._meta.db_table):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )
        # The tallies the member writer keeps, filled once: one grouped INSERT … SELECT.
        t = time.perf_counter()
        cur.execute(
            f"INSERT INTO {UnionTally._meta.db_table} (union_id, status, count)"  # noqa: S608
            f" SELECT union_id, status, count(*) FROM {Member._meta.db_table}"
            " GROUP BY union_id, status"
        )
        times["tallies (grouped insert)"] = time.perf_counter() - t
        say(f"  tallies: {times['tallies (grouped insert)']:.1f} s")
        t = time.perf_counter()
        rebuild_subtrees()
        times["subtree tallies (one insert)"] = time.perf_counter() - t
    today = datetime.date.today()
    campaign = Campaign.objects.create(
        name="基准采集行动",
        starts_on=today - datetime.timedelta(days=60),
        deadline=today + datetime.timedelta(days=30),
        is_current=True,
    )
    Target.objects.bulk_create(
        [
            Target(campaign=campaign, union_id=i, members=max(10, (rght - lft) * 60))
            for i, _p, _n, _k, _level, lft, rght in tree
        ],
        batch_size=5000,
    )
    county = Union.objects.filter(level=1).order_by("lft").first()
    for username, union_id, role in (
        ("bench_admin", 1, User.Role.ADMIN),
        ("bench_viewer", 1, User.Role.VIEWER),
        ("bench_county", county.pk if county else 1, User.Role.ADMIN),
    ):
        user = User(username=username, union_id=union_id, role=role, must_change_password=False)
        user.password = password_hash()
        user.save()
    ensure_officers()
    t = time.perf_counter()
    with connection.cursor() as cur:
        for table in ("members_member", "unions_union", "unions_target", "members_uniontally"):
            cur.execute(f"VACUUM ANALYZE {table}")
    times["vacuum analyze"] = time.perf_counter() - t
    t = time.perf_counter()
    wrong = differences()
    times["tallies proved (recount)"] = time.perf_counter() - t
    assert not wrong, f"tallies differ from the member table: {wrong[:5]}"
    wrong = subtree_differences()
    assert not wrong, f"subtree tallies differ from the member table: {wrong[:5]}"
    times["total"] = time.perf_counter() - started
    say(f"built {unions:,} unions and {members:,} members in {times['total']:.0f} s")
    return times


def ensure_units(*, quiet: bool = False) -> None:
    """Work units for the coverage figures (入会率, 建会率), added once with COPY when the
    registry has none: every base union covers one unit (职工人数 1.2–2× its members; one
    in 20 without 职工人数), and every town federation records three units that have no
    union of their own (未建会单位)."""
    from django.db import connection

    from members.models import UnionTally
    from unions.models import Union, Unit

    if Unit.objects.exists():
        return
    rng = random.Random(14)
    t = time.perf_counter()
    members = dict(UnionTally.objects.filter(status="active").values_list("union_id", "count"))
    now = datetime.datetime.now(datetime.UTC)
    units, links = [], []
    for pk, kind in Union.objects.filter(kind__in=("03", "04")).values_list("pk", "kind"):
        for _k in range(1 if kind == "04" else 3):
            unit_id = len(units) + 1
            staff = None if rng.random() < 0.05 else int(members.get(pk, 0) * rng.uniform(1.2, 2))
            if kind == "03":
                staff = rng.randint(5, 80)
            units.append((unit_id, f"基准单位{unit_id:06d}", "", "", staff, now, now))
            links.append((unit_id, pk, unit_id))
    with connection.cursor() as cur:
        _copy(
            cur.cursor,
            Unit._meta.db_table,
            ["id", "name", "nature", "address", "staff_count", "created_at", "updated_at"],
            units,
        )
        _copy(cur.cursor, Union.units.through._meta.db_table, ["id", "union_id", "unit_id"], links)
        for table in (Unit._meta.db_table, Union.units.through._meta.db_table):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )
            cur.execute(f"VACUUM ANALYZE {table}")
    if not quiet:
        print(f"  {len(units):,} units ({len(links):,} links): {time.perf_counter() - t:.1f} s")


def sizes() -> list[tuple[str, int]]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT 'table members_member', pg_relation_size('members_member')"
            " UNION ALL SELECT indexrelid::regclass::text, pg_relation_size(indexrelid)"
            " FROM pg_index WHERE indrelid = 'members_member'::regclass"
        )
        return cur.fetchall()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unions", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true", help="refill even when the sizes match")
    args = parser.parse_args()
    setup_django()
    load = os.getloadavg()
    print(f"database {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}; load {load[0]:.1f}")
    times = build(args.unions, args.members, rebuild=args.rebuild)
    if times:
        print(f"\n{'step':<30}{'seconds':>10}")
        for step, seconds in times.items():
            print(f"{step:<30}{seconds:>10.1f}")
    relations = sizes()
    print(f"\nmembers_member: {len(relations) - 1} indexes")
    for name, size in relations:
        print(f"  {name:<50}{size / 2**20:>10.1f} MB")
    load = os.getloadavg()
    print(
        f"load average after: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
