"""A bad-behaviour record's 当事人员身份证号 sealed at rest, compared through its blind index
(laowu/core/fields.py); the records written before are sealed and indexed here."""

from typing import Any

from django.db import migrations

import laowu.core.fields
from laowu.core.fields import index_value


def seal_rows(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("supervision", "BadBehaviour")
    rows = model.objects.exclude(person_id_number="").order_by("pk").values_list("pk", "person_id_number")
    for pk, id_number in rows.iterator(chunk_size=500):
        model.objects.filter(pk=pk).update(
            person_id_number=id_number, person_id_index=index_value(id_number, context="person.id_number")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0005_notice_district"),
    ]

    operations = [
        migrations.AddField(
            model_name="badbehaviour",
            name="person_id_index",
            field=laowu.core.fields.BlindIndexField(context="person.id_number", source="person_id_number"),
        ),
        migrations.AlterField(
            model_name="badbehaviour",
            name="person_id_number",
            field=laowu.core.fields.SealedCharField(blank=True, plain_max_length=18, verbose_name="当事人员身份证号"),
        ),
        migrations.RunPython(seal_rows, migrations.RunPython.noop, elidable=True),
    ]
