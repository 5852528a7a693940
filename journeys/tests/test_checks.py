"""The journeys' own checks must be able to fail."""

import pytest

from journeys.browser import check_accessibility, check_phone_width, check_zoom

PAGE = """<!DOCTYPE html><html lang="en"><head><title>Check</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Check</h1>{}</main></body></html>"""


@pytest.fixture
def blank(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_accessibility_fails_on_serious_violations_and_prints_the_rest(blank, capsys):
    blank.set_content(PAGE.format('<img src="cv.png">') + "<p>Outside landmarks</p>")
    with pytest.raises(pytest.fail.Exception, match=r"image-alt \(critical\)"):
        check_accessibility(blank, "broken")
    printed = capsys.readouterr().out
    assert "axe [broken] critical: image-alt" in printed
    assert "axe [broken] moderate: region" in printed


def test_accessibility_passes_a_clean_page(blank):
    blank.set_content(PAGE.format('<img src="cv.png" alt="A CV">'))
    check_accessibility(blank, "clean")


def test_phone_width_fails_when_the_page_scrolls_sideways(blank):
    blank.set_content(PAGE.format('<div style="width: 500px">Too wide</div>'))
    with pytest.raises(pytest.fail.Exception, match="px wide and scrolls sideways"):
        check_phone_width(blank, "wide")
    blank.set_content(PAGE.format("<p>Fits</p>"))
    check_phone_width(blank, "narrow")


def test_zoom_fails_when_the_page_scrolls_sideways_at_200_percent(blank):
    blank.set_content(PAGE.format('<div style="width: 900px">Too wide zoomed</div>'))
    with pytest.raises(pytest.fail.Exception, match="at 200 % zoom the page is"):
        check_zoom(blank, "wide")
    blank.set_content(PAGE.format("<p>Fits</p>"))
    check_zoom(blank, "narrow")
