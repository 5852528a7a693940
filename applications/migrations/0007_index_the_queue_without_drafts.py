# The review queue's order, newest first, and its sort by years since
# training, without the drafts it leaves out.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0006_application_retention_purge"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="application",
            name="application_submitted_idx",
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(("status", "draft"), _negated=True),
                fields=["-submitted_at", "-id"],
                name="application_submitted_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(("status", "draft"), _negated=True),
                fields=["-training_completed_year", "-id"],
                name="application_years_sort_idx",
            ),
        ),
    ]
