"""The staff progress dashboard: figures per cycle, the pairs needing
attention and what staff do about them, the CSV export, who may see it."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.links import url_for_each
from applications.models import Application, ApplicationEvent
from conftest import make_user
from matching import selectors
from mentorship import selectors as mentorship_selectors
from mentorship import services as mentorship_services
from mentorship.models import (
    CheckIn,
    Cycle,
    Pairing,
    PairingEvent,
    PulseAnswer,
    StaffContact,
)
from mentorship.months import add_months, month_number

Status = Pairing.Status
TODAY = datetime(2027, 4, 10, 12, tzinfo=UTC)
URL = "/staff/progress/"


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def cycle(db):
    return Cycle.objects.create(name="2027", program_starts_on=date(2027, 1, 1))


def person(name, country, mentor=False):
    email = f"{name.lower().replace(' ', '.')}@example.com"
    return make_user(email, full_name=name, country=country)


def pair(
    cycle,
    name,
    country,
    *,
    status=Status.ACTIVE,
    starts_on=date(2027, 1, 1),
    mentor=None,
    **fields,
):
    mentee = person(name, country)
    application = Application.objects.create(
        applicant=mentee,
        cycle=cycle,
        # A proposal that fell through sends the application back to staff.
        status=Application.Status.APPROVED
        if status == Status.CANCELLED
        else Application.Status.MATCHED,
        practice_country=country,
        submitted_at=TODAY,
    )
    begun = status not in (Status.PROPOSED, Status.CANCELLED)
    pairing = Pairing.objects.create(
        cycle=cycle,
        mentee=mentee,
        mentor=mentor or person(f"Mentor of {name}", "DK"),
        status=status,
        confirmed_at=TODAY if begun else None,
        starts_on=starts_on if begun else None,
        ends_on=add_months(starts_on, 12) if begun else None,
        **fields,
    )
    pairing.application = application
    return pairing


def contact(pairing, day, **fields):
    checkin = CheckIn.objects.create(
        pairing=pairing,
        author=pairing.mentee,
        occurred_on=day,
        month=month_number(pairing.starts_on, day),
        way=CheckIn.Way.VIDEO,
        initiated_by=CheckIn.Initiator.MENTEE,
        minutes=30,
        **fields,
    )
    mentorship_services.pairing_last_contact_refresh([pairing.pk])
    return checkin


@pytest.fixture
def program(cycle):
    """Four pairs whose year has begun, one proposal, one that fell through.

    On 10 April 2027: A met every month; B met in January, said "yes" to the
    February pulse, and has been silent since (at risk); C began on 15
    February, met once, and its March contact is disputed; D ended early in
    February.
    """
    a = pair(cycle, "Ada Mensah", "GH")
    for day in (
        date(2027, 1, 10),
        date(2027, 2, 10),
        date(2027, 3, 10),
        date(2027, 4, 5),
    ):
        contact(a, day)
    b = pair(cycle, "Bola Ade", "NG", attention=Pairing.Attention.AT_RISK)
    contact(b, date(2027, 1, 12))
    PulseAnswer.objects.create(pairing=b, month=2, person=b.mentee, talked=True)
    PulseAnswer.objects.create(pairing=b, month=2, person=b.mentor, talked=True)
    c = pair(
        cycle,
        "Chen Wei",
        "CN",
        starts_on=date(2027, 2, 15),
        attention=Pairing.Attention.NEEDS_ATTENTION,
    )
    contact(c, date(2027, 2, 20))
    contact(c, date(2027, 3, 20), confirmation=CheckIn.Confirmation.DISPUTED)
    d = pair(
        cycle,
        "Dina Haddad",
        "JO",
        status=Status.ENDED,
        ended_at=datetime(2027, 2, 20, tzinfo=UTC),
    )
    contact(d, date(2027, 1, 5))
    PairingEvent.objects.create(pairing=d, status=Status.ACTIVE, description="Active")
    pair(cycle, "Eve Proposed", "BR", status=Status.PROPOSED)
    pair(cycle, "Fay Cancelled", "AR", status=Status.CANCELLED)
    return {"a": a, "b": b, "c": c, "d": d}


def test_month_by_month_each_pair_counted_from_its_own_start(program, cycle):
    figures = mentorship_selectors.cycle_progress(cycle)
    table = [(m.number, m.met, m.pairs, m.in_progress) for m in figures.months[:5]]
    assert table == [
        (1, 4, 4, False),
        # B's "yes" in the pulse counts (once, though both said it); C is in
        # its second month; D ended after February began.
        (2, 2, 4, True),
        (3, 1, 2, False),
        (4, 1, 2, True),
        (5, 0, 0, False),
    ]
    assert len(figures.months) == 12
    # This month: A has met; B has not; C's only contact is disputed.
    assert (figures.met_this_month, figures.under_way) == (1, 3)
    assert figures.disputed == 1
    assert figures.by_status == {
        "active": 3,
        "ended": 1,
        "proposed": 1,
        "cancelled": 1,
    }


def test_the_funnel_counts_who_reached_each_stage(program, cycle):
    withdrawn = Application.objects.create(
        applicant=person("Wes Withdrew", "PE"),
        cycle=cycle,
        status=Application.Status.WITHDRAWN,
        practice_country="PE",
        submitted_at=TODAY,
    )
    ApplicationEvent.objects.create(
        application=withdrawn,
        status=Application.Status.APPROVED,
        description="Approved",
    )
    Application.objects.create(
        applicant=person("Ian Eligible", "IN"),
        cycle=cycle,
        status=Application.Status.INELIGIBLE,
        eligibility_outcome="fail",
        practice_country="IN",
        submitted_at=TODAY,
    )
    Application.objects.create(
        applicant=person("Dora Draft", "IN"), cycle=cycle, practice_country="IN"
    )
    funnel = {stage.label: stage.count for stage in selectors.cycle_funnel(cycle)}
    assert funnel == {
        "Submitted": 8,
        "Eligible": 7,
        "Approved": 7,
        "Matched": 6,
        "Confirmed": 4,
        "Active": 4,
        "Completed": 0,
    }


def test_regions(program, cycle):
    rows = {row.sub_region: row for row in selectors.cycle_regions(cycle)}
    western_africa = rows["Sub-Saharan Africa"]
    # Ghana and Nigeria applied; both are paired; their mentors are in Europe.
    assert (western_africa.applied, western_africa.mentees) == (2, 2)
    assert rows["Northern Europe"].mentors == 4
    # Eve's proposal counts as matched; Fay's fell through.
    assert rows["Latin America and the Caribbean"].mentees == 1


def test_the_dashboard_shows_the_figures_and_the_pairs_needing_attention(
    program, cycle, client, staff
):
    client.force_login(staff)
    response = client.get(URL, {"cycle": cycle.pk})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    page = response.content.decode()
    assert '<p class="display-6 mb-1" id="rate-this-month">33%</p>' in page
    assert "1 of 3 pairs under way in touch" in page
    # The chart's figures, and the same in a table.
    assert '"percent": 50, "inProgress": true' in page
    assert "vendor/chartjs/chart.umd.js" in page
    rows = page.split('id="attention-table"')[1].split("</table>")[0]
    # B, silent since 12 January, before C, last in touch on 20 February.
    assert rows.index("Bola Ade") < rows.index("Chen Wei")
    assert "Ada Mensah" not in rows
    assert "12 Jan 2027" in rows and "20 Feb 2027" in rows
    assert "At risk: two months missed in a row" in rows


def test_the_dashboard_picks_a_cycle_and_refuses_a_bad_one_kindly(
    program, cycle, client, staff
):
    client.force_login(staff)
    page = client.get(URL).content.decode()
    assert "Monthly contact rate of 2027" in page
    response = client.get(URL, {"cycle": "nonsense"})
    assert response.status_code == 200
    assert "Choose one of the cycles in the list." in response.content.decode()


def test_no_cycle_yet(client, staff):
    client.force_login(staff)
    assert "No cycle yet" in client.get(URL).content.decode()


def test_who_may_see_the_dashboard(program, cycle, client, mentee, staff):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(program["a"].mentee)
    assert client.get(URL).status_code == 404
    assert client.get(f"{URL}pairings.csv", {"cycle": cycle.pk}).status_code == 404
    nudge = f"{URL}pairings/{program['b'].pk}/nudge/"
    assert client.post(nudge).status_code == 404
    # Staff without the right to see pairings get the same 404.
    clerk = make_user("clerk@example.com", is_staff=True)
    client.force_login(clerk)
    assert client.get(URL).status_code == 404
    clerk.user_permissions.add(Permission.objects.get(codename="view_pairing"))
    clerk = type(clerk).objects.get(pk=clerk.pk)
    client.force_login(clerk)
    assert client.get(URL).status_code == 200
    # Seeing is not acting: a nudge needs the right to change pairings.
    assert client.post(nudge).status_code == 404
    assert not StaffContact.objects.exists()


def dashboard_queries(client, cycle):
    cache.clear()  # the figures are shared for a minute: count them afresh
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, {"cycle": cycle.pk}).status_code == 200
    return len(queries)


def test_the_dashboard_costs_the_same_queries_however_many_pairs(
    program, cycle, client, staff
):
    client.force_login(staff)
    small = dashboard_queries(client, cycle)
    for n in range(30):
        extra = pair(
            cycle,
            f"Extra {n}",
            ["KE", "IN", "PE", "VN"][n % 4],
            starts_on=date(2027, 1 + n % 3, 1 + n % 20),
            attention=Pairing.Attention.NEEDS_ATTENTION if n % 2 else "",
        )
        contact(extra, date(2027, 3, 1 + n % 28))
        StaffContact.objects.create(pairing=extra, kind="nudge")
    assert dashboard_queries(client, cycle) == small
    assert small <= 20


@pytest.mark.parametrize(
    "name",
    [
        "admin:mentorship_pairing_change",
        "matching:progress_nudge",
        "matching:progress_check_in",
    ],
)
def test_the_rows_links_are_the_links_reverse_gives(name):
    url = url_for_each(name)
    for pk in (1, 42, 10**12):
        assert url(pk) == reverse(name, args=[pk])


def test_each_row_links_to_its_own_pairing(program, cycle, client, staff):
    client.force_login(staff)
    rows = client.get(URL, {"cycle": cycle.pk}).context["attention"]
    page = client.get(URL, {"cycle": cycle.pk}).content.decode()
    assert rows
    for row in rows:
        assert (
            f'href="{reverse("admin:mentorship_pairing_change", args=[row.pk])}"'
            in page
        )
        assert f'action="{reverse("matching:progress_nudge", args=[row.pk])}"' in page
        assert (
            f'action="{reverse("matching:progress_check_in", args=[row.pk])}"' in page
        )


def test_the_pages_of_pairs_needing_attention_follow_on_in_order(
    cycle, client, staff, monkeypatch
):
    monkeypatch.setattr("matching.views.ATTENTION_PAGE_SIZE", 4)
    flagged = Pairing.Attention.NEEDS_ATTENTION
    expected = [pair(cycle, "Never Heard", "KE", attention=flagged)]
    for n in range(9):
        late = pair(cycle, f"Late {n}", "IN", attention=flagged)
        contact(late, date(2027, 3, 20 - 2 * n))  # later ones wrote earlier
        contact(late, date(2027, 1, 5))
        # Disputed contacts do not count as being in touch.
        contact(late, date(2027, 4, 1), confirmation=CheckIn.Confirmation.DISPUTED)
        expected.insert(1, late)
    contact(pair(cycle, "On Track", "PE"), date(2027, 4, 2))
    client.force_login(staff)
    shown = []
    for number in (1, 2, 3):
        page = client.get(URL, {"cycle": cycle.pk, "page": number})
        shown += [row.pk for row in page.context["attention"]]
    assert shown == [pairing.pk for pairing in expected]
    assert [row.last_contact_on for row in page.context["attention"]] == [
        date(2027, 3, 18),
        date(2027, 3, 20),
    ]


def test_the_counts_are_shared_for_a_minute_the_pairs_needing_attention_are_not(
    program, cycle, client, staff
):
    client.force_login(staff)
    before = client.get(URL, {"cycle": cycle.pk}).context["figures"]
    pair(cycle, "Gus Late", "KE", attention=Pairing.Attention.NEEDS_ATTENTION)
    page = client.get(URL, {"cycle": cycle.pk})
    assert page.context["figures"] == before  # counted a moment ago
    assert "Gus Late" in page.content.decode()  # listed as needing attention
    assert f"of {before.under_way} pairs under way" in page.content.decode()
    with time_machine.travel(TODAY + timedelta(minutes=1, seconds=1), tick=False):
        page = client.get(URL, {"cycle": cycle.pk})
    after = page.context["figures"]
    assert after.under_way == before.under_way + 1
    # The page shows the new count, not the rendering kept for the last one.
    assert f"of {after.under_way} pairs under way" in page.content.decode()


def test_the_kept_figures_are_the_figures_as_rendered_afresh(
    program, cycle, client, staff, settings
):
    client.force_login(staff)
    client.get(URL, {"cycle": cycle.pk})
    kept = client.get(URL, {"cycle": cycle.pk}).content.decode()
    settings.CACHES = {
        **settings.CACHES,
        "fragments": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    afresh = client.get(URL, {"cycle": cycle.pk}).content.decode()
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub("", kept) == token.sub("", afresh)
    assert "Monthly contact rate of 2027" in kept


def test_the_figures_show_links_only_to_staff_who_may_follow_them(
    program, cycle, client, staff
):
    viewer = make_user("viewer@example.com", is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_pairing"),
    )
    client.force_login(staff)
    assert (
        "Review them in admin" in client.get(URL, {"cycle": cycle.pk}).content.decode()
    )
    client.force_login(viewer)
    page = client.get(URL, {"cycle": cycle.pk}).content.decode()
    assert "Monthly contact rate of 2027" in page
    assert "Review them in admin" not in page


def test_a_nudge_emails_both_once_a_day(
    program, client, staff, django_capture_on_commit_callbacks
):
    b = program["b"]
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{URL}pairings/{b.pk}/nudge/", {"page": "1"}, follow=True
        )
    page = response.content.decode()
    assert "A nudge is on its way to Bola Ade and Mentor of Bola Ade." in page
    assert (
        response.redirect_chain[-1][0] == f"{URL}?cycle={b.cycle_id}&page=1#attention"
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [b.mentee.email, b.mentor.email]
    )
    to_mentee = next(m for m in mail.outbox if m.to == [b.mentee.email])
    assert to_mentee.subject == "How are you and Mentor of Bola Ade getting on?"
    assert "the last contact logged with Mentor of Bola Ade was on 12 January 2027" in (
        to_mentee.body
    )
    assert "you, as the mentee, reach out first" in to_mentee.body
    assert f"/pairings/{b.pk}/#checkins" in to_mentee.body
    assert StaffContact.objects.get().by == staff
    assert "Nudge, 10 Apr 2027" in page

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(f"{URL}pairings/{b.pk}/nudge/", follow=True).content.decode()
    # At 12:00 UTC, told in the staff member's own time zone (New York).
    assert "A nudge went to Bola Ade and Mentor of Bola Ade at 08:00 on 10 Apr" in page
    assert not mail.outbox
    assert StaffContact.objects.count() == 1


def test_no_nudge_for_a_pairing_that_has_ended(program, client, staff):
    client.force_login(staff)
    page = client.post(
        f"{URL}pairings/{program['d'].pk}/nudge/", follow=True
    ).content.decode()
    assert "Staff follow pairings under way; this one is ended, not completed." in page
    assert not StaffContact.objects.exists()


def test_a_staff_check_in_is_noted_and_a_bad_note_kept_for_correction(
    program, client, staff
):
    c = program["c"]
    url = f"{URL}pairings/{c.pk}/check-in/"
    client.force_login(staff)
    too_long = "Spoke to Chen; " + "x" * 2000
    response = client.post(url, {"note": too_long, "page": "1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ensure this value has at most 2000 characters" in page
    assert too_long in page
    assert 'aria-describedby="id_note_error"' in page
    response = client.post(url, {"note": "   "})
    assert "Say what you learned from the pair." in response.content.decode()
    assert not StaffContact.objects.exists()

    response = client.post(
        url, {"note": "Chen was on leave; back next week.", "page": "1"}, follow=True
    )
    page = response.content.decode()
    assert "Your check-in with Chen Wei and Mentor of Chen Wei is noted." in page
    noted = StaffContact.objects.get()
    assert (noted.kind, noted.note, noted.by) == (
        StaffContact.Kind.CHECK_IN,
        "Chen was on leave; back next week.",
        staff,
    )
    assert c.events.filter(description="Staff checked in with the pair").exists()
    assert "Check-in, 10 Apr 2027" in page


def test_the_csv_export_lists_pairings_with_their_months(program, cycle, client, staff):
    program["a"].mentee.full_name = "=HYPERLINK(evil)"
    program["a"].mentee.save()
    client.force_login(staff)
    response = client.get(f"{URL}pairings.csv", {"cycle": cycle.pk})
    assert response["Content-Disposition"] == (
        'attachment; filename="pairings-2027-2027-04-10.csv"'
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header, body = rows[0], rows[1:]
    assert header[-12:] == [f"month {n}" for n in range(1, 13)]
    assert len(body) == 5  # the cancelled proposal is left out
    by_mentee = {
        row[header.index("mentee email")]: dict(zip(header, row, strict=True))
        for row in body
    }
    a = by_mentee[program["a"].mentee.email]
    assert a["mentee"] == "'=HYPERLINK(evil)"
    assert [a[f"month {n}"] for n in range(1, 7)] == [
        "met",
        "met",
        "met",
        "met",
        "upcoming",
        "upcoming",
    ]
    assert (a["months met"], a["months missed"], a["last contact"]) == (
        "4",
        "0",
        "2027-04-05",
    )
    b = by_mentee[program["b"].mentee.email]
    assert [b[f"month {n}"] for n in range(1, 5)] == ["met", "met", "missed", "current"]
    assert b["attention"] == "At risk: two months missed in a row"
    proposed = by_mentee["eve.proposed@example.com"]
    assert proposed["month 1"] == "" and proposed["status"].startswith("Proposed")


def test_the_export_refuses_an_unknown_cycle(client, staff, db):
    client.force_login(staff)
    assert client.get(f"{URL}pairings.csv", {"cycle": "999"}).status_code == 404


def test_staff_follow_ups_show_on_the_pairings_admin_page(
    program, client, staff, django_capture_on_commit_callbacks
):
    c = program["c"]
    client.force_login(staff)
    client.post(
        f"{URL}pairings/{c.pk}/check-in/", {"note": "Chen is on leave until May."}
    )
    page = client.get(f"/admin/mentorship/pairing/{c.pk}/change/").content.decode()
    assert "Staff follow-ups" in page
    assert "Chen is on leave until May." in page
    assert "Staff checked in with the pair" in page


def test_an_extended_pair_is_counted_once_this_month(program, cycle):
    a = program["a"]
    a.months = 15
    a.ends_on = add_months(a.starts_on, 15)
    a.save()
    figures = mentorship_selectors.cycle_progress(cycle)
    assert (figures.met_this_month, figures.under_way) == (1, 3)
    assert len(figures.months) == 15
    assert figures.months[3].met == 1


def test_months_after_an_early_end_are_neither_missed_nor_to_come(
    program, cycle, client, staff
):
    client.force_login(staff)
    response = client.get(f"{URL}pairings.csv", {"cycle": cycle.pk})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header = rows[0]
    d = next(
        dict(zip(header, row, strict=True))
        for row in rows[1:]
        if row[header.index("mentee")] == "Dina Haddad"
    )
    # Ended on 20 February: January met, February missed, nothing after.
    assert [d[f"month {n}"] for n in range(1, 5)] == [
        "met",
        "missed",
        "after end",
        "after end",
    ]
    # 20 February 00:00 UTC is still the 19th for staff in New York.
    assert (d["months missed"], d["closed on"]) == ("1", "2027-02-19")


def test_a_contact_after_the_year_is_not_counted(program, cycle):
    a = program["a"]
    contact(a, date(2028, 1, 2))  # month 13 of a twelve-month year
    figures = mentorship_selectors.cycle_progress(cycle)
    assert len(figures.months) == 12
    assert figures.months[0].met == 4


def test_an_ineligible_application_stays_ineligible_when_withdrawn(program, cycle):
    Application.objects.create(
        applicant=person("Ola Withdrew", "PE"),
        cycle=cycle,
        status=Application.Status.WITHDRAWN,
        eligibility_outcome="fail",
        practice_country="PE",
        submitted_at=TODAY,
    )
    funnel = {stage.label: stage.count for stage in selectors.cycle_funnel(cycle)}
    assert (funnel["Submitted"], funnel["Eligible"]) == (7, 6)


def test_mentees_are_placed_where_they_practise(program, cycle):
    # Ada lives in Ghana but practises in Kenya, as her application says.
    application = Application.objects.get(applicant=program["a"].mentee)
    application.practice_country = "KE"
    application.save()
    rows = {row.sub_region: row for row in selectors.cycle_regions(cycle)}
    africa = rows["Sub-Saharan Africa"]
    assert (africa.applied, africa.mentees) == (2, 2)


def test_staff_who_may_only_look_see_no_buttons(program, client):
    clerk = make_user("clerk@example.com", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_pairing"))
    client.force_login(clerk)
    page = client.get(URL).content.decode()
    assert "Bola Ade" in page
    assert "Send a nudge" not in page and "Note a staff check-in" not in page
    assert "Review them in admin" not in page
    assert 'href="/staff/progress/"' in page
    # Without the right to view pairings, no link to the dashboard at all.
    other = make_user("other-clerk@example.com", is_staff=True)
    client.force_login(other)
    assert 'href="/staff/progress/"' not in client.get("/").content.decode()
    # A visitor asking with the wrong method learns nothing either.
    assert client.get(f"{URL}pairings/{program['b'].pk}/nudge/").status_code == 404
