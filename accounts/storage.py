"""Private files: a folder outside anything served, never under a public URL.

CVs (applications) and copies of a person's data (exports) live here; views
that check who is asking hand them out.
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """Files under PRIVATE_MEDIA_ROOT, read at use so each environment (and
    each test) can point it elsewhere. They have no URL."""

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no public URL.")


_storage = PrivateStorage()


def private_storage() -> PrivateStorage:
    return _storage
