"""Hostile input to the application pages and to staff's review in the
admin: property-based tests (Hypothesis) post random and hostile data, and
CVs as a careless or hostile applicant may send them, to every form and
view that takes input. Never a server error; nothing written when refused;
what is taken is clean, and shown escaped. Below them, findings kept as
plain tests: odd input never crashes or un-submits.

The generated requests are in ``mentorship/tests/hostile.py``; each example
is undone before the next (``mentorship/tests/world.py``).
"""

import io
import zipfile
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Interest
from accounts.testing import Client
from applications import services
from applications.admin import REVIEW_ACTIONS
from applications.models import Application, DeclineReason
from mentorship.services import email_render_and_queue
from mentorship.tests.hostile import (
    HTML,
    changelist_parameters,
    changelist_query,
    changelist_url,
    check_admin_actions,
    check_admin_change_forms,
    check_admin_lists,
    check_get,
    check_post,
    examples,
    form_data,
    hostile_text,
    page_form,
    succeeded,
)
from mentorship.tests.world import build_world, rolled_back

from .conftest import PDF_BYTES, docx, pdf

FORM = reverse("applications:form")
APPLY = reverse("applications:apply")
CHECK = reverse("applications:check")


@pytest.fixture
def world(db, mentee, mentor, staff):
    return build_world(mentee=mentee, mentor=mentor, staff=staff)


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_mentee(world):
    return logged_in(world.mentee)


@pytest.fixture
def as_staff(world):
    return logged_in(world.staff)


@pytest.fixture
def draft(world, stranger):
    """The stranger's application, started in the open cycle."""
    return services.application_start(user=stranger, cycle=world.cycle)


def someone_elses_ids(world):
    """Ids of the other mentee's records, and of interests no form offers
    in that field: a career goal, and a retired interest."""
    goal = Interest.objects.filter(kind=Interest.Kind.GOAL).first()
    retired = Interest.objects.filter(is_active=False).values_list("pk", flat=True)
    return (*world.others(), goal.pk, *retired[:1])


ELIGIBILITY = {
    "membership_type": "in_training",
    "training_completed_year": "2021",
    "practice_country": "NG",
    "english_writing": "fluent",
    "english_speaking": "fluent",
    "monthly_hours": "4",
    "prior_idea_award": "no",
}


@examples(12)
@given(data=form_data(ELIGIBILITY, extra=("still_in_training", "cycle")))
def test_the_eligibility_check(client, world, data):
    # The check stores nothing, whatever the answers: each is held to what
    # a refusal is held to, nothing written.
    check_post(client, CHECK, data, took=lambda response: False)


@examples(8)
@given(data=form_data({}, extra=("cycle", "applicant", "status", "id")))
def test_starting_an_application(stranger, world, data):
    def saved():
        application = Application.objects.get(applicant=stranger)
        assert (application.cycle, application.status) == (world.cycle, "draft")
        return [application]

    check_post(
        logged_in(stranger),
        APPLY,
        data,
        saved=saved,
        shown_at=FORM,
        took=lambda response: response.get("Location") == FORM,
    )


def zipped(**parts) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


# What a CV may hold: a PDF and a Word document, and what is neither (a
# program, a web page, an archive), or is a PDF and something else at once.
CV_CONTENTS = {
    "pdf": PDF_BYTES,
    "empty": b"",
    "program": b"MZ\x90\x00\x03\x00\x00\x00 This program cannot be run in DOS mode",
    "web page": b"<html><body><script>alert('xss-7')</script></body></html>",
    "archive": zipped(**{"cv.txt": "not a Word document"}),
    "PDF and web page": b"%PDF-1.4\n<html><script>alert('xss-8')</script></html>\n"
    + PDF_BYTES,
    "PDF and archive": PDF_BYTES + zipped(**{"payload.html": "<script></script>"}),
}
CV_NAMES = [
    "My CV.pdf",
    "cv.docx",
    "cv.html",
    "cv.exe",
    "cv.pdf.exe",
    HTML[1] + ".pdf",
    "cv\u202efdp.exe",
    "../../settings.py",
    "CON",
    "é" * 300 + ".pdf",
]
CONTENT_TYPES = ["application/pdf", "text/html", "application/x-msdownload", ""]


def upload(content: str, name: str, content_type: str, *, max_mb: int):
    if content == "docx":
        return docx(name)
    if content == "too large":
        body = PDF_BYTES + b"0" * (max_mb * 1024 * 1024)
    else:
        body = CV_CONTENTS[content]
    return SimpleUploadedFile(name, body, content_type=content_type)


def cv_files(max_mb: int) -> st.SearchStrategy:
    """A CV as a careless or hostile applicant may send it: any content
    above, a Word document, or one just over the cycle's limit; any name;
    any type the browser claims."""
    return st.builds(
        upload,
        st.sampled_from([*CV_CONTENTS, "docx", "too large"]),
        st.sampled_from(CV_NAMES),
        st.sampled_from(CONTENT_TYPES),
        max_mb=st.just(max_mb),
    )


@examples(30)
@given(st.data())
def test_the_application_form(draft, world, complete_answers, data):
    client = logged_in(draft.applicant)
    action = data.draw(st.sampled_from(["save", "submit"]), label="action")
    post = data.draw(
        form_data(
            {**complete_answers, "action": action},
            *someone_elses_ids(world),
            extra=("cycle", "applicant", "status", "reviewer", "rating"),
        ),
        label="answers",
    )
    # A good CV, any other file, a file in a text field, a text where the
    # file goes, or no file at all.
    where = data.draw(st.sampled_from(["pdf", "cv", "statement", "text", "none"]))
    if where == "pdf":
        post["cv"] = pdf()
    elif where == "text":
        post["cv"] = data.draw(hostile_text(), label="cv as text")
    elif where != "none":
        post[where] = data.draw(cv_files(world.cycle.cv_max_mb), label="file")

    def saved():
        application = Application.objects.get(pk=draft.pk)
        assert (application.applicant, application.cycle) == (
            draft.applicant,
            world.cycle,
        )
        assert application.rating is None and application.reviewer is None
        if application.cv:
            assert_cv_served_safely(client, application)
        return [application]

    check_post(
        client,
        FORM,
        post,
        saved=saved,
        shown_at=reverse("applications:detail", args=[draft.pk]),
        # A valid CV is kept even when other answers need correcting.
        allowed=("applications_application", "applications_historicalapplication"),
    )


def assert_cv_served_safely(client, application):
    """A stored CV is a PDF or a Word document by its content, downloaded as
    a file, never opened by the browser as a page; its name is shown
    escaped."""
    assert application.cv.name.rsplit(".", 1)[-1] in ("pdf", "docx")
    with application.cv.open("rb") as stored:
        head = stored.read(4)
    assert head in (b"%PDF", b"PK\x03\x04")
    response = client.get(reverse("applications:cv", args=[application.pk]))
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] in (
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    b"".join(response.streaming_content)
    page = client.get(reverse("applications:detail", args=[application.pk]))
    assert HTML[1] not in page.content.decode()


@examples(10)
@given(st.data())
def test_withdrawing(as_mentee, world, data):
    pk = data.draw(
        st.sampled_from([world.application.pk, world.other_application.pk, 2**63])
    )
    post = data.draw(form_data({}, *world.others(), extra=("status", "id")))

    def saved():
        application = Application.objects.get(pk=pk)
        assert application.applicant == world.mentee
        return [application]

    check_post(
        as_mentee,
        reverse("applications:withdraw", args=[pk]),
        post,
        saved=saved,
        shown_at=reverse("applications:detail", args=[pk]),
    )


@examples(8)
@given(st.data())
def test_the_applicants_pages_take_any_query(as_mentee, world, data):
    query = data.draw(
        form_data({}, *world.others(), extra=("page", "q", "status", "pk"))
    )
    for url in (
        APPLY,
        CHECK,
        reverse("applications:list"),
        reverse("applications:detail", args=[world.application.pk]),
        reverse("applications:detail", args=[world.other_application.pk]),
        reverse("applications:cv", args=[world.application.pk]),
        reverse("applications:cv", args=[world.other_application.pk]),
    ):
        check_get(as_mentee, url, query)


ADMIN_MODELS = [Application, DeclineReason]


@examples(8)
@given(st.data())
def test_the_review_queue_takes_any_query(as_staff, world, data):
    ids = someone_elses_ids(world)
    check_admin_lists(as_staff, world.staff, ADMIN_MODELS, data, *ids)
    # The export and the retention page read the queue's filters.
    names = changelist_parameters(admin.site.get_model_admin(Application), world.staff)
    query = data.draw(changelist_query(names, *ids), label="export")
    check_get(as_staff, reverse("admin:applications_application_export"), query)
    check_get(as_staff, reverse("admin:applications_application_retention"), query)


@examples(8)
@given(st.data())
def test_the_review_queues_actions_take_only_ids(as_staff, world, data):
    ids = someone_elses_ids(world)
    check_admin_actions(as_staff, world.staff, ADMIN_MODELS, data, *ids)


def review_answers(world) -> dict:
    """A valid answer to each review action's form."""
    return {
        "note": "Strong statement; the CV is thin.",
        "reviewer": str(world.staff.pk),
        "rating": "4",
        "comment": "Clear goals.",
        "reason": str(world.decline_reason.pk),
        "message": "We hope you apply again next year.",
        "question": "Which hospital will you practise in?",
        "criterion": "monthly_hours",
        "outcome": "pass",
    }


@examples(40)
@given(st.data())
def test_review_actions(as_staff, world, data):
    action = data.draw(st.sampled_from([*REVIEW_ACTIONS, "delete"]), label="action")
    target = data.draw(
        st.one_of(
            st.sampled_from([world.application.pk, world.other_application.pk]),
            hostile_text(),
        ).map(lambda value: quote(str(value), safe="")),
        label="application",
    )
    post = data.draw(
        form_data(
            {**review_answers(world), "step": "confirm"},
            *someone_elses_ids(world),
            extra=("status", "applicant", "_selected_action"),
        ),
        label="answers",
    )
    url = f"/admin/applications/application/{target}/review/{action}/"
    check_post(
        as_staff,
        url,
        post,
        saved=Application.objects.all,
        shown_at=reverse("admin:applications_application_changelist"),
        took=succeeded,
    )


@examples(10)
@given(st.data())
def test_staff_notes_on_an_application(as_staff, world, data):
    url = reverse("admin:applications_application_change", args=[world.application.pk])
    valid = page_form(as_staff.get(url), "application_form")
    post = data.draw(
        form_data(
            {**valid, "staff_notes": "Call the referee first."},
            *someone_elses_ids(world),
            extra=("status", "rating", "reviewer"),
        )
    )

    def saved():
        application = Application.objects.get(pk=world.application.pk)
        assert (application.status, application.rating) == ("under_review", None)
        return [application]

    check_post(as_staff, url, post, saved=saved, shown_at=url, took=succeeded)


@examples(8)
@given(st.data())
def test_changing_a_decline_reason(as_staff, world, data):
    ids = someone_elses_ids(world)
    check_admin_change_forms(as_staff, world.staff, [DeclineReason], data, *ids)


@examples(10)
@given(
    data=form_data(
        {
            "title": "Outside the program's field",
            "text": "The program is for oncologists.",
            "is_active": "on",
            "position": "3",
        }
    )
)
def test_adding_a_decline_reason(as_staff, world, data):
    check_post(
        as_staff,
        reverse("admin:applications_declinereason_add"),
        data,
        saved=DeclineReason.objects.all,
        shown_at=changelist_url(DeclineReason),
        took=succeeded,
    )


# Findings, kept as plain tests.


def submitted(client, user, answers, capture):
    client.force_login(user)
    client.post(reverse("applications:apply"))
    with capture(execute=True):
        client.post(FORM, {**answers, "action": "submit", "cv": pdf()})
    application = Application.objects.get(applicant=user)
    assert application.status == "submitted"
    return application


# "²" passes str.isdigit() and fails int(): it was a server error; "١٢" (Arabic-
# Indic digits) was read as 12.
@pytest.mark.parametrize("value", ["9" * 25, "\u00b2", "\u0661\u0662", "-1"])
def test_an_interest_id_that_is_not_one_is_a_field_error(
    client, mentee, open_cycle, complete_answers, value
):
    client.force_login(mentee)
    client.post(reverse("applications:apply"))
    for field in ("interests", "career_goals"):
        response = client.post(
            FORM, {**complete_answers, field: [value], "action": "submit"}
        )
        assert response.status_code == 200
        assert field in response.context["form"].errors


@pytest.mark.parametrize("value", ["\u00b2", "abc", "9" * 25, "1 OR 1=1"])
def test_selected_rows_that_are_not_ids_select_nothing(
    client, staff, under_review, value
):
    # Django's admin looked the rows up with the id as it came: a server error.
    client.force_login(staff)
    for data in (
        {"action": "review_approve"},
        {"action": "review_approve", "step": "confirm"},
    ):
        with rolled_back() as written:
            response = client.post(
                reverse("admin:applications_application_changelist"),
                {**data, "_selected_action": [value]},
                follow=True,
            )
        assert response.status_code == 200
        assert not written
    under_review.refresh_from_db()
    assert under_review.status == "under_review"


def test_a_new_cv_on_a_form_with_errors_does_not_unsubmit(
    client, mentee, open_cycle, complete_answers, django_capture_on_commit_callbacks
):
    application = submitted(
        client, mentee, complete_answers, django_capture_on_commit_callbacks
    )
    response = client.post(
        FORM,
        {
            **complete_answers,
            "monthly_hours": "abc",
            "action": "submit",
            "cv": pdf("new.pdf"),
        },
    )
    assert "Choose your CV again" in response.content.decode()
    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.cv_filename == "My CV.pdf"


def test_the_same_choices_in_another_order_change_nothing(
    client, mentee, open_cycle, complete_answers, django_capture_on_commit_callbacks
):
    application = submitted(
        client, mentee, complete_answers, django_capture_on_commit_callbacks
    )
    client.post(
        FORM, {**complete_answers, "meeting_ways": ["email", "video"], "action": "save"}
    )
    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.meeting_ways == ["email", "video"]


def test_a_retired_interest_stays_on_the_application(
    client, mentee, open_cycle, complete_answers, django_capture_on_commit_callbacks
):
    application = submitted(
        client, mentee, complete_answers, django_capture_on_commit_callbacks
    )
    Interest.objects.filter(pk__in=complete_answers["interests"]).update(
        is_active=False
    )
    client.post(FORM, {**complete_answers, "action": "save"})
    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.interests.count() == 1


def test_a_double_click_on_submit_is_a_success_not_an_error(
    client, mentee, open_cycle, complete_answers, django_capture_on_commit_callbacks
):
    submitted(client, mentee, complete_answers, django_capture_on_commit_callbacks)
    response = client.post(FORM, {**complete_answers, "action": "submit"}, follow=True)
    html = response.content.decode()
    assert "Your application is submitted" in html
    assert "already" not in html


def test_the_statement_is_limited_on_the_server(
    client, mentee, open_cycle, complete_answers
):
    client.force_login(mentee)
    client.post(reverse("applications:apply"))
    response = client.post(FORM, {"statement": "x" * 4001, "action": "save"})
    assert "statement" in response.context["form"].errors
    assert Application.objects.get().statement == ""


def test_a_cv_named_only_with_symbols_downloads_as_cv(client, mentee, open_cycle):
    client.force_login(mentee)
    client.post(reverse("applications:apply"))
    client.post(FORM, {"action": "save", "cv": pdf("★★.pdf")})
    application = Application.objects.get()
    response = client.get(reverse("applications:cv", args=[application.pk]))
    assert response.status_code == 200
    assert 'filename="cv.pdf"' in response["Content-Disposition"]


def test_plain_text_email_is_not_html_escaped(
    mentee, open_cycle, django_capture_on_commit_callbacks
):
    mentee.full_name = "Dr. O'Brien & Partner"
    with django_capture_on_commit_callbacks(execute=True):
        email_render_and_queue(
            key="t",
            event="t",
            to=mentee.email,
            template="application_submitted",
            context={"applicant": mentee, "application": None, "status_url": "u"},
        )
    assert "Dr. O'Brien & Partner" in mail.outbox[0].body


def test_an_empty_post_shows_the_form_again_and_changes_nothing(
    client, mentee, open_cycle, complete_answers, django_capture_on_commit_callbacks
):
    # It used to fail with a 500: the unbound form has no cleaned data.
    application = submitted(
        client, mentee, complete_answers, django_capture_on_commit_callbacks
    )
    response = client.post(FORM)
    assert response.status_code == 200
    assert response.context["form"].errors == {}
    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.statement == complete_answers["statement"]


@pytest.mark.parametrize("content", ["PDF and web page", "PDF and archive"])
def test_a_pdf_that_is_a_web_page_or_an_archive_as_well_is_refused(
    client, mentee, open_cycle, content
):
    # Both were stored as the applicant's CV: a file made to be taken for a
    # PDF by one program and for a page or an archive by another.
    client.force_login(mentee)
    client.post(APPLY)
    cv = upload(content, "cv.pdf", "application/pdf", max_mb=5)
    response = client.post(FORM, {"action": "save", "cv": cv})
    assert response.context["form"].errors["cv"] == [
        "This file is a PDF and a web page or an archive at once, which a CV "
        "never is. Save your CV as PDF again and upload that."
    ]
    assert not Application.objects.get(applicant=mentee).cv


def test_a_word_cv_downloads_as_a_word_document(client, mentee, open_cycle):
    # Its type came from the server's table of types, which may not know
    # .docx: it was sent as application/octet-stream.
    client.force_login(mentee)
    client.post(APPLY)
    client.post(FORM, {"action": "save", "cv": docx()})
    application = Application.objects.get(applicant=mentee)
    response = client.get(reverse("applications:cv", args=[application.pk]))
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert b"".join(response.streaming_content).startswith(b"PK\x03\x04")
