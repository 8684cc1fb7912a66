from django.db import migrations

from laowu.core.search import OrderedGrams, ordered_grams_operation

# As the model's is now: migrations keep their own copies (the model's may change again).
PROJECT_TEXT_GRAMS = OrderedGrams(
    "contracts_projectfiling",
    "project_name",
    ("signed_date",),
    carried=("state",),
    related=(("enterprise_id", "enterprises_enterprise", "district_id"),),
    partition="district_id",
    also=("contract_no",),
    n=2,
    walked=False,
)


class Migration(migrations.Migration):
    """项目名称 and 合同编号's bigram table for the committee list limited to a reviewer's districts
    (laowu.contracts.models.PROJECT_TEXT_GRAMS). Not atomic: the new table is VACUUMed, without which
    its reads are not index-only until autovacuum visits it."""

    atomic = False

    dependencies = [("contracts", "0010_enterprise_state_covering_index"), ("enterprises", "0009_seal_phones")]

    operations = [ordered_grams_operation(PROJECT_TEXT_GRAMS)]
