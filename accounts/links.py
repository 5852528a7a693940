"""Links for many rows at once."""

from collections.abc import Callable

from django.urls import reverse


def url_for_each(name: str, current_app: str | None = None) -> Callable[[int], str]:
    """``reverse(name, args=[pk], current_app=current_app)`` for many rows'
    integer pks, reversed once: three links a row made reversing an eighth
    of the staff dashboard's time, and a list's link to each row's page is
    one a row."""
    marker = str(2**62)  # an id no row has
    before, after = reverse(name, args=[marker], current_app=current_app).split(marker)
    return lambda pk: f"{before}{int(pk)}{after}"
