# The mentor profiles' admin list, newest first.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_mentor_availability_wording"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="mentorprofile",
            index=models.Index(fields=["-created_at", "-id"], name="mentor_list_idx"),
        ),
    ]
