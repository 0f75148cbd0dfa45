"""Synthetic but valid identities for the demo registry, tests and benchmarks."""

import datetime
import random

from registry.validators import mod11_2_check

REGIONS = ["430725", "430702", "430703", "430721", "430102", "420106", "320311", "110105"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国志强海燕文"


def id_number(
    *, region: str = "430725", birth: datetime.date, seq: int = 1, male: bool = True
) -> str:
    """A well-formed 18-digit ID: region + birth date + 3-digit sequence (odd = 男) + check."""
    order = (seq * 2 + (1 if male else 0)) % 1000
    first17 = f"{region}{birth:%Y%m%d}{order:03d}"
    return first17 + mod11_2_check(first17)


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def person(rng: random.Random, serial: int) -> dict:
    """One synthetic person; `serial` keeps IDs unique across a run."""
    male = rng.random() < 0.55
    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 42))
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    return {
        "name": name,
        "id_number": id_number(
            region=rng.choice(REGIONS), birth=birth, seq=serial % 500, male=male
        ),
        "gender": "1" if male else "2",
        "birth_date": birth,
        "mobile": mobile(rng),
    }
