from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0007_contract_no_grams_filters"),
    ]

    # The new index is built before the one it extends goes, so the list is never without one.
    operations = [
        migrations.AddIndex(
            model_name="projectfiling",
            index=models.Index(fields=["enterprise", "signed_date", "id"], name="project_enterprise_signed_idx"),
        ),
        migrations.RemoveIndex(
            model_name="projectfiling",
            name="contracts_p_enterpr_c66bd0_idx",
        ),
    ]
