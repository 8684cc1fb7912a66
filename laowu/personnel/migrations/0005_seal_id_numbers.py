"""身份证号 and 手机号 sealed at rest (laowu/core/fields.py, docs/security.md).

The numbers' own indexes go (a sealed column cannot be compared), a blind index takes their
place in the one-person-per-enterprise constraints and in PersonClaim, and every row written
before is sealed and indexed here."""

from typing import Any

from django.db import migrations, models

import laowu.core.fields
import laowu.core.validators
from laowu.core.fields import index_value

CONTEXT = "person.id_number"  # laowu/personnel/models.py ID_INDEX_CONTEXT


def drop_plain_number_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return  # created on PostgreSQL only (laowu/core/search.py postgresql_search_indexes)
    for table in ("personnel_safetyofficer", "personnel_wagemanager"):
        for end in ("prefix", "suffix"):
            schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_id_number_{end}"')


def seal_rows(apps: Any, schema_editor: Any) -> None:
    for name in ("SafetyOfficer", "WageManager"):
        model = apps.get_model("personnel", name)
        # Loading passes plain values through; update() seals them.
        rows = model.objects.order_by("pk").values_list("pk", "id_number", "mobile")
        for pk, id_number, mobile in rows.iterator(chunk_size=500):
            model.objects.filter(pk=pk).update(
                id_number=id_number, mobile=mobile, id_index=index_value(id_number or "", context=CONTEXT)
            )
    claim = apps.get_model("personnel", "PersonClaim")
    for pk, id_number in claim.objects.values_list("pk", "id_number").iterator(chunk_size=500):
        claim.objects.filter(pk=pk).update(id_index=index_value(id_number, context=CONTEXT))


class Migration(migrations.Migration):
    dependencies = [
        ("personnel", "0004_expiry_indexes_on_file"),
    ]

    operations = [
        # The prefix and suffix indexes of the plain numbers (0002) mean nothing once sealed.
        migrations.RunPython(drop_plain_number_indexes, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="safetyofficer", name="personnel_s_id_numb_cc4c05_idx"),
        migrations.RemoveIndex(model_name="wagemanager", name="personnel_w_id_numb_914401_idx"),
        migrations.RemoveConstraint(model_name="safetyofficer", name="safety_officer_once_per_enterprise"),
        migrations.RemoveConstraint(model_name="wagemanager", name="wage_manager_once_per_enterprise"),
        migrations.AlterField(
            model_name="safetyofficer",
            name="id_number",
            field=laowu.core.fields.SealedCharField(
                plain_max_length=18, validators=[laowu.core.validators.validate_id_number], verbose_name="身份证号"
            ),
        ),
        migrations.AlterField(
            model_name="safetyofficer",
            name="mobile",
            field=laowu.core.fields.SealedCharField(
                blank=True, plain_max_length=11, validators=[laowu.core.validators.validate_mobile], verbose_name="手机号"
            ),
        ),
        migrations.AlterField(
            model_name="wagemanager",
            name="id_number",
            field=laowu.core.fields.SealedCharField(
                plain_max_length=18, validators=[laowu.core.validators.validate_id_number], verbose_name="身份证号"
            ),
        ),
        migrations.AlterField(
            model_name="wagemanager",
            name="mobile",
            field=laowu.core.fields.SealedCharField(
                blank=True, plain_max_length=11, validators=[laowu.core.validators.validate_mobile], verbose_name="手机号"
            ),
        ),
        migrations.AddField(
            model_name="safetyofficer",
            name="id_index",
            field=laowu.core.fields.BlindIndexField(context=CONTEXT, db_index=True, source="id_number"),
        ),
        migrations.AddField(
            model_name="wagemanager",
            name="id_index",
            field=laowu.core.fields.BlindIndexField(context=CONTEXT, db_index=True, source="id_number"),
        ),
        migrations.AddField(
            model_name="personclaim",
            name="id_index",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(seal_rows, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(model_name="personclaim", name="id_number"),
        migrations.AlterField(
            model_name="personclaim",
            name="id_index",
            field=models.CharField(max_length=64, unique=True),
        ),
        migrations.AddConstraint(
            model_name="safetyofficer",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "deregistered"), _negated=True),
                fields=("enterprise", "id_index"),
                name="safety_officer_once_per_enterprise",
            ),
        ),
        migrations.AddConstraint(
            model_name="wagemanager",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "deregistered"), _negated=True),
                fields=("enterprise", "id_index"),
                name="wage_manager_once_per_enterprise",
            ),
        ),
    ]
