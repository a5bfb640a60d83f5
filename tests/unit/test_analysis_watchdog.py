"""The service's watchdog: a report still analysing past its budget is set aside with the
reason, and the next report is analysed meanwhile."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import pytest

import bot.app.analysis as analysis_module
from bot.core.domain import Report, ReportId
from bot.entry.config import load_settings
from bot.entry.service import build_service


async def test_a_report_past_its_budget_is_set_aside_and_the_next_one_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(
        {"DENIALWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'dw.db'}"}, env_file=None
    )
    service = build_service(settings)
    # Load the lexicons first (a check keeps nothing), so the budget below measures
    # analysis and not the first-use loading a busy CI machine can stretch past it.
    service.pipeline.check(Report(ReportId("warm-up"), date(2023, 1, 1), text="Nothing."))
    monkeypatch.setattr(analysis_module, "WATCHDOG_GRACE_SECONDS", 0.2)
    service.pipeline.budget = timedelta(seconds=1.0)
    real = service.pipeline.analyse_claimed

    def stuck_on_poison(report: Report, deadline: float | None = None) -> object:
        if report.id == "poison":
            time.sleep(8)  # a runaway analysis the caps did not foresee
        return real(report, deadline)

    monkeypatch.setattr(service.pipeline, "analyse_claimed", stuck_on_poison)
    store = service.store
    store.add_report(Report(ReportId("poison"), date(2023, 1, 1), text="x"))
    store.add_report(Report(ReportId("next"), date(2023, 1, 2), text="Nothing to see."))

    started = time.monotonic()
    await service._process_pending()
    assert time.monotonic() - started < 6

    poison = store.get_report(ReportId("poison"))
    assert poison is not None and poison.analysed
    assert poison.skip_reason.startswith("too_costly: analysis still running after")
    following = store.get_report(ReportId("next"))
    assert following is not None and following.analysed and not following.skip_reason
