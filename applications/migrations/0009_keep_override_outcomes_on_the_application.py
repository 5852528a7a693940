from collections import defaultdict

from django.db import migrations, models

BATCH = 1000


def fill_override_outcomes(apps, schema_editor):
    """Each application's overrides, {criterion: outcome}, as
    ``services._refresh_outcome`` keeps them from now on."""
    Application = apps.get_model("applications", "Application")
    EligibilityOverride = apps.get_model("applications", "EligibilityOverride")
    outcomes = defaultdict(dict)
    for application_id, criterion, outcome in EligibilityOverride.objects.values_list(
        "application_id", "criterion", "outcome"
    ).iterator():
        outcomes[application_id][criterion] = outcome
    ids = sorted(outcomes)
    for start in range(0, len(ids), BATCH):
        batch = [
            Application(pk=pk, override_outcomes=outcomes[pk])
            for pk in ids[start : start + BATCH]
        ]
        Application.objects.bulk_update(batch, ["override_outcomes"])


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0008_authors_whose_account_is_deleted_may_be_blank"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="override_outcomes",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="historicalapplication",
            name="override_outcomes",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(fill_override_outcomes, migrations.RunPython.noop),
    ]
