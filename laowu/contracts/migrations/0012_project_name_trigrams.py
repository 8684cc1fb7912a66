from typing import Any

from django.db import migrations

from laowu.core.search import postgresql_search_indexes


def analyze(apps: Any, schema_editor: Any) -> None:
    # Until the table is analyzed the new index has no statistics, and search keeps the bigram
    # lookups (laowu.core.search._stats); autovacuum analyzes a big table only after a tenth of it
    # has changed.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ANALYZE "contracts_projectfiling"')


class Migration(migrations.Migration):
    """项目名称 terms of three or more Chinese characters looked up by their rarest trigrams: their
    bigrams, each common, found several times as many filings as hold the term (laowu.core.search)."""

    dependencies = [("contracts", "0011_project_text_grams")]

    operations = [
        postgresql_search_indexes(trigram=(("contracts_projectfiling", "project_name"),)),
        migrations.RunPython(analyze, migrations.RunPython.noop, elidable=False),
    ]
