"""Test-only start-up hook for the crash tests, put on PYTHONPATH by the harness.

Production code has no crash hooks and no test switches: this module only shortens
the leases after which a killed process's claims may be taken again, so a restart
resumes in seconds instead of a minute. The crash itself comes from outside (SIGKILL).
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
