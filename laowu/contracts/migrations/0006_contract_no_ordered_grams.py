from django.db import migrations

from laowu.core.search import OrderedGrams, ordered_grams_operation


class Migration(migrations.Migration):
    """合同编号 pieces common only among older filings (a year): the committee list's order walked
    through the postings of their rarest trigram (laowu.core.search.OrderedGrams)."""

    dependencies = [("contracts", "0005_seal_phones")]

    operations = [
        ordered_grams_operation(OrderedGrams("contracts_projectfiling", "contract_no", ("signed_date",))),
    ]
