"""Snapshots keep their personal values sealed (laowu/review/fields.py); the rows already written
are sealed here, a batch at a time."""

from typing import Any

from django.db import migrations

import laowu.review.fields


def seal_existing(apps: Any, schema_editor: Any) -> None:
    submission = apps.get_model("review", "Submission")
    # Loading opens the values (or passes plain ones through), saving seals them: every snapshot
    # with a personal value is written once more (sealing differs each time, so "already sealed"
    # cannot be told from the loaded value).
    for pk, snapshot in submission.objects.order_by("pk").values_list("pk", "snapshot").iterator(chunk_size=500):
        if laowu.review.fields.seal_snapshot(snapshot) != snapshot:
            submission.objects.filter(pk=pk).update(snapshot=snapshot)


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0004_all_status_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="submission",
            name="snapshot",
            field=laowu.review.fields.SnapshotField(verbose_name="申报内容"),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop, elidable=True),
    ]
