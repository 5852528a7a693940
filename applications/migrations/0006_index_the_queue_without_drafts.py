# The review queue's order, newest first, and its sort by years since
# training, without the drafts it leaves out.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0005_mentee_languages_and_mentor_waitlist"),
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
                models.OrderBy(
                    models.F("training_completed_year"),
                    descending=True,
                    nulls_first=True,
                ),
                models.OrderBy(models.F("id"), descending=True),
                condition=models.Q(("status", "draft"), _negated=True),
                name="application_years_sort_idx",
            ),
        ),
    ]
