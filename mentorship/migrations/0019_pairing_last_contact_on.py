from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def store_last_contacts(apps, schema_editor):
    """Each pairing's latest contact that counts, from its contacts, as
    services.pairing_last_contact_refresh keeps it from now on."""
    Pairing = apps.get_model("mentorship", "Pairing")
    CheckIn = apps.get_model("mentorship", "CheckIn")
    latest = (
        CheckIn.objects.filter(pairing=OuterRef("pk"))
        .exclude(confirmation="disputed")
        .order_by("-occurred_on")
        .values("occurred_on")[:1]
    )
    Pairing.objects.update(last_contact_on=Subquery(latest))


class Migration(migrations.Migration):
    dependencies = [
        ("mentorship", "0018_authors_whose_account_is_deleted_may_be_blank"),
    ]

    operations = [
        migrations.AddField(
            model_name="pairing",
            name="last_contact_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(store_last_contacts, migrations.RunPython.noop),
    ]
