"""One attachment mechanism for every filing type (docs/workflow.md), and the printed sheets.

Files are content-addressed: a `Blob` is named by its SHA-256 and never changes or goes
away while anything refers to it, so a frozen submission can always show exactly the
file it was declared with, even after the live record's attachment was replaced.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class Blob(models.Model):
    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.PositiveIntegerField()
    storage_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60, default="application/pdf")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "文件"

    def __str__(self) -> str:
        return self.sha256


class Attachment(models.Model):
    filing_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    filing_id = models.PositiveBigIntegerField()
    filing = GenericForeignKey("filing_type", "filing_id")
    kind = models.CharField("附件类型", max_length=40)
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="attachments")
    original_name = models.CharField("文件名", max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "附件"
        ordering = ["kind", "uploaded_at", "id"]
        indexes = [models.Index(fields=["filing_type", "filing_id", "kind"])]
        constraints = [
            # Uploading the same file twice to the same slot is a no-op, not a duplicate.
            models.UniqueConstraint(fields=["filing_type", "filing_id", "kind", "blob"], name="attachment_unique_blob"),
        ]

    def __str__(self) -> str:
        return self.original_name


class RenderedPdf(models.Model):
    """A printed sheet, rendered once per approved submission, template version and variant
    (full, or with personal data masked for those who may not see it)."""

    submission = models.ForeignKey("review.Submission", on_delete=models.CASCADE, related_name="+")
    template_version = models.CharField(max_length=20)
    masked = models.BooleanField(default=False)
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "template_version", "masked"], name="rendered_pdf_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id}@{self.template_version}"


class VerificationScan(models.Model):
    """Each visit to a QR verification page, so the committee can see a sheet's use.

    A submission's sheet points at its submission; any other printed sheet (a 整改通知书) names
    its kind and row in `sheet_type`/`sheet_id`, so this app needs to know no other app's model.
    """

    submission = models.ForeignKey("review.Submission", null=True, on_delete=models.CASCADE, related_name="+")
    sheet_type = models.CharField(max_length=40, blank=True, default="")
    sheet_id = models.PositiveBigIntegerField(null=True, blank=True)
    token_prefix = models.CharField(max_length=8, blank=True)
    found = models.BooleanField(default=True)
    ip = models.GenericIPAddressField(null=True)
    user_agent = models.CharField(max_length=300, blank=True)
    scanned_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "扫码核验记录"
        ordering = ["-scanned_at"]

    def __str__(self) -> str:
        return f"{self.scanned_at:%Y-%m-%d %H:%M} {self.token_prefix}"
