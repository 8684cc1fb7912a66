from django.db import migrations

from laowu.core.search import OrderedGrams, ordered_grams_operation

# As 0006 built it, and as it is now: migrations keep their own copies (the model's may change again).
BEFORE = OrderedGrams("contracts_projectfiling", "contract_no", ("signed_date",))
AFTER = OrderedGrams(
    "contracts_projectfiling",
    "contract_no",
    ("signed_date",),
    carried=("state",),
    related=(("enterprise_id", "enterprises_enterprise", "district_id"),),
    partition="district_id",
)


class Migration(migrations.Migration):
    """合同编号's ordered gram table carries the filing's state and its enterprise's district, so that
    the committee list's 状态 tab and a reviewer limited to some districts are filtered in the index
    (laowu.core.search.OrderedGrams). Not atomic: the rebuilt table is VACUUMed, without which its
    walks are not index-only until autovacuum visits it."""

    atomic = False

    dependencies = [("contracts", "0006_contract_no_ordered_grams"), ("enterprises", "0009_seal_phones")]

    operations = [ordered_grams_operation(AFTER, replaces=BEFORE)]
