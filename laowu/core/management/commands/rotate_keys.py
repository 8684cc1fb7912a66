"""Re-seal personal data under the current data key (docs/security.md, "Rotation").

Every `SealedCharField` of every model, then whatever the apps registered with
`laowu.core.crypto.register_rotation` (snapshots, cached sheets). Rows already under the current
key are left alone, so the command can be stopped and run again. Once it reports nothing left,
the old key may be dropped from LAOWU_DATA_KEYS.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F, Q, TextField
from django.db.models.functions import Cast

from laowu.core.crypto import ROTATIONS, current_prefix
from laowu.core.fields import SealedCharField


class Command(BaseCommand):
    help = "用当前密钥重新加密所有个人信息（身份证号、手机号等），以便停用旧密钥。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", type=int, default=500, help="每批处理的行数")

    def handle(self, *args: Any, batch: int, **options: Any) -> None:
        prefix = current_prefix()
        total = 0
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, SealedCharField)]
            if not fields:
                continue
            # The stored token as text (Cast skips the field's own opening): rows with a value
            # sealed under another key, or still plain.
            raw = {f"_raw_{f.name}": Cast(F(f.name), TextField()) for f in fields}
            stale = Q()
            for f in fields:
                stale |= ~Q(**{f.name: ""}) & ~Q(**{f"_raw_{f.name}__startswith": prefix})
            count = 0
            while True:
                pks = list(model._default_manager.annotate(**raw).filter(stale).values_list("pk", flat=True)[:batch])
                if not pks:
                    break
                with transaction.atomic():
                    for row in model._default_manager.select_for_update().filter(pk__in=pks):
                        values = {f.name: getattr(row, f.name) for f in fields}  # opened on load
                        model._default_manager.filter(pk=row.pk).update(**values)  # sealed anew
                count += len(pks)
            if count:
                self.stdout.write(f"{model._meta.label}：重新加密 {count} 行")
            total += count
        for name, rotate in ROTATIONS.items():
            count = rotate()
            if count:
                self.stdout.write(f"{name}：重新加密 {count} 项")
            total += count
        self.stdout.write(self.style.SUCCESS(f"完成：共重新加密 {total} 项；当前密钥之外已无加密数据。"))
