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
