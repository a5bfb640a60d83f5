"""Who may open a page: a valid signed link (or the SSO proxy's header), nobody else."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from html import unescape
from typing import Any

import httpx
import pytest

from adapters.matrix.format import format_alert as matrix_alert
from adapters.memory import MemoryAdapter
from adapters.slack.blocks import format_alert as slack_alert
from bot.app.clock import SystemClock
from bot.app.delivery import DeliveryWorker
from bot.app.ports import AlertView
from bot.core.domain import (
    AgencyName,
    Alert,
    AlertKey,
    Contradiction,
    ContradictionKind,
    Polarity,
    ReportId,
    Statement,
    TopicName,
)
from bot.core.records import FeedbackRecord
from bot.entry.pages.routes import SECURITY_HEADERS
from bot.entry.pages.signing import PageSigner, agency_path, alert_path
from tests.pages.conftest import Site, serve_store
from tests.pages.harness import SLACK_CHANNEL


def pages(site: Site) -> list[str]:
    key = site.alert_key
    return ["/", alert_path(key), agency_path(key.split("|")[0])]


def get(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(url, timeout=10, follow_redirects=False, **kwargs)


@pytest.mark.shared
def test_every_page_opens_with_its_signed_link(belgian_site: Site) -> None:
    for path in pages(belgian_site):
        response = get(belgian_site.link(path))
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert "Clearview" in response.text


@pytest.mark.shared
@pytest.mark.parametrize("flaw", ["missing", "wrong", "expired", "other page's", "tampered expiry"])
def test_a_page_without_a_valid_signature_answers_401_and_shows_nothing(
    belgian_site: Site, flaw: str
) -> None:
    signer = belgian_site.signer
    for path in pages(belgian_site):
        if flaw == "missing":
            url = belgian_site.url + path
        elif flaw == "wrong":
            wrong = PageSigner(b"w" * 40, belgian_site.url)
            url = belgian_site.url + wrong.signed(path, wrong.expiry(datetime.now(UTC)))
        elif flaw == "expired":
            past = int((datetime.now(UTC) - timedelta(seconds=1)).timestamp())
            url = belgian_site.url + signer.signed(path, past)
        elif flaw == "other page's":
            other = "/" if path != "/" else alert_path(belgian_site.alert_key)
            signed = signer.signed(other, signer.expiry(datetime.now(UTC)))
            url = belgian_site.url + path + "?" + signed.split("?", 1)[1]
        else:
            signed = belgian_site.link(path)
            exp = re.search(r"exp=(\d+)", signed)
            assert exp is not None
            url = signed.replace(f"exp={exp[1]}", f"exp={int(exp[1]) + 3600}")
        response = get(url)
        assert response.status_code == 401, (flaw, path)
        for secret in ("Clearview", "Belgian", "dev-01", "spokesperson"):
            assert secret.casefold() not in response.text.casefold()
        assert response.headers["cache-control"] == "no-store"


@pytest.mark.shared
def test_pages_carry_a_strict_policy_and_no_script(belgian_site: Site) -> None:
    for path in pages(belgian_site):
        for url in (belgian_site.link(path), belgian_site.url + path):
            response = get(url)
            for name, value in SECURITY_HEADERS.items():
                assert response.headers[name] == value
            policy = response.headers["content-security-policy"]
            assert "default-src 'none'" in policy and "script-src" not in policy
            assert "unsafe-inline" not in policy
            assert "<script" not in response.text.casefold()
    css = get(belgian_site.url + "/pages/static/pages.css")
    assert css.status_code == 200 and css.headers["x-content-type-options"] == "nosniff"
    assert "prefers-color-scheme: dark" in css.text
    assert get(belgian_site.url + "/pages/static/../views.py").status_code == 404


@pytest.mark.shared
def test_links_on_a_page_expire_with_the_link_that_opened_it(belgian_site: Site) -> None:
    signer = belgian_site.signer
    soon = int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())
    page = get(belgian_site.url + signer.signed(alert_path(belgian_site.alert_key), soon))
    links = re.findall(r'href="(/[^"#]*\?[^"]*)"', page.text)
    assert links
    for link in links:
        assert f"exp={soon}" in unescape(link)
        assert get(belgian_site.url + unescape(link)).status_code == 200


@pytest.mark.shared
def test_an_unknown_alert_with_a_valid_link_is_404(belgian_site: Site) -> None:
    response = get(belgian_site.link(alert_path("nobody|nothing")))
    assert response.status_code == 404


@pytest.mark.shared
def test_the_sso_proxy_header_opens_pages_only_when_configured(belgian_site: Site) -> None:
    header = {"X-Forwarded-User": "editor@example.org"}
    path = alert_path(belgian_site.alert_key)
    assert get(belgian_site.url + path, headers=header).status_code == 401
    for site in serve_store(belgian_site.store, trusted="x-forwarded-user"):
        assert get(site.url + path, headers=header).status_code == 200
        assert get(site.url + path, headers={"X-Forwarded-User": ""}).status_code == 401
        assert get(site.url + path).status_code == 401


def deliver_to_slack(site: Site) -> MemoryAdapter:
    """Run the real delivery worker once, the way `denialwatch run` wires the link in."""
    adapter = MemoryAdapter(platform="slack")

    def page_link(key: AlertKey) -> str:
        return site.signer.link(alert_path(key), datetime.now(UTC))

    worker = DeliveryWorker(
        site.store, {"slack": adapter}, SystemClock(), channel_interval=0, page_link=page_link
    )
    asyncio.run(worker.run_once())
    return adapter


def slack_timeline_link(message: dict[str, Any]) -> str:
    for block in message["blocks"]:
        for element in block.get("elements", []):
            found = re.search(r"<([^|>]+)\|Timeline>", element.get("text", ""))
            if found:
                # mrkdwn escapes & as &amp;; Slack shows (and opens) the unescaped URL.
                return unescape(found[1])
    raise AssertionError("no Timeline link in the Slack message")


@pytest.mark.shared
def test_a_slack_alert_carries_a_timeline_link_that_opens_its_page(belgian_site: Site) -> None:
    adapter = deliver_to_slack(belgian_site)
    (sent,) = adapter.posts
    assert sent.channel == SLACK_CHANNEL
    url = slack_timeline_link(slack_alert(sent.view))
    assert url.startswith(belgian_site.url + "/alerts/")
    response = get(url)
    assert response.status_code == 200
    assert "spokesperson for the Belgian Federal Police" in response.text
    matrix = matrix_alert(sent.view)
    assert f"Timeline: {url}" in matrix["body"]
    assert 'href="' in matrix["formatted_body"] and ">Timeline</a>" in matrix["formatted_body"]


def test_without_pages_alerts_carry_no_timeline() -> None:
    def said(report: str, polarity: Polarity) -> Statement:
        return Statement(
            ReportId(report), AgencyName("A"), TopicName("T"), polarity, "q", date(2020, 1, 1)
        )

    lead = Contradiction(
        said("b", Polarity.AFFIRMS),
        said("a", Polarity.DENIES),
        ContradictionKind.DENIAL_CONTRADICTED,
        0.9,
    )
    alert = Alert(AlertKey("a|t"), AgencyName("A"), TopicName("T"), (lead,))
    view = AlertView(alert=alert, contradiction=lead, is_lead=True)
    assert "Timeline" not in str(slack_alert(view))
    assert "Timeline" not in str(matrix_alert(view))
    hostile = replace(view, timeline_url="javascript:alert(1)")
    assert "Timeline" not in str(slack_alert(hostile))
    assert "Timeline" not in str(matrix_alert(hostile))


@pytest.mark.shared
def test_the_alert_page_shows_who_gave_feedback_and_when(belgian_site: Site) -> None:
    key = AlertKey(belgian_site.alert_key)
    at = datetime(2021, 11, 2, 8, 15, tzinfo=UTC)
    belgian_site.store.add_feedback(FeedbackRecord(key, SLACK_CHANNEL, "U0EDITOR", "confirmed", at))
    page = get(belgian_site.link(alert_path(key))).text
    feedback = page.split('id="feedback-title"', 1)[1].split("</section>", 1)[0]
    assert "Confirmed" in feedback and "U0EDITOR" in feedback and "2021-11-02T08:15Z" in feedback
