from django.db import migrations

from laowu.core.search import postgresql_search_indexes


class Migration(migrations.Migration):
    """The gram indexes of the columns supervision's lists search (laowu/supervision/search.py).

    Each column matched anywhere gets a bigram index; one holding codes or numbers also gets a
    trigram index, for pieces of digits that bigrams cannot narrow (laowu/core/search.py). The
    enterprise's credit code and the project's number are indexed here rather than in their own
    apps: only these lists match them anywhere (the others match a credit code by its ends).
    Messages are not indexed: their list is always one enterprise's, found through its index."""

    dependencies = [
        ("contracts", "0004_contract_no_trigrams"),
        ("enterprises", "0008_name_index"),
        ("supervision", "0002_inspections_notice_no_unique"),
    ]

    operations = [
        postgresql_search_indexes(
            bigram=(
                ("supervision_badbehaviour", "decision_no"),
                ("supervision_badbehaviour", "person_name"),
                ("supervision_inspection", "notice_no"),
                ("supervision_notice", "title"),
                ("supervision_notice", "body"),
                ("enterprises_enterprise", "credit_code"),
                ("contracts_projectfiling", "project_code"),
            ),
            trigram=(
                ("supervision_badbehaviour", "decision_no"),
                ("supervision_inspection", "notice_no"),
                ("enterprises_enterprise", "credit_code"),
                ("contracts_projectfiling", "project_code"),
            ),
        ),
    ]
