"""factory_boy factories for the apps' models."""

from __future__ import annotations

from typing import Any

import factory
from django.conf import settings

from laowu.accounts.models import District, Role, User
from laowu.core.validators import credit_code_check_char
from laowu.enterprises.models import Enterprise


def make_credit_code(n: int) -> str:
    first17 = f"91320507MA{n:07d}"
    return first17 + credit_code_check_char(first17)


_id_serial = iter(range(1, 10**6))


def make_id_number() -> str:
    """A valid 身份证号 (GB 11643 check character), different on each call."""
    from laowu.core.validators import id_number_check_char

    first17 = f"32050719850101{next(_id_serial) % 1000:03d}"
    return first17 + id_number_check_char(first17)


def make_mobile(n: int) -> str:
    return f"137{n:08d}"


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = settings.LAOWU_DEFAULT_DISTRICT[0]
    name = settings.LAOWU_DEFAULT_DISTRICT[1]


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"苏州测试{n}号建筑劳务有限公司")
    credit_code = factory.Sequence(lambda n: make_credit_code(n + 1000))
    district = factory.SubFactory(DistrictFactory)
    contact_name = "王五"
    contact_phone = factory.Sequence(lambda n: make_mobile(n + 1000))
    provider_confirmed = True
    provider_data = factory.LazyAttribute(
        lambda o: {
            "name": o.name,
            "credit_code": o.credit_code,
            "legal_representative": "张建国",
            "registered_capital": "500万人民币",
            "established_date": "2019-03-18",
            "company_type": "有限责任公司(自然人投资或控股)",
            "registration_authority": "苏州市相城区行政审批局",
            "business_status": "存续",
            "registered_address": "苏州市相城区元和街道嘉元路959号",
            "business_scope": "施工劳务作业；建筑劳务分包。",
            "business_term_from": "2019-03-18",
            "business_term_to": None,
        }
    )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    phone = factory.Sequence(lambda n: make_mobile(n + 500_000))

    @factory.post_generation
    def password(obj: User, create: bool, extracted: str | None, **kwargs: Any) -> None:
        obj.set_password(extracted or "Laowu@2026")
        if create:
            obj.save()


class EnterpriseUserFactory(UserFactory):
    role = Role.ENTERPRISE
    enterprise = factory.SubFactory(EnterpriseFactory)
    username = factory.LazyAttribute(lambda o: o.enterprise.credit_code)
    phone = factory.LazyAttribute(lambda o: o.enterprise.contact_phone)
    display_name = factory.LazyAttribute(lambda o: o.enterprise.contact_name)


class StaffFactory(UserFactory):
    role = Role.REVIEWER

    @factory.post_generation
    def districts(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.districts.set(extracted or [DistrictFactory()])


def totp_device(user: User) -> Any:
    """The account's confirmed authenticator app (动态验证码), made if it has none: what a staff
    account has once it has enrolled at its first login."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="验证器App", confirmed=True)


def totp_code(device: Any) -> str:
    """A code the device accepts now, as the user's app would show it. django-otp takes each
    time step's code once (`last_t`) and allows one step either side, so a test that logs the
    same account in twice within 30 s gets the current, then the next step's code, and waits
    when both are used. Never the previous step's: on a busy machine the code may reach the
    server after the step has turned, two steps late."""
    import time

    from django_otp.oath import totp

    device.refresh_from_db()
    while True:
        now_t = int((time.time() - device.t0) // device.step)
        target = max(now_t, device.last_t + 1)
        if target <= now_t + 1:
            break
        time.sleep(1)
    code = totp(device.bin_key, device.step, device.t0, device.digits, target - now_t)
    return f"{code:0{device.digits}d}"


def make_pdf_bytes(text: str = "laowu") -> bytes:
    """A small valid one-page PDF, different for each `text`."""
    import io

    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.docinfo["/Title"] = text
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


COMPLETE_BASIC_INFO = {
    "legal_representative": "张建国",
    "registered_capital": "500万人民币",
    "company_type": "有限责任公司(自然人投资或控股)",
    "registration_authority": "苏州市相城区行政审批局",
    "business_status": "存续",
    "registered_address": "苏州市相城区元和街道嘉元路959号",
    "business_scope": "施工劳务作业；建筑劳务分包。",
    "registration_place": "in_district",
    "office_address": "苏州市相城区元和街道嘉元路959号",
    "principal": "张建国",
    "employee_count": 56,
    "qualification_no": "D332012345",
    "qualification_issuer": "苏州市住房和城乡建设局",
    "safety_license_no": "（苏）JZ安许证字〔2020〕000123",
}


def complete_basic_info(enterprise: Any, *, actor: Any) -> Any:
    """A 基本信息 record ready to 申报: every required field and attachment present."""
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile

    from laowu.documents.services import add_attachment
    from laowu.enterprises.services import ensure_basic_info
    from laowu.review.services import save_fields

    info = ensure_basic_info(enterprise=enterprise)
    data = {k: v for k, v in COMPLETE_BASIC_INFO.items() if k in info.SNAPSHOT_FIELDS}
    data.update(
        name=enterprise.name,
        established_date=dt.date(2019, 3, 18),
        business_term_from=dt.date(2019, 3, 18),
        contact_name="李明",
        contact_phone="13800000000",
        qualification_valid_until=dt.date.today() + dt.timedelta(days=365),
        safety_license_valid_until=dt.date.today() + dt.timedelta(days=365),
    )
    info = save_fields(filing=info, data=data, actor=actor)
    for kind in info.ATTACHMENT_KINDS:
        if kind.required:
            upload = SimpleUploadedFile(
                f"{kind.label}.pdf", make_pdf_bytes(f"{enterprise.pk}-{kind.code}"), "application/pdf"
            )
            add_attachment(filing=info, kind=kind.code, upload=upload, actor=actor)
    return info


class CatalogueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "contracts.CatalogueContract"

    project_code = factory.Sequence(lambda n: f"3205072026{n:06d}")
    project_name = factory.Sequence(lambda n: f"相城区测试{n}号地块住宅项目")
    project_location = "苏州市相城区元和街道"
    builder = "苏州相城城市建设投资有限公司"
    general_contractor = "中建八局第三建设有限公司"
    contract_no = factory.Sequence(lambda n: f"LWFB-2026-{n:05d}")
    subcontractor = factory.LazyAttribute(lambda o: "测试劳务公司")
    subcontractor_credit_code = factory.LazyFunction(lambda: make_credit_code(1))
    amount = "1280.5000"
    signed_date = "2026-03-01"
    planned_start = "2026-03-15"
    planned_end = "2027-06-30"


def basic_info_history(owner: Any, reviewer: Any, *, office_address: str) -> tuple[Any, Any, Any]:
    """`owner`'s 基本信息 with a history a review page shows: revision 1 rejected (its reason
    needs escaping), revision 2 approved, revision 3 a declared 变更 of the office address and the
    business term. Returns the three submissions."""
    import datetime as dt

    from laowu.enterprises.models import BasicInfo
    from laowu.review import services

    info = complete_basic_info(owner.enterprise, actor=owner)
    rejected = services.declare(filing=info, actor=owner)
    services.reject(submission=rejected, actor=reviewer, reason='营业执照<不清晰>\n& "请重传"')
    info.refresh_from_db()
    approved = services.approve(submission=services.declare(filing=info, actor=owner), actor=reviewer)
    info.refresh_from_db()
    services.start_change(filing=info, actor=owner)
    services.save_fields(
        filing=BasicInfo.objects.get(pk=info.pk),
        data={"office_address": office_address, "business_term_to": dt.date(2039, 3, 17)},
        actor=owner,
    )
    changed = services.declare(filing=BasicInfo.objects.get(pk=info.pk), actor=owner)
    return rejected, approved, changed


def approved_person(model: Any, user: Any, reviewer: Any, *, id_number: str, name: str) -> Any:
    """An approved, active 安全员 or 劳资专管员 (the enterprise's basic info must be approved)."""
    from laowu.review import services

    person = complete_person(model, user, id_number=id_number, name=name)
    services.approve(submission=services.declare(filing=person, actor=user), actor=reviewer)
    return model.objects.get(pk=person.pk)


def complete_person(model: Any, user: Any, *, id_number: str, name: str) -> Any:
    """A 安全员 or 劳资专管员 draft ready to 提交: every required field and attachment present."""
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile

    from laowu.documents.services import add_attachment

    fields = {
        "enterprise": user.enterprise,
        "name": name,
        "gender": "男",
        "id_number": id_number,
        "mobile": "13912345678",
        "issue_date": dt.date(2023, 1, 1),
        "issuer": "江苏省住房和城乡建设厅",
        "education": "大专",
        "consent_confirmed_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    }
    if model.FILING_TYPE == "safety_officer":
        fields.update(
            cert_no="苏建安C3(2023)0000001", cert_category="C3", valid_until=dt.date.today() + dt.timedelta(days=365)
        )
    else:
        fields.update(cert_no="LZ2023-0001")
    person = model.objects.create(**fields)
    for kind in person.ATTACHMENT_KINDS:
        if kind.required:
            upload = SimpleUploadedFile(f"{kind.label}.pdf", make_pdf_bytes(f"{model.__name__}{person.pk}{kind.code}"))
            add_attachment(filing=person, kind=kind.code, upload=upload, actor=user)
    return person


def approved_project(user: Any, reviewer: Any, **catalogue_fields: Any) -> Any:
    """An approved 项目信息归集 of the user's enterprise, through the real workflow.

    Approves the enterprise's 基本信息 first if it is not yet approved.
    """
    from django.core.files.uploadedfile import SimpleUploadedFile

    from laowu.contracts.models import ProjectFiling
    from laowu.contracts.services import select_contract
    from laowu.documents.services import add_attachment
    from laowu.enterprises.models import BasicInfo
    from laowu.review import services
    from laowu.review.models import State

    enterprise = user.enterprise
    info = BasicInfo.objects.filter(enterprise=enterprise).first()
    if info is None or info.state != State.APPROVED:
        info = complete_basic_info(enterprise, actor=user)
        services.approve(submission=services.declare(filing=info, actor=user), actor=reviewer)
    contract = CatalogueFactory(
        subcontractor=enterprise.name, subcontractor_credit_code=enterprise.credit_code, **catalogue_fields
    )
    from laowu.personnel.models import SafetyOfficer, WageManager

    people = {}
    for model, name in ((SafetyOfficer, "孙安"), (WageManager, "钱劳")):
        person = model.objects.filter(enterprise=enterprise, state=State.APPROVED).first()
        people[model] = person or approved_person(model, user, reviewer, id_number=make_id_number(), name=name)
    filing = select_contract(enterprise=enterprise, catalogue_id=contract.pk, actor=user)
    data = {
        "site_manager": "刘建华",
        "site_manager_phone": "13911112222",
        "planned_workers": 80,
        "safety_officer": people[SafetyOfficer],
        "wage_manager": people[WageManager],
    }
    filing = services.save_fields(filing=filing, data=data, actor=user)
    add_attachment(
        filing=filing,
        kind="subcontract",
        upload=SimpleUploadedFile("劳务分包合同.pdf", make_pdf_bytes(f"sub-{contract.pk}"), "application/pdf"),
        actor=user,
    )
    services.approve(submission=services.declare(filing=filing, actor=user), actor=reviewer)
    return ProjectFiling.objects.get(pk=filing.pk)
