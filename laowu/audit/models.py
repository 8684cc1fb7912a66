from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections, models, router
from django.db.models.sql.subqueries import InsertQuery
from django.utils import timezone

from laowu.core.plans import plan_keeping_cursor

from . import chain


class AppendOnlyError(RuntimeError):
    pass


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("审计日志只能追加，不能修改。")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("审计日志只能追加，不能删除。")

    def bulk_create(self, *args: Any, **kwargs: Any) -> list[AuditEvent]:
        # Each row is sealed with the one before it (laowu/audit/chain.py): one at a time.
        raise AppendOnlyError("审计日志须逐条写入（哈希链），不能批量写入。")


class Result(models.TextChoices):
    SUCCESS = "success", "成功"
    FAILURE = "failure", "失败"


class AuditEvent(models.Model):
    """Append-only record of who did what, when, from where, and with what result.

    The ORM refuses updates and deletes; a trigger refuses them too (PostgreSQL and
    SQLite), so not even raw SQL from the application role can rewrite history, except the
    deletes `archive_audit` makes through its permit. Each row is sealed into a hash chain
    with a MAC when it is saved (laowu/audit/chain.py), so what gets past the triggers
    (a dropped trigger, a forged INSERT) is found by `manage.py verify_audit`.
    """

    # Set before the row is sealed, since the time is part of what the hash covers.
    created_at = models.DateTimeField("时间", default=timezone.now, editable=False, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", null=True, on_delete=models.PROTECT, related_name="+"
    )
    # Copied, not joined: the log must read the same after an account is renamed.
    username = models.CharField("账号", max_length=150, blank=True, db_index=True)
    role = models.CharField("角色", max_length=20, blank=True)
    ip = models.GenericIPAddressField("IP地址", null=True, blank=True)
    action = models.CharField("操作", max_length=60, db_index=True)
    object_type = models.CharField("对象类型", max_length=60, blank=True)
    object_id = models.CharField("对象ID", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    result = models.CharField("结果", max_length=10, choices=Result.choices, default=Result.SUCCESS)
    detail = models.JSONField("详情", default=dict, blank=True)
    # The chain (laowu/audit/chain.py): place, link to the previous row, own hash and MAC.
    seq = models.BigIntegerField("链序号", null=True, editable=False)
    prev_hash = models.CharField("前一条哈希", max_length=64, default="", editable=False)
    row_hash = models.CharField("本条哈希", max_length=64, default="", editable=False)
    mac = models.CharField("消息认证码", max_length=64, default="", editable=False)
    alg = models.CharField("哈希算法", max_length=10, default="", editable=False)
    key_id = models.CharField("密钥编号", max_length=32, default="", editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = "审计日志"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["action", "created_at"]), models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.result}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("审计日志只能追加，不能修改。")
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        row = {f: getattr(self, f) for f in chain.CONTENT_FIELDS if f not in ("seq", "alg", "key_id")}

        def insert() -> int:
            for field in ("seq", "prev_hash", "row_hash", "mac", "alg", "key_id"):
                setattr(self, field, row[field])
            # `objects.create` says force_insert, what a new row of this model always is; any
            # other option (update_fields, a parent class to insert) is left to Model.save.
            plain = not args and set(kwargs) <= {"using", "force_insert"} and kwargs.get("force_insert", True) is True
            if not plain or not connections[using].features.can_return_columns_from_insert:
                super(AuditEvent, self).save(*args, **kwargs)
            else:
                self._insert(using)
            return self.pk

        chain.append(row, insert, using=using)

    def _insert(self, using: str) -> None:
        """What `Model.save` does for a new row of this model, its INSERT written once per
        database (`_insert_sql`) instead of on each of the log's many writes (every print, every
        export). The values are prepared as the ORM prepares them (`pre_save`, then
        `get_db_prep_save`); no receiver of `pre_save`/`post_save` exists for this model, and
        its `save` is the only way rows are added."""
        connection = connections[using]
        fields, sql = _insert_sql(using)
        params = [field.get_db_prep_save(field.pre_save(self, True), connection) for field in fields]
        # One row, on every audited request: PostgreSQL keeps the plan (laowu/core/plans.py).
        with plan_keeping_cursor(connection) as cursor:
            cursor.execute(sql, params)
            (returned,) = connection.ops.fetch_returned_insert_columns(cursor, [])
        self.pk = returned
        self._state.adding = False
        self._state.db = using

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("审计日志只能追加，不能删除。")


# The INSERT of one audit row per database alias and kind of database, as the ORM writes it
# (laowu/core/prepared.py's reason): it depends on nothing but the model's fields.
_INSERTS: dict[tuple[str, str], tuple[list[models.Field[Any, Any]], str]] = {}


def _insert_sql(using: str) -> tuple[list[models.Field[Any, Any]], str]:
    connection = connections[using]
    key = (using, connection.vendor)
    written = _INSERTS.get(key)
    if written is None:
        meta = AuditEvent._meta
        fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
        query = InsertQuery(AuditEvent)
        query.insert_values(fields, [AuditEvent()])
        compiler = query.get_compiler(using=using)
        compiler.returning_fields = [meta.pk]
        [(sql, _)] = compiler.as_sql()
        written = _INSERTS[key] = (fields, sql)
    return written


class AuditChainHead(models.Model):
    """The one row (id 1) saying where the chain ends and, after archiving, where the table's
    part of it starts. Written only by laowu/audit/chain.py, with its own MAC."""

    seq = models.BigIntegerField(default=0)
    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    anchor_seq = models.BigIntegerField(default=0)
    anchor_id = models.BigIntegerField(default=0)
    anchor_hash = models.CharField(max_length=64)
    alg = models.CharField(max_length=10)
    key_id = models.CharField(max_length=32)
    mac = models.CharField(max_length=64)

    class Meta:
        verbose_name = "审计日志哈希链头"

    def __str__(self) -> str:
        return f"{self.seq} {self.last_hash}"


class AuditArchivePermit(models.Model):
    """While a row here says `through_id`, the triggers let rows up to that id be deleted.
    `archive_audit` inserts it, deletes the archived rows and removes it in one transaction,
    so no other connection ever sees it (docs/audit.md)."""

    through_id = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "审计日志归档许可"

    def __str__(self) -> str:
        return f"≤{self.through_id}"
