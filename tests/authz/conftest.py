"""The `world` of the authorization matrix: the shared union tree, a visitor of each role in
the county, and baseline data in the sibling county that no page may ever show."""

import functools
import itertools

import pytest
from django.contrib.auth.hashers import make_password

from tests.conftest import PASSWORD
from unions import audit
from unions.models import AuditEntry, User

POSITION_UNION = {"own": "county", "descendant": "town", "ancestor": "city", "sibling": "sibling"}


@functools.cache
def password_hash() -> str:
    return make_password(PASSWORD)


class World:
    def __init__(self, tree, make_member):
        self.tree = tree
        self._make_member = make_member
        self._numbers = itertools.count(1)
        self.visitors = {
            role: self.make_user(tree["county"], role=role, username=f"visitor_{role}")
            for role in (User.Role.ADMIN, User.Role.COLLECTOR, User.Role.VIEWER)
        }
        # What the sibling county holds; no response may contain any of it.
        sibling_account = self.make_user(tree["sibling_base"], username="sibling_secret_account")
        sibling_member = self.make_member(tree["sibling_base"], name="鼎城会员")
        sibling_audit = audit.record(
            AuditEntry.Action.EXPORT, actor=sibling_account, object_repr="鼎城导出的花名册"
        )
        self.forbidden_text = [
            sibling_audit.object_repr,
            tree["sibling"].name,
            tree["sibling_base"].name,
            sibling_account.username,
            sibling_member.name,
            sibling_member.id_number,
            sibling_member.masked_id,
        ]

    def union(self, position: str):
        return self.tree[POSITION_UNION[position]]

    def make_user(self, union, *, role=User.Role.COLLECTOR, username=None, **fields):
        return User.objects.create(
            username=username or f"account{next(self._numbers)}",
            union=union,
            role=role,
            password=password_hash(),
            must_change_password=False,
            **fields,
        )

    def make_member(self, union, **fields):
        return self._make_member(union, **fields)

    def visitor(self, who: str):
        return None if who == "anonymous" else self.visitors[who]


@pytest.fixture
def world(tree, make_member):
    return World(tree, make_member)


@pytest.fixture(autouse=True)
def _uploads_in_tmp(media_root):
    """Cells that store or serve files (imports) keep them out of the real media directory."""
    return media_root
