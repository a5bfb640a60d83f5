"""`make screenshots`: PNGs of the three evidence pages, from the development stream.

Replays `../shared/data/dev` through the live pipeline, serves the pages on loopback
and photographs them in headless Chromium at 1280 px (and the alert page at phone
width), into the folder given (default `docs/`).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from bot.core.domain import Report
from tests.conftest import SHARED_DATA
from tests.pages.harness import (
    CHROMEDRIVER,
    CHROMIUM,
    FixedClock,
    browser_available,
    dev_watchlist,
    pages_app,
    read_reports,
    replayed_store,
    serving,
    signer_for,
)

ALERT_KEY = "belgian federal police|clearview ai"
AGENCY = "Belgian Federal Police"
OPENED_AT = datetime(2021, 10, 29, 9, 30, tzinfo=UTC)


def chromium(width: int, height: int) -> Any:
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(CHROMEDRIVER))


def photograph(driver: Any, url: str, target: Path, width: int) -> None:
    driver.set_window_size(width, 800)
    driver.get(url)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(int(height), 4000))
    driver.get(url)
    driver.save_screenshot(str(target))
    print(f"wrote {target}")


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "docs")
    data = SHARED_DATA
    if not (data / "dev" / "reports.jsonl").is_file():
        print(f"error: {data / 'dev'} is missing (the dev stream is in ../shared)", file=sys.stderr)
        return 1
    reason = browser_available()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 1
    from bot.entry.pages.signing import agency_path, alert_path

    reports = read_reports(data / "dev" / "reports.jsonl")
    clock = FixedClock(OPENED_AT)

    def arrives(report: Report) -> None:
        # Each alert opens when its report came out, as it would have live.
        clock.moment = datetime.combine(report.published, time(9, 30), UTC)

    store, _ = replayed_store(reports, dev_watchlist(data), clock=clock, before=arrives)
    out.mkdir(parents=True, exist_ok=True)
    signers = []

    def build(url: str) -> Any:
        signers.append(signer_for(url))
        return pages_app(store, signers[0], clock=FixedClock(OPENED_AT))

    with serving(build) as url:
        signer = signers[0]

        def link(path: str) -> str:
            return url + signer.signed(path, signer.expiry(OPENED_AT))

        driver = chromium(1280, 800)
        try:
            photograph(driver, link(alert_path(ALERT_KEY)), out / "alert-page.png", 1280)
            photograph(driver, link(agency_path(AGENCY)), out / "agency-page.png", 1280)
            photograph(driver, link("/"), out / "index-page.png", 1280)
            photograph(driver, link(alert_path(ALERT_KEY)), out / "alert-page-phone.png", 390)
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
