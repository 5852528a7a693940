"""Demo people: a staff member, a mentor, a mentee. Idempotent."""

from allauth.account.models import EmailAddress

from .models import User

DEMO_PASSWORD = "mentor-demo-2026"

PEOPLE = [
    {
        "role": "staff",
        "email": "staff@example.org",
        "full_name": "Sam Staff",
        "country": "US",
        "time_zone": "America/New_York",
        "institution": "Program office",
        "is_staff": True,
        "is_superuser": True,
    },
    {
        "role": "mentor",
        "email": "mentor@example.org",
        "full_name": "Dr. Maria Schmidt",
        "country": "DE",
        "time_zone": "Europe/Berlin",
        "institution": "Charité - Universitätsmedizin Berlin",
    },
    {
        "role": "mentee",
        "email": "mentee@example.org",
        "full_name": "Dr. Priya Raman",
        "country": "IN",
        "time_zone": "Asia/Kolkata",
        "institution": "Tata Memorial Centre",
    },
]


def seed():
    logins = []
    for person in PEOPLE:
        fields = {k: v for k, v in person.items() if k not in ("role", "email")}
        user, created = User.objects.update_or_create(
            email=person["email"], defaults=fields
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user,
            email=user.email,
            defaults={"verified": True, "primary": True},
        )
        logins.append((person["role"], user.email, DEMO_PASSWORD))
    return logins
