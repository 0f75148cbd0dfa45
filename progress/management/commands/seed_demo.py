import datetime
import random

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from members import services as member_services
from members.models import Member, MemberChange
from members.synthetic import person
from progress.models import Campaign, Target
from progress.snapshots import take_daily_snapshots
from progress.targets import make_current
from registry import codes
from unions import demo_data
from unions import services as union_services
from unions.models import Union, User

CAMPAIGN = "2019年全县工会组织及会员实名制信息采集"
# The demo campaign runs around today, so its dashboard shows days left and a mix of
# units on pace and behind; the members arrived over the last CAMPAIGN_DAYS_SO_FAR days.
CAMPAIGN_DAYS_SO_FAR = 10
CAMPAIGN_DAYS = 90
DEMO_PASSWORD = "Gonghui@2026"  # noqa: S105 - printed in the README for the demo only

# (username, union name, role, full name)
DEMO_ACCOUNTS = [
    ("city_admin", "常德市总工会", User.Role.ADMIN, "市总信息管理员"),
    ("county_admin", demo_data.COUNTY, User.Role.ADMIN, "县总信息管理员"),
    ("county_viewer", demo_data.COUNTY, User.Role.VIEWER, "县总基层部"),
    ("town_admin", "漳江街道办事处工会联合会", User.Role.ADMIN, "漳江街道信息管理员"),
    ("collector", "湖南桃花源电子科技有限公司工会", User.Role.COLLECTOR, "桃花源电子采集员"),
    ("school_collector", "桃源县第一中学工会", User.Role.COLLECTOR, "一中采集员"),
    ("dingcheng_admin", "鼎城区总工会", User.Role.ADMIN, "鼎城区信息管理员"),
]

# Base unions and groups below some of the county's units: (parent, name, kind, units)
BASE_UNIONS = [
    (
        "漳江街道办事处工会联合会",
        "桃源县漳江物流有限公司工会",
        codes.KIND_BASE,
        ["桃源县漳江物流有限公司"],
    ),
    (
        "漳江街道办事处工会联合会",
        "漳江社区联合工会",
        codes.KIND_JOINT_BASE,
        ["漳江社区便民超市", "漳江社区家政服务部", "漳江快递驿站"],
    ),
    ("县教育工会", "桃源县第一中学工会", codes.KIND_BASE, ["桃源县第一中学"]),
    ("桃源县第一中学工会", "语文组工会小组", codes.KIND_GROUP, []),
    ("桃源县第一中学工会", "数学组工会小组", codes.KIND_GROUP, []),
    (
        "桃源高新区工会联合会",
        "湖南桃花源电子科技有限公司工会",
        codes.KIND_BASE,
        ["湖南桃花源电子科技有限公司"],
    ),
    ("湖南桃花源电子科技有限公司工会", "一车间工会小组", codes.KIND_GROUP, []),
    ("湖南桃花源电子科技有限公司工会", "二车间工会小组", codes.KIND_GROUP, []),
    (
        "桃源高新区工会联合会",
        "桃源高新区创业园联合工会",
        codes.KIND_JOINT_BASE,
        ["创业园孵化器", "桃源云仓科技"],
    ),
    ("陬市镇工会联合会", "陬市镇中心卫生院工会", codes.KIND_BASE, ["陬市镇中心卫生院"]),
    ("桃源杰新纺织印染公司工会", "印染车间分会", codes.KIND_BRANCH, []),
    ("鼎城区总工会", "鼎城区人民医院工会", codes.KIND_BASE, ["鼎城区人民医院"]),
]


def kind_for(name: str) -> str:
    if name.endswith("工会联合会"):
        return codes.KIND_FEDERATION
    if name in ("县金融工会", "县教育工会"):
        return codes.KIND_INDUSTRY
    return codes.KIND_BASE


class Command(BaseCommand):
    help = "建立演示数据：桃源县总工会及其下级工会、演示账号和数千名合成会员。"

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=4000, help="合成会员人数（约数）")
        parser.add_argument("--seed", type=int, default=2019)

    @transaction.atomic
    def handle(self, *args, members: int, seed: int, **options):
        if Union.objects.filter(name=demo_data.COUNTY).exists():
            if self._create_campaign():
                self.stdout.write(f"已建立采集行动“{CAMPAIGN}”及目标任务数。")
            else:
                self.stdout.write("演示数据已存在，未做改动。")
            return
        rng = random.Random(seed)
        by_name = self._build_tree()
        self._create_accounts(by_name)
        created = self._create_members(by_name, rng, members)
        self._create_campaign()
        self.stdout.write(
            self.style.SUCCESS(
                f"已建立演示数据：{len(by_name)} 个工会组织，{len(DEMO_ACCOUNTS)} 个账号，{created} 名会员。"
                f" 演示账号密码：{DEMO_PASSWORD}"
            )
        )

    def _build_tree(self) -> dict[str, Union]:
        by_name: dict[str, Union] = {}

        def add(name: str, kind: str, parent: Union | None, unit_names=()) -> Union:
            # Through the union writer like every other door (tree lock, audit entry).
            union = union_services.create_union(actor=None, parent=parent, name=name, kind=kind)
            for unit_name in unit_names:
                union_services.link_unit(union, {"name": unit_name, "staff_count": 20})
            by_name[name] = union
            return union

        province = add("湖南省总工会", codes.KIND_LOCAL_FEDERATION, None)
        city = add("常德市总工会", codes.KIND_LOCAL_FEDERATION, province)
        county = add(demo_data.COUNTY, codes.KIND_LOCAL_FEDERATION, city)
        add("鼎城区总工会", codes.KIND_LOCAL_FEDERATION, city)
        for name, _target in demo_data.COUNTY_UNITS + demo_data.TOWNS:
            add(name, kind_for(name), county)
        for parent, name, kind, units in BASE_UNIONS:
            add(name, kind, by_name[parent], units)
        for union in by_name.values():
            union.refresh_from_db()
        return by_name

    def _create_campaign(self) -> bool:
        """The county's 40,000 from the city and seed 001's split among its 55 units."""
        if Campaign.objects.filter(name=CAMPAIGN).exists():
            return False
        today = timezone.localdate()
        starts_on = today - datetime.timedelta(days=CAMPAIGN_DAYS_SO_FAR)
        campaign = Campaign.objects.create(
            name=CAMPAIGN,
            starts_on=starts_on,
            deadline=starts_on + datetime.timedelta(days=CAMPAIGN_DAYS),
        )
        make_current(campaign=campaign)
        county = Union.objects.get(name=demo_data.COUNTY)
        city_admin = User.objects.filter(username="city_admin").first()
        county_admin = User.objects.filter(username="county_admin").first()
        targets = [
            Target(
                campaign=campaign, union=county, members=demo_data.COUNTY_TARGET, set_by=city_admin
            )
        ]
        children = {c.name: c for c in county.get_children()}
        for name, members in demo_data.COUNTY_UNITS + demo_data.TOWNS:
            targets.append(
                Target(
                    campaign=campaign, union=children[name], members=members, set_by=county_admin
                )
            )
        Target.objects.bulk_create(targets)
        for days_ago in range(CAMPAIGN_DAYS_SO_FAR, -1, -1):
            take_daily_snapshots(
                on=today - datetime.timedelta(days=days_ago), from_registration=True
            )
        return True

    def _create_accounts(self, by_name: dict[str, Union]) -> None:
        for username, union_name, role, full_name in DEMO_ACCOUNTS:
            user = User(
                username=username,
                union=by_name[union_name],
                role=role,
                first_name=full_name,
                must_change_password=False,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
        ops = User(username="ops", is_staff=True, is_superuser=True, must_change_password=False)
        ops.set_password(DEMO_PASSWORD)
        ops.save()

    def _create_members(self, by_name: dict[str, Union], rng: random.Random, wanted: int) -> int:
        targets = dict(demo_data.COUNTY_UNITS + demo_data.TOWNS)
        # Uneven progress on purpose, so the dashboards have laggards to show.
        weights = {name: targets[name] * rng.uniform(0.0, 0.25) for name in targets}
        for _parent, name, kind, _units in BASE_UNIONS:
            weights[name] = 120 if kind in (codes.KIND_BASE, codes.KIND_JOINT_BASE) else 40
        scale = wanted / sum(weights.values())
        seen: set[str] = set()
        batch: list[dict] = []
        serial = 0
        today = timezone.localdate()
        for name, weight in weights.items():
            union = by_name[name]
            units = list(union.units.all())
            for _ in range(max(1, round(weight * scale))):
                serial += 1
                data = person(rng, serial)
                if data["id_number"] in seen:
                    continue
                seen.add(data["id_number"])
                # Joined at 22 or later, never in the future.
                joined = data["birth_date"] + datetime.timedelta(
                    days=22 * 365 + rng.randrange(3000)
                )
                batch.append(
                    {
                        **data,
                        "union_id": union.pk,
                        "unit_id": rng.choice(units).pk if units else None,
                        "ethnicity": rng.choice(["01"] * 18 + ["15", "03", "06"]),
                        "political_status": rng.choice(["13"] * 6 + ["01", "01", "03"]),
                        "education": rng.choice(["21", "31", "61", "41", "14"]),
                        "household_type": rng.choice("12"),
                        "employment_status": "01",
                        "new_employment_form": rng.random() < 0.08,
                        "union_post": "01",
                        "status": Member.Status.ACTIVE
                        if rng.random() < 0.97
                        else Member.Status.RETIRED,
                        "join_date": min(joined, today - datetime.timedelta(days=30)),
                        "extra": {"籍贯": "湖南省桃源县"} if rng.random() < 0.3 else {},
                    }
                )
        arrival = random.Random(rng.random())  # separate, so the members stay the same
        now = timezone.now()
        for values in batch:
            values["created_at"] = now - datetime.timedelta(
                minutes=arrival.randrange(CAMPAIGN_DAYS_SO_FAR * 24 * 60)
            )
        # Through the member writer: 入会 events and tallies come with them.
        member_services.register_members(batch, by=None, source=MemberChange.Source.IMPORT)
        return len(batch)
