from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0007_contract_no_grams_filters"),
    ]

    # The new index is built before the one it extends goes, so the list is never without one.
    # It carries the columns a district-limited search tests (name, number, the 状态 tab), so that
    # its exact count reads the index alone (PostgreSQL; SQLite builds it without the INCLUDE).
    operations = [
        migrations.AddIndex(
            model_name="projectfiling",
            index=models.Index(
                fields=["enterprise", "signed_date", "id"],
                include=["project_name", "contract_no", "state"],
                name="project_enterprise_signed_idx",
            ),
        ),
        migrations.RemoveIndex(
            model_name="projectfiling",
            name="contracts_p_enterpr_c66bd0_idx",
        ),
    ]
