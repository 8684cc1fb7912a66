from __future__ import annotations

from django.db import models

from laowu.core.validators import validate_credit_code


class Enterprise(models.Model):
    """A labour enterprise's identity. Its filings (基本信息 etc.) hang off it."""

    name = models.CharField("企业名称", max_length=200)
    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True, validators=[validate_credit_code])
    district = models.ForeignKey("accounts.District", verbose_name="行政区划", on_delete=models.PROTECT)
    # Whether 企业名称 etc. came from the company-information provider; the reviewer
    # must see when the enterprise typed them itself.
    provider_confirmed = models.BooleanField("已经天眼查核验", default=False)
    provider_data = models.JSONField("天眼查登记信息", default=dict, blank=True)
    provider_checked_at = models.DateTimeField("核验时间", null=True, blank=True)
    contact_name = models.CharField("联系人", max_length=50)
    contact_phone = models.CharField("联系人手机号码", max_length=11)
    created_at = models.DateTimeField("注册时间", auto_now_add=True)

    class Meta:
        verbose_name = "企业"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name
