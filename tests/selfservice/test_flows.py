"""Self-service through the test client: applications, codes, throttles, review,
self-check, corrections, the card. Browser journeys are in tests/e2e/test_selfservice.py."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from members import services as member_services
from members.models import Member, MemberChange, MembershipEvent, TransferRequest, UnionTally
from members.synthetic import id_number
from selfservice import services
from selfservice.models import Application, CorrectionRequest, PhoneCode
from tests.conftest import OnboardedClient
from tests.selfservice.conftest import last_code
from unions.models import AuditEntry, User

APPLICANT_ID = id_number(birth=datetime.date(1992, 3, 4), seq=41, male=False)
PHONE = "13912345678"


def application_form(**overrides):
    data = {
        "name": "李小红",
        "id_type": "01",
        "id_number": APPLICANT_ID,
        "mobile": PHONE,
        "workplace": "桃源县第一中学",
        "education": "21",
        "agree_statement": "on",
        "agree_privacy": "on",
        "signature": "李小红",
    }
    data.update(overrides)
    return data


def apply_and_verify(client, union, **overrides) -> Application:
    url = reverse("selfservice:apply", kwargs={"token": services.join_token(union)})
    response = client.post(url, application_form(**overrides))
    assert response.status_code == 302, response.content.decode()
    mobile = overrides.get("mobile", PHONE)
    response = client.post(reverse("selfservice:verify"), {"code": last_code(mobile)})
    assert response["Location"] == reverse("selfservice:status")
    return Application.objects.latest("pk")


def page_text(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


# ---- application and phone verification --------------------------------------------------


def test_application_uses_the_import_validators_messages(client, tree, sms_outbox):
    url = reverse("selfservice:apply", kwargs={"token": services.join_token(tree["school"])})
    bad_id = APPLICANT_ID[:17] + ("0" if APPLICANT_ID[17] != "0" else "1")
    response = client.post(
        url, application_form(id_number=bad_id, mobile="1381234", signature="王五")
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "身份证号码校验位不正确，请逐位核对号码" in body
    assert "手机号码应为11位数字、以1开头（第二位为3到9），请核对。" in body
    assert "签名应与申请人姓名一致。" in body
    assert sms_outbox == []
    assert not Application.objects.exists()


def test_consent_and_statement_are_required(client, tree):
    url = reverse("selfservice:apply", kwargs={"token": services.join_token(tree["school"])})
    form = application_form()
    del form["agree_privacy"], form["agree_statement"]
    body = client.post(url, form).content.decode()
    assert "需要您同意个人信息处理告知，才能提交申请。" in body
    assert "请阅读入会申请书并勾选同意。" in body


def test_a_forged_link_answers_404(client, tree):
    token = services.join_token(tree["school"])
    forged = str(tree["sibling_base"].pk) + token[token.index(":") :]
    assert client.get(f"/join/{forged}/").status_code == 404


def test_verified_application_enters_the_queue_and_is_audited(client, tree, sms_outbox):
    application = apply_and_verify(client, tree["school"])
    assert application.state == Application.State.PENDING
    assert (application.union, application.name, application.workplace) == (
        tree["school"],
        "李小红",
        "桃源县第一中学",
    )
    assert application.gender == "2" and application.birth_date == datetime.date(1992, 3, 4)
    assert application.signature == "李小红" and application.signed_at is not None
    body = client.get(reverse("selfservice:status")).content.decode()
    assert "待审核" in body and "桃源一中工会" in body
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["sms_sent", "sms_verified", "application_submitted"]
    for entry in AuditEntry.objects.all():
        assert PHONE not in str(entry.detail) and APPLICANT_ID not in entry.object_repr


def test_wrong_codes_count_down_and_the_fifth_kills_the_code(client, tree):
    url = reverse("selfservice:apply", kwargs={"token": services.join_token(tree["school"])})
    client.post(url, application_form())
    code = last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        body = client.post(reverse("selfservice:verify"), {"code": wrong}).content.decode()
        assert f"验证码不正确，还可以再试{left}次。" in body
    body = client.post(reverse("selfservice:verify"), {"code": wrong}).content.decode()
    assert "验证码输错次数过多，已失效，请重新获取。" in body
    body = client.post(reverse("selfservice:verify"), {"code": code}).content.decode()
    assert "验证码已失效" in body
    assert not Application.objects.exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SMS_FAILED).count() == 6


def test_a_code_expires_after_five_minutes(client, tree, settings):
    assert settings.SMS_CODE_TTL_SECONDS == 300
    url = reverse("selfservice:apply", kwargs={"token": services.join_token(tree["school"])})
    client.post(url, application_form())
    record = PhoneCode.objects.get()
    assert record.expires_at - record.created_at == datetime.timedelta(minutes=5)
    PhoneCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    body = client.post(reverse("selfservice:verify"), {"code": last_code(PHONE)}).content.decode()
    assert "验证码已失效" in body
    assert not Application.objects.exists()


def test_codes_are_throttled_per_phone(client, tree, settings):
    url = reverse("selfservice:apply", kwargs={"token": services.join_token(tree["school"])})
    client.post(url, application_form())
    body = client.post(url, application_form()).content.decode()
    assert "验证码已发送，请60秒后再重新获取。" in body
    settings.SMS_RESEND_SECONDS = 0
    for _ in range(settings.SMS_PER_PHONE_PER_HOUR - 1):
        assert client.post(url, application_form()).status_code == 302
    body = client.post(url, application_form()).content.decode()
    assert "该手机号码获取验证码次数过多，请一小时后再试。" in body
    assert PhoneCode.objects.count() == settings.SMS_PER_PHONE_PER_HOUR
    refused = AuditEntry.objects.filter(action=AuditEntry.Action.SMS_REFUSED)
    assert {e.detail["reason"] for e in refused} == {"resend_interval", "per_phone"}


def test_codes_are_throttled_per_address(client, tree, settings, sms_outbox):
    settings.SMS_PER_IP_PER_HOUR = 2
    url = reverse("selfservice:me")
    for phone in ("13900000001", "13900000002"):
        data = {"id_type": "01", "id_number": APPLICANT_ID, "mobile": phone}
        assert client.post(url, data).status_code == 302
    data = {"id_type": "01", "id_number": APPLICANT_ID, "mobile": "13900000003"}
    body = client.post(url, data).content.decode()
    assert "获取验证码过于频繁，请一小时后再试。" in body
    assert len(sms_outbox) == 2


def test_every_public_form_is_throttled_per_address(client, tree, settings):
    settings.PUBLIC_FORMS_PER_IP_PER_HOUR = 2
    settings.SMS_RESEND_SECONDS = 0
    url = reverse("selfservice:status")
    assert client.post(url, {"mobile": PHONE}).status_code == 302
    assert client.post(reverse("selfservice:verify"), {"code": "000000"}).status_code == 200
    body = client.post(url, {"mobile": PHONE}).content.decode()
    assert "操作过于频繁，请一小时后再试。" in body


# ---- no enumeration ----------------------------------------------------------------------


def test_self_check_answers_alike_whether_or_not_the_id_is_registered(
    client, tree, make_member, sms_outbox
):
    member = make_member(tree["school"], name="王登记", mobile=PHONE)
    unknown = id_number(birth=datetime.date(1980, 1, 1), seq=77)
    answers = []
    for number in (member.id_number, unknown):
        client.cookies.clear()
        first = client.post(
            reverse("selfservice:me"), {"id_type": "01", "id_number": number, "mobile": PHONE}
        )
        answers.append((first.status_code, first["Location"]))
        page = client.get(reverse("selfservice:verify"))
        answers.append(page_text(page))
        assert "王登记" not in page.content.decode()
        PhoneCode.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=2))
    assert answers[0] == answers[2] and answers[1] == answers[3]
    assert len(sms_outbox) == 2  # a code either way: the answer tells nothing


def test_application_form_tells_nothing_about_a_registered_id(client, tree, make_member):
    member = make_member(tree["sibling_base"], name="鼎城人")
    url = reverse("selfservice:apply", kwargs={"token": services.join_token(tree["school"])})
    response = client.post(
        url, application_form(id_number=member.id_number, name="鼎城人", signature="鼎城人")
    )
    assert response.status_code == 302 and response["Location"] == reverse("selfservice:verify")
    assert "鼎城" not in client.get(response["Location"]).content.decode()


def test_member_pages_show_nothing_before_verification(client, tree, make_member):
    member = make_member(tree["school"], name="王登记", mobile=PHONE)
    client.post(
        reverse("selfservice:me"), {"id_type": "01", "id_number": member.id_number, "mobile": PHONE}
    )
    for name in ("selfservice:me", "selfservice:card", "selfservice:me_correct"):
        body = client.get(reverse(name)).content.decode()
        assert "王登记" not in body and member.masked_id not in body
    assert client.post(reverse("selfservice:me_confirm")).status_code == 200
    member.refresh_from_db()
    assert member.confirmed_at is None


# ---- review ------------------------------------------------------------------------------


@pytest.fixture
def school_collector(tree, make_user):
    return make_user(tree["school"], User.Role.COLLECTOR, username="school_collector")


def test_approval_registers_the_member_through_the_writer(client, tree, school_collector):
    application = apply_and_verify(client, tree["school"])
    officer = OnboardedClient()
    officer.force_login(school_collector)
    response = officer.post(
        reverse("selfservice:application_decide", args=[application.pk]), {"decision": "approve"}
    )
    assert response.status_code == 302
    member = Member.objects.with_id(APPLICANT_ID).get()
    assert (member.union, member.name, member.mobile, member.education) == (
        tree["school"],
        "李小红",
        PHONE,
        "21",
    )
    assert member.extra["工作单位"] == "桃源县第一中学"
    assert "李小红签名于" in member.extra["入会申请书"]
    assert member.events.get().kind == MembershipEvent.Kind.JOIN
    assert MemberChange.objects.filter(member=member).exists()
    assert UnionTally.objects.get(union=tree["school"], status="active").count == 1
    application.refresh_from_db()
    assert application.state == Application.State.APPROVED and application.member == member
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.APPLICATION_DECIDED, actor=school_collector
    ).exists()
    # the applicant's verified phone is remembered for a while: the status shows at once
    assert "已批准入会" in client.get(reverse("selfservice:status")).content.decode()


def test_an_id_registered_elsewhere_becomes_a_transfer_request(
    client, tree, make_member, school_collector
):
    holder = make_member(tree["sibling_base"], name="李小红", id_number=APPLICANT_ID)
    application = apply_and_verify(client, tree["school"])
    client.force_login(school_collector)
    detail = client.get(reverse("selfservice:application", args=[application.pk]))
    assert "一证一会员" in detail.content.decode()
    client.post(
        reverse("selfservice:application_decide", args=[application.pk]), {"decision": "approve"}
    )
    assert Member.objects.with_id(APPLICANT_ID).count() == 1
    transfer = TransferRequest.objects.get(member=holder)
    assert (transfer.from_union, transfer.to_union, transfer.origin, transfer.state) == (
        tree["sibling_base"],
        tree["school"],
        TransferRequest.Origin.CLAIM,
        TransferRequest.State.PENDING,
    )
    application.refresh_from_db()
    assert application.state == Application.State.TRANSFER
    assert application.transfer == transfer


def test_rejecting_needs_a_reason_that_the_applicant_sees(client, tree, school_collector):
    application = apply_and_verify(client, tree["school"])
    officer = OnboardedClient()
    officer.force_login(school_collector)
    url = reverse("selfservice:application_decide", args=[application.pk])
    response = officer.post(url, {"decision": "reject", "reason": " "}, follow=True)
    assert "请填写不通过的原因，申请人查询时会看到。" in response.content.decode()
    application.refresh_from_db()
    assert application.state == Application.State.PENDING
    officer.post(url, {"decision": "reject", "reason": "请先与单位签订劳动合同"})
    application.refresh_from_db()
    assert application.state == Application.State.REJECTED
    body = client.get(reverse("selfservice:status")).content.decode()
    assert "请先与单位签订劳动合同" in body and "未通过" in body


def test_a_collector_cannot_decide_another_unions_application(client, tree, make_user):
    application = apply_and_verify(client, tree["base"])
    client.force_login(make_user(tree["school"], User.Role.COLLECTOR))
    url = reverse("selfservice:application_decide", args=[application.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 404
    assert not Member.objects.exists()


# ---- self-check, confirmation, card ----------------------------------------------------


def verify_member(client, member):
    client.post(
        reverse("selfservice:me"),
        {"id_type": member.id_type, "id_number": member.id_number, "mobile": member.mobile},
    )
    client.post(reverse("selfservice:verify"), {"code": last_code(member.mobile)})


def test_self_check_confirm_card_and_scan(client, tree, make_member, make_user):
    member = make_member(tree["school"], name="王登记", mobile=PHONE)
    verify_member(client, member)
    body = client.get(reverse("selfservice:me")).content.decode()
    assert "王登记" in body and member.masked_id in body and member.id_number not in body
    assert "电子会员卡" not in body.split("信息有误")[1]  # no card before confirming
    response = client.post(reverse("selfservice:me_confirm"))
    assert response["Location"] == reverse("selfservice:card")
    member.refresh_from_db()
    assert member.confirmed_at is not None
    change = MemberChange.objects.get(member=member)
    assert "confirmed_at" in change.changes and change.source_ref == "selfservice"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SELF_CONFIRMED).exists()
    card = client.get(reverse("selfservice:card")).content.decode()
    assert services.card_number(member) in card and "<svg" in card and "会籍有效" in card
    assert member.id_number not in card

    officer = make_user(tree["sibling"], User.Role.VIEWER)  # any union account
    client.force_login(officer)
    scan_url = reverse("selfservice:scan", kwargs={"token": services.card_token(member)})
    assert services.qr_svg("http://testserver" + scan_url) in card  # the QR carries the link
    body = client.get(scan_url).content.decode()
    assert "有效：在册会员" in body and "王登记" in body
    assert member.id_number not in body and member.masked_id not in body

    member_services.record_event(
        member=member,
        kind=MembershipEvent.Kind.LEAVE,
        on=timezone.localdate(),
        by=make_user(tree["school"], User.Role.COLLECTOR),
    )
    body = client.get(scan_url).content.decode()
    assert "无效：会籍状态为“已离职”" in body


def test_a_forged_card_does_not_verify(client, tree, make_member, make_user):
    member = make_member(tree["school"])
    client.force_login(make_user(tree["county"], User.Role.VIEWER))
    token = services.card_token(member)
    body = client.get(reverse("selfservice:scan", kwargs={"token": token + "x"})).content.decode()
    assert "无效：不是本系统签发的会员卡" in body


def test_wrong_phone_finds_nothing_after_verification(client, tree, make_member):
    member = make_member(tree["school"], name="王登记", mobile=PHONE)
    other = "13700000000"
    client.post(
        reverse("selfservice:me"), {"id_type": "01", "id_number": member.id_number, "mobile": other}
    )
    client.post(reverse("selfservice:verify"), {"code": last_code(other)})
    body = client.get(reverse("selfservice:me")).content.decode()
    assert "没有找到与您填写的证件号码和手机号码都一致的会员记录" in body
    assert "王登记" not in body


def test_correction_lands_in_the_queue_old_to_new_masked(client, tree, make_member, make_user):
    member = make_member(tree["base"], name="王登记", mobile=PHONE, education="31")
    verify_member(client, member)
    response = client.post(
        reverse("selfservice:me_correct"),
        {"mobile": "13800001111", "education": "21", "workplace": "漳江物流公司"},
    )
    assert "更正申请已提交给漳江物流公司工会" in response.content.decode()
    correction = CorrectionRequest.objects.get()
    assert correction.changes["mobile"] == ["139****5678", "138****1111"]
    assert correction.changes["education"] == ["大学专科", "大学本科"]
    assert correction.changes["工作单位"] == ["", "漳江物流公司"]

    client.force_login(make_user(tree["town"], User.Role.COLLECTOR))  # above the union
    queue = client.get(reverse("selfservice:queue")).content.decode()
    assert "王登记" in queue
    page = client.get(reverse("selfservice:correction", args=[correction.pk])).content.decode()
    assert "139****5678" in page and "138****1111" in page and "13800001111" not in page
    client.post(
        reverse("selfservice:correction_decide", args=[correction.pk]), {"decision": "approve"}
    )
    member.refresh_from_db()
    assert (member.mobile, member.education) == ("13800001111", "21")
    assert member.extra["工作单位"] == "漳江物流公司"
    history = MemberChange.objects.get(member=member)
    assert history.changes["mobile"] == ["139****5678", "138****1111"]


def test_a_correction_that_changes_nothing_is_refused(client, tree, make_member):
    member = make_member(tree["base"], name="王登记", mobile=PHONE)
    verify_member(client, member)
    body = client.post(reverse("selfservice:me_correct"), {"name": "王登记"}).content.decode()
    assert "填写的内容与登记信息相同，没有需要更正的内容。" in body
    assert not CorrectionRequest.objects.exists()


def test_a_poster_carries_the_join_link_as_a_qr_code(client, tree, make_user):
    client.force_login(make_user(tree["county"], User.Role.COLLECTOR))
    links = client.get(reverse("selfservice:links")).content.decode()
    assert "漳江街道办事处工会联合会" in links
    body = client.get(reverse("selfservice:poster", args=[tree["town"].pk])).content.decode()
    assert "<svg" in body and services.join_token(tree["town"]) in body


def test_file_backend_writes_each_text(settings, tmp_path):
    from selfservice import sms

    settings.SMS_BACKEND = "selfservice.sms.backends.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path)
    sms.send_sms("13912345678", "测试短信")
    (log,) = tmp_path.iterdir()
    assert "13912345678\t测试短信" in log.read_text(encoding="utf-8")


def test_a_federations_poster_invites_workers_without_a_union(client, tree, make_user):
    client.force_login(make_user(tree["county"], User.Role.ADMIN))
    town = client.get(reverse("selfservice:poster", args=[tree["town"].pk])).content.decode()
    school = client.get(reverse("selfservice:poster", args=[tree["school"].pk])).content.decode()
    assert "所在单位尚未建立工会的职工" in town
    assert "所在单位尚未建立工会的职工" not in school


def test_the_public_pages_are_exactly_the_declared_ones():
    """Reachable without an account: the login page and self-service's public pages."""
    from tests.authz import collect_rules

    public = {name for name, rule in collect_rules().items() if rule.anonymous == 200}
    assert public == {
        "login",
        "selfservice:apply",
        "selfservice:verify",
        "selfservice:status",
        "selfservice:me",
        "selfservice:me_confirm",
        "selfservice:me_correct",
        "selfservice:me_leave",
        "selfservice:card",
    }


def test_the_applicant_is_not_told_where_the_id_is_registered(
    client, tree, make_member, school_collector
):
    make_member(tree["sibling_base"], name="李小红", id_number=APPLICANT_ID)
    application = apply_and_verify(client, tree["school"])
    officer = OnboardedClient()
    officer.force_login(school_collector)
    response = officer.post(
        reverse("selfservice:application_decide", args=[application.pk]),
        {"decision": "approve"},
        follow=True,
    )
    assert "鼎城医院工会" in response.content.decode()  # the officer learns the holder
    body = client.get(reverse("selfservice:status")).content.decode()
    assert "已转为调入申请" in body and "鼎城" not in body


def test_a_new_code_replaces_the_old_one(client, tree, settings, sms_outbox):
    settings.SMS_RESEND_SECONDS = 0
    url = reverse("selfservice:apply", kwargs={"token": services.join_token(tree["school"])})
    client.post(url, application_form())
    old = last_code(PHONE)
    body = client.post(reverse("selfservice:verify"), {"resend": "1"}).content.decode()
    assert "已重新发送验证码。" in body and len(sms_outbox) == 2
    new = last_code(PHONE)
    if new != old:
        body = client.post(reverse("selfservice:verify"), {"code": old}).content.decode()
        assert "验证码不正确" in body
    assert client.post(reverse("selfservice:verify"), {"code": new}).status_code == 302
    assert Application.objects.count() == 1


def test_the_applicant_sees_the_status_again_after_verifying_the_phone(client, tree, settings):
    settings.SMS_RESEND_SECONDS = 0
    apply_and_verify(client, tree["school"])
    later = Client()  # another day, another browser
    assert "李小红" not in later.get(reverse("selfservice:status")).content.decode()
    later.post(reverse("selfservice:status"), {"mobile": PHONE})
    later.post(reverse("selfservice:verify"), {"code": last_code(PHONE)})
    body = later.get(reverse("selfservice:status")).content.decode()
    assert "李小红" in body and "待审核" in body


def test_self_confirmation_counts_in_the_half_yearly_checklist(
    client, tree, make_member, make_user
):
    member = make_member(tree["school"], name="王登记", mobile=PHONE)
    verify_member(client, member)
    client.post(reverse("selfservice:me_confirm"))
    officer = OnboardedClient()
    officer.force_login(make_user(tree["school"], User.Role.VIEWER))
    response = officer.get(reverse("members:checklist"), {"union": tree["school"].pk})
    body = response.content.decode()
    assert "王登记" in body and "✔" in body and "本轮未确认" not in body


def test_the_deployments_required_fields_are_required_here_too(client, tree, settings):
    settings.MEMBER_REQUIRED_FIELDS = ["name", "id_number", "mobile", "education"]
    url = reverse("selfservice:apply", kwargs={"token": services.join_token(tree["school"])})
    response = client.post(url, application_form(education=""))
    assert response.status_code == 200
    assert 'data-testid="error-education"' in response.content.decode()
    assert not PhoneCode.objects.exists()


def test_officers_pages_wait_for_the_confidentiality_pledge(client, tree, make_user):
    officer = make_user(tree["school"], User.Role.COLLECTOR)
    client.force_login(officer, pledge=False)
    response = client.get(reverse("selfservice:queue"))
    assert response.status_code == 302 and reverse("unions:pledge") in response["Location"]
    public = client.get(reverse("selfservice:me"))
    assert public.status_code != 302 or reverse("unions:pledge") not in public["Location"]
    client.force_login(officer)
    assert client.get(reverse("selfservice:queue")).status_code == 200
