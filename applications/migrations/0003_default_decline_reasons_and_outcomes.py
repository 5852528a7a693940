from django.db import migrations

REASONS = [
    (
        "Eligibility",
        "After reading your application, we found that it does not meet the "
        "program's eligibility criteria.",
    ),
    (
        "No suitable mentor",
        "We could not find a mentor whose professional interests match yours "
        "this cycle. We encourage you to apply again in a future cycle.",
    ),
    (
        "Limited places",
        "We received many more strong applications than we have mentors for "
        "this cycle. We encourage you to apply again in a future cycle.",
    ),
    (
        "Incomplete information",
        "Your application did not give us enough information to assess it, and "
        "we did not receive the information we asked for.",
    ),
]


def add_reasons(apps, schema_editor):
    DeclineReason = apps.get_model("applications", "DeclineReason")
    for position, (title, text) in enumerate(REASONS):
        DeclineReason.objects.get_or_create(
            title=title, defaults={"text": text, "position": position}
        )


def fill_outcomes(apps, schema_editor):
    # The outcome the rules stored at submission, summarised once: nothing
    # was overridden before overrides existed.
    Application = apps.get_model("applications", "Application")
    for application in Application.objects.exclude(eligibility=[]).iterator():
        outcomes = {result["outcome"] for result in application.eligibility}
        application.eligibility_outcome = next(
            (o for o in ("fail", "review") if o in outcomes), "pass"
        )
        application.save(update_fields=["eligibility_outcome"])


class Migration(migrations.Migration):
    dependencies = [("applications", "0002_staff_review_workflow")]

    operations = [
        migrations.RunPython(add_reasons, migrations.RunPython.noop),
        migrations.RunPython(fill_outcomes, migrations.RunPython.noop),
    ]
