"""The load test's virtual users (run by bench/load.sh, on loopback only).

- Visitors read the public pages: home, the eligibility check (and use it),
  how to apply, sign up.
- Applicants each take an account of their own that ``bench_load prepare``
  made (a verified mentee, logged in, no application yet) and go through the
  application: start it, save a first part as a draft, submit it whole with a
  CV, read its status page. Each submission answered with success is written
  to ``submitted.txt``, for ``bench_load report`` to find its row.
- Paired mentors and mentees open their pairings and the pairing page.

Every response's status code is counted; ``codes.json`` is written at the
end. Settings come from the environment: LOAD_DIR (where accounts.json is,
and where the results go).
"""

import json
import os
import re
from collections import Counter
from itertools import count
from pathlib import Path

from locust import HttpUser, between, events, task
from requests.cookies import RequestsCookieJar

DIR = Path(os.environ["LOAD_DIR"])
ACCOUNTS = json.loads((DIR / "accounts.json").read_text())
APPLICANTS = iter(ACCOUNTS["applicants"])
PAIRED = ACCOUNTS["paired"]
NEXT_PAIRED = count()
CODES: Counter = Counter()
SUBMITTED = (DIR / "submitted.txt").open("a", buffering=1)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CV = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@events.request.add_listener
def count_status(response=None, exception=None, **kwargs):
    code = getattr(response, "status_code", None)
    CODES[str(code) if code else f"error: {type(exception).__name__}"] += 1


@events.test_stop.add_listener
def write_codes(**kwargs):
    (DIR / "codes.json").write_text(json.dumps(dict(CODES)))
    SUBMITTED.flush()


class PlainHttpCookies(RequestsCookieJar):
    """The app runs with its production settings, which mark cookies Secure;
    this test speaks plain HTTP on loopback, so it keeps them as plain ones
    (a cookie policy would not do: requests copies the jar for each request)."""

    def set_cookie(self, cookie, *args, **kwargs):
        cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


class Person(HttpUser):
    abstract = True
    wait_time = between(0.5, 2)

    def on_start(self):
        self.client.cookies = PlainHttpCookies()

    def log_in_as(self, session_key: str) -> None:
        self.client.cookies.set("sessionid", session_key, domain="127.0.0.1")

    def get_form(self, path: str, name: str) -> str | None:
        """GET a page with a form; the CSRF token in it, if any."""
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return None
            found = CSRF.search(response.text)
            if not found:
                response.failure("no CSRF token on the page")
                return None
            return found.group(1)

    def post(self, path: str, name: str, data, *, expect: str, files=None):
        """POST a form; a redirect to a path starting with ``expect`` is
        success. Returns the redirect's target, or None."""
        with self.client.post(
            path,
            data=data,
            files=files,
            name=name,
            allow_redirects=False,
            catch_response=True,
            headers={"Referer": self.host + path},
        ) as response:
            target = response.headers.get("Location", "")
            if response.status_code != 302 or not target.startswith(expect):
                response.failure(f"status {response.status_code}, to {target!r}")
                return None
            return target


class Visitor(Person):
    """Someone who has not applied: reads about the program, checks
    whether they would be eligible."""

    weight = 2

    @task(3)
    def home(self):
        self.client.get("/", name="home")

    @task(2)
    def eligibility_check(self):
        token = self.get_form("/apply/check/", "eligibility check")
        if token is None:
            return
        self.wait()
        with self.client.post(
            "/apply/check/",
            data={
                "csrfmiddlewaretoken": token,
                "membership_type": "in_training",
                "training_completed_year": "2021",
                "practice_country": "KE",
                "english_writing": "fluent",
                "english_speaking": "working",
                "monthly_hours": "4",
                "prior_idea_award": "no",
            },
            name="eligibility check: answer",
            catch_response=True,
            headers={"Referer": self.host + "/apply/check/"},
        ) as response:
            if "eligible" not in response.text:
                response.failure("no answer on the page")

    @task(1)
    def how_to_apply(self):
        self.client.get("/apply/", name="apply (public)")

    @task(1)
    def sign_up_page(self):
        self.client.get("/accounts/signup/", name="sign up page")


class Applicant(Person):
    """A mentee with an account of their own, filling in the application."""

    weight = 2

    @task
    def apply(self):
        account = next(APPLICANTS, None)
        if account is None:  # every prepared account has applied
            self.client.get("/", name="home")
            return
        self.client.cookies.clear()
        self.log_in_as(account["session"])
        token = self.get_form("/apply/", "apply")
        if token is None:
            return
        if not self.post(
            "/apply/",
            "apply: start",
            {"csrfmiddlewaretoken": token},
            expect="/apply/form/",
        ):
            return
        self.wait()
        token = self.get_form("/apply/form/", "application form")
        if token is None:
            return
        first_part = {
            "csrfmiddlewaretoken": token,
            "action": "save",
            "institution": "University Teaching Hospital",
            "position": "Consultant oncologist",
            "statement": "I want guidance on building a research program.",
        }
        if not self.post(
            "/apply/form/",
            "application form: save draft",
            first_part,
            expect="/apply/form/",
        ):
            return
        self.wait()
        token = self.get_form("/apply/form/", "application form")
        if token is None:
            return
        answers = {
            **first_part,
            "csrfmiddlewaretoken": token,
            "action": "submit",
            "membership_type": "in_training",
            "training_completed_year": "2021",
            "training_country": "GB",
            "practice_country": "NG",
            "time_zone": "Africa/Lagos",
            "english_writing": "fluent",
            "english_speaking": "fluent",
            "monthly_hours": "4",
            "meeting_ways": ["video", "email"],
            "interests": [str(pk) for pk in ACCOUNTS["interests"]],
            "career_goals": [str(pk) for pk in ACCOUNTS["goals"]],
            "prior_idea_award": "no",
            "consent": "on",
        }
        status_page = self.post(
            "/apply/form/",
            "application form: submit",
            answers,
            expect="/applications/",
            files={"cv": ("cv.pdf", CV, "application/pdf")},
        )
        if not status_page:
            return
        SUBMITTED.write(account["email"] + "\n")
        with self.client.get(
            status_page, name="application status", catch_response=True
        ) as response:
            if "Status: <strong>Submitted</strong>" not in response.text:
                response.failure("the status page does not say submitted")


class PairedPerson(Person):
    """A mentor or mentee in a pairing under way."""

    weight = 1

    def on_start(self):
        super().on_start()
        me = PAIRED[next(NEXT_PAIRED) % len(PAIRED)]
        self.log_in_as(me["session"])
        self.pairing = me["pairing"]

    @task(1)
    def pairings(self):
        self.client.get("/pairings/", name="pairings")

    @task(3)
    def pairing_page(self):
        self.client.get(f"/pairings/{self.pairing}/", name="pairing page")
