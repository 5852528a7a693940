from django.db import migrations

# The starting taxonomy. Staff maintain it in the admin from here on; this list
# is frozen history, not the source of truth.
ONCOLOGY_AREAS = [
    ("breast", "Breast"),
    ("thoracic", "Thoracic"),
    ("gastrointestinal", "Gastrointestinal"),
    ("genitourinary", "Genitourinary"),
    ("gynecologic", "Gynecologic"),
    ("head-and-neck", "Head and neck"),
    ("hematologic-malignancies", "Hematologic malignancies"),
    ("melanoma-and-skin", "Melanoma and skin"),
    ("neuro-oncology", "Neuro-oncology"),
    ("pediatric", "Pediatric"),
    ("sarcoma", "Sarcoma"),
    ("palliative-and-supportive-care", "Palliative and supportive care"),
    ("radiation-oncology", "Radiation oncology"),
    ("surgical-oncology", "Surgical oncology"),
    ("cancer-prevention-and-screening", "Cancer prevention and screening"),
    ("global-oncology", "Global oncology"),
]

CAREER_GOALS = [
    ("clinical-practice", "Clinical practice"),
    ("clinical-research", "Clinical research"),
    ("laboratory-research", "Laboratory research"),
    ("medical-education", "Medical education"),
    ("leadership-and-administration", "Leadership and administration"),
    ("health-policy-and-advocacy", "Health policy and advocacy"),
    ("grant-and-paper-writing", "Grant and paper writing"),
]

# Gaps of ten let staff slot a new entry between two others without
# renumbering the rest.
POSITION_STEP = 10


def create_taxonomy(apps, schema_editor):
    Interest = apps.get_model("accounts", "Interest")
    for kind, entries in [("area", ONCOLOGY_AREAS), ("goal", CAREER_GOALS)]:
        for index, (slug, name) in enumerate(entries, start=1):
            # is_active is left alone so that running this again never revives
            # an entry staff have retired.
            Interest.objects.update_or_create(
                slug=slug,
                defaults={
                    "kind": kind,
                    "name": name,
                    "position": index * POSITION_STEP,
                },
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_interest"),
    ]

    # Going back leaves the rows: 0003's reversal drops the table anyway, and
    # deleting here could take staff-made links to these interests with them.
    operations = [migrations.RunPython(create_taxonomy, migrations.RunPython.noop)]
