from django.db import migrations

# The SQLite counterpart of 0002: the database file itself refuses UPDATE and DELETE of
# audit rows, so raw SQL (a stray script, `dbshell`) cannot rewrite history on the
# development database either. `manage.py flush` (test teardown) lifts the guard for its own
# transaction only: see laowu/audit/management/commands/flush.py, the SQLite analogue of the
# TRUNCATE left to PostgreSQL's owner.
#
# Caution for later migrations: SQLite alters a table by rebuilding it, which drops its
# triggers. A migration that alters audit_auditevent must recreate them (run
# SQLITE_TRIGGERS again); tests/audit/test_audit_log.py fails if they are missing. Since
# 0004_hash_chain the current triggers (which let archive_audit's permit through) are there.
SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能修改或删除'); END
    """,
    """
    CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能修改或删除'); END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_TRIGGERS:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]
    operations = [migrations.RunPython(forward, backward)]
