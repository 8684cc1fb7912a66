from django.db import migrations

from laowu.core.search import postgresql_search_indexes


class Migration(migrations.Migration):
    """合同编号 pieces made of digits: the bigram index cannot narrow them (laowu.core.search)."""

    dependencies = [("contracts", "0003_covering_signed_index")]

    operations = [postgresql_search_indexes(trigram=(("contracts_projectfiling", "contract_no"),))]
