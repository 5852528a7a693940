"""Where CVs are kept: the private folder (see accounts.storage), never under
a public URL."""

import uuid

from accounts.storage import PrivateStorage
from accounts.storage import private_storage as _shared


def private_storage() -> PrivateStorage:
    # The CV field's migrations name this function; it hands out the one
    # private storage the whole project shares.
    return _shared()


def cv_upload_to(instance, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"cvs/{uuid.uuid4().hex}.{extension}"
