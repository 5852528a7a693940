"""Checks that an uploaded CV is really a PDF or a Word (DOCX) document.

The file's own bytes decide, never its name or the browser's content type: a
renamed executable or web page is refused.
"""

import hashlib
import zipfile

from django.core.exceptions import ValidationError

PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
DOCX_PARTS = {"[Content_Types].xml", "word/document.xml"}


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


def validate_cv(upload, *, max_mb: int) -> str:
    """Return the file's type, or raise a ValidationError that says what to do."""
    if upload.size == 0:
        raise ValidationError("The file is empty. Choose your CV again.", code="empty")
    if upload.size > max_mb * 1024 * 1024:
        raise ValidationError(
            "The file is %(size).1f MB; the largest CV we accept is %(max)d MB.",
            code="too_large",
            params={"size": upload.size / 1024 / 1024, "max": max_mb},
        )
    kind = detect_cv_type(upload)
    if kind is None:
        raise ValidationError(
            "This file is not a PDF or a Word (.docx) document. Save your CV as "
            "PDF or DOCX and upload it again.",
            code="wrong_type",
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
