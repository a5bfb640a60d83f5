"""Test-only start-up hook for the crash tests, put on PYTHONPATH by the harness.

Production code has no crash hooks and no test switches: this module only shortens
the leases after which a killed process's claims may be taken again, so a restart
resumes in seconds instead of a minute, and can hold one report's analysis still
(`DENIALWATCH_TEST_STALL_REPORT`) so that a test can kill the process analysing it.
The crash itself comes from outside (SIGKILL).
"""

import os
from datetime import timedelta

_seconds = float(os.environ.get("DENIALWATCH_TEST_LEASE_SECONDS", "0") or 0)
if _seconds > 0:
    import bot.app.delivery
    from storage import sql_store

    bot.app.delivery.CLAIM_LEASE = timedelta(seconds=_seconds)
    _defaults = sql_store.SqlStore.__init__.__kwdefaults__ or {}
    _defaults["delivery_lease"] = timedelta(seconds=_seconds)
    _defaults["claim_lease"] = timedelta(seconds=_seconds)
    sql_store.SqlStore.__init__.__kwdefaults__ = _defaults

_stall = os.environ.get("DENIALWATCH_TEST_STALL_REPORT", "")
_mark = os.environ.get("DENIALWATCH_TEST_STALL_MARK", "")
if _stall and _mark:
    import time

    from bot.app import pipeline
    from bot.core.domain import Analysis, Report

    _analyse = pipeline.Pipeline.analyse

    def _stalling(
        self: pipeline.Pipeline, report: Report, deadline: float | None = None
    ) -> Analysis:
        """The first process to analyse the report writes its pid and hangs there."""
        if report.id == _stall:
            try:
                fd = os.open(_mark, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                os.write(fd, str(os.getpid()).encode())
                os.close(fd)
                time.sleep(3600)
        return _analyse(self, report, deadline)

    pipeline.Pipeline.analyse = _stalling  # type: ignore[method-assign]  # the test's stall
