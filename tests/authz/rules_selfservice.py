"""Rules for self-service (issue 13).

PUBLIC pages — the only ones of the project reachable without an account — answer
anonymous visitors with 200: the application form behind a union's signed link, the
SMS code page, the application status, the member's self-check pages and the card.
Without a verified phone they show a form and nothing of any member. The application
link names its union, so only the visitor's own positions are walked (the sibling's
link would, rightly, show the sibling's name).

The officers' pages need an editor of the union (or above); 扫码核验 any union account.
"""

import datetime

from django.utils import timezone

from selfservice import services
from selfservice.models import Application, CorrectionRequest
from tests.authz import ALL_ROLES, EDITORS, Rule

PUBLIC = {"roles": ALL_ROLES, "anonymous": 200}


def join_link(world, union):
    return {"token": services.join_token(union)}


def application_at(world, union):
    application = Application.objects.create(
        union=union,
        name="矩阵申请人",
        id_type="01",
        id_number="430725199005050017",
        mobile="13900000001",
        workplace="矩阵单位",
        signature="矩阵申请人",
        signed_at=timezone.now(),
        consent_version=services.CONSENT_VERSION,
        birth_date=datetime.date(1990, 5, 5),
    )
    return {"pk": application.pk}


def correction_at(world, union):
    member = world.make_member(union, name="矩阵会员")
    correction = CorrectionRequest.objects.create(
        member=member, union=union, changes={"学历": ["", "大学本科"]}, data={"education": "21"}
    )
    return {"pk": correction.pk}


def card_of(world, union):
    return {"token": services.card_token(world.make_member(union, name="持卡会员"))}


def reject(world, union):
    return {"decision": "reject", "reason": "矩阵测试"}


RULES = {
    # public
    "selfservice:apply": Rule(**PUBLIC, target=join_link, positions=("own", "descendant")),
    "selfservice:verify": Rule(**PUBLIC),
    "selfservice:status": Rule(**PUBLIC),
    "selfservice:me": Rule(**PUBLIC),
    "selfservice:me_confirm": Rule(**PUBLIC, method="POST"),
    "selfservice:me_correct": Rule(**PUBLIC),
    "selfservice:me_leave": Rule(**PUBLIC, method="POST"),
    "selfservice:card": Rule(**PUBLIC),
    # any union account; the card's holder shows it, so positions do not narrow it
    "selfservice:scan": Rule(roles=ALL_ROLES, target=card_of, positions=("own", "descendant")),
    # editors of the union or above
    "selfservice:links": Rule(roles=EDITORS),
    "selfservice:poster": Rule(roles=EDITORS, target=lambda world, union: {"pk": union.pk}),
    "selfservice:queue": Rule(roles=EDITORS),
    "selfservice:application": Rule(roles=EDITORS, target=application_at),
    "selfservice:application_decide": Rule(
        roles=EDITORS, method="POST", target=application_at, data=reject, ok=302
    ),
    "selfservice:correction": Rule(roles=EDITORS, target=correction_at),
    "selfservice:correction_decide": Rule(
        roles=EDITORS, method="POST", target=correction_at, data=reject, ok=302
    ),
}
