"""测试许可: three fields, one required attachment, a sheet, verify fields, one sensitive field."""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from laowu.core.validators import validate_mobile
from laowu.documents.kinds import AttachmentKind
from laowu.review.models import Filing


class Permit(Filing):
    FILING_TYPE = "test_permit"
    FILING_LABEL = "测试许可"
    ATTACHMENT_KINDS = (AttachmentKind("permit", "许可证扫描件", required=True),)
    SNAPSHOT_FIELDS = ("permit_no", "holder", "holder_mobile")
    SHEET_TITLE = "测试许可登记表"
    SHEET_CODE = "CSXK"
    SHEET_SECTIONS = (("许可信息", ("permit_no", "holder")), ("联系方式", ("holder_mobile",)))
    VERIFY_FIELDS = ("permit_no", "holder", "holder_mobile")
    SENSITIVE_FIELDS = {"holder_mobile": "mobile"}

    permit_no = models.CharField("许可证编号", max_length=40, blank=True)
    holder = models.CharField("负责人", max_length=30, blank=True)
    holder_mobile = models.CharField("负责人手机号", max_length=11, blank=True, validators=[validate_mobile])

    class Meta:
        app_label = "minimal_filing"
        verbose_name = "测试许可"

    def __str__(self) -> str:
        return self.title()

    def title(self) -> str:
        return self.permit_no or self.FILING_LABEL

    def get_absolute_url(self) -> str:
        return reverse("minimal_filing:edit", args=[self.pk])
