"""The evidence pages in a real headless Chromium (Debian `chromium` + `chromium-driver`).

The pages' own policy (`default-src 'none'`) lets no page script run, so every test
here also shows that the pages work with scripts off.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bot.entry.pages.signing import agency_path, alert_path
from tests.pages.conftest import Site, console_errors, requested_urls
from tests.pages.test_access import deliver_to_slack, slack_timeline_link

pytestmark = pytest.mark.browser


def open_page(driver: Any, url: str) -> None:
    console_errors(driver)  # drop what earlier pages logged
    requested_urls(driver)
    driver.get(url)


def assert_clean(driver: Any, site: Site) -> None:
    """No console error, no dialog, no request but to the app itself."""
    assert console_errors(driver) == []
    with pytest.raises(NoAlertPresentException):
        _ = driver.switch_to.alert.text
    # chrome:// and data: are the browser's own pages (its new-tab page loads late).
    network = [u for u in requested_urls(driver) if not u.startswith(("chrome:", "data:"))]
    foreign = [u for u in network if not u.startswith(site.url + "/")]
    assert foreign == []


def marks(driver: Any) -> list[tuple[str, str, float]]:
    found = driver.find_elements(By.CSS_SELECTOR, "section.chronology svg.timeline g.mark")
    return [
        (m.get_attribute("data-polarity"), m.get_attribute("data-date"), m.rect["x"]) for m in found
    ]


@pytest.mark.shared
def test_alert_page_shows_both_quotes_and_a_timeline_in_date_order(
    browser: Any, belgian_site: Site
) -> None:
    open_page(browser, belgian_site.link(alert_path(belgian_site.alert_key)))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Belgian Federal Police · Clearview AI"
    sides = browser.find_elements(By.CSS_SELECTOR, "section.pair article.side")
    assert [s.get_attribute("class") for s in sides] == ["side denies", "side affirms"]
    earlier, new = (s.find_element(By.CSS_SELECTOR, "blockquote.quote").text for s in sides)
    assert "had never used Clearview AI" in earlier
    assert "Belgian Federal Police appeared on it" in new
    body = browser.find_element(By.TAG_NAME, "body").text
    for shown in ("2020-02-28", "2021-10-29", "BuzzFeed News", "The Brussels Times", "English"):
        assert shown in body
    assert "Denial contradicted" in body and "Why they matched" in body
    drawn = marks(browser)
    assert [(p, d) for p, d, _ in drawn] == [("denies", "2020-02-28"), ("affirms", "2021-10-29")]
    assert drawn[0][2] < drawn[1][2]
    legend = browser.find_element(By.CSS_SELECTOR, ".legend").text
    assert "denial" in legend and "affirmation" in legend
    # Shape as well as colour: a diamond for a denial, a circle for an affirmation.
    assert browser.find_elements(By.CSS_SELECTOR, "g.mark.denies rect.shape")
    assert browser.find_elements(By.CSS_SELECTOR, "g.mark.affirms circle.shape")
    assert_clean(browser, belgian_site)


@pytest.mark.shared
def test_following_a_mark_scrolls_to_its_quote(browser: Any, belgian_site: Site) -> None:
    browser.set_window_size(1280, 500)
    try:
        open_page(browser, belgian_site.link(alert_path(belgian_site.alert_key)))
        assert browser.execute_script("return window.scrollY") == 0
        mark = browser.find_element(By.CSS_SELECTOR, "g.mark.affirms")
        anchor = mark.get_attribute("data-anchor")
        browser.find_element(By.CSS_SELECTOR, f'svg.timeline a[href="#{anchor}"]').click()
        assert browser.current_url.endswith(f"#{anchor}")
        target = browser.find_element(By.ID, anchor)
        top = browser.execute_script("return arguments[0].getBoundingClientRect().top", target)
        height = browser.execute_script("return window.innerHeight")
        assert browser.execute_script("return window.scrollY") > 0
        assert 0 <= top < height
        assert "Belgian Federal Police appeared on it" in target.text
        assert "affirms" in target.get_attribute("class")
        assert_clean(browser, belgian_site)
    finally:
        browser.set_window_size(1280, 900)


@pytest.mark.shared
def test_agency_page_lists_its_practices_with_a_timeline_each(
    browser: Any, belgian_site: Site
) -> None:
    open_page(browser, belgian_site.link(agency_path("Belgian Federal Police")))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Belgian Federal Police"
    practices = browser.find_elements(By.CSS_SELECTOR, "section.practice")
    names = [p.find_element(By.CSS_SELECTOR, ".practice-name").text for p in practices]
    assert "Clearview AI" in names
    clearview = practices[names.index("Clearview AI")]
    assert clearview.find_elements(By.CSS_SELECTOR, "svg.timeline g.mark")
    dates = [t.text for t in clearview.find_elements(By.CSS_SELECTOR, "li.statement .head time")]
    assert dates == sorted(dates, reverse=True)  # newest first
    assert_clean(browser, belgian_site)


@pytest.mark.shared
def test_the_search_box_finds_the_belgian_denial(browser: Any, belgian_site: Site) -> None:
    open_page(browser, belgian_site.link("/"))
    assert "Belgian Federal Police · Clearview AI" in browser.find_element(By.TAG_NAME, "main").text
    box = browser.find_element(By.ID, "q")
    box.send_keys("federal police never used clearview")
    box.submit()
    # The form's GET loads a new page: wait for it before reading the results.
    WebDriverWait(browser, 10).until(lambda d: "q=" in d.current_url)
    results = WebDriverWait(browser, 10).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "ol.results li.result")
    )
    assert results
    first = results[0]
    assert "denies" in first.get_attribute("class")
    assert "had never used Clearview AI" in first.text
    assert "BuzzFeed News" in first.text and "English" in first.text
    # The result links on to the agency page, still signed.
    first.find_element(By.LINK_TEXT, "Belgian Federal Police").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "Belgian Federal Police"
    assert_clean(browser, belgian_site)


@pytest.mark.shared
def test_the_alert_link_in_a_slack_message_opens_the_page(browser: Any, belgian_site: Site) -> None:
    from adapters.slack.blocks import format_alert

    (sent,) = deliver_to_slack(belgian_site).posts
    open_page(browser, slack_timeline_link(format_alert(sent.view)))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Belgian Federal Police · Clearview AI"
    assert len(marks(browser)) == 2
    assert_clean(browser, belgian_site)


@pytest.mark.shared
def test_an_unsigned_page_shows_nothing_in_the_browser(browser: Any, belgian_site: Site) -> None:
    open_page(browser, belgian_site.url + alert_path(belgian_site.alert_key))
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "Link not valid" in text and "Clearview" not in text
    # The 401 itself is the one console error Chromium reports here.
    assert all("401" in e for e in console_errors(browser))


@pytest.mark.shared
@pytest.mark.parametrize("width", [1280, 390])
def test_pages_fit_a_desktop_and_a_phone_width(
    browser: Any, belgian_site: Site, width: int
) -> None:
    paths = ("/", alert_path(belgian_site.alert_key), agency_path("Belgian Federal Police"))
    browser.set_window_size(width, 900)
    try:
        for path in paths:
            open_page(browser, belgian_site.link(path))
            overflow = browser.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, (path, width)
            assert_clean(browser, belgian_site)
    finally:
        browser.set_window_size(1280, 900)


@pytest.mark.shared
def test_dark_mode_follows_the_system_setting(browser: Any, belgian_site: Site) -> None:
    url = belgian_site.link(alert_path(belgian_site.alert_key))
    colours = {}
    try:
        for scheme in ("light", "dark"):
            browser.execute_cdp_cmd(
                "Emulation.setEmulatedMedia",
                {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
            )
            open_page(browser, url)
            colours[scheme] = browser.execute_script(
                "return getComputedStyle(document.body).backgroundColor"
            )
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    assert colours["light"] != colours["dark"]


LITERALS = ("<script>alert(1)</script>", "{{ 7*7 }}", '<a href="javascript:alert(3)">click</a>')


def test_hostile_report_text_renders_inert_on_every_page(browser: Any, hostile_site: Site) -> None:
    canary = hostile_site.extra["canary"]
    hostile_agency = hostile_site.extra["hostile_agency"]
    keys = [str(r.alert.key) for r in hostile_site.store.alerts_since(None)]
    assert len(keys) == 2  # the replayed reports and the hand-recorded claims
    paths = [
        "/",
        *(alert_path(k) for k in keys),
        agency_path("Belgian Federal Police"),
        agency_path(hostile_agency),
    ]
    urls = [hostile_site.link(p) for p in paths]
    urls.append(hostile_site.link("/", q="clearview police"))
    urls.append(hostile_site.link("/", q="evil police"))
    for url in urls:
        open_page(browser, url)
        text = browser.find_element(By.TAG_NAME, "main").text
        if "/alerts/" in url or "/agencies/" in url or "q=" in url:
            for literal in LITERALS:
                assert literal in text, (url, literal)
        assert not re.search(r"(?<![\d.])49(?![\d.])", text), url  # {{ 7*7 }} never ran
        assert browser.find_elements(By.CSS_SELECTOR, "script, img, iframe, object, embed") == []
        for link in browser.find_elements(By.CSS_SELECTOR, "a[href]"):
            # As written in the page (SVG links have no string `href` property).
            href = link.get_dom_attribute("href")
            assert href.startswith(("#", "/", "http://", "https://")), (url, href)
            if href.startswith(("http://", "https://")):
                assert link.get_dom_attribute("rel") == "noopener noreferrer", href
        assert_clean(browser, hostile_site)
    assert canary.hits == []
