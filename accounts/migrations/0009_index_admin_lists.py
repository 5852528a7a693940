# The admin lists of mentor profiles (newest first) and of staff (reviewers).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_personal_data_exports_and_deletion_requests"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="mentorprofile",
            index=models.Index(fields=["-created_at", "-id"], name="mentor_list_idx"),
        ),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(
                condition=models.Q(("is_staff", True)),
                fields=["email"],
                name="user_staff_idx",
            ),
        ),
    ]
