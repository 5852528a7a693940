import csv
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications import services
from applications.export import escape_cell
from applications.models import Application, DeclineReason
from conftest import make_user

from .conftest import make_submitted

EXPORT = reverse("admin:applications_application_export")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1 555", "'+1 555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Lagos University", "Lagos University"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (4, 4),
        (True, "yes"),
    ],
)
def test_cells_a_spreadsheet_would_run_are_escaped(value, expected):
    assert escape_cell(value) == expected


def read(response):
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_the_export_follows_the_list_s_filters_and_escapes(client, staff, open_cycle):
    hostile = make_user("eve@example.com", full_name="=cmd|' /C calc'!A0", country="KE")
    make_submitted(hostile, open_cycle, institution="@SUM(1+1)")
    plain = make_user("ana@example.com", full_name="Ana Souza", country="BR")
    application = make_submitted(plain, open_cycle)
    services.application_assign_reviewer(
        application_id=application.pk, actor=staff, reviewer=staff
    )
    services.application_rate(
        application_id=application.pk, actor=staff, rating=5, comment="-great"
    )
    client.force_login(staff)

    rows = read(client.get(EXPORT))
    assert {row["name"] for row in rows} == {"'=cmd|' /C calc'!A0", "Ana Souza"}
    eve = next(row for row in rows if row["email"] == "eve@example.com")
    assert eve["institution"] == "'@SUM(1+1)"
    assert eve["region"] == "Sub-Saharan Africa"
    assert eve["eligibility"] == "Needs review"

    [ana] = read(client.get(EXPORT, {"status": "under_review"}))
    assert ana["name"] == "Ana Souza"
    assert ana["rating"] == "5"
    assert ana["rating comment"] == "'-great"
    assert ana["reviewer"] == "Sam Staff"
    assert ana["country of practice"] == "Brazil"
    assert ana["interests"]

    assert read(client.get(EXPORT, {"q": "nobody-matches"})) == []


def test_the_export_costs_the_same_queries_for_few_or_many_declined(
    client, staff, open_cycle
):
    reasons = list(DeclineReason.objects.all()[:2])

    def decline(n):
        for i in range(n):
            person = make_user(f"declined{Application.objects.count()}@example.com")
            application = make_submitted(person, open_cycle)
            services.application_start_review(
                application_id=application.pk, actor=staff
            )
            services.application_decline(
                application_id=application.pk,
                actor=staff,
                reason=reasons[i % len(reasons)],
                message="",
                note="",
            )

    def queries():
        cache.clear()  # the list's shared filter choices are read each time
        with CaptureQueriesContext(connection) as captured:
            rows = read(client.get(EXPORT, {"status": "declined"}))
        return len(captured), rows

    client.force_login(staff)
    decline(2)
    few, _ = queries()
    decline(8)
    many, rows = queries()
    assert many == few
    assert {row["decline reason"] for row in rows} == {r.title for r in reasons}


def test_a_bad_filter_goes_back_to_the_list(client, staff):
    client.force_login(staff)
    response = client.get(EXPORT, {"no_such_field__gt": "1"})
    assert response.status_code == 302
    assert response.url == reverse("admin:applications_application_changelist")


def test_the_list_links_to_the_export_of_what_it_shows(client, staff, open_cycle):
    client.force_login(staff)
    html = client.get(
        reverse("admin:applications_application_changelist"), {"status": "approved"}
    ).content.decode()
    assert f"{EXPORT}?status=approved" in html
