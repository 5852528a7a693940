"""Checks that an uploaded CV is really a PDF or a Word (DOCX) document.

The file's own bytes decide, never its name or the browser's content type: a
renamed executable or web page is refused. So is a polyglot: a file that
starts as a PDF and is a web page or an archive as well, made to be taken
for one by one program and for the other by another (a browser that guesses
a type from the first bytes, a tool that opens archives from their end).
Nobody's CV, saved as PDF, is one.
"""

import hashlib
import math
import zipfile

from django.core.exceptions import ValidationError

# The type each kind of CV is served as: from what its content showed (the
# stored name's extension), not from the server's table of types, which may
# not know Word documents.
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
DOCX_PARTS = {"[Content_Types].xml", "word/document.xml"}
# How far browsers read a file to guess whether it is a web page, and the tags
# that make one run something.
SNIFFED_BYTES = 1024
WEB_PAGE_TAGS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<svg")
WEB_PAGE_TAGS += (b"<iframe", b"<object", b"<embed")


def detect_cv_type(upload) -> str | None:
    """'pdf', 'docx', or None for anything else."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(PDF_MAGIC):
        return "pdf"
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            upload.seek(0)
        if names >= DOCX_PARTS:
            return "docx"
    return None


def is_polyglot(upload) -> bool:
    """Whether a file that starts as a PDF is also a web page (its first
    bytes hold HTML that runs something) or an archive (it ends as a zip)."""
    upload.seek(0)
    head = upload.read(SNIFFED_BYTES).lower()
    upload.seek(0)
    try:
        return any(tag in head for tag in WEB_PAGE_TAGS) or zipfile.is_zipfile(upload)
    finally:
        upload.seek(0)


def validate_cv(upload, *, max_mb: int) -> str:
    """Return the file's type, or raise a ValidationError that says what to do."""
    if upload.size == 0:
        raise ValidationError("The file is empty. Choose your CV again.", code="empty")
    if upload.size > max_mb * 1024 * 1024:
        # Rounded up: a file just over 5 MB is "5.1 MB", never "5.0 MB", which
        # would read as within the limit it is refused for.
        size = math.ceil(upload.size / 1024 / 1024 * 10) / 10
        raise ValidationError(
            "The file is %(size).1f MB; the largest CV we accept is %(max)d MB.",
            code="too_large",
            params={"size": size, "max": max_mb},
        )
    kind = detect_cv_type(upload)
    if kind is None:
        raise ValidationError(
            "This file is not a PDF or a Word (.docx) document. Save your CV as "
            "PDF or DOCX and upload it again.",
            code="wrong_type",
        )
    if kind == "pdf" and is_polyglot(upload):
        raise ValidationError(
            "This file is a PDF and a web page or an archive at once, which a "
            "CV never is. Save your CV as PDF again and upload that.",
            code="polyglot",
        )
    return kind


def _digest(file) -> bytes:
    file.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: file.read(64 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.digest()


def same_cv(stored, stored_name: str, upload) -> bool:
    """Whether ``upload`` is the CV already stored: the same name, and the
    same bytes.

    The same form sent twice (a double click) carries its file both times;
    that second copy changes nothing.
    """
    if not stored or stored_name != upload.name[-255:]:
        return False
    try:
        if stored.size != upload.size:
            return False
        with stored.open("rb") as file:
            return _digest(file) == _digest(upload)
    except OSError:  # the stored file is gone: the upload replaces it
        return False
