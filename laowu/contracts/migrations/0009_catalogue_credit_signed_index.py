import laowu.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0008_project_enterprise_signed_index"),
    ]

    # The new index is built before the ones it makes redundant go (the column's own two, plain
    # and pattern, and the one it extends), so the lookups by credit code are never without one.
    operations = [
        migrations.AddIndex(
            model_name="cataloguecontract",
            index=models.Index(fields=["subcontractor_credit_code", "signed_date", "id"], name="catalogue_credit_signed_idx"),
        ),
        migrations.RemoveIndex(
            model_name="cataloguecontract",
            name="contracts_c_subcont_6f3d9f_idx",
        ),
        migrations.AlterField(
            model_name="cataloguecontract",
            name="subcontractor_credit_code",
            field=models.CharField(
                max_length=18,
                validators=[laowu.core.validators.validate_credit_code],
                verbose_name="劳务分包单位统一社会信用代码",
            ),
        ),
    ]
