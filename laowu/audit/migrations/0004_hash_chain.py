"""The hash chain (laowu/audit/chain.py, docs/audit.md): the seal columns, the chain head,
the archive permit; existing rows are sealed in id order; the triggers come back allowing
the one privileged delete, `archive_audit`'s.

SQLite rebuilds the table to add these columns, which drops its triggers (see 0003): they
are created again at the end, from TRIGGERS below, the only place they are defined now."""

from django.db import migrations, models
from django.utils import timezone

from laowu.audit import chain

MESSAGE = "审计日志只能追加，不能修改或删除"
# PostgreSQL: UPDATE never, DELETE only of rows a permit in the same transaction covers.
PG_FORWARD = """
CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_auditarchivepermit WHERE through_id >= OLD.id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '@MESSAGE@';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_auditevent_no_update_delete ON audit_auditevent;
CREATE TRIGGER audit_auditevent_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only();
"""
# Back to 0002's function: no permit.
PG_BACKWARD = """
CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '@MESSAGE@';
END;
$$ LANGUAGE plpgsql;
"""
SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, '@MESSAGE@'); END
    """,
    """
    CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
    WHEN NOT EXISTS (SELECT 1 FROM audit_auditarchivepermit WHERE through_id >= OLD.id)
    BEGIN SELECT RAISE(ABORT, '@MESSAGE@'); END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
]
OLD_SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent "
    "BEGIN SELECT RAISE(ABORT, '@MESSAGE@'); END",
    "CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent "
    "BEGIN SELECT RAISE(ABORT, '@MESSAGE@'); END",
]


def with_message(sql: str) -> str:
    # A placeholder rather than an f-string: the statements are fixed text (bandit B608).
    return sql.replace("@MESSAGE@", MESSAGE)


def seal_existing(apps, schema_editor):
    # Rows written before the chain are sealed now, in id order, under the current key.
    alias = schema_editor.connection.alias
    chain.rechain(apps.get_model("audit", "AuditEvent"), using=alias)


def triggers_forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(with_message(PG_FORWARD))
    elif vendor == "sqlite":
        for sql in SQLITE_DROP + SQLITE_TRIGGERS:
            schema_editor.execute(with_message(sql))


def triggers_backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(with_message(PG_BACKWARD))
    elif vendor == "sqlite":
        # They name the permit table, which goes next; old_sqlite_triggers puts 0003's back.
        for sql in SQLITE_DROP:
            schema_editor.execute(with_message(sql))


def old_sqlite_triggers(apps, schema_editor):
    # Run last when going back: removing the columns rebuilt the table without its triggers.
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_DROP + OLD_SQLITE_TRIGGERS:
            schema_editor.execute(with_message(sql))


def char(name: str, length: int) -> models.CharField:
    return models.CharField(name, max_length=length, default="", editable=False)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_sqlite_append_only_triggers")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, old_sqlite_triggers),
        migrations.AlterField(
            model_name="auditevent",
            name="created_at",
            field=models.DateTimeField(db_index=True, default=timezone.now, editable=False, verbose_name="时间"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(editable=False, null=True, verbose_name="链序号"),
        ),
        migrations.AddField(model_name="auditevent", name="prev_hash", field=char("前一条哈希", 64)),
        migrations.AddField(model_name="auditevent", name="row_hash", field=char("本条哈希", 64)),
        migrations.AddField(model_name="auditevent", name="mac", field=char("消息认证码", 64)),
        migrations.AddField(model_name="auditevent", name="alg", field=char("哈希算法", 10)),
        migrations.AddField(model_name="auditevent", name="key_id", field=char("密钥编号", 32)),
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.BigIntegerField(default=0)),
                ("last_id", models.BigIntegerField(default=0)),
                ("last_hash", models.CharField(max_length=64)),
                ("anchor_seq", models.BigIntegerField(default=0)),
                ("anchor_id", models.BigIntegerField(default=0)),
                ("anchor_hash", models.CharField(max_length=64)),
                ("alg", models.CharField(max_length=10)),
                ("key_id", models.CharField(max_length=32)),
                ("mac", models.CharField(max_length=64)),
            ],
            options={"verbose_name": "审计日志哈希链头"},
        ),
        migrations.CreateModel(
            name="AuditArchivePermit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("through_id", models.BigIntegerField()),
                ("created_at", models.DateTimeField(default=timezone.now)),
            ],
            options={"verbose_name": "审计日志归档许可"},
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
        migrations.RunPython(triggers_forward, triggers_backward),
    ]
