"""The plain columns that go with a member's encrypted ID number and phone.

The ID and the phone are stored encrypted (registry/crypto.py); what SQL still needs is kept
beside them, computed here and written by the member writer (`Member.save`, and
`members.services` for the bulk paths): the blind indexes for equality (one ID = one
member, search by a full ID or phone), the last four characters people read off a masked
value, and whether the ID's first six digits are a county code (the 数据核查 list). Birth
date and gender are ordinary member fields already.
"""

import functools
from collections.abc import Mapping

from stdnum import numdb

from registry.crypto import blind_index

ID_COLUMNS = ("id_hash", "id_last4", "id_region_known")
MOBILE_COLUMNS = ("mobile_hash", "mobile_last4")


@functools.lru_cache(maxsize=1)
def known_regions() -> frozenset[str]:
    """Every six-digit county code python-stdnum knows, whatever years it was valid."""
    codes6 = set()
    for _, province, _, _, children in numdb.get("cn/loc").prefixes:
        for _, county, _, props, _ in children:
            if "county" in props:
                codes6.add(province + county)
    return frozenset(codes6)


def id_hash(number: str) -> str:
    return blind_index("id_number", number)


def mobile_hash(mobile: str) -> str:
    return blind_index("mobile", mobile or "")


def columns(values: Mapping, *, known_id_hash: str = "") -> dict:
    """The derived columns for whichever of `id_number` and `mobile` `values` holds.
    `known_id_hash`: the ID's blind index, already computed by the caller from the same
    number (the import engine matched the row with it)."""
    out = {}
    if "id_number" in values:
        number = values["id_number"] or ""
        out["id_hash"] = known_id_hash or id_hash(number)
        out["id_last4"] = number[-4:]
        out["id_region_known"] = number[:6] in known_regions()
    if "mobile" in values:
        mobile = values["mobile"] or ""
        out["mobile_hash"] = mobile_hash(mobile)
        out["mobile_last4"] = mobile[-4:]
    return out
