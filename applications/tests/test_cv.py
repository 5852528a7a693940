from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications import services
from applications.cv import validate_cv
from applications.models import Application
from conftest import make_user

from .conftest import PDF_BYTES, docx, pdf


def test_pdf_and_docx_are_accepted_by_their_content():
    assert validate_cv(pdf(), max_mb=5) == "pdf"
    assert validate_cv(docx(), max_mb=5) == "docx"
    # The name does not matter: a PDF called .docx is still a PDF.
    assert validate_cv(pdf("cv.docx"), max_mb=5) == "pdf"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("cv.pdf", b"MZ\x90\x00" + b"\x00" * 100), "not a PDF"),
        (
            SimpleUploadedFile("cv.pdf", b"<html><script>alert(1)</script></html>"),
            "not a PDF",
        ),
        (SimpleUploadedFile("cv.pdf", b""), "empty"),
        (SimpleUploadedFile("cv.docx", b"PK\x03\x04 not really a zip"), "not a PDF"),
        (SimpleUploadedFile("cv.pdf", PDF_BYTES + b"\x00" * (5 * 1024 * 1024)), "5 MB"),
    ],
    ids=["executable", "html", "empty", "broken-zip", "too-large"],
)
def test_other_files_are_refused_with_a_clear_message(upload, message):
    with pytest.raises(ValidationError) as error:
        validate_cv(upload, max_mb=5)
    assert message in " ".join(error.value.messages)


def test_a_file_just_over_the_limit_says_a_size_over_it():
    upload = SimpleUploadedFile("cv.pdf", PDF_BYTES + b"\x00" * (5 * 1024 * 1024))
    with pytest.raises(ValidationError) as error:
        validate_cv(upload, max_mb=5)
    assert error.value.messages == [
        "The file is 5.1 MB; the largest CV we accept is 5 MB."
    ]


def test_a_zip_that_is_not_a_word_document_is_refused():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil.exe", "MZ")
    with pytest.raises(ValidationError):
        validate_cv(SimpleUploadedFile("cv.docx", buffer.getvalue()), max_mb=5)


def test_a_refused_file_is_reported_at_the_field(client, mentee, open_cycle):
    client.force_login(mentee)
    client.post(reverse("applications:apply"))
    response = client.post(
        reverse("applications:form"),
        {"action": "save", "cv": SimpleUploadedFile("cv.pdf", b"MZ evil")},
    )
    assert response.status_code == 200
    assert "not a PDF" in response.context["form"].errors["cv"][0]
    assert not Application.objects.get().cv


def test_cvs_are_stored_privately_under_a_generated_name(settings, mentee, open_cycle):
    application = services.application_start(user=mentee, cycle=open_cycle)
    services.application_attach_cv(
        application_id=application.pk, actor=mentee, cv=pdf("Ünïcode CV.pdf")
    )
    application.refresh_from_db()
    path = Path(application.cv.path)
    assert path.is_file()
    assert path.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT))
    assert not path.is_relative_to(Path(settings.STATIC_ROOT))
    assert "Ünïcode" not in path.name
    assert application.cv_filename == "Ünïcode CV.pdf"
    with pytest.raises(ValueError):
        application.cv.url  # noqa: B018 - no public URL exists


def test_replacing_a_cv_removes_the_old_file(
    mentee, open_cycle, django_capture_on_commit_callbacks
):
    application = services.application_start(user=mentee, cycle=open_cycle)
    services.application_attach_cv(
        application_id=application.pk, actor=mentee, cv=pdf()
    )
    application.refresh_from_db()
    old = Path(application.cv.path)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_attach_cv(
            application_id=application.pk, actor=mentee, cv=docx()
        )
    application.refresh_from_db()
    assert not old.exists()
    assert Path(application.cv.path).suffix == ".docx"


@pytest.fixture
def application_with_cv(mentee, open_cycle):
    application = services.application_start(user=mentee, cycle=open_cycle)
    services.application_attach_cv(
        application_id=application.pk, actor=mentee, cv=pdf('my "cv"\r\n.pdf')
    )
    return application


def test_the_applicant_and_staff_download_the_cv_as_an_attachment(
    client, mentee, staff, application_with_cv
):
    url = reverse("applications:cv", args=[application_with_cv.pk])
    for user in (mentee, staff):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "\r" not in disposition and "\n" not in disposition
        assert response["Content-Type"] == "application/pdf"
        assert (
            "no-store" in response["Cache-Control"]
            or "no-cache" in response["Cache-Control"]
        )


@pytest.mark.parametrize("who", ["stranger", "mentor"])
def test_anyone_else_gets_404_for_the_cv_and_the_application(
    client, request, who, application_with_cv
):
    client.force_login(request.getfixturevalue(who))
    for name in ("cv", "detail", "withdraw"):
        url = reverse(f"applications:{name}", args=[application_with_cv.pk])
        assert client.get(url).status_code == 404, name
    assert (
        client.post(
            reverse("applications:withdraw", args=[application_with_cv.pk])
        ).status_code
        == 404
    )
    application_with_cv.refresh_from_db()
    assert application_with_cv.status == "draft"


def test_staff_who_may_not_view_applications_get_404_for_the_page_too(
    client, application_with_cv
):
    # The application's page was open to any staff member, whatever their
    # permissions, while its CV needed the permission to view applications.
    clerk = make_user("clerk@example.com", is_staff=True)
    client.force_login(clerk)
    for name in ("detail", "cv"):
        url = reverse(f"applications:{name}", args=[application_with_cv.pk])
        assert client.get(url).status_code == 404, name


def test_anonymous_visitors_are_sent_to_log_in(client, application_with_cv):
    url = reverse("applications:cv", args=[application_with_cv.pk])
    assert client.get(url).url.startswith(reverse("account_login"))
