import django.db.models.deletion
from django.db import migrations, models


def assign_existing_notices(apps, schema_editor):
    """Notices written before districts scoped them were written by a district's reviewers:
    each goes to its author's district (the first, for an author with several), else to the
    default install's 相城区, so that the same reviewers keep managing them."""
    Notice = apps.get_model("supervision", "Notice")
    District = apps.get_model("accounts", "District")
    User = apps.get_model("accounts", "User")
    fallback = District.objects.filter(code="320507").first() or District.objects.order_by("code").first()
    for notice in Notice.objects.filter(district__isnull=True).only("pk", "created_by_id"):
        author = User.objects.filter(pk=notice.created_by_id).first()
        district = author.districts.order_by("code").first() if author else None
        Notice.objects.filter(pk=notice.pk).update(district=district or fallback)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_default_district"),
        ("supervision", "0004_inspection_verify_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="notice",
            name="district",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.district",
                verbose_name="发布范围",
            ),
        ),
        migrations.RunPython(assign_existing_notices, migrations.RunPython.noop),
    ]
