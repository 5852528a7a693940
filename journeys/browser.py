"""What a journey does in the browser besides clicking: log in, read the
emails the app sent, and check each page (axe-core, no sideways scroll at
375 px, screenshots). The fixtures that open pages are in conftest.py."""

import re
import time
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core import mail
from playwright.sync_api import Page, expect

from accounts.testing import fresh_totp_code
from conftest import PASSWORD

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
# A 1280 px window at 200 % zoom lays the page out in 640 CSS pixels.
ZOOMED = {"width": DESKTOP["width"] // 2, "height": DESKTOP["height"] // 2}
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots" / "journeys"
# axe-core impacts that fail a journey; "minor" and "moderate" are printed.
BLOCKING_IMPACTS = {"serious", "critical"}

axe = Axe()
# axe-core's "preload" copies the page's stylesheets into <style> elements of
# its own (to read @import rules, as in the admin's forms.css); the page's
# Content Security Policy blocks those, and the journey would count axe's
# elements as the page's. Only one minor rule (css-orientation-lock) uses them.
AXE_OPTIONS = {"resultTypes": ["violations"], "preload": False}


def log_in(
    page: Page, email: str, password: str = PASSWORD, totp_secret: str | None = None
) -> None:
    """Log in through the login form, as a person would; with `totp_secret`,
    enter the code their authenticator app shows when the site asks."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    if totp_secret:
        enter_totp_code(page, totp_secret)
    expect(page.get_by_role("button", name="Your account")).to_be_visible()
    # The menu shows before the page's deferred scripts (Bootstrap's among
    # them) have run; a click on it then opens nothing.
    page.wait_for_load_state("domcontentloaded")


def enter_totp_code(page: Page, secret: str) -> None:
    """On the login's two-factor step: the app's current code, then Sign In."""
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Two-Factor Authentication"
    )
    page.get_by_label("Code").fill(fresh_totp_code(secret))
    page.get_by_role("button", name="Sign In").click()


def latest_email(to: str, timeout: float = 5.0):
    """The last email sent to `to`. The app sends it after its transaction
    commits, in live_server's thread, so give it a moment."""
    deadline = time.monotonic() + timeout
    while True:
        sent = [message for message in mail.outbox if to in message.to]
        if sent:
            return sent[-1]
        if time.monotonic() > deadline:
            subjects = [(message.to, message.subject) for message in mail.outbox]
            pytest.fail(f"No email to {to}; the outbox holds {subjects}")
        time.sleep(0.05)


def link_in(message, path: str) -> str:
    """The link in an email's text whose path starts with `path`."""
    for url in re.findall(r"https?://\S+", message.body):
        if re.match(r"https?://[^/]+" + re.escape(path), url):
            return url
    pytest.fail(f"No link to {path} in the email {message.subject!r}:\n{message.body}")


def page_text(page: Page) -> str:
    """The page's text as a person reads it, each select shown by its chosen
    option rather than by its whole list."""
    return page.evaluate(
        """() => {
            const body = document.body.cloneNode(true);
            const selects = document.body.querySelectorAll("select");
            body.querySelectorAll("select").forEach((select, index) => {
                const chosen = selects[index].selectedOptions[0];
                select.replaceWith(`[${chosen ? chosen.text : ""}]`);
            });
            body.querySelectorAll("script, style").forEach((node) => node.remove());
            return body.textContent.replace(/\\s*\\n\\s*/g, "\\n").trim();
        }"""
    )


def check_accessibility(page: Page, name: str) -> None:
    """Run axe-core on the page: fail on serious or critical violations;
    print the others, and what axe could not decide (for a person to check)."""
    results = axe.run(page, options=AXE_OPTIONS).response
    violations = results["violations"]
    for label, found in (("", violations), ("needs review, ", results["incomplete"])):
        for rule in found:
            targets = ", ".join(
                str(target) for node in rule["nodes"] for target in node["target"]
            )
            print(
                f"axe [{name}] {label}{rule['impact']}: {rule['id']}: "
                f"{rule['help']} ({targets})"
            )
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        pytest.fail(
            f"{name}: axe found serious or critical violations: "
            + "; ".join(
                f"{v['id']} ({v['impact']}) on {len(v['nodes'])} element(s): "
                f"{v['help']}"
                for v in blocking
            )
        )


def _check_no_sideways_scroll(page: Page, name: str, viewport: dict, how: str):
    page.set_viewport_size(viewport)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > viewport["width"]:
        pytest.fail(f"{name}: {how} the page is {width} px wide and scrolls sideways")


def check_phone_width(page: Page, name: str) -> None:
    """At 375 px the page must not scroll sideways."""
    _check_no_sideways_scroll(page, name, PHONE, f"at {PHONE['width']} px")


def check_zoom(page: Page, name: str) -> None:
    """At 200 % zoom (a desktop window's width halved, in CSS pixels) the page
    must not scroll sideways either."""
    _check_no_sideways_scroll(page, name, ZOOMED, "at 200 % zoom")


def save_screenshots(page: Page, name: str) -> None:
    """Full-page PNGs at desktop and phone widths, replaced on each run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, viewport in (("desktop", DESKTOP), ("375", PHONE)):
        page.set_viewport_size(viewport)
        page.screenshot(
            path=SCREENSHOTS / f"{name}-{label}.png",
            full_page=True,
            animations="disabled",
            caret="hide",
        )
    page.set_viewport_size(DESKTOP)


def check_page(page: Page, name: str, *, screenshot: bool = True) -> None:
    """What every page of a journey must pass: axe at desktop and at 375 px
    (where the menu folds), no sideways scroll at 375 px nor at 200 % zoom;
    and, for the main pages, screenshots named after `name`."""
    check_accessibility(page, name)
    check_zoom(page, name)
    check_phone_width(page, name)
    check_accessibility(page, f"{name} at 375 px")
    page.set_viewport_size(DESKTOP)
    if screenshot:
        save_screenshots(page, name)
