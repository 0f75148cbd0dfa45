"""保密承诺书 (the confidentiality pledge): the current version and who has signed it.

The platform operator publishes the text in /ops/ (each change is a new version). Until
one is published, version 1 is this module's default text, stored the first time it is
needed, so a fresh deployment never shows personal data to an account that has not
signed anything.
"""

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet

from unions import audit
from unions.models import AuditEntry, PledgeAcceptance, PledgeVersion, User

DEFAULT_TITLE = "工会会员信息保密承诺书"
DEFAULT_TEXT = """本人在使用“工会两库”（工会组织和工会会员实名制信息库）开展会员实名制信息采集、核查和管理工作中，郑重承诺：

一、严格遵守《中华人民共和国网络安全法》《中华人民共和国数据安全法》《中华人民共和国个人信息保护法》等法律法规和上级工会的保密规定。

二、会员的姓名、证件号码、手机号码等个人信息仅用于工会工作，不出于任何其他目的查询、复制、下载、传播或向他人提供。

三、不将账号和密码、动态验证码、恢复码交给他人使用；离开电脑时退出登录或锁定屏幕。

四、导出或下载的会员名册、错误报告等文件只保存在单位指定的计算机上，用完及时删除，不通过个人邮箱、社交软件或公共网盘传输。

五、发现个人信息泄露或账号被他人使用的，立即报告上级工会并修改密码。

六、岗位调整或离职时，交回并停用账号，不带走、不留存任何会员信息。

本人知悉：违反本承诺造成会员个人信息泄露的，将依法依规承担相应责任。"""


def current() -> PledgeVersion:
    """The newest published version (version 1, the default text, if none yet)."""
    version = PledgeVersion.objects.order_by("-version").first()
    if version is not None:
        return version
    try:
        with transaction.atomic():
            return PledgeVersion.objects.create(version=1, title=DEFAULT_TITLE, text=DEFAULT_TEXT)
    except IntegrityError:  # another request stored it first
        return PledgeVersion.objects.get(version=1)


# The current version's number, cached for a minute per process: the gate runs on every
# member page, and a new version reaches every process within that minute.
CACHE_KEY = "pledge:current-version"
SESSION_KEY = "pledge_signed_version"


def current_number() -> int:
    number = cache.get(CACHE_KEY)
    if number is None:
        number = current().version
        cache.set(CACHE_KEY, number, 60)
    return number


def has_signed_current(user: User, session=None) -> bool:
    """Has `user` signed the current version? With the request's `session`, a yes is
    remembered there, so the gate costs no query until a new version appears."""
    number = current_number()
    if session is not None and session.get(SESSION_KEY) == number:
        return True
    signed = PledgeAcceptance.objects.filter(user=user, version__version=number).exists()
    if signed and session is not None:
        session[SESSION_KEY] = number
    return signed


@transaction.atomic
def accept(user: User, *, request=None) -> PledgeAcceptance:
    """`user` read and accepted the current version: time, address and version kept,
    and audited. Signing twice keeps the first signature."""
    version = current()
    signature, created = PledgeAcceptance.objects.get_or_create(
        user=user, version=version, defaults={"ip_address": audit.client_ip(request)}
    )
    if created:
        audit.record(
            AuditEntry.Action.PLEDGE_ACCEPTED,
            request=request,
            actor=user,
            obj=user,
            object_repr=user.username,
            detail={"version": version.version},
        )
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = version.version
    return signature


@transaction.atomic
def publish(*, title: str, text: str, by: User | None, request=None) -> PledgeVersion:
    """A new version (the next number): every account signs it again before it next
    sees personal data."""
    latest = PledgeVersion.objects.select_for_update().order_by("-version").first()
    version = PledgeVersion.objects.create(
        version=(latest.version if latest else 0) + 1, title=title, text=text, published_by=by
    )
    audit.record(
        AuditEntry.Action.PLEDGE_PUBLISHED,
        request=request,
        actor=by,
        obj=version,
        detail={"version": version.version},
    )
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))
    cache.delete(CACHE_KEY)
    return version


def with_signed_flag(accounts: QuerySet) -> QuerySet:
    """`accounts` annotated with `signed_pledge`: signed the current version."""
    return accounts.annotate(
        signed_pledge=Exists(
            PledgeAcceptance.objects.filter(user=OuterRef("pk"), version=current())
        )
    )
