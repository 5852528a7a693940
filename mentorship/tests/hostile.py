"""Hostile input for property-based tests: what a careless client, a broken
browser or an attacker might post, and the checks every answer must pass.

Each form's fields get, independently, a valid value, nothing at all, or
something hostile: very long text, control characters (NUL first among them:
PostgreSQL refuses it in text), unicode edge cases, HTML and script, SQL
fragments, numbers and dates that are not, lists where one value is expected,
and other people's ids. Mixing valid and hostile values lets one bad field
reach the code behind the others.

The admin is attacked the same way, list by list: a query drawn from the
list's own parameters (its filters, date hierarchy, search, page and
ordering), an action on a selection that mixes rows, other people's ids and
values that are no ids, and each change form's own data, read from its page.
"""

from html.parser import HTMLParser

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory
from django.urls import reverse
from hypothesis import currently_in_test_context, event, settings
from hypothesis import strategies as st

from .world import rolled_back

# Each carries a marker, so that finding it raw in a page is never chance.
HTML = [
    '<script>alert("xss-1")</script>',
    '"><img src=x onerror=alert("xss-2")>',
    "'><svg onload=alert('xss-3')>",
    '</textarea><script>alert("xss-4")</script>',
    "<a href=\"javascript:alert('xss-5')\">xss-5</a>",
    "<b onmouseover=alert('xss-6')>xss-6</b>",
]
SQL = [
    "'; DROP TABLE accounts_user; --",
    "' OR '1'='1",
    '" OR 1=1 --',
    "1; SELECT pg_sleep(10)--",
    "%",
    "_%_",
    "\\",
]
CONTROL = [
    "\x00",
    "a\x00b",
    "\x1b[31mred",
    "\r\n\r\n",
    "\x7f",
    "\x08\x0b\x0c",
    "\u202eevil",  # right-to-left override
    "\ufeff",
    "\u200b",
    "\u2028",
]
UNICODE = [
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",  # noqa: RUF001 (letters that look like others, on purpose)
    "Z\u0334\u0321a\u0337l\u0336g\u0338o",
    "🧑🏽\u200d⚕️",
    "ﷺ",
    "İstanbul ß",
    "²",  # a digit to str.isdigit(), not to int()
    "١٢",  # Arabic-Indic digits
    "½",
    "\uffff",
]
NUMBERS = [
    "-1",
    "0",
    "1.5",
    "1e309",
    "NaN",
    "inf",
    "2147483648",
    "9223372036854775808",
    "9" * 40,
    "0x10",
    " 7 ",
]
NOT_VALUES = ["[]", "{}", "null", "None", "true", "undefined", "", " "]
DATES = [
    "2027-02-30",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
    "31/12/2026",
    "2027-13-01T25:61",
    "yesterday",
]
TEMPLATE = ["{{ 7|add:7 }}", "{% debug %}", "${7*7}"]

SAMPLES = HTML + SQL + CONTROL + UNICODE + NUMBERS + NOT_VALUES + DATES + TEMPLATE

# Text a browser can send: anything but lone surrogates, which no encoding
# of a form carries.
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)

long_text = st.builds(
    lambda piece, times: piece * times,
    st.sampled_from(["a", "<", "é", "\x00", "\U0001d54f", "' OR 1=1 "]),
    st.integers(min_value=300, max_value=12_000),
)


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(SAMPLES),
        any_text,
        long_text,
        st.lists(st.sampled_from(SAMPLES), min_size=2, max_size=3).map("".join),
    )


def hostile_value(*ids) -> st.SearchStrategy:
    """One field's hostile value: text, someone's id, or several values
    where one is expected."""
    single = st.one_of(hostile_text(), st.sampled_from([str(i) for i in ids]))
    if not ids:
        single = hostile_text()
    return st.one_of(single, st.lists(single, min_size=2, max_size=3))


def examples(count: int) -> settings:
    """A test's number of examples: `count` in the project's profile (and
    CI's), and as many times more as the profile in use has examples beyond
    the project's (``explore`` looks twenty times further)."""
    scale = settings().max_examples / settings.get_profile("project").max_examples
    return settings(max_examples=max(1, round(count * scale)))


OMIT = object()


def form_data(valid: dict, *ids, extra=()) -> st.SearchStrategy[dict]:
    """A POST for a form whose valid answers are `valid`, with up to three
    fields left out or made hostile and the others valid, so that one bad
    field meets the code behind the good ones (and hostile text in a field
    that takes any text is taken, and shown). `extra` names fields the form
    does not have, which may be sent all the same."""
    names = [*valid, *extra]

    def build(chosen):
        fields = {
            name: st.one_of(st.just(OMIT), hostile_value(*ids))
            if name in chosen
            else st.just(valid[name])
            for name in names
            if name in chosen or name in valid
        }
        return st.fixed_dictionaries(fields)

    chosen = st.lists(st.sampled_from(names), unique=True, max_size=3)
    return chosen.flatmap(build).map(
        lambda data: {k: v for k, v in data.items() if v is not OMIT}
    )


def texts_of(data: dict) -> list[str]:
    values = []
    for value in data.values():
        values.extend(value if isinstance(value, list) else [value])
    return [v for v in values if isinstance(v, str)]


def assert_escaped(response, data: dict) -> None:
    """No HTML that came in is in the page as HTML."""
    if response.streaming or "html" not in response.get("Content-Type", ""):
        return
    html = response.content.decode()
    for text in texts_of(data):
        for payload in HTML:
            assert payload not in text or payload not in html, payload


def assert_answered(response, data: dict) -> None:
    """Never a server error; nothing that came in shown unescaped."""
    assert response.status_code < 500, response.status_code
    assert_escaped(response, data)


REFUSING = {message_levels.ERROR, message_levels.WARNING, message_levels.INFO}


def refused(response) -> bool:
    """Did the view turn the request down: a page with the form's errors, an
    error status, or a redirect that carries an error or notice rather than
    a success?"""
    if response.status_code >= 400:
        return True
    context = response.context or {}
    for name in ("form", "checkin_form", "objective_form", "activity_form"):
        form = context.get(name)
        if form is not None and form.is_bound and form.errors:
            return True
    levels = {m.level for m in get_messages(response.wsgi_request)}
    if response.status_code in (301, 302):
        return bool(levels & REFUSING) or message_levels.SUCCESS not in levels
    return True  # a page again, with no form bound: nothing was done


def succeeded(response) -> bool:
    """A redirect that carries a success message."""
    levels = {m.level for m in get_messages(response.wsgi_request)}
    return response.status_code == 302 and message_levels.SUCCESS in levels


def assert_clean(obj) -> None:
    """What was saved passes the model's own checks (lengths, choices), and
    holds no NUL, which PostgreSQL would have refused with a 500."""
    obj.clean_fields()
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            assert not (isinstance(text, str) and "\x00" in text), field.name


def check_post(client, url, data, *, saved=None, shown_at=None, allowed=(), took=None):
    """Post `data` and check the answer: no server error, no HTML from the
    input unescaped; if the view refused it, nothing written (but the
    tables in `allowed`); if it took it, what `saved()` returns is clean
    and the page `shown_at` shows it escaped. Everything is undone after.
    `took(response)` says whether the view took the data, where `refused`
    cannot tell. Returns the response and whether the view took the data."""
    # Messages a redirect carried and no page showed wait in a cookie: the
    # answer is judged by its own.
    client.cookies.pop(CookieStorage.cookie_name, None)
    with rolled_back() as written:
        response = client.post(url, data)
        assert_answered(response, data)
        taken = took(response) if took else not refused(response)
        if taken:
            for obj in saved() if saved else ():
                assert_clean(obj)
            if shown_at:
                assert_answered(client.get(shown_at), data)
    # Seen with --hypothesis-show-statistics: how much of the input got past
    # the form. (A plain test may call this too.)
    if currently_in_test_context():
        event("taken" if taken else f"refused with {response.status_code}")
    if not taken:
        assert written <= set(allowed), f"refused, yet wrote to {written}"
    return response, taken


def check_get(client, url, params=None):
    """GET `url` with `params` (hostile query parameters, as a tampered link
    or a bookmarked filter would carry): no server error, nothing shown
    unescaped, nothing written. A download is read to its end, as a browser
    would. Returns the response."""
    params = params or {}
    with rolled_back() as written:
        response = client.get(url, params)
        if response.streaming:
            b"".join(response.streaming_content)
        assert_answered(response, params)
    assert not written, f"a GET wrote to {written}"
    return response


# The query parameters of every admin list, besides its filters': search,
# page, ordering, "show all", the error flag, facets, and the field a popup
# returns.
LIST_PARAMETERS = ("q", "p", "o", "all", "e", "_facets", "_to_field", "_popup")
DATE_PARTS = ("year", "month", "day")


def changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def admin_request(user):
    """A request by `user`, for asking an admin what it offers them."""
    request = RequestFactory().post("/")
    request.user = user
    return request


def changelist_parameters(model_admin, user) -> list[str]:
    """The query parameters `model_admin`'s list takes, as `user` sees it:
    the common ones, each filter's, and the date hierarchy's."""
    changelist = model_admin.get_changelist_instance(admin_request(user))
    names = [
        name for spec in changelist.filter_specs for name in spec.expected_parameters()
    ]
    if model_admin.date_hierarchy:
        names += [f"{model_admin.date_hierarchy}__{part}" for part in DATE_PARTS]
    return [*LIST_PARAMETERS, *names]


# Numbers a date's parts may be sent as, and the edges of what a date holds:
# the first and last year, month and day, and one past each.
date_part = st.one_of(
    st.sampled_from(["0", "1", "12", "13", "28", "29", "30", "31", "32"]),
    st.sampled_from(["9999", "10000"]),
    st.integers(min_value=-1, max_value=10_000).map(str),
)


def changelist_query(names, *ids) -> st.SearchStrategy[dict]:
    """A list's query: a few of its parameters, each hostile, an id, or a
    number such as a date's year, month or day may be."""
    value = st.one_of(hostile_value(*ids), date_part)
    chosen = st.lists(st.sampled_from(names), unique=True, min_size=1, max_size=3)
    return chosen.flatmap(
        lambda keys: st.fixed_dictionaries(dict.fromkeys(keys, value))
    )


def selection(selected, *ids) -> st.SearchStrategy[list[str]]:
    """The ticked rows of an admin list, as posted: the rows `selected`,
    other rows' ids, and values that are no ids at all, in any mix."""
    one = st.one_of(
        st.sampled_from([str(pk) for pk in (*selected, *ids)]), hostile_text()
    )
    return st.lists(one, min_size=1, max_size=3)


# What an action's later steps post: the button's index, "all rows", the
# confirmations of Django's delete and of our own actions, a review's step.
STEP_FIELDS = ("index", "select_across", "post", "step", "confirm")


def action_data(action: str, selected, *ids) -> st.SearchStrategy[dict]:
    """A POST of an admin list's action `action`: the selection is always
    drawn by `selection`, and the fields of the steps after it (the action's
    button, "all rows", the confirmation) may be made hostile as well."""
    steps = form_data({"action": action}, *ids, extra=STEP_FIELDS)
    return st.tuples(steps, selection(selected, *ids)).map(
        lambda pair: {**pair[0], ACTION_CHECKBOX_NAME: pair[1]}
    )


def check_admin_lists(client, user, models, data, *ids) -> None:
    """The list of each of `models`, with a query drawn from `data`."""
    for model in models:
        names = changelist_parameters(admin.site.get_model_admin(model), user)
        query = data.draw(changelist_query(names, *ids), label=model.__name__)
        check_get(client, changelist_url(model), query)


def check_admin_actions(client, user, models, data, *ids) -> None:
    """An action on the list of each of `models`, on a selection drawn from
    `data`: one the list offers `user`, or deleting, which a read-only list
    does not offer."""
    request = admin_request(user)
    for model in models:
        model_admin = admin.site.get_model_admin(model)
        actions = sorted({*model_admin.get_actions(request), "delete_selected"})
        action = data.draw(st.sampled_from(actions), label=model.__name__)
        rows = model_admin.get_queryset(request).order_by("pk")[:1]
        post = data.draw(action_data(action, [row.pk for row in rows], *ids))
        check_post(client, changelist_url(model), post, took=succeeded)


class _FormFields(HTMLParser):
    """What the form with id `form_id` sends as the page shows it: each
    field's value, a list where a name has several."""

    SKIPPED = {"submit", "button", "reset", "image", "file"}

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, list[str]] = {}
        self.textarea = None
        self.select = None

    def add(self, name, value):
        self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.inside = attributes.get("id") == self.form_id
        named = "name" in attributes and "disabled" not in attributes
        if not self.inside or (not named and tag != "option"):
            return
        kind = attributes.get("type", "text")
        if tag == "input" and kind not in self.SKIPPED:
            if kind not in ("checkbox", "radio") or "checked" in attributes:
                self.add(attributes["name"], attributes.get("value", "on"))
        elif tag == "textarea":
            self.textarea = attributes["name"]
            self.add(self.textarea, "")
        elif tag == "select":
            self.select = {"name": attributes["name"], "first": None, "chosen": []}
            self.select["multiple"] = "multiple" in attributes
        elif tag == "option" and self.select is not None:
            value = attributes.get("value", "")
            if self.select["first"] is None:
                self.select["first"] = value
            if "selected" in attributes:
                self.select["chosen"].append(value)

    def handle_data(self, data):
        if self.textarea is not None:
            self.fields[self.textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select" and self.select is not None:
            select, self.select = self.select, None
            chosen = select["chosen"]
            if not chosen and not select["multiple"] and select["first"] is not None:
                chosen = [select["first"]]
            for value in chosen:
                self.add(select["name"], value)


def page_form(response, form_id: str) -> dict:
    """The data the form `form_id` on the page of `response` sends as it
    stands: a valid POST to make hostile, read from the page rather than
    written out again in each test."""
    parser = _FormFields(form_id)
    parser.feed(response.content.decode())
    parser.close()
    assert parser.fields, f"no form {form_id!r} on the page"
    return {
        name: values[0] if len(values) == 1 else values
        for name, values in parser.fields.items()
    }


def check_admin_change_forms(client, user, models, data, *ids) -> None:
    """The change form of a row of each of `models` that `user` may change,
    with the form's own data (read from its page) made hostile."""
    request = admin_request(user)
    for model in models:
        model_admin = admin.site.get_model_admin(model)
        row = model_admin.get_queryset(request).order_by("pk").first()
        assert model_admin.has_change_permission(request, row), model
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])
        valid = page_form(client.get(url), f"{opts.model_name}_form")
        post = data.draw(form_data(valid, *ids), label=model.__name__)
        check_post(
            client,
            url,
            post,
            saved=lambda model=model, row=row: model.objects.filter(pk=row.pk),
            shown_at=url,
            took=succeeded,
        )
