"""Form widgets of the project's own."""

from django import forms
from django.utils.html import format_html, format_html_join


def _attrs(attrs: dict) -> str:
    """HTML attributes as Django's ``attrs.html`` writes them: ``True`` as a
    bare name, ``False`` left out, anything else as its text, escaped."""
    return format_html_join(
        "",
        " {}{}",
        (
            (name, "" if value is True else format_html('="{}"', value))
            for name, value in attrs.items()
            if value is not False
        ),
    )


def _group(name: str, options: list[dict]) -> str:
    html = format_html_join(
        "",
        '\n  <option value="{}"{}>{}</option>\n',
        (
            (option["value"], _attrs(option["attrs"]), option["label"])
            for option in options
        ),
    )
    if not name:
        return html
    return format_html('\n  <optgroup label="{}">{}\n  </optgroup>', name, html)


class LongSelect(forms.Select):
    """A select of many options (the ~600 time zones, the ~250 countries)
    that writes its options in Python. Django's own renders each option
    through a template of its own: some 20 ms for the time zones, most of
    the application form's time. The HTML is the same, character for
    character (a test compares the two)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        return format_html(
            '<select name="{}"{}>{}\n</select>',
            widget["name"],
            _attrs(widget["attrs"]),
            format_html_join(
                "",
                "{}",
                (
                    (_group(group, options),)
                    for group, options, _ in widget["optgroups"]
                ),
            ),
        )
