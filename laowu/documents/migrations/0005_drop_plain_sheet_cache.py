"""Printed sheets are cached sealed now (laowu/review/sheets.py): the sheets cached before, plain
PDFs with personal data in clear, leave the cache and are rendered again, sealed, when next
printed. Their files stay in the blob store until its sweep removes unreferenced blobs."""

from typing import Any

from django.db import migrations


def drop_plain(apps: Any, schema_editor: Any) -> None:
    rendered = apps.get_model("documents", "RenderedPdf")
    rendered.objects.exclude(blob__content_type="application/octet-stream").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0004_sheet_variants"),
    ]

    operations = [migrations.RunPython(drop_plain, migrations.RunPython.noop, elidable=True)]
