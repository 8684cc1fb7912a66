import logging
import os

from django.apps import AppConfig
from django.conf import settings

log = logging.getLogger(__name__)


class DocumentsConfig(AppConfig):
    name = "laowu.documents"
    label = "documents"
    verbose_name = "附件与打印"

    def ready(self) -> None:
        # Django spools large uploads into FILE_UPLOAD_TEMP_DIR but never creates it; a
        # missing folder would fail every large upload.
        folder = getattr(settings, "FILE_UPLOAD_TEMP_DIR", None)
        if folder:
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as exc:
                log.error("cannot create the upload temp folder %s: %s", folder, exc)
