"""LongSelect writes the same HTML as Django's Select, faster."""

import pytest
from django import forms

from accounts.forms import TimeZoneField
from accounts.timezones import time_zone_choices
from accounts.widgets import LongSelect

CHOICES = [
    ("", "Choose one"),
    ("a&b", "Ampersand & <b>bold</b>"),
    (7, "A number"),
    ("Groups", [("x", 'Quote "x"'), ("y", "Why")]),
    ("z", "Zed"),
]


@pytest.mark.parametrize(
    "value, attrs",
    [
        (None, None),
        ("a&b", {"id": "id_f", "required": True, "class": "form-select"}),
        ("7", {"id": "id_f", "disabled": True, "aria-describedby": 'h"1'}),
        ("y", {"data-detect-time-zone": "true", "hidden": False}),
        ("not a choice", {"id": "id_f"}),
    ],
)
def test_it_writes_what_djangos_select_writes(value, attrs):
    ours = LongSelect(choices=CHOICES).render("f", value, attrs)
    djangos = forms.Select(choices=CHOICES).render("f", value, attrs)
    assert ours == djangos


def test_every_time_zone_is_written_as_django_would():
    for value in ("UTC", "Asia/Kolkata", "America/Argentina/Buenos_Aires"):
        ours = LongSelect(choices=time_zone_choices()).render("tz", value)
        assert ours == forms.Select(choices=time_zone_choices()).render("tz", value)
        assert f'<option value="{value}" selected>' in ours


def test_the_time_zone_field_offers_the_browsers_zone():
    widget = TimeZoneField().widget
    assert isinstance(widget, LongSelect)
    assert 'data-detect-time-zone="true"' in widget.render("tz", "UTC")
