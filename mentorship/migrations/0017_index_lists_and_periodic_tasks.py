# Indexes for the admin's lists (their default order and date hierarchy) and
# for the hourly and daily tasks' main queries; the follow-up survey's mark.

from django.conf import settings
from django.db import migrations, models
from django.db.models import Exists, OuterRef, Subquery


def mark_followed_up(apps, schema_editor):
    """Closing surveys whose follow-up went out before the mark existed."""
    SurveyResponse = apps.get_model("mentorship", "SurveyResponse")
    follow_ups = SurveyResponse.objects.filter(
        kind="follow_up",
        pairing_id=OuterRef("pairing_id"),
        person_id=OuterRef("person_id"),
    )
    SurveyResponse.objects.filter(kind="closing").filter(Exists(follow_ups)).update(
        follow_up_sent_at=Subquery(follow_ups.values("invited_at")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("mentorship", "0016_outbox_forgets_a_deleted_account"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="pulseanswer",
            options={"ordering": ["pairing_id", "month"]},
        ),
        migrations.AddField(
            model_name="surveyresponse",
            name="follow_up_sent_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(mark_followed_up, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="checkin",
            index=models.Index(fields=["-occurred_on", "-id"], name="checkin_list_idx"),
        ),
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(fields=["-created_at", "-id"], name="outbox_list_idx"),
        ),
        migrations.AddIndex(
            model_name="pairing",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ["confirmed", "introduced", "active"])
                ),
                fields=["ends_on"],
                name="pairing_year_end_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="pairing",
            index=models.Index(fields=["-proposed_at", "-id"], name="pairing_list_idx"),
        ),
        migrations.AddIndex(
            model_name="surveyresponse",
            index=models.Index(fields=["-invited_at", "-id"], name="survey_list_idx"),
        ),
        migrations.AddIndex(
            model_name="surveyresponse",
            index=models.Index(
                condition=models.Q(
                    ("follow_up_sent_at__isnull", True), ("kind", "closing")
                ),
                fields=["id"],
                name="survey_follow_up_due_idx",
            ),
        ),
    ]
